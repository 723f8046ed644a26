"""Zone versions: stored as deltas only when the records change (never for an SOA serial alone), and
every version rebuilt, hashed and compared exactly as the engine would from whole zones."""

from __future__ import annotations

import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dunops.dns.formats import read_bind
from dunops.dns.plan import plan_changes
from dunops.dns.rrset import RRset, content_hash
from dunops.dns.zone import Zone as ZoneContent
from dunops.storage.models import VersionRRset, VersionSource, ZoneRRset
from dunops.zones import versions, zones
from tests.zones.helpers import ZONE_TEXT, grant_for, member


def test_versions_are_stored_only_for_real_changes(db: Session) -> None:
    user, _ = member(db, "acme", "owner@example.com")
    grant = grant_for(db, user, "acme")
    zone = zones.import_from_file(db, grant, name="example.test", format="bind", content=ZONE_TEXT).zone
    serial_bump = read_bind(ZONE_TEXT.replace(" 1 10800", " 2 10800"), "example.test.")
    unchanged, drift = versions.record_content(db, zone, serial_bump, VersionSource.SYNC, grant.principal)
    assert unchanged is None
    assert not drift
    assert zone.soa_value.split()[2] == "2", "the SOA is kept as last read, without a version"

    changed = read_bind(ZONE_TEXT + 'txt 60 IN TXT "v=1"\n', "example.test.")
    second, drift = versions.record_content(db, zone, changed, VersionSource.DRIFT, None)
    assert second is not None
    assert (second.number, second.source, second.created_by, second.changed) == (2, "drift", "system", 1)
    assert [(c.kind.value, c.name) for c in drift.changes] == [("create", "txt.example.test.")]
    assert versions.current_content(db, zone) == changed
    assert [v.number for v in versions.listing(db, zone)] == [2, 1]
    diff = versions.diff(db, zone, 1, 2)
    assert [(c.kind.value, c.name, c.rtype) for c in diff.changes] == [("create", "txt.example.test.", "TXT")]
    back = versions.diff(db, zone, 2, 1)
    assert [c.kind.value for c in back.changes] == ["delete"]
    # the delta holds the one RRset added; the first version holds none: the rows are the content
    assert db.scalar(select(func.count()).select_from(VersionRRset)) == 1
    assert db.scalar(select(func.count()).select_from(ZoneRRset)) == len(changed)


def _mutated(content: ZoneContent, rng: random.Random, step: int) -> ZoneContent:
    result = content.copy()
    keys = sorted(result.rrsets)
    for key in rng.sample(keys, k=min(len(keys), rng.randrange(0, 4))):
        if rng.random() < 0.5:
            result.remove(*key)
        else:
            rrset = result.rrsets[key]
            result.add(rrset.replace(ttl=rrset.ttl + 1 + step), replace=True)
    for number in range(rng.randrange(0, 4)):
        name = f"n{step}-{number}.example.test."
        result.add(RRset(name, "A", 300, [f"192.0.2.{rng.randrange(1, 250)}"]), replace=True)
    return result


def test_every_version_is_rebuilt_hashed_and_diffed_like_whole_zones(db: Session) -> None:
    user, _ = member(db, "acme", "owner@example.com")
    grant = grant_for(db, user, "acme")
    zone = zones.import_from_file(db, grant, name="example.test", format="bind", content=ZONE_TEXT).zone
    rng = random.Random(2026)
    history = [read_bind(ZONE_TEXT, "example.test.")]
    while len(history) < 12:
        candidate = _mutated(history[-1], rng, len(history))
        version, _ = versions.record_content(db, zone, candidate, VersionSource.DRIFT, None)
        if version is not None:
            assert version.number == len(history) + 1
            history.append(candidate)
    for number, expected in enumerate(history, start=1):
        stored = versions.by_number(db, zone, number)
        assert versions.content_of(db, zone, stored).rrsets == expected.rrsets
        assert stored.content_hash == content_hash(expected.origin, expected.rrsets.values())
        assert stored.rrset_count == len(expected)
    for older in range(1, len(history) + 1):
        for newer in range(1, len(history) + 1):
            diff = versions.diff(db, zone, older, newer)
            engine = plan_changes(history[older - 1], history[newer - 1])
            assert diff.changes == engine.changes, (older, newer)
            assert (diff.current_size, diff.desired_size, diff.unchanged) == (
                engine.current_size,
                engine.desired_size,
                engine.unchanged,
            )
