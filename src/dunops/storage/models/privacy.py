"""The data lifecycle's records: deletion tombstones and data exports.

A tombstone says that a workspace or an account was deleted, and when; it names only an id, so keeping
it keeps nothing of what was deleted. A backup restore re-applies the tombstones recorded after the
backup was made, so what was deleted stays deleted.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dunops.storage.base import Base, utcnow


class TombstoneKind(StrEnum):
    WORKSPACE = "workspace"
    USER = "user"


class DeletionTombstone(Base):
    """A deletion: of workspace or user ``subject_id``, asked by ``requested_by_id``; no foreign keys,
    so the tombstone outlives what it names. ``purged_at`` is set once nothing of it is left."""

    __tablename__ = "deletion_tombstones"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TombstoneKind]
    subject_id: Mapped[int] = mapped_column(index=True)
    requested_by_id: Mapped[int | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    purge_after: Mapped[datetime] = mapped_column(default=utcnow)
    purged_at: Mapped[datetime | None]


class ExportKind(StrEnum):
    USER = "user"
    WORKSPACE = "workspace"


class ExportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"


class DataExport(Base):
    """A zip of a person's or a workspace's data, built by a job; its requester may download it until
    ``expires_at``."""

    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ExportKind]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[ExportState] = mapped_column(default=ExportState.QUEUED)
    file_name: Mapped[str] = mapped_column(String(200), default="")
    size_bytes: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class EmailChange(Base):
    """A new address a person asked for, waiting for them to confirm it by the link mailed there;
    only the SHA-256 of the link's token is stored."""

    __tablename__ = "email_changes"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    new_email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
