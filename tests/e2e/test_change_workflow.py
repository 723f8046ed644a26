"""End to end through the API on REAL PowerDNS and REAL BIND (RFC 2136): two members review and apply
a change, a DNS query shows it, the rules refuse what they must, an out-of-band change makes a request
stale and survives, a rollback restores the previous content, and the audit chain verifies."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dns.message
import dns.query
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops import audit
from dunops.jobs import queue_for
from dunops.storage.models import Role, Workspace
from tests.servers.bind import bind_server  # noqa: F401
from tests.servers.powerdns import PowerDNSServer, powerdns_server  # noqa: F401
from tests.servers.rfc2136 import Rfc2136Server
from tests.support import missing_server
from tests.zones.helpers import api_token, bearer, member

BASE = "/api/v1/workspaces/acme"


@dataclass
class Server:
    """One real DNS server with a fresh zone: how to connect it, write to it out of band, query it."""

    zone: str
    port: int
    connection: dict[str, Any]
    write_a: Callable[[str, str], None]

    def query_a(self, name: str) -> list[str]:
        """The A values the server answers for ``name`` (as ``dig @127.0.0.1 -p PORT name A`` shows)."""
        query = dns.message.make_query(f"{name}.{self.zone}", "A")
        response = dns.query.udp(query, "127.0.0.1", port=self.port, timeout=3)
        return sorted(rdata.to_text() for rrset in response.answer for rdata in rrset)

    def dig_a(self, name: str) -> list[str]:
        """The A values ``dig`` itself prints for ``name``, asked of the server."""
        dig = shutil.which("dig")
        if dig is None:
            missing_server("dig (Debian package bind9-dnsutils)")
        command = [dig, "@127.0.0.1", "-p", str(self.port), "+short", f"{name}.{self.zone}", "A"]
        return sorted(subprocess.run(command, capture_output=True, text=True, check=True).stdout.split())


def _powerdns(server: PowerDNSServer) -> Server:
    zone = server.create_zone(server.new_zone_name("e2e"))

    def write_a(name: str, value: str) -> None:
        rrset = {"name": f"{name}.{zone}", "type": "A", "ttl": 300, "changetype": "REPLACE",
                 "records": [{"content": value, "disabled": False}]}  # fmt: skip
        response = httpx.patch(
            f"{server.api_url}/api/v1/servers/localhost/zones/{zone}",
            json={"rrsets": [rrset]},
            headers={"X-API-Key": server.api_key},
        )
        assert response.status_code == 204, response.text

    connection = {
        "kind": "powerdns",
        "name": "pdns",
        "config": {"url": server.api_url, "dns_address": f"127.0.0.1:{server.dns_port}"},
        "secrets": {"api_key": server.api_key},
    }
    return Server(zone, server.dns_port, connection, write_a)


def _bind(server: Rfc2136Server) -> Server:
    zone = server.take_zone()

    def write_a(name: str, value: str) -> None:
        keyring = dns.tsigkeyring.from_text({server.key_name: server.key_secret})
        update = dns.update.UpdateMessage(zone, keyring=keyring, keyalgorithm=dns.tsig.HMAC_SHA256)
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.A, value)
        update.replace(f"{name}.{zone}", dns.rdataset.from_rdata_list(300, [rdata]))
        response = dns.query.tcp(update, server.host, port=server.port, timeout=5)
        assert response.rcode() == 0

    connection = {
        "kind": "rfc2136",
        "name": "bind",
        "config": {
            "server": server.host,
            "port": server.port,
            "tsig_name": server.key_name,
            "tsig_algorithm": server.key_algorithm,
        },
        "secrets": {"tsig_secret": server.key_secret},
    }
    return Server(zone, server.port, connection, write_a)


@pytest.fixture(params=["powerdns", "bind"])
def server(request: pytest.FixtureRequest) -> Server:
    if request.param == "powerdns":
        return _powerdns(request.getfixturevalue("powerdns_server"))
    return _bind(request.getfixturevalue("bind_server"))


def test_review_apply_verify_stale_and_rollback_on_a_real_server(
    client: TestClient,
    db: Session,
    settings: Any,
    server: Server,
) -> None:
    heads: dict[str, dict[str, str]] = {}
    for email, role in [("alice@example.com", Role.OWNER), ("bob@example.com", Role.EDITOR),
                        ("vera@example.com", Role.VIEWER)]:  # fmt: skip
        user, workspace = member(db, "acme", email, role)
        heads[email.split("@")[0]] = bearer(api_token(db, user, workspace, role))
    db.commit()
    alice, bob, vera = heads["alice"], heads["bob"], heads["vera"]
    zone = server.zone.rstrip(".")

    def post(who: dict[str, str], path: str, body: Any = None) -> httpx.Response:
        return client.post(BASE + path, json=body, headers=who)

    def run_jobs() -> None:
        queue_for(settings).run_pending(wait=30)

    connected = post(alice, "/connections", server.connection)
    assert connected.status_code == 201, connected.text
    imported = post(alice, "/zones", {"name": zone, "connection_id": connected.json()["id"]})
    assert imported.status_code == 201, imported.text

    # Bob proposes; he cannot approve it himself, nor can a viewer; an old revision's hash is refused
    www = {"action": "upsert", "name": "www", "type": "A", "ttl": 300, "values": ["192.0.2.10"]}
    created = post(bob, "/changes", {"zone": zone, "title": "Add www", "edits": [www], "submit": True})
    assert created.status_code == 201, created.text
    change_id, first_hash = created.json()["id"], created.json()["plan_hash"]
    assert post(bob, f"/changes/{change_id}/approve", {"plan_hash": first_hash}).status_code == 403
    assert post(vera, f"/changes/{change_id}/approve", {"plan_hash": first_hash}).status_code == 403
    revised = post(bob, f"/changes/{change_id}/revise", {"edits": [{**www, "values": ["192.0.2.11"]}]})
    assert revised.status_code == 200, revised.text
    assert post(alice, f"/changes/{change_id}/approve", {"plan_hash": first_hash}).status_code == 409
    current_hash = revised.json()["plan_hash"]
    approved = post(alice, f"/changes/{change_id}/approve", {"plan_hash": current_hash, "comment": "ok"})
    assert approved.json().get("state") == "approved", approved.text

    applied = post(bob, f"/changes/{change_id}/apply")
    assert applied.status_code == 202
    deployment = applied.json()["deployment"]
    assert client.get(f"{BASE}/changes/{change_id}", headers=bob).json()["state"] == "applying"
    run_jobs()
    assert client.get(f"{BASE}/changes/{change_id}", headers=bob).json()["state"] == "verified"
    assert server.query_a("www") == ["192.0.2.11"]
    assert server.dig_a("www") == ["192.0.2.11"]
    shown = client.get(f"{BASE}/deployments/{deployment}", headers=bob).json()
    assert shown["state"] == "verified"
    assert shown["verification"]["method"] == "dns"
    assert shown["plan_hash"] == current_hash
    assert shown["actor"].startswith("bob@example.com")

    # changed out of band between approval and apply: stale, nothing written, the server keeps its value
    api = {"action": "upsert", "name": "api", "type": "A", "ttl": 300, "values": ["192.0.2.20"]}
    second = post(bob, "/changes", {"zone": zone, "title": "Add api", "edits": [api], "submit": True}).json()
    post(alice, f"/changes/{second['id']}/approve", {"plan_hash": second["plan_hash"]})
    server.write_a("api", "192.0.2.99")
    stale_deployment = post(bob, f"/changes/{second['id']}/apply").json()["deployment"]
    run_jobs()
    assert client.get(f"{BASE}/changes/{second['id']}", headers=bob).json()["state"] == "stale"
    stale = client.get(f"{BASE}/deployments/{stale_deployment}", headers=bob).json()
    assert [item["rrset"] for item in stale["stale_rrsets"]] == [f"api.{server.zone} A"]
    assert server.query_a("api") == ["192.0.2.99"]

    # rollback of the first deployment: a new request, reviewed by the other member, restores the past
    rollback = post(alice, f"/deployments/{deployment}/rollback")
    assert rollback.status_code == 201, rollback.text
    assert rollback.json()["state"] == "pending_review"
    assert (
        post(
            alice, f"/changes/{rollback.json()['id']}/approve", {"plan_hash": rollback.json()["plan_hash"]}
        ).status_code
        == 403
    )
    approved = post(
        bob,
        f"/changes/{rollback.json()['id']}/approve",
        {"plan_hash": rollback.json()["plan_hash"], "acknowledge": []},
    )
    assert approved.json().get("state") == "approved", approved.text
    post(alice, f"/changes/{rollback.json()['id']}/apply")
    run_jobs()
    assert client.get(f"{BASE}/changes/{rollback.json()['id']}", headers=alice).json()["state"] == "verified"
    assert server.query_a("www") == []

    versions = client.get(f"{BASE}/zones/{zone}/versions", headers=alice).json()["items"]
    assert [v["source"] for v in versions][:2] == ["apply", "apply"]
    deployments = client.get(f"{BASE}/deployments", headers=alice).json()["items"]
    applied = sorted(d["id"] for d in deployments if d["state"] in {"verified", "applied"})
    assert [v["cause"] for v in versions][:2] == [f"deployment {applied[-1]}", f"deployment {applied[-2]}"]
    assert versions[-1]["cause"] == "import"
    workspace = db.query(Workspace).filter_by(slug="acme").one()
    count, breaks = audit.verify(db, workspace.id)
    assert breaks == []
    assert count > 10
