"""The zones API: import (upload or provider), records, export, versions, sync with drift, schedules,
plan-against-live with named problems, and workspace isolation."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.dns.formats import read_octodns
from tests.servers.powerdns import PowerDNSServer, powerdns_server  # noqa: F401
from tests.zones.helpers import ZONE_TEXT, api_token, bearer, member, zone_directory

ZONES = "/api/v1/workspaces/acme/zones"


@pytest.fixture
def owner(db: Session) -> dict[str, str]:
    user, workspace = member(db, "acme", "owner@example.com")
    token = api_token(db, user, workspace)
    db.commit()
    return bearer(token)


def _connect(client: TestClient, headers: dict[str, str], config: dict[str, str], **extra: object) -> int:
    body = {"name": "primary", "config": config, **extra}
    body.setdefault("kind", "zonefile")
    response = client.post("/api/v1/workspaces/acme/connections", json=body, headers=headers)
    assert response.status_code == 201, response.text
    connection_id: int = response.json()["id"]
    return connection_id


def test_upload_import_records_export_and_forget(client: TestClient, owner: dict[str, str]) -> None:
    created = client.post(
        ZONES, json={"name": "Example.Test.", "format": "bind", "content": ZONE_TEXT}, headers=owner
    )
    assert created.status_code == 201, created.text
    zone = created.json()
    assert zone["name"] == "example.test"
    assert zone["connection_id"] is None
    assert zone["current_version"]["number"] == 1
    assert zone["current_version"]["source"] == "import"
    assert zone["current_version"]["rrsets"] == 5

    assert [z["name"] for z in client.get(ZONES, headers=owner).json()] == ["example.test"]
    records = client.get(f"{ZONES}/example.test/records", params={"name": "mail", "type": "a"}, headers=owner)
    assert records.json() == {
        "items": [{"name": "mail.example.test.", "type": "A", "ttl": 300, "values": ["192.0.2.25"]}],
        "next": None,
    }
    assert len(client.get(f"{ZONES}/example.test/records?type=NS", headers=owner).json()["items"]) == 1

    exported_json = client.get(f"{ZONES}/example.test/export?format=json", headers=owner)
    assert exported_json.headers["content-type"] == "application/json"
    assert len(json.loads(exported_json.text)["rrsets"]) == 5
    octodns = client.get(f"{ZONES}/example.test/export?format=octodns", headers=owner).text
    assert len(read_octodns(octodns, "example.test.")) == 5
    bind = client.get(f"{ZONES}/example.test/export", headers=owner).text
    assert "mail 300 IN A 192.0.2.25" in bind
    assert client.get(f"{ZONES}/example.test/export?format=xml", headers=owner).status_code == 422

    # the same zone imported again in another format is refused; a second name from JSON works
    again = client.post(
        ZONES, json={"name": "example.test", "format": "json", "content": exported_json.text}, headers=owner
    )
    assert again.status_code == 409
    assert client.delete(f"{ZONES}/example.test", headers=owner).status_code == 204
    assert client.get(f"{ZONES}/example.test", headers=owner).status_code == 404
    reimported = client.post(
        ZONES, json={"name": "example.test", "format": "octodns", "content": octodns}, headers=owner
    )
    assert reimported.status_code == 201
    assert reimported.json()["current_version"]["rrsets"] == 5


def test_a_bad_upload_names_every_problem(client: TestClient, owner: dict[str, str]) -> None:
    content = ZONE_TEXT + "bad 300 IN A 999.1.1.1\nwww 300 IN A 192.0.2.9\nalso 300 IN AAAA nope\n"
    response = client.post(
        ZONES, json={"name": "example.test", "format": "bind", "content": content}, headers=owner
    )
    assert response.status_code == 422
    fields = [error["field"] for error in response.json()["errors"]]
    assert any(":9:" in field for field in fields)
    assert any(":11:" in field for field in fields)
    wrong_origin = client.post(
        ZONES, json={"name": "other.test", "format": "bind", "content": ZONE_TEXT}, headers=owner
    )
    assert wrong_origin.status_code == 422
    assert (
        client.post(ZONES, json={"name": "x..y", "content": "x"}, headers=owner).json()["errors"][0]["field"]
        == "name"
    )
    assert (
        client.post(ZONES, json={"name": "a.test", "format": "yaml2", "content": "x"}, headers=owner).json()[
            "errors"
        ][0]["field"]
        == "format"
    )


def test_sync_from_a_zone_file_provider_records_drift_and_history(
    client: TestClient, owner: dict[str, str], tmp_path: Path
) -> None:
    directory = zone_directory(tmp_path)
    connection_id = _connect(client, owner, {"directory": str(directory)})
    created = client.post(ZONES, json={"name": "example.test", "connection_id": connection_id}, headers=owner)
    assert created.status_code == 201, created.text

    unchanged = client.post(f"{ZONES}/example.test/sync", headers=owner).json()
    assert unchanged["changed"] is False
    assert unchanged["drift"]["changes"] == []

    # someone edits the file behind DunOps' back: a new A value, a TTL change, one RRset removed
    text = ZONE_TEXT.replace("@ 300 IN A 192.0.2.1", "@ 300 IN A 192.0.2.1\n@ 300 IN A 192.0.2.2")
    text = text.replace("mail 300 IN A", "mail 600 IN A").replace("www 300 IN CNAME example.test.\n", "")
    (directory / "example.test.zone").write_text(text.replace(" 1 10800", " 2 10800"))
    drift = client.post(f"{ZONES}/example.test/sync", headers=owner).json()
    assert drift["changed"] is True
    assert drift["version"]["source"] == "drift"
    assert drift["version"]["number"] == 2
    changes = {(c["name"], c["type"]): c for c in drift["drift"]["changes"]}
    assert set(changes) == {
        ("example.test.", "A"),
        ("mail.example.test.", "A"),
        ("www.example.test.", "CNAME"),
    }
    assert changes[("example.test.", "A")]["after"]["values"] == ["192.0.2.1", "192.0.2.2"]
    assert changes[("mail.example.test.", "A")]["ttl_only"] is True
    assert changes[("www.example.test.", "CNAME")]["kind"] == "delete"

    history = client.get(f"{ZONES}/example.test/versions", headers=owner).json()["items"]
    assert [(v["number"], v["source"]) for v in history] == [(2, "drift"), (1, "import")]
    diff = client.get(f"{ZONES}/example.test/versions/1/diff/2", headers=owner).json()
    assert diff["changes"]["changes"] == drift["drift"]["changes"]
    assert client.get(f"{ZONES}/example.test/versions/1/diff/9", headers=owner).status_code == 404


def test_schedule_is_validated_and_only_for_zones_with_a_provider(
    client: TestClient, owner: dict[str, str], tmp_path: Path
) -> None:
    connection_id = _connect(client, owner, {"directory": str(zone_directory(tmp_path))})
    client.post(ZONES, json={"name": "example.test", "connection_id": connection_id}, headers=owner)
    on = client.patch(f"{ZONES}/example.test", json={"sync_every_minutes": 15}, headers=owner)
    assert on.json()["sync_every_minutes"] == 15
    assert (
        client.patch(f"{ZONES}/example.test", json={"sync_every_minutes": 0}, headers=owner).status_code
        == 422
    )
    off = client.patch(f"{ZONES}/example.test", json={"sync_every_minutes": None}, headers=owner)
    assert off.json()["sync_every_minutes"] is None
    client.post(
        ZONES,
        json={"name": "plan.test", "format": "json", "content": '{"origin": "plan.test.", "rrsets": []}'},
        headers=owner,
    )
    refused = client.patch(f"{ZONES}/plan.test", json={"sync_every_minutes": 5}, headers=owner)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "sync_every_minutes"
    assert client.post(f"{ZONES}/plan.test/sync", headers=owner).status_code == 409


def test_plan_against_live_gives_changes_fingerprints_and_named_problems(
    client: TestClient, owner: dict[str, str], tmp_path: Path
) -> None:
    connection_id = _connect(client, owner, {"directory": str(zone_directory(tmp_path))})
    client.post(ZONES, json={"name": "example.test", "connection_id": connection_id}, headers=owner)
    edits = [
        {"action": "upsert", "name": "api", "type": "A", "ttl": 60, "values": ["192.0.2.80"]},
        {"action": "upsert", "name": "mail", "type": "A", "values": ["192.0.2.26"]},
        {"action": "delete", "name": "www", "type": "CNAME"},
    ]
    planned = client.post(f"{ZONES}/example.test/plan", json={"edits": edits}, headers=owner)
    assert planned.status_code == 200, planned.text
    body = planned.json()
    kinds = [(c["kind"], c["name"], c["type"]) for c in body["plan"]["changes"]]
    assert kinds == [
        ("create", "api.example.test.", "A"),
        ("update", "mail.example.test.", "A"),
        ("delete", "www.example.test.", "CNAME"),
    ]
    assert body["plan"]["changes"][1]["after"]["ttl"] == 300  # the TTL is kept when not given
    fingerprints = {(f["name"], f["type"]): f["fingerprint"] for f in body["fingerprints"]}
    assert len(fingerprints) == 3
    assert body["unsupported"] == []
    assert body["matches_last_version"] is True
    assert len(body["plan_hash"]) == 64
    # read-only: nothing was stored
    assert len(client.get(f"{ZONES}/example.test/versions", headers=owner).json()["items"]) == 1

    bad = [
        {"action": "upsert", "name": "api", "type": "A", "values": ["not-an-ip"]},
        {"action": "delete", "name": "ghost", "type": "TXT"},
        {"action": "upsert", "name": "@", "type": "SOA", "values": ["a. b. 1 2 3 4 5"]},
        {"action": "upsert", "name": "www", "type": "A", "values": ["192.0.2.7"]},
        {"action": "rename", "name": "x", "type": "A"},
    ]
    refused = client.post(f"{ZONES}/example.test/plan", json={"edits": bad}, headers=owner)
    assert refused.status_code == 422
    fields = [error["field"] for error in refused.json()["errors"]]
    assert fields == ["edits[0].values[0]", "edits[1]", "edits[2].type", "edits[4].action"]
    # www A beside the existing www CNAME breaks the zone: the engine's reason names the node
    clash = client.post(f"{ZONES}/example.test/plan", json={"edits": [bad[3]]}, headers=owner)
    assert clash.status_code == 422
    assert clash.json()["errors"][0]["code"] == "cname-exclusive"

    desired = {
        "origin": "example.test.",
        "rrsets": [
            {
                "name": "example.test.",
                "type": "NS",
                "ttl": 3600,
                "values": ["ns1.example.test.", "ns2.example.test."],
            },
        ],
    }
    whole = client.post(f"{ZONES}/example.test/plan", json={"desired": desired}, headers=owner).json()
    assert [c["kind"] for c in whole["plan"]["changes"]] == ["delete"] * 4


def test_a_zone_changed_out_of_band_in_powerdns_shows_exactly_that_change_as_drift(
    client: TestClient,
    owner: dict[str, str],
    powerdns_server: PowerDNSServer,  # noqa: F811
) -> None:
    name = powerdns_server.new_zone_name("drift")
    powerdns_server.create_zone(
        name,
        [
            {
                "name": f"www.{name}",
                "type": "A",
                "ttl": 300,
                "records": [{"content": "192.0.2.10", "disabled": False}],
            },
            {
                "name": f"mail.{name}",
                "type": "A",
                "ttl": 300,
                "records": [{"content": "192.0.2.25", "disabled": False}],
            },
        ],
    )
    connection_id = _connect(
        client,
        owner,
        {"url": powerdns_server.api_url},
        kind="powerdns",
        secrets={"api_key": powerdns_server.api_key},
    )
    imported = client.post(ZONES, json={"name": name, "connection_id": connection_id}, headers=owner)
    assert imported.status_code == 201, imported.text
    assert imported.json()["current_version"]["rrsets"] == 3

    # out of band, the way curl would: replace www's address through PowerDNS's own HTTP API
    patch = {
        "rrsets": [
            {
                "name": f"www.{name}",
                "type": "A",
                "ttl": 300,
                "changetype": "REPLACE",
                "records": [{"content": "192.0.2.99", "disabled": False}],
            }
        ]
    }
    response = httpx.patch(
        f"{powerdns_server.api_url}/api/v1/servers/localhost/zones/{name}",
        json=patch,
        headers={"X-API-Key": powerdns_server.api_key},
    )
    assert response.status_code == 204

    synced = client.post(f"{ZONES}/{name}/sync", headers=owner).json()
    assert synced["changed"] is True
    assert synced["version"]["source"] == "drift"
    assert synced["drift"]["changes"] == [
        {
            "kind": "update",
            "name": f"www.{name}",
            "type": "A",
            "ttl_only": False,
            "before": {"name": f"www.{name}", "type": "A", "ttl": 300, "values": ["192.0.2.10"]},
            "after": {"name": f"www.{name}", "type": "A", "ttl": 300, "values": ["192.0.2.99"]},
            "before_fingerprint": synced["drift"]["changes"][0]["before_fingerprint"],
        }
    ]
    # the SOA serial moved too, but the SOA is the provider's: a second sync finds nothing new
    assert client.post(f"{ZONES}/{name}/sync", headers=owner).json()["changed"] is False


def test_another_workspace_sees_404_on_every_connection_and_zone_endpoint(
    client: TestClient, db: Session, owner: dict[str, str], tmp_path: Path
) -> None:
    connection_id = _connect(client, owner, {"directory": str(zone_directory(tmp_path))})
    client.post(ZONES, json={"name": "example.test", "connection_id": connection_id}, headers=owner)
    stranger, theirs = member(db, "other", "stranger@example.com")
    token = bearer(api_token(db, stranger, theirs))
    db.commit()
    acme = "/api/v1/workspaces/acme"
    calls = [
        ("GET", f"{acme}/connections", None),
        ("POST", f"{acme}/connections", {"kind": "zonefile", "name": "x"}),
        ("GET", f"{acme}/connections/{connection_id}", None),
        ("PATCH", f"{acme}/connections/{connection_id}", {"name": "x"}),
        ("DELETE", f"{acme}/connections/{connection_id}", None),
        ("POST", f"{acme}/connections/{connection_id}/test", None),
        ("GET", f"{acme}/connections/{connection_id}/zones", None),
        ("GET", f"{acme}/zones", None),
        ("POST", f"{acme}/zones", {"name": "a.test", "content": ZONE_TEXT}),
        ("GET", f"{acme}/zones/example.test", None),
        ("PATCH", f"{acme}/zones/example.test", {}),
        ("DELETE", f"{acme}/zones/example.test", None),
        ("GET", f"{acme}/zones/example.test/records", None),
        ("GET", f"{acme}/zones/example.test/export", None),
        ("POST", f"{acme}/zones/example.test/sync", None),
        ("GET", f"{acme}/zones/example.test/versions", None),
        ("GET", f"{acme}/zones/example.test/versions/1/diff/1", None),
        ("POST", f"{acme}/zones/example.test/plan", {"edits": []}),
    ]
    for method, url, body in calls:
        assert client.request(method, url, json=body, headers=token).status_code == 404, (method, url)
    # the stranger's own workspace cannot reach acme's connection by id either
    other = "/api/v1/workspaces/other"
    assert client.get(f"{other}/connections/{connection_id}", headers=token).status_code == 404
    assert (
        client.post(
            f"{other}/zones", json={"name": "example.test", "connection_id": connection_id}, headers=token
        ).status_code
        == 404
    )
    assert client.get(f"{acme}/zones/example.test", headers=owner).status_code == 200


def test_importing_a_zone_the_provider_does_not_hold_is_a_404_naming_it(
    client: TestClient, owner: dict[str, str], tmp_path: Path
) -> None:
    connection_id = _connect(client, owner, {"directory": str(zone_directory(tmp_path))})
    missing = client.post(ZONES, json={"name": "absent.test", "connection_id": connection_id}, headers=owner)
    assert missing.status_code == 404
    assert "absent.test" in missing.json()["detail"]
    assert client.get(ZONES, headers=owner).json() == []
