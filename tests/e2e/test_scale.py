"""Scale, proven: two ``dunops serve`` replicas and two ``dunops worker`` processes share one PostgreSQL
database and one Redis, as the README's "Running at scale" and ``docker-compose.yml`` run them. A change
is created on one replica, approved on the other, applied by a worker and seen on real PowerDNS, while
a load generator drives both replicas; nobody gets an error."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import httpx
import pytest

from dunops.storage.database import make_engine, make_session_factory, upgrade
from dunops.storage.models import Role
from tests.conftest import REDIS_URL, create_postgres_database, drop_postgres_database
from tests.load import LoadResult, Target, run_load
from tests.servers.dunops import DunopsServer, start_dunops, start_worker
from tests.servers.powerdns import PowerDNSServer, powerdns_server  # noqa: F401
from tests.support import missing_server
from tests.web.test_load import generated_zone
from tests.zones.helpers import api_token, bearer, member

pytestmark = pytest.mark.scale

LOAD_SECONDS = 8
LOAD_NAMES = 500


@pytest.fixture
def shared_database(postgres_admin_url: str) -> Iterator[str]:
    """A database of this test's own on the test PostgreSQL, migrated once, dropped afterwards."""
    url = create_postgres_database(postgres_admin_url)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_postgres_database(postgres_admin_url, url)


@pytest.fixture
def deployment(
    tmp_path: Path, shared_database: str
) -> Iterator[tuple[list[DunopsServer], list[DunopsServer]]]:
    """Two web replicas and two workers with the settings every process of a scaled install shares."""
    if not REDIS_URL:
        missing_server("Redis (set DUNOPS_TEST_REDIS_URL)")
    shared = {
        "redis_url": REDIS_URL,
        "master_key": secrets.token_hex(32),
        "rate_limit_api": "100000/minute",  # one token drives the whole load
        "rate_limit_client": "100000/minute",
    }
    started: list[DunopsServer] = []
    try:
        webs = []
        for n in (1, 2):
            webs.append(
                start_dunops(tmp_path / f"web{n}", database_url=shared_database, worker="false", **shared)
            )
            started.append(webs[-1])
        workers = []
        for n in (1, 2):
            workers.append(start_worker(tmp_path / f"worker{n}", database_url=shared_database, **shared))
            started.append(workers[-1])
        yield webs, workers
    finally:
        for process in started:
            process.stop()


def _query_a(server: PowerDNSServer, name: str) -> list[str]:
    response = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=server.dns_port, timeout=3)
    return sorted(rdata.to_text() for rrset in response.answer for rdata in rrset)


def test_a_change_crosses_replicas_and_workers_on_postgresql_and_redis_under_load(
    shared_database: str,
    deployment: tuple[list[DunopsServer], list[DunopsServer]],
    powerdns_server: PowerDNSServer,  # noqa: F811
) -> None:
    (one, other), workers = deployment
    engine = make_engine(shared_database)
    with make_session_factory(engine)() as db:
        heads: dict[str, str] = {}
        for email, role in (("author@example.com", Role.OWNER), ("reviewer@example.com", Role.EDITOR)):
            user, workspace = member(db, "acme", email, role)
            heads[email.split("@")[0]] = api_token(db, user, workspace, role)
        db.commit()
    engine.dispose()
    author, reviewer = bearer(heads["author"]), bearer(heads["reviewer"])

    def call(replica: DunopsServer, method: str, path: str, who: dict[str, str], body: Any = None) -> Any:
        response = httpx.request(
            method, f"{replica.url}/api/v1/workspaces/acme{path}", json=body, headers=who, timeout=60
        )
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    zone = powerdns_server.create_zone(powerdns_server.new_zone_name("scale")).rstrip(".")
    connection = {
        "kind": "powerdns",
        "name": "pdns",
        "config": {"url": powerdns_server.api_url, "dns_address": f"127.0.0.1:{powerdns_server.dns_port}"},
        "secrets": {"api_key": powerdns_server.api_key},
    }
    connected = call(one, "POST", "/connections", author, connection)
    call(other, "POST", "/zones", author, {"name": zone, "connection_id": connected["id"]})
    load_zone = "load.test"
    call(
        one,
        "POST",
        "/zones",
        author,
        {"name": load_zone, "content": generated_zone(f"{load_zone}.", LOAD_NAMES)},
    )

    results: list[LoadResult] = []

    def drive(replica: DunopsServer) -> None:
        target = Target(replica.url, heads["author"], "acme", load_zone, LOAD_NAMES)
        results.append(run_load(target, clients=6, seconds=LOAD_SECONDS))

    load = [threading.Thread(target=drive, args=(replica,)) for replica in (one, other)]
    for thread in load:
        thread.start()
    try:
        edit = {"action": "upsert", "name": "scaled", "type": "A", "ttl": 300, "values": ["192.0.2.77"]}
        created = call(
            one, "POST", "/changes", author, {"zone": zone, "title": "Scale", "edits": [edit], "submit": True}
        )
        revision = created["current_revision"]
        approval = {
            "plan_hash": revision["plan_hash"],
            "acknowledge": [r["id"] for r in revision["risk_reasons"]],
        }
        approved = call(other, "POST", f"/changes/{created['id']}/approve", reviewer, approval)
        assert approved["state"] == "approved"
        call(other, "POST", f"/changes/{created['id']}/apply", author)
        deadline = time.monotonic() + 90
        state = ""
        while time.monotonic() < deadline:
            state = call(one, "GET", f"/changes/{created['id']}", author)["state"]
            if state in {"applied", "verified", "failed", "stale"}:
                break
            time.sleep(0.2)
        logs = "\n".join(worker.log_tail() for worker in workers)
        assert state in {"applied", "verified"}, f"change ended {state!r}\n{logs}"
        assert _query_a(powerdns_server, f"scaled.{zone}.") == ["192.0.2.77"]
    finally:
        for thread in load:
            thread.join()

    assert len(results) == 2
    for result in results:
        print(result.describe())
        assert not result.errors, result.describe()
        assert len(result.of("write")) >= 6, result.describe()
    for process in (one, other, *workers):
        assert process.process.poll() is None, process.log_tail()
