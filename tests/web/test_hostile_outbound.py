"""Hostile use of connections: pointing one at a cloud metadata address or at the DunOps host, using the
connection test as a port scanner, reading internal pages through provider errors, walking API paths
with an id, and stored connections the checks have since grown stricter for."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from ipaddress import ip_network

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.storage.models import ProviderConnection
from dunops.web.app import create_app
from tests.providers.backends import closed_port
from tests.servers.blackhole import blackhole
from tests.servers.canned_http import canned_http
from tests.servers.powerdns import PowerDNSServer, powerdns_server  # noqa: F401
from tests.zones.helpers import api_token, bearer, member

BASE = "/api/v1/workspaces/acme/connections"
SECRET = "sk_live_9e8d7c6b5a4f3e2d1c0b"


@pytest.fixture
def owner(db: Session) -> dict[str, str]:
    user, workspace = member(db, "acme", "owner@example.com")
    token = api_token(db, user, workspace)
    db.commit()
    return bearer(token)


def _production(settings: Settings, engine: Engine, **changes: object) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"environment": "production", **changes}), engine=engine)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def production(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    yield from _production(settings, engine)


@pytest.fixture
def production_allowing_loopback(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    yield from _production(settings, engine, outbound_allow=[ip_network("127.0.0.1/32")])


def _powerdns(
    client: TestClient, owner: dict[str, str], url: str, *, api_key: str = "the-api-key", **config: str
) -> int:
    body = {
        "kind": "powerdns",
        "name": f"pdns-{time.monotonic_ns()}",
        "config": {"url": url, **config},
        "secrets": {"api_key": api_key},
    }
    created = client.post(BASE, json=body, headers=owner)
    assert created.status_code == 201, created.text
    connection_id: int = created.json()["id"]
    return connection_id


def _tested(client: TestClient, owner: dict[str, str], connection_id: int) -> dict[str, object]:
    response = client.post(f"{BASE}/{connection_id}/test", headers=owner)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def test_a_connection_to_the_cloud_metadata_address_is_refused_and_says_why(
    client: TestClient, owner: dict[str, str]
) -> None:
    connection_id = _powerdns(client, owner, "http://169.254.169.254/latest/meta-data")
    started = time.monotonic()
    result = _tested(client, owner, connection_id)
    assert time.monotonic() - started < 2  # refused before any connection, not after a timeout
    assert result["ok"] is False
    assert "169.254.169.254 is refused by the operator's outbound policy" in str(result["message"])
    assert "DUNOPS_OUTBOUND_ALLOW" in str(result["message"])
    listed = client.get(f"{BASE}/{connection_id}/zones", headers=owner)
    assert listed.status_code == 502
    assert "outbound policy" in listed.json()["detail"]


def test_production_refuses_a_name_for_the_dunops_host_unless_the_operator_allows_it(
    production: TestClient, production_allowing_loopback: TestClient, owner: dict[str, str]
) -> None:
    with canned_http(200, '{"id": "localhost"}') as server:
        connection_id = _powerdns(production, owner, f"http://localhost:{server.port}")
        result = _tested(production, owner, connection_id)
        assert result["ok"] is False
        message = str(result["message"])
        assert "localhost resolves to an address refused by the operator's outbound policy" in message
        assert "refused in production" in message
        assert server.paths == []  # nothing reached the server

        assert _tested(production_allowing_loopback, owner, connection_id)["ok"] is True
        assert server.paths == ["/api/v1/servers/localhost"]
        assert server.hosts == [f"localhost:{server.port}"]  # the checked address, asked by its name


def test_the_connection_test_cannot_tell_closed_from_hung_up_ports(
    client: TestClient, owner: dict[str, str]
) -> None:
    messages = set()
    with blackhole() as listener:
        for port in (closed_port(), listener.port):
            connection_id = _powerdns(client, owner, f"http://127.0.0.1:{port}")
            releasing = threading.Timer(0.3, listener.release)
            releasing.start()
            result = _tested(client, owner, connection_id)
            releasing.join()
            assert result["ok"] is False
            message = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", str(result["message"]))
            messages.add(re.sub(r"connection '[^']+'", "connection 'NAME'", message))
    assert len(messages) == 1, messages
    assert "could not connect to 127.0.0.1:PORT, or it did not answer within 10 s" in messages.pop()


ERROR_BODIES = {
    "powerdns": ({"api_key": "k"}, f'{{"error": "backend password {SECRET}"}}'),
    "cloudflare": (
        {"api_token": "t"},
        f'{{"success": false, "errors": [{{"code": 9, "message": "{SECRET}"}}]}}',
    ),
}


@pytest.mark.parametrize("kind", sorted(ERROR_BODIES))
def test_a_provider_error_body_is_never_shown_stored_or_audited(
    client: TestClient, owner: dict[str, str], kind: str
) -> None:
    secrets, body = ERROR_BODIES[kind]
    with canned_http(500, body) as server:
        config = {"url": server.url} if kind == "powerdns" else {"base_url": f"{server.url}/client/v4"}
        payload = {"kind": kind, "name": kind, "config": config, "secrets": secrets}
        connection_id = client.post(BASE, json=payload, headers=owner).json()["id"]
        result = _tested(client, owner, connection_id)
        assert server.paths  # the provider was asked, and answered with its body
    assert result["ok"] is False
    assert "refused by the provider with HTTP status 500" in str(result["message"])
    shown = [
        str(result["message"]),
        client.get(f"{BASE}/{connection_id}", headers=owner).text,
        client.get("/api/v1/workspaces/acme/audit", headers=owner).text,
    ]
    assert all(SECRET not in text and "password" not in text for text in shown)


@pytest.mark.parametrize("server_id", ["../../metrics", "..", ".", "localhost/../../metrics", "a?b=c"])
def test_a_server_id_that_walks_api_paths_is_refused_when_written(
    client: TestClient, owner: dict[str, str], server_id: str
) -> None:
    config = {"url": "http://127.0.0.1:8081", "server_id": server_id}
    body = {"kind": "powerdns", "name": "p", "config": config, "secrets": {"api_key": "k"}}
    refused = client.post(BASE, json=body, headers=owner)
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["config.server_id"]
    assert client.get(BASE, headers=owner).json() == []

    connection_id = _powerdns(client, owner, "http://127.0.0.1:8081")
    patched = client.patch(
        f"{BASE}/{connection_id}", json={"config": {"server_id": server_id}}, headers=owner
    )
    assert patched.status_code == 422
    assert client.get(f"{BASE}/{connection_id}", headers=owner).json()["config"]["server_id"] == "localhost"


def test_a_dns_address_without_a_port_is_refused_and_a_full_one_works_against_powerdns(
    client: TestClient,
    owner: dict[str, str],
    powerdns_server: PowerDNSServer,  # noqa: F811
) -> None:
    config = {"url": powerdns_server.api_url, "dns_address": "127.0.0.1"}
    body = {
        "kind": "powerdns",
        "name": "pdns",
        "config": config,
        "secrets": {"api_key": powerdns_server.api_key},
    }
    refused = client.post(BASE, json=body, headers=owner)
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "config.dns_address"
    assert "expected host:port, for example 127.0.0.1:53" in error["message"]

    zone = powerdns_server.create_zone(powerdns_server.new_zone_name("outbound"))
    connection_id = _powerdns(
        client,
        owner,
        powerdns_server.api_url,
        api_key=powerdns_server.api_key,
        dns_address=f"127.0.0.1:{powerdns_server.dns_port}",
    )
    assert _tested(client, owner, connection_id) == {"ok": True, "message": "connection works"}
    names = [z["name"] for z in client.get(f"{BASE}/{connection_id}/zones", headers=owner).json()]
    assert zone in names


def test_a_stored_connection_the_checks_no_longer_accept_loads_and_asks_for_an_edit(
    client: TestClient, owner: dict[str, str], db: Session
) -> None:
    connection_id = _powerdns(client, owner, f"http://127.0.0.1:{closed_port()}")
    stored = {"url": "http://127.0.0.1:8081", "server_id": "localhost", "dns_address": "127.0.0.1"}
    db.execute(update(ProviderConnection).where(ProviderConnection.id == connection_id).values(config=stored))
    db.commit()

    listed = client.get(BASE, headers=owner)
    assert listed.status_code == 200
    [shown] = listed.json()
    assert [problem["field"] for problem in shown["needs_edit"]] == ["config.dns_address"]
    result = _tested(client, owner, connection_id)
    assert result["ok"] is False
    assert "needs an edit before it can be used: config.dns_address: expected host:port" in str(
        result["message"]
    )

    fixed = client.patch(
        f"{BASE}/{connection_id}", json={"config": {"dns_address": "127.0.0.1:53"}}, headers=owner
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["needs_edit"] == []
