"""The rest of the data lifecycle's records: policy documents and their notices, and data-subject
requests."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dunops.storage.base import Base, utcnow


class LegalVersion(Base):
    """One published version of a policy document (``privacy``, ``security``, ``subprocessors``, ``dpa``)."""

    __tablename__ = "legal_versions"
    __table_args__ = (UniqueConstraint("document", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    material: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class LegalNotice(Base):
    """A material change a person is shown in the app until they acknowledge it."""

    __tablename__ = "legal_notices"
    __table_args__ = (UniqueConstraint("user_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("legal_versions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]


class RequestKind(StrEnum):
    ACCESS = "access"
    CORRECTION = "correction"
    EXPORT = "export"
    DELETION = "deletion"


class RequestState(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"


class RequestChannel(StrEnum):
    SELF_SERVICE = "self-service"
    SUPPORT = "support"
    WORKSPACE_ADMIN = "workspace-admin"


class DataRequest(Base):
    """A data-subject request, answered by ``due_at`` (30 days after it was received). It outlives the
    account and the workspace it names (``SET NULL``): the record that it was answered is kept."""

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RequestKind]
    state: Mapped[RequestState] = mapped_column(default=RequestState.OPEN)
    channel: Mapped[RequestChannel]
    subject_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    filed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="SET NULL"))
    details: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
