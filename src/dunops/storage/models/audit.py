"""The append-only audit trail, hash-chained per workspace (``workspace_id`` NULL: the instance chain),
and the signed head of each chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from dunops.storage.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("workspace_id", "sequence"),
        # NULLs never collide in a unique constraint, so the instance chain needs its own index.
        Index(
            "uq_audit_events_instance_sequence",
            "sequence",
            unique=True,
            postgresql_where=text("workspace_id IS NULL"),
            sqlite_where=text("workspace_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int]
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(400), default="")
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(400), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    client_address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """Where a chain ends: its last sequence and hash, with a MAC under the master key's audit-chain key.

    Updated in the transaction that appends, so deleting events from the end of a chain (or the head
    itself, or forging it) shows. One row per chain; the instance chain's row (``workspace_id`` NULL) is
    kept single by the chain's lock, which every append takes.
    """

    __tablename__ = "audit_heads"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True
    )
    sequence: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    master_key_id: Mapped[str] = mapped_column(String(40))
    mac: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
