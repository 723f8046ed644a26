"""Sync and drift: read a zone from its provider, compare it with the last stored version, and store
a ``drift`` version when something changed outside DunOps.

The drift is returned as RRset changes from the last version to what the provider serves now. Sync runs
only when asked or, for zones whose schedule is on, from the periodic job in :mod:`dunops.sync.schedule`.
One sync or apply per zone at a time: the zone's lease is held while the provider is read.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dunops import audit
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.dns.plan import Plan
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import Conflict, NotFound
from dunops.security.vault import Vault
from dunops.storage import usage
from dunops.storage.base import utcnow
from dunops.storage.database import released, transaction
from dunops.storage.models import (
    ProviderConnection,
    VersionSource,
    Workspace,
    WorkspaceStatus,
    Zone,
    ZoneVersion,
)
from dunops.zones import connections, leases, versions, zones


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What a sync found: the drift (empty when nothing changed) and the version it stored, if any."""

    zone: Zone
    drift: Plan
    version: ZoneVersion | None

    @property
    def changed(self) -> bool:
        return self.version is not None


def sync_zone(
    factory: sessionmaker[Session], vault: Vault, zone_id: int, actor: Principal | None
) -> SyncResult:
    """Fetch the zone from its provider and store a ``drift`` version when it differs from the last one.

    Runs its own transactions: the zone's lease is taken (and committed) first, the provider is read with
    no transaction open, then the outcome is stored and the lease given back.
    """
    holder = f"sync:{uuid.uuid4().hex[:12]}"
    with ExitStack() as stack:
        with transaction(factory) as session:
            zone, connection = _syncable(session, zone_id)
            fqdn = zone.fqdn
            leases.acquire(session, zone.id, holder, leases.Purpose.SYNC, zone_name=fqdn)
            provider = stack.enter_context(
                connections.provider_for(session, vault, connection, timeout=connections.WHOLE_ZONE_TIMEOUT)
            )
        try:
            live = provider.fetch(fqdn)
            with transaction(factory) as session:
                result = _store(session, zone_id, live, actor, holder)
        finally:
            with transaction(factory) as session:
                leases.release(session, zone_id, holder)
    return result


def _syncable(session: Session, zone_id: int) -> tuple[Zone, ProviderConnection]:
    zone = session.get(Zone, zone_id)
    if zone is None:
        raise NotFound(f"zone {zone_id} not found")
    if zone.connection_id is None:
        raise Conflict(f"zone {zone.fqdn} is plan-only: it has no provider connection to sync from")
    connection = session.get(ProviderConnection, zone.connection_id)
    if connection is None or connection.workspace_id != zone.workspace_id:
        raise Conflict(f"zone {zone.fqdn} has no usable provider connection")
    return zone, connection


def _store(
    session: Session, zone_id: int, live: ZoneContent, actor: Principal | None, holder: str
) -> SyncResult:
    zone = session.get(Zone, zone_id, populate_existing=True)
    if zone is None:
        raise NotFound(f"zone {zone_id} was forgotten while it was being synced")
    source = VersionSource.DRIFT if zone.current_version_id is not None else VersionSource.SYNC
    version, drift = versions.record_content(session, zone, live, source, actor)
    leases.release(session, zone.id, holder)
    zone.last_synced_at = utcnow()
    session.flush()
    usage.count(session, zone.workspace_id, syncs=1)
    audit.record(
        session,
        workspace_id=zone.workspace_id,
        actor=actor,
        action="zone.sync",
        target=f"zone:{zone.fqdn}",
        details={
            "changes": len(drift.changes),
            "summary": drift.summary(),
            "version": version.number if version else None,
        },
    )
    return SyncResult(zone, drift, version)


def sync(
    session: Session, factory: sessionmaker[Session], grant: Access, vault: Vault, name: str
) -> SyncResult:
    """Sync one zone of the workspace now, on the caller's behalf (``session`` only reads)."""
    grant.require(Permission.ZONES_MANAGE)
    zone = zones.get(session, grant, name)
    with released(session):
        return sync_zone(factory, vault, zone.id, grant.principal)


def due_zone_ids(session: Session, now: datetime | None = None) -> list[int]:
    """Zones of active workspaces whose schedule is on and whose last sync is old enough."""
    now = now or utcnow()
    rows = session.execute(
        select(Zone.id, Zone.sync_every_minutes, Zone.last_synced_at)
        .join(Workspace, Workspace.id == Zone.workspace_id)
        .where(
            Zone.sync_every_minutes.is_not(None),
            Zone.connection_id.is_not(None),
            Workspace.status == WorkspaceStatus.ACTIVE,
        )
        .order_by(Zone.id)
    )
    due = []
    for zone_id, minutes, last in rows:
        if minutes is not None and (last is None or last + timedelta(minutes=minutes) <= now):
            due.append(zone_id)
    return due
