"""The connections API: per-kind validation naming each field, write-only secrets, a real connection
test and zone listing, and deletion guarded while zones are attached."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.storage.models import Role, Workspace
from tests.servers.powerdns import PowerDNSServer, powerdns_server  # noqa: F401
from tests.zones.helpers import api_token, bearer, member, zone_directory

BASE = "/api/v1/workspaces/acme/connections"


@pytest.fixture
def owner(db: Session) -> dict[str, str]:
    user, workspace = member(db, "acme", "owner@example.com")
    token = api_token(db, user, workspace)
    db.commit()
    return bearer(token)


def _zonefile(
    client: TestClient, headers: dict[str, str], directory: Path, name: str = "files"
) -> dict[str, object]:
    response = client.post(
        BASE,
        json={"kind": "zonefile", "name": name, "config": {"directory": str(directory)}},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


BAD_BODIES: list[tuple[dict[str, object], set[str]]] = [
    ({"kind": "nope", "name": "x"}, {"kind"}),
    ({"kind": "powerdns", "name": "x", "config": {}, "secrets": {}}, {"config.url", "secrets.api_key"}),
    (
        {"kind": "powerdns", "name": "x", "config": {"url": "ftp://h"}, "secrets": {"api_key": "k"}},
        {"config.url"},
    ),
    (
        {
            "kind": "rfc2136",
            "name": "x",
            "config": {"server": "127.0.0.1", "port": 70000, "tsig_name": "k"},
            "secrets": {"tsig_secret": "c2VjcmV0"},
        },
        {"config.port"},
    ),
    ({"kind": "route53", "name": "x", "secrets": {"access_key_id": "a"}}, {"secrets.secret_access_key"}),
    ({"kind": "cloudflare", "name": "x", "secrets": {}}, {"secrets.api_token"}),
    (
        {"kind": "zonefile", "name": "", "config": {"directory": "/tmp", "reload_command": ["rm"]}},
        {"name", "config.reload_command"},
    ),
]


def test_config_is_validated_per_kind_and_every_bad_field_is_named(
    client: TestClient, owner: dict[str, str]
) -> None:
    for body, fields in BAD_BODIES:
        response = client.post(BASE, json=body, headers=owner)
        assert response.status_code == 422
        assert {error["field"] for error in response.json()["errors"]} == fields, body


def test_a_secret_put_in_the_wrong_place_is_not_echoed(client: TestClient, owner: dict[str, str]) -> None:
    response = client.post(
        BASE,
        json={
            "kind": "powerdns",
            "name": "p",
            "config": {"url": "http://127.0.0.1:1", "api_key": "LEAKED-KEY-1"},
            "secrets": {"api_key": 12345},
        },
        headers=owner,
    )
    assert response.status_code == 422
    assert "LEAKED-KEY-1" not in response.text
    assert {e["field"] for e in response.json()["errors"]} == {"config.api_key", "secrets.api_key"}


def test_secrets_are_write_only(client: TestClient, owner: dict[str, str]) -> None:
    secret = "pdns-key-never-shown-9f2c"
    created = client.post(
        BASE,
        json={
            "kind": "powerdns",
            "name": "pdns",
            "config": {"url": "http://127.0.0.1:1/"},
            "secrets": {"api_key": secret},
        },
        headers=owner,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["config"] == {"url": "http://127.0.0.1:1", "server_id": "localhost"}
    assert body["secret_fields"] == ["api_key"]
    connection_id = body["id"]
    responses = [
        created,
        client.get(BASE, headers=owner),
        client.get(f"{BASE}/{connection_id}", headers=owner),
        client.patch(f"{BASE}/{connection_id}", json={"name": "renamed"}, headers=owner),
        client.patch(f"{BASE}/{connection_id}", json={"secrets": {"api_key": secret + "-2"}}, headers=owner),
    ]
    assert all(r.status_code in (200, 201) for r in responses)
    assert all(secret not in r.text for r in responses)
    assert responses[-2].json()["name"] == "renamed"


def test_name_must_be_unique_in_the_workspace(
    client: TestClient, owner: dict[str, str], tmp_path: Path
) -> None:
    _zonefile(client, owner, tmp_path)
    again = client.post(
        BASE, json={"kind": "zonefile", "name": "files", "config": {"directory": "x"}}, headers=owner
    )
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "name"


def test_connection_test_and_zone_listing_use_the_real_provider(
    client: TestClient, owner: dict[str, str], tmp_path: Path
) -> None:
    connection = _zonefile(client, owner, zone_directory(tmp_path))
    tested = client.post(f"{BASE}/{connection['id']}/test", headers=owner)
    assert tested.json() == {"ok": True, "message": "connection works"}
    listed = client.get(f"{BASE}/{connection['id']}/zones", headers=owner)
    assert [zone["name"] for zone in listed.json()] == ["example.test."]
    shown = client.get(f"{BASE}/{connection['id']}", headers=owner).json()
    assert shown["last_test"]["ok"] is True

    broken = _zonefile(client, owner, tmp_path / "missing", name="broken")
    failed = client.post(f"{BASE}/{broken['id']}/test", headers=owner)
    assert failed.status_code == 200
    assert failed.json()["ok"] is False
    assert "does not exist" in failed.json()["message"]
    assert client.get(f"{BASE}/{broken['id']}/zones", headers=owner).status_code == 502


def test_patch_validates_config_and_keeps_secrets(
    client: TestClient, owner: dict[str, str], tmp_path: Path
) -> None:
    connection = _zonefile(client, owner, zone_directory(tmp_path))
    bad = client.patch(f"{BASE}/{connection['id']}", json={"config": {"directory": ""}}, headers=owner)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "config.directory"
    moved = client.patch(
        f"{BASE}/{connection['id']}", json={"config": {"directory": str(tmp_path / "missing")}}, headers=owner
    )
    assert moved.json()["config"]["directory"].endswith("missing")
    assert client.post(f"{BASE}/{connection['id']}/test", headers=owner).json()["ok"] is False


def test_delete_is_refused_while_zones_are_attached_unless_detached(
    client: TestClient, owner: dict[str, str], tmp_path: Path
) -> None:
    connection = _zonefile(client, owner, zone_directory(tmp_path))
    imported = client.post(
        "/api/v1/workspaces/acme/zones",
        json={"name": "example.test", "connection_id": connection["id"]},
        headers=owner,
    )
    assert imported.status_code == 201, imported.text
    refused = client.delete(f"{BASE}/{connection['id']}", headers=owner)
    assert refused.status_code == 409
    assert "example.test" in refused.json()["detail"]
    assert client.delete(f"{BASE}/{connection['id']}?detach=true", headers=owner).status_code == 204
    assert client.get(f"{BASE}/{connection['id']}", headers=owner).status_code == 404
    zone = client.get("/api/v1/workspaces/acme/zones/example.test", headers=owner).json()
    assert zone["connection_id"] is None  # kept as a plan-only zone


def test_roles_decide_who_reads_and_who_manages(client: TestClient, db: Session, tmp_path: Path) -> None:
    admin, workspace = member(db, "acme", "admin@example.com", Role.ADMIN)
    viewer, _ = member(db, "acme", "viewer@example.com", Role.VIEWER)
    admin_token, viewer_token = api_token(db, admin, workspace), api_token(db, viewer, workspace)
    db.commit()
    connection = _zonefile(client, bearer(admin_token), tmp_path)
    assert client.get(BASE, headers=bearer(viewer_token)).status_code == 200
    body = {"kind": "zonefile", "name": "v", "config": {"directory": "x"}}
    assert client.post(BASE, json=body, headers=bearer(viewer_token)).status_code == 403
    assert client.delete(f"{BASE}/{connection['id']}", headers=bearer(viewer_token)).status_code == 403
    assert client.get(BASE).status_code == 401


def test_powerdns_connection_against_a_real_server(
    client: TestClient,
    owner: dict[str, str],
    powerdns_server: PowerDNSServer,  # noqa: F811
) -> None:
    zone = powerdns_server.create_zone(powerdns_server.new_zone_name("conn"))
    good = client.post(
        BASE,
        json={
            "kind": "powerdns",
            "name": "pdns",
            "config": {"url": powerdns_server.api_url},
            "secrets": {"api_key": powerdns_server.api_key},
        },
        headers=owner,
    ).json()
    assert client.post(f"{BASE}/{good['id']}/test", headers=owner).json()["ok"] is True
    names = [z["name"] for z in client.get(f"{BASE}/{good['id']}/zones", headers=owner).json()]
    assert zone in names

    wrong_key = "wrong-key-4d1e8a7c"
    bad = client.post(
        BASE,
        json={
            "kind": "powerdns",
            "name": "bad",
            "config": {"url": powerdns_server.api_url},
            "secrets": {"api_key": wrong_key},
        },
        headers=owner,
    ).json()
    tested = client.post(f"{BASE}/{bad['id']}/test", headers=owner)
    assert tested.json()["ok"] is False
    assert wrong_key not in tested.text


def test_zone_file_directories_stay_where_the_operator_allows(
    client: TestClient, owner: dict[str, str], settings: Settings, db: Session
) -> None:
    # Outside the workspace's own folder and the operator's roots: refused, naming the field.
    for outside in ("/etc", str(settings.data_dir.parent.parent), "../other-workspace"):
        body = {"kind": "zonefile", "name": "files", "config": {"directory": outside}}
        refused = client.post(BASE, json=body, headers=owner)
        assert refused.status_code == 422, outside
        assert [error["field"] for error in refused.json()["errors"]] == ["config.directory"]

    # A relative directory lives in the workspace's own folder, which another workspace cannot name.
    body = {"kind": "zonefile", "name": "own", "config": {"directory": "primary"}}
    created = client.post(BASE, json=body, headers=owner)
    assert created.status_code == 201, created.text
    directory = Path(created.json()["config"]["directory"])
    workspace_id = db.scalars(select(Workspace.id).where(Workspace.slug == "acme")).one()
    assert directory == (settings.zones_dir / f"workspace-{workspace_id}" / "primary").resolve()
    assert directory.is_dir()

    user, other = member(db, "beta", "owner@beta.example")
    other_owner = bearer(api_token(db, user, other))
    db.commit()
    body = {"kind": "zonefile", "name": "theirs", "config": {"directory": str(directory)}}
    response = client.post("/api/v1/workspaces/beta/connections", json=body, headers=other_owner)
    assert response.status_code == 422


def test_moving_a_connection_needs_its_secrets_again(client: TestClient, owner: dict[str, str]) -> None:
    body = {
        "kind": "powerdns",
        "name": "pdns",
        "config": {"url": "http://127.0.0.1:8081"},
        "secrets": {"api_key": "the-stored-key"},
    }
    created = client.post(BASE, json=body, headers=owner)
    assert created.status_code == 201, created.text
    url = f"{BASE}/{created.json()['id']}"

    # The stored key must never follow the connection to a server the editor names.
    moved = client.patch(url, json={"config": {"url": "http://127.0.0.1:9999"}}, headers=owner)
    assert moved.status_code == 422
    assert [error["field"] for error in moved.json()["errors"]] == ["secrets"]
    assert "config.url" in moved.json()["detail"]
    assert client.get(url, headers=owner).json()["config"]["url"] == "http://127.0.0.1:8081"

    # Changing what does not move it, or moving it with the secrets given again, is fine.
    assert client.patch(url, json={"config": {"server_id": "main"}}, headers=owner).status_code == 200
    both = {"config": {"url": "http://127.0.0.1:9999"}, "secrets": {"api_key": "a-new-key"}}
    assert client.patch(url, json=both, headers=owner).status_code == 200


def test_malformed_values_are_refused_naming_the_field(client: TestClient, owner: dict[str, str]) -> None:
    cases = [
        ({"kind": "powerdns", "config": {"url": "http://[::1"}, "secrets": {"api_key": "k"}}, "config.url"),
        ({"kind": "powerdns", "config": {"url": "http://"}, "secrets": {"api_key": "k"}}, "config.url"),
        ({"kind": "powerdns", "config": {"url": "http://h\x00"}, "secrets": {"api_key": "k"}}, "config.url"),
        ({"kind": "zonefile", "config": {"directory": "zones\x00x"}}, "config.directory"),
    ]
    for body, field in cases:
        response = client.post(BASE, json={"name": "x", **body}, headers=owner)
        assert response.status_code == 422, (body, response.text)
        assert [error["field"] for error in response.json()["errors"]] == [field]
    for bad_id in ("99999999999999999999", "0", "-1"):
        assert client.get(f"{BASE}/{bad_id}", headers=owner).status_code == 422
