"""Zone versions: immutable snapshots of a zone's content, stored only when the content changed.

The content is the DNS engine's JSON form written canonically (sorted keys, no spaces). The content
hash covers the RRsets and the origin but not the SOA: the provider owns the SOA (its serial moves on
every write), so a serial bump alone never makes a new version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dunops.accounts.principal import Principal
from dunops.dns.formats.json import zone_from_data, zone_to_data
from dunops.dns.plan import Plan, plan_changes
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import NotFound
from dunops.storage.models import Deployment, VersionSource, Zone, ZoneVersion


def canonical_json(content: ZoneContent) -> str:
    return json.dumps(zone_to_data(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(content: ZoneContent) -> str:
    """SHA-256 over the origin and every RRset (SOA excluded)."""
    data: dict[str, Any] = zone_to_data(content)
    data["soa"] = None
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_of(version: ZoneVersion) -> ZoneContent:
    return zone_from_data(json.loads(version.content), filename=f"version {version.number}")


def current(session: Session, zone: Zone) -> ZoneVersion | None:
    if zone.current_version_id is None:
        return None
    return session.get(ZoneVersion, zone.current_version_id)


def current_content(session: Session, zone: Zone) -> ZoneContent:
    """The zone's content as last stored (an empty zone when no version exists yet)."""
    version = current(session, zone)
    return content_of(version) if version is not None else ZoneContent(zone.fqdn + ".")


def record(
    session: Session, zone: Zone, content: ZoneContent, source: VersionSource, actor: Principal | None
) -> ZoneVersion | None:
    """Store ``content`` as the zone's next version when it differs from the current one.

    Returns the new version, or ``None`` when the content is unchanged.
    """
    digest = content_hash(content)
    latest = current(session, zone)
    if latest is not None and latest.content_hash == digest:
        return None
    number = (
        session.scalar(select(func.max(ZoneVersion.number)).where(ZoneVersion.zone_id == zone.id)) or 0
    ) + 1
    version = ZoneVersion(
        zone_id=zone.id,
        number=number,
        content_hash=digest,
        source=source,
        content=canonical_json(content),
        rrset_count=len(content),
        created_by_id=actor.user.id if actor else None,
        created_by=actor.label if actor else "system",
    )
    session.add(version)
    session.flush()
    zone.current_version_id = version.id
    session.flush()
    return version


def listing(session: Session, zone: Zone) -> list[ZoneVersion]:
    """Every version of the zone, newest first."""
    return list(
        session.scalars(
            select(ZoneVersion).where(ZoneVersion.zone_id == zone.id).order_by(ZoneVersion.number.desc())
        )
    )


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


def diff(session: Session, zone: Zone, older: int, newer: int) -> Plan:
    """What changed from version ``older`` to version ``newer``, as RRset changes."""
    before = content_of(by_number(session, zone, older))
    after = content_of(by_number(session, zone, newer))
    return plan_changes(before, after)
