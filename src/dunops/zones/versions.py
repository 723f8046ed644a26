"""Zone versions: immutable, stored as deltas, and only when the content changed.

A version records the RRset changes from the version before it (each change's before state is the
stored RRset it replaced) and moves the zone's current rows forward in the same transaction, so the
cost of a version is the size of its change. The first version (the import) holds the whole content
as the zone's rows and no delta. Any version is rebuilt from the current rows by undoing the later
deltas; two versions are compared from the deltas between them alone.

The content hash covers the origin and every RRset but not the SOA: the provider owns the SOA (its
serial moves on every write), so a serial bump alone never makes a new version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from dunops.accounts.principal import Principal
from dunops.dns.plan import Change, ChangeKind, Plan, plan_changes
from dunops.dns.rrset import RRset, content_hash, updated_content_hash
from dunops.dns.zone import RRsetKey
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import NotFound
from dunops.storage.models import Deployment, VersionRRset, VersionSource, Zone, ZoneVersion
from dunops.storage.rrset_rows import row_of, rrset_of
from dunops.zones import records

REMOVED, ADDED = "-", "+"


def current(session: Session, zone: Zone) -> ZoneVersion | None:
    if zone.current_version_id is None:
        return None
    return session.get(ZoneVersion, zone.current_version_id)


def current_content(session: Session, zone: Zone) -> ZoneContent:
    """The zone's whole content as last stored (an empty zone when nothing is stored yet)."""
    return records.load(session, zone)


def _new_version(
    session: Session,
    zone: Zone,
    *,
    digest: str,
    count: int,
    changed: int,
    source: VersionSource,
    actor: Principal | None,
) -> ZoneVersion:
    number = (
        session.scalar(select(func.max(ZoneVersion.number)).where(ZoneVersion.zone_id == zone.id)) or 0
    ) + 1
    version = ZoneVersion(
        zone_id=zone.id,
        number=number,
        content_hash=digest,
        source=source,
        rrset_count=count,
        changed=changed,
        created_by_id=actor.user.id if actor else None,
        created_by=actor.label if actor else "system",
    )
    session.add(version)
    session.flush()
    zone.current_version_id = version.id
    session.flush()
    return version


def _set_soa(zone: Zone, soa: RRset | None) -> None:
    if soa is not None:
        zone.soa_ttl, zone.soa_value = soa.ttl, soa.values[0]


def record_initial(
    session: Session,
    zone: Zone,
    content: ZoneContent,
    source: VersionSource,
    actor: Principal | None,
    *,
    stored: bool = False,
) -> ZoneVersion:
    """Store the first version of a zone: its whole content as rows (unless already ``stored``), no delta."""
    _set_soa(zone, content.soa)
    if not stored:
        records.insert_all(session, zone.id, content.rrsets.values())
    return _new_version(
        session,
        zone,
        digest=content_hash(content.origin, content.rrsets.values()),
        count=len(content),
        changed=len(content),
        source=source,
        actor=actor,
    )


def record_changes(
    session: Session,
    zone: Zone,
    changes: Sequence[Change],
    source: VersionSource,
    actor: Principal | None,
    *,
    soa: RRset | None = None,
) -> ZoneVersion | None:
    """Store ``changes`` (each ``before`` being the stored RRset) as the next version; None when empty."""
    _set_soa(zone, soa)
    if not changes:
        return None
    latest = current(session, zone)
    removed = [change.before for change in changes if change.before is not None]
    added = [change.after for change in changes if change.after is not None]
    records.replace(session, zone.id, removed, added)
    if latest is None:
        digest = content_hash(zone.fqdn + ".", records.load(session, zone).rrsets.values())
        count = records.count(session, zone.id)
    else:
        digest = updated_content_hash(latest.content_hash, removed, added)
        count = latest.rrset_count + len(added) - len(removed)
    version = _new_version(
        session, zone, digest=digest, count=count, changed=len(changes), source=source, actor=actor
    )
    session.execute(
        insert(VersionRRset),
        [
            *(row_of(rrset, version_id=version.id, side=REMOVED) for rrset in removed),
            *(row_of(rrset, version_id=version.id, side=ADDED) for rrset in added),
        ],
    )
    return version


def changes_to(session: Session, zone: Zone, served: Mapping[RRsetKey, RRset | None]) -> list[Change]:
    """The changes from the stored RRsets to ``served`` (what a provider serves for those keys now)."""
    stored = records.get(session, zone.id, served)
    changes = []
    for key, after in served.items():
        before = stored.get(key)
        if before == after:
            continue
        kind = (
            ChangeKind.CREATE if before is None else ChangeKind.DELETE if after is None else ChangeKind.UPDATE
        )
        changes.append(Change(kind, before, after))
    return changes


def record_content(
    session: Session, zone: Zone, content: ZoneContent, source: VersionSource, actor: Principal | None
) -> tuple[ZoneVersion | None, Plan]:
    """Store the zone's whole new ``content`` (a sync): the version (None when unchanged) and the drift."""
    if zone.current_version_id is None:
        version = record_initial(session, zone, content, source, actor)
        return version, plan_changes(ZoneContent(content.origin), content)
    drift = plan_changes(current_content(session, zone), content)
    return record_changes(session, zone, drift.changes, source, actor, soa=content.soa), drift


# -- history -------------------------------------------------------------------------------------------


def listing(
    session: Session, zone: Zone, *, before: int | None = None, limit: int | None = None
) -> list[ZoneVersion]:
    """The zone's versions, newest first, numbered below ``before``; at most ``limit``."""
    query = select(ZoneVersion).where(ZoneVersion.zone_id == zone.id)
    if before is not None:
        query = query.where(ZoneVersion.number < before)
    query = query.order_by(ZoneVersion.number.desc())
    return list(session.scalars(query.limit(limit) if limit is not None else query))


def causes(session: Session, found: Sequence[ZoneVersion]) -> dict[int, str]:
    """Why each version exists, by version id: import, drift found by sync, or deployment N."""
    applied = {version.id for version in found if version.source == VersionSource.APPLY}
    query = select(Deployment.zone_version_id, Deployment.id).where(Deployment.zone_version_id.in_(applied))
    deployments = {row[0]: row[1] for row in session.execute(query)} if applied else {}
    described = {
        VersionSource.IMPORT: "import",
        VersionSource.SYNC: "sync",
        VersionSource.DRIFT: "drift found by sync",
    }
    return {
        version.id: (
            f"deployment {deployments[version.id]}"
            if version.id in deployments
            else described.get(version.source, str(version.source))
        )
        for version in found
    }


def by_number(session: Session, zone: Zone, number: int) -> ZoneVersion:
    version = session.scalars(
        select(ZoneVersion).where(ZoneVersion.zone_id == zone.id, ZoneVersion.number == number)
    ).first()
    if version is None:
        raise NotFound(f"zone {zone.fqdn} has no version {number}")
    return version


def _deltas(session: Session, zone: Zone, after: int, upto: int) -> Iterable[tuple[int, str, RRset]]:
    """(version number, side, RRset) of every delta row of versions ``after < number <= upto``, in order."""
    query = (
        select(ZoneVersion.number, VersionRRset.side, *_DELTA_COLUMNS)
        .join(ZoneVersion, ZoneVersion.id == VersionRRset.version_id)
        .where(ZoneVersion.zone_id == zone.id, ZoneVersion.number > after, ZoneVersion.number <= upto)
        .order_by(ZoneVersion.number)
    )
    for row in session.execute(query):
        yield row.number, row.side, rrset_of(row)


_DELTA_COLUMNS = (
    VersionRRset.name,
    VersionRRset.rtype,
    VersionRRset.ttl,
    VersionRRset.rdata,
    VersionRRset.meta,
)


def content_of(session: Session, zone: Zone, version: ZoneVersion) -> ZoneContent:
    """The zone's whole content as ``version`` stored it: the current rows with later deltas undone."""
    content = current_content(session, zone)
    latest = current(session, zone)
    if latest is None or version.number >= latest.number:
        return content
    for delta in reversed(_numbers_between(session, zone, version.number, latest.number)):
        for side, rrset in delta:
            if side == ADDED:
                content.remove(rrset.key, rrset.rtype)
        for side, rrset in delta:
            if side == REMOVED:
                content.add(rrset, replace=True)
    return content


def diff(session: Session, zone: Zone, older: int, newer: int) -> Plan:
    """What changed from version ``older`` to version ``newer`` (either order), as RRset changes.

    Reads only the deltas between the two versions: for each RRset they touch, its state before the
    first touch and after the last.
    """
    first, second = by_number(session, zone, older), by_number(session, zone, newer)
    low, high = sorted((first.number, second.number))
    start: dict[RRsetKey, RRset | None] = {}
    end: dict[RRsetKey, RRset | None] = {}
    for delta in _numbers_between(session, zone, low, high):
        removed: dict[RRsetKey, RRset] = {}
        added: dict[RRsetKey, RRset] = {}
        for side, rrset in delta:
            (removed if side == REMOVED else added)[(rrset.key, rrset.rtype)] = rrset
        for key in removed.keys() | added.keys():
            start.setdefault(key, removed.get(key))
            end[key] = added.get(key)
    before, after = (start, end) if first.number <= second.number else (end, start)
    changes = []
    for key in before.keys() | after.keys():
        was, now = before.get(key), after.get(key)
        if was == now:
            continue
        kind = ChangeKind.CREATE if was is None else ChangeKind.DELETE if now is None else ChangeKind.UPDATE
        changes.append(Change(kind, was, now))
    sizes = (first.rrset_count, second.rrset_count)
    return Plan.of_changes(zone.fqdn + ".", changes, current_size=sizes[0], desired_size=sizes[1])


def _numbers_between(session: Session, zone: Zone, low: int, high: int) -> list[list[tuple[str, RRset]]]:
    """The deltas of versions ``low < number <= high``, oldest first, each as (side, RRset) pairs."""
    grouped: dict[int, list[tuple[str, RRset]]] = {}
    for number, side, rrset in _deltas(session, zone, low, high):
        grouped.setdefault(number, []).append((side, rrset))
    return [grouped[number] for number in sorted(grouped)]
