"""Per-workspace data keys, stored only wrapped (AES-256-GCM) by the master key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from dunops.storage.base import Base, utcnow


class WorkspaceKey(Base):
    """A workspace's data key: ``wrapped_key`` is nonce + ciphertext, NULL once destroyed (shredded)."""

    __tablename__ = "workspace_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    master_key_id: Mapped[str] = mapped_column(String(40))
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rewrapped_at: Mapped[datetime | None]
    destroyed_at: Mapped[datetime | None]
