"""Per-zone lease locks: one row per zone naming who holds it (an apply or a sync) and until when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from dunops.storage.base import Base


class ZoneLease(Base):
    """``holder`` NULL: free. A lease past ``expires_at`` may be taken over."""

    __tablename__ = "zone_leases"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(16), default="")
    acquired_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
