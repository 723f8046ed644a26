"""Support tickets: a workspace's questions to the operator and the answers, kept as workspace data."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dunops.storage.base import Base, utcnow


class TicketKind(StrEnum):
    QUESTION = "question"
    DATA_REQUEST = "data_request"


class TicketStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class SupportTicket(Base):
    """A ticket opened by a member; ``due_at`` is set for a data request (received + 30 days)."""

    __tablename__ = "support_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TicketKind] = mapped_column(default=TicketKind.QUESTION)
    status: Mapped[TicketStatus] = mapped_column(default=TicketStatus.OPEN)
    subject: Mapped[str] = mapped_column(String(200))
    zone: Mapped[str] = mapped_column(String(255), default="")
    change_id: Mapped[int | None]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]


class TicketMessage(Base):
    """One message of a ticket, from a member or from the operator."""

    __tablename__ = "support_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(320))
    from_operator: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
