"""Zone versions: immutable, stored only when the records change (never for an SOA serial alone)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dunops.dns.formats import read_bind
from dunops.storage.models import VersionSource
from dunops.zones import versions, zones
from tests.zones.helpers import ZONE_TEXT, grant_for, member


def test_versions_are_stored_only_for_real_changes(db: Session) -> None:
    user, _ = member(db, "acme", "owner@example.com")
    grant = grant_for(db, user, "acme")
    zone = zones.import_from_file(db, grant, name="example.test", format="bind", content=ZONE_TEXT).zone
    serial_bump = read_bind(ZONE_TEXT.replace(" 1 10800", " 2 10800"), "example.test.")
    assert versions.record(db, zone, serial_bump, VersionSource.SYNC, grant.principal) is None

    changed = read_bind(ZONE_TEXT + 'txt 60 IN TXT "v=1"\n', "example.test.")
    second = versions.record(db, zone, changed, VersionSource.DRIFT, None)
    assert second is not None
    assert (second.number, second.source, second.created_by) == (2, "drift", "system")
    assert versions.current_content(db, zone) == changed
    assert [v.number for v in versions.listing(db, zone)] == [2, 1]
    diff = versions.diff(db, zone, 1, 2)
    assert [(c.kind.value, c.name, c.rtype) for c in diff.changes] == [("create", "txt.example.test.", "TXT")]
    back = versions.diff(db, zone, 2, 1)
    assert [c.kind.value for c in back.changes] == ["delete"]
