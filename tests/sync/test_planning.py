"""Plan against live, as the change workflow will use it: the plan and fingerprints it returns drive the
provider's compare-and-set apply, which refuses once the zone moved; unsupported types are named."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.errors import StalePlan, ZoneInvalid
from dunops.storage.models import ProviderConnection
from dunops.sync.planning import plan_for_zone
from dunops.zones import connections, zones
from tests.zones.helpers import ZONE_TEXT, directories_for, grant_for, member, vault_for, zone_directory


def test_the_plan_and_fingerprints_drive_a_compare_and_set_apply(
    db: Session, settings: Settings, tmp_path: Path
) -> None:
    user, _ = member(db, "acme", "owner@example.com")
    grant, vault = grant_for(db, user, "acme"), vault_for(settings)
    directory = zone_directory(tmp_path)
    connection = connections.create(
        db,
        grant,
        vault,
        kind="zonefile",
        name="files",
        config={"directory": str(directory)},
        secrets={},
        directories=directories_for(settings, grant),
    )
    db.commit()  # services read providers outside any transaction
    zone = zones.import_from_connection(
        db, grant, vault, name="example.test", connection_id=connection.id
    ).zone
    db.commit()
    edits = [{"action": "upsert", "name": "api", "type": "A", "values": ["192.0.2.80"]}]
    live = plan_for_zone(db, vault, zone, edits=edits)
    assert [change.kind.value for change in live.plan.changes] == ["create"]
    assert live.unsupported == []

    stored = db.get(ProviderConnection, connection.id)
    assert stored is not None
    with connections.provider_for(db, vault, stored) as provider:
        result = provider.apply(live.plan, live.fingerprints)
        assert result.complete
        assert "192.0.2.80" in (directory / "example.test.zone").read_text()
        # the same plan again: the RRset exists now, so compare-and-set refuses and writes nothing
        with pytest.raises(StalePlan):
            provider.apply(live.plan, live.fingerprints)
    # planning again sees the provider ahead of the last stored version
    assert plan_for_zone(db, vault, zone, edits=edits).matches_last_version is False

    alias = plan_for_zone(
        db,
        vault,
        zone,
        edits=[
            {"action": "upsert", "name": "@", "type": "ALIAS", "values": ["elsewhere.test."]},
            {"action": "delete", "name": "@", "type": "A"},
        ],
    )
    assert [p.message for p in alias.unsupported] == ["Zone files does not support ALIAS records"]


def test_plan_only_zones_plan_against_their_last_version(db: Session, settings: Settings) -> None:
    user, _ = member(db, "acme", "owner@example.com")
    grant = grant_for(db, user, "acme")
    zone = zones.import_from_file(db, grant, name="example.test", format="bind", content=ZONE_TEXT).zone
    live = plan_for_zone(
        db, vault_for(settings), zone, edits=[{"action": "delete", "name": "mail", "type": "A"}]
    )
    assert [(c.kind.value, c.name) for c in live.plan.changes] == [("delete", "mail.example.test.")]
    assert live.connection_id is None
    # deleting the mail host leaves the MX pointing nowhere: a warning, not an error
    assert any(w.code == "dangling-target" for w in live.warnings)
    with pytest.raises(ZoneInvalid) as refused:
        plan_for_zone(
            db,
            vault_for(settings),
            zone,
            edits=[{"action": "upsert", "name": "elsewhere.test.", "type": "A", "values": ["192.0.2.1"]}],
        )
    assert refused.value.problems[0].location == "edits[0].name"
