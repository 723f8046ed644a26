"""Zones DunOps manages and their immutable versions (snapshots of the content, in canonical JSON)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dunops.storage.base import Base, utcnow


class VersionSource(StrEnum):
    """Why a version was stored."""

    IMPORT = "import"
    SYNC = "sync"
    DRIFT = "drift"
    APPLY = "apply"


class Zone(Base):
    """A zone in a workspace; ``connection_id`` NULL means a plan-only zone (no provider behind it).

    ``current_version_id`` points at ``zone_versions.id`` without a foreign key, to keep the two tables
    free of a cycle; services keep it consistent.
    """

    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("workspace_id", "fqdn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    fqdn: Mapped[str] = mapped_column(String(255))
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider_connections.id", ondelete="SET NULL"), index=True
    )
    current_version_id: Mapped[int | None]
    sync_every_minutes: Mapped[int | None]
    last_synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ZoneVersion(Base):
    """An immutable snapshot of a zone's content; ``content`` is the DNS engine's canonical JSON."""

    __tablename__ = "zone_versions"
    __table_args__ = (UniqueConstraint("zone_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[VersionSource]
    content: Mapped[str] = mapped_column(Text)
    rrset_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(400), default="")
