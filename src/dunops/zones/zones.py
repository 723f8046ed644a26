"""Zones in a workspace: import (from a provider connection or an uploaded file), list, show, read
records, export, schedule syncs, forget.

Forgetting a zone removes it and its versions from DunOps only; the provider is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import plans
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.dns.formats import ConversionReport, ZoneFormat, read_zone, write_zone
from dunops.dns.names import InvalidName, absolute_name, zone_origin
from dunops.dns.validation import check_zone
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import Conflict, InvalidInput, NotFound
from dunops.security.vault import Vault
from dunops.storage import usage
from dunops.storage.database import released
from dunops.storage.models import VersionSource, Zone, ZoneVersion
from dunops.zones import connections, records, versions

SYNC_IMPORT_RRSETS = 100_000
"""Larger zones are imported as a job (``POST .../imports``), stored a batch at a time."""
MAX_SYNC_MINUTES = 7 * 24 * 60


@dataclass(frozen=True, slots=True)
class ZoneView:
    """A zone with its current version, for rendering."""

    zone: Zone
    version: ZoneVersion | None


def clean_fqdn(text: str, location: str = "name") -> str:
    """A zone name as DunOps keys it: lower case, punycode, without the trailing dot.

    Only plain DNS names pass (:func:`dunops.dns.names.zone_origin`): a zone name becomes a file name
    and part of provider URLs, so ``/``, ``\\``, ``..``, NUL and the like are refused, naming ``location``.
    """
    try:
        return zone_origin(text)[:-1]
    except InvalidName as exc:
        raise InvalidInput.single(str(exc), location) from exc


def zone_format(text: str, location: str = "format") -> ZoneFormat:
    try:
        return ZoneFormat(text.lower())
    except ValueError:
        choices = ", ".join(f.value for f in ZoneFormat)
        raise InvalidInput.single(f"unknown format; expected one of {choices}", location) from None


def _exists(session: Session, workspace_id: int, fqdn: str) -> bool:
    query = select(Zone.id).where(Zone.workspace_id == workspace_id, Zone.fqdn == fqdn)
    return session.scalars(query).first() is not None


def _create(
    session: Session, grant: Access, fqdn: str, connection_id: int | None, content: ZoneContent, how: str
) -> ZoneView:
    if len(content) > SYNC_IMPORT_RRSETS:
        raise InvalidInput.single(
            f"the zone holds {len(content):,} RRsets: import zones of more than {SYNC_IMPORT_RRSETS:,} "
            "as a job (POST .../imports), which stores them a batch at a time",
            "content" if connection_id is None else "connection_id",
        )
    if _exists(session, grant.workspace.id, fqdn):
        raise Conflict(f"zone {fqdn} is already in this workspace")
    plans.require_zone_room(session, grant.workspace)
    plans.require_zone_size(grant.workspace, len(content))
    zone = Zone(workspace_id=grant.workspace.id, fqdn=fqdn, connection_id=connection_id)
    session.add(zone)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"zone {fqdn} was just added to this workspace") from exc
    version = versions.record_initial(session, zone, content, VersionSource.IMPORT, grant.principal)
    usage.count(session, grant.workspace.id, imports=1)
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="zone.import",
        target=f"zone:{fqdn}",
        details={
            "from": how,
            "connection_id": connection_id,
            "rrsets": len(content),
            "version": version.number,
        },
    )
    return ZoneView(zone, version)


def import_from_connection(
    session: Session, grant: Access, vault: Vault, *, name: str, connection_id: int
) -> ZoneView:
    """Read the zone from the connection's provider and store it as version 1."""
    grant.require(Permission.ZONES_MANAGE)
    fqdn = clean_fqdn(name)
    connection = connections.get(session, grant, connection_id)
    if _exists(session, grant.workspace.id, fqdn):
        raise Conflict(f"zone {fqdn} is already in this workspace")
    plans.require_zone_room(session, grant.workspace)
    with (
        connections.provider_for(
            session, vault, connection, timeout=connections.WHOLE_ZONE_TIMEOUT
        ) as provider,
        released(session),
    ):
        content = provider.fetch(fqdn)
    return _create(session, grant, fqdn, connection.id, content, f"connection {connection.name}")


def import_from_file(session: Session, grant: Access, *, name: str, format: str, content: str) -> ZoneView:
    """Read an uploaded zone (BIND, octoDNS or JSON) as a plan-only zone; every problem is named."""
    grant.require(Permission.ZONES_MANAGE)
    fqdn = clean_fqdn(name)
    chosen = zone_format(format)
    if not content.strip():
        raise InvalidInput.single("is empty", "content")
    parsed = read_zone(content, chosen, fqdn + ".", filename="content")
    if parsed.origin != fqdn + ".":
        raise InvalidInput.single(f"the file is for {parsed.origin}, not {fqdn}.", "content")
    check_zone(parsed)
    return _create(session, grant, fqdn, None, parsed, f"upload ({chosen.value})")


def listing(session: Session, grant: Access) -> list[ZoneView]:
    grant.require(Permission.ZONES_READ)
    rows = session.execute(
        select(Zone, ZoneVersion)
        .outerjoin(ZoneVersion, ZoneVersion.id == Zone.current_version_id)
        .where(Zone.workspace_id == grant.workspace.id, Zone.importing.is_(False))
        .order_by(Zone.fqdn)
    )
    return [ZoneView(zone, version) for zone, version in rows]


def get(session: Session, grant: Access, name: str, *, importing: bool = False) -> Zone:
    """A zone of the workspace by name; another workspace's zone is ``NotFound`` like a missing one.

    A zone still being imported is refused unless ``importing`` (forgetting one is allowed: an import
    interrupted by a crash must not block its name for ever).
    """
    grant.require(Permission.ZONES_READ)
    try:
        fqdn = clean_fqdn(name, "zone")
    except InvalidInput:
        raise NotFound(f"zone {name} not found") from None
    zone = session.scalars(
        select(Zone).where(Zone.workspace_id == grant.workspace.id, Zone.fqdn == fqdn)
    ).first()
    if zone is None:
        raise NotFound(f"zone {fqdn} not found")
    if zone.importing and not importing:
        raise Conflict(f"zone {fqdn} is being imported; follow its import until it is done")
    return zone


def show(session: Session, grant: Access, name: str) -> ZoneView:
    zone = get(session, grant, name)
    return ZoneView(zone, versions.current(session, zone))


def record_page(
    session: Session,
    grant: Access,
    name: str,
    *,
    owner: str | None = None,
    subtree: bool = False,
    rtype: str | None = None,
    contains: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> records.Page:
    """One page of the zone's RRsets as last stored, in canonical order; every filter is optional.

    ``owner`` is one name (relative to the zone or absolute), with ``subtree`` its whole subtree too;
    ``rtype`` one type; ``contains`` a text the values hold (any case). Reads only the rows returned.
    """
    zone = get(session, grant, name)
    origin = zone.fqdn + "."
    wanted_name = None
    if owner:
        try:
            wanted_name = absolute_name(owner.strip(), origin).lower()
        except InvalidName as exc:
            raise InvalidInput.single(str(exc), "name") from exc
    wanted = records.RecordFilter(
        name=wanted_name,
        subtree=subtree,
        rtype=rtype.strip().upper() if rtype else None,
        contains=contains or None,
    )
    return records.page(session, zone.id, wanted, after=cursor, limit=limit)


def export(session: Session, grant: Access, name: str, format: str) -> tuple[str, ConversionReport]:
    """The zone's current content written in ``format`` (records only: never credentials)."""
    chosen = zone_format(format)
    zone = get(session, grant, name)
    return write_zone(versions.current_content(session, zone), chosen)


def set_schedule(session: Session, grant: Access, name: str, sync_every_minutes: int | None) -> Zone:
    """Turn the periodic sync on (every N minutes) or off (``None``)."""
    grant.require(Permission.ZONES_MANAGE)
    zone = get(session, grant, name)
    if sync_every_minutes is not None:
        if isinstance(sync_every_minutes, bool) or not 1 <= sync_every_minutes <= MAX_SYNC_MINUTES:
            raise InvalidInput.single(
                f"must be from 1 to {MAX_SYNC_MINUTES} minutes, or null", "sync_every_minutes"
            )
        if zone.connection_id is None:
            raise InvalidInput.single("a plan-only zone has no provider to sync from", "sync_every_minutes")
    if zone.sync_every_minutes != sync_every_minutes:
        zone.sync_every_minutes = sync_every_minutes
        session.flush()
        audit.record(
            session,
            workspace_id=grant.workspace.id,
            actor=grant.principal,
            action="zone.schedule",
            target=f"zone:{zone.fqdn}",
            details={"sync_every_minutes": sync_every_minutes},
        )
    return zone


def forget(session: Session, grant: Access, name: str) -> None:
    """Remove the zone and its versions from DunOps; the provider keeps the zone untouched."""
    grant.require(Permission.ZONES_MANAGE)
    zone = get(session, grant, name, importing=True)
    count = session.scalar(select(func.count(ZoneVersion.id)).where(ZoneVersion.zone_id == zone.id)) or 0
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="zone.delete",
        target=f"zone:{zone.fqdn}",
        details={"connection_id": zone.connection_id, "versions": count},
    )
    session.delete(zone)
    session.flush()
