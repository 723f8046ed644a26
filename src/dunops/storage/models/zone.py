"""Zones DunOps manages: their current content as indexed RRset rows, and immutable versions as deltas.

A zone's current content is one :class:`ZoneRRset` row per RRset, keyed by the zone, the owner's tree
key (:func:`dunops.dns.names.tree_key`: labels from the root down, so a subtree is one key range) and
the type. Each :class:`ZoneVersion` stores what it changed from the version before it as
:class:`VersionRRset` rows: the RRsets it removed (``-``) and those it added (``+``); an update is
both. Version 1 (the import) has no rows: any version is rebuilt from the current content by undoing
the deltas after it, and any two versions are compared from the deltas between them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dunops.storage.base import Base, utcnow

# Keys compare byte by byte on every database: the subtree ranges depend on it.
TREE_KEY = String(400).with_variant(String(400, collation="C"), "postgresql")


class VersionSource(StrEnum):
    """Why a version was stored."""

    IMPORT = "import"
    SYNC = "sync"
    DRIFT = "drift"
    APPLY = "apply"


class Zone(Base):
    """A zone in a workspace; ``connection_id`` NULL means a plan-only zone (no provider behind it).

    ``current_version_id`` points at ``zone_versions.id`` without a foreign key, to keep the two tables
    free of a cycle; services keep it consistent. The SOA is the provider's: it is kept as last read
    (``soa_ttl``, ``soa_value``), never planned and never versioned. A zone whose rows are still being
    stored by an import job is ``importing``: nothing but that job sees it.
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
    importing: Mapped[bool] = mapped_column(default=False)
    soa_ttl: Mapped[int | None]
    soa_value: Mapped[str] = mapped_column(Text, default="")
    sync_every_minutes: Mapped[int | None]
    last_synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ZoneRRset(Base):
    """One RRset of a zone's current content. ``rdata`` is the JSON list of its canonical values."""

    __tablename__ = "zone_rrsets"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)
    tree_key: Mapped[str] = mapped_column(TREE_KEY, primary_key=True)
    rtype: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(400))
    ttl: Mapped[int]
    rdata: Mapped[str] = mapped_column(Text)
    meta: Mapped[str] = mapped_column(Text, default="")


class ZoneVersion(Base):
    """An immutable version of a zone's content: its hash, size and why it exists (the delta is apart).

    ``content_hash`` covers the origin and every RRset (SOA excluded) and is kept up to date from the
    delta alone (a sum of per-RRset digests), so storing a version never reads the whole zone.
    """

    __tablename__ = "zone_versions"
    __table_args__ = (UniqueConstraint("zone_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[VersionSource]
    rrset_count: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(400), default="")


class VersionRRset(Base):
    """One side of one RRset change in a version's delta: ``-`` what it removed, ``+`` what it added."""

    __tablename__ = "zone_version_rrsets"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("zone_versions.id", ondelete="CASCADE"), primary_key=True
    )
    tree_key: Mapped[str] = mapped_column(TREE_KEY, primary_key=True)
    rtype: Mapped[str] = mapped_column(String(16), primary_key=True)
    side: Mapped[str] = mapped_column(String(1), primary_key=True)
    name: Mapped[str] = mapped_column(String(400))
    ttl: Mapped[int]
    rdata: Mapped[str] = mapped_column(Text)
    meta: Mapped[str] = mapped_column(Text, default="")


class ImportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ZoneImport(Base):
    """A zone import run as a job: from an uploaded file (kept in the data dir until it ran) or from a
    connection. ``phase``, ``done`` and ``total`` say how far it got; ``problems`` why it failed."""

    __tablename__ = "zone_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    fqdn: Mapped[str] = mapped_column(String(255))
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider_connections.id", ondelete="SET NULL")
    )
    format: Mapped[str] = mapped_column(String(16), default="")
    filename: Mapped[str] = mapped_column(String(255), default="upload")
    upload: Mapped[str] = mapped_column(String(255), default="")
    upload_bytes: Mapped[int] = mapped_column(default=0)
    state: Mapped[ImportState] = mapped_column(default=ImportState.QUEUED)
    phase: Mapped[str] = mapped_column(String(32), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
