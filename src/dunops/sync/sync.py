"""Sync and drift: read a zone from its provider, compare it with the last stored version, and store
a ``drift`` version when something changed outside DunOps.

The drift is returned as RRset changes from the last version to what the provider serves now. Sync runs
only when asked or, for zones whose schedule is on, from the periodic job in :mod:`dunops.sync.schedule`.
One sync per zone at a time: the zone row is locked for the length of the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.dns.plan import Plan, plan_changes
from dunops.errors import Conflict, NotFound
from dunops.security.vault import Vault
from dunops.storage.base import utcnow
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


def _locked(session: Session, zone: Zone) -> Zone:
    locked = session.scalars(select(Zone).where(Zone.id == zone.id).with_for_update()).first()
    if locked is None:
        raise NotFound(f"zone {zone.fqdn} not found")
    return locked


def sync_zone(session: Session, vault: Vault, zone: Zone, actor: Principal | None) -> SyncResult:
    """Fetch the zone from its provider and store a ``drift`` version when it differs from the last one."""
    zone = _locked(session, zone)
    if zone.connection_id is None:
        raise Conflict(f"zone {zone.fqdn} is plan-only: it has no provider connection to sync from")
    connection = session.get(ProviderConnection, zone.connection_id)
    if connection is None or connection.workspace_id != zone.workspace_id:
        raise Conflict(f"zone {zone.fqdn} has no usable provider connection")
    holder = f"sync:{uuid.uuid4().hex[:12]}"
    leases.acquire(session, zone.id, holder, leases.Purpose.SYNC, zone_name=zone.fqdn)
    try:
        with connections.provider_for(session, vault, connection) as provider:
            live = provider.fetch(zone.fqdn)
        previous = versions.current(session, zone)
        drift = plan_changes(versions.current_content(session, zone), live)
        source = VersionSource.DRIFT if previous is not None else VersionSource.SYNC
        version = versions.record(session, zone, live, source, actor)
    finally:
        leases.release(session, zone.id, holder)
    zone.last_synced_at = utcnow()
    session.flush()
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


def sync(session: Session, grant: Access, vault: Vault, name: str) -> SyncResult:
    """Sync one zone of the workspace now, on the caller's behalf."""
    grant.require(Permission.ZONES_MANAGE)
    return sync_zone(session, vault, zones.get(session, grant, name), grant.principal)


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
