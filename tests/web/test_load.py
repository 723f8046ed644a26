"""A whole team at once, against ``dunops serve`` as a real process on SQLite and PostgreSQL.

Many clients mix reads and writes for a few seconds and none gets an error; while provider calls hang,
``/healthz`` and another workspace's reads and writes keep their normal latency.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.security.vault import Vault
from dunops.storage.models import Role
from dunops.zones import connections, zones
from tests.jobs.support import wait_for
from tests.load import Target, run_load
from tests.servers.blackhole import blackhole
from tests.servers.dunops import DunopsServer, start_dunops
from tests.zones.helpers import api_token, directories_for, grant_for, member

NAMES = 2_000


def generated_zone(origin: str, names: int) -> str:
    lines = [
        f"$ORIGIN {origin}",
        f"@ 3600 IN SOA ns1.{origin} hostmaster.{origin} 1 10800 3600 604800 3600",
        f"@ 3600 IN NS ns1.{origin}",
        f"@ 3600 IN NS ns2.{origin}",
    ]
    lines.extend(f"h{n} 300 IN A 10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}" for n in range(names))
    return "\n".join(lines) + "\n"


def _seed(db: Session, slug: str, email: str, names: int) -> Target:
    user, workspace = member(db, slug, email)
    grant = grant_for(db, user, slug)
    zones.import_from_file(
        db, grant, name=f"{slug}.test", format="bind", content=generated_zone(f"{slug}.test.", names)
    )
    token = api_token(db, user, workspace)
    db.commit()
    return Target("", token, slug, f"{slug}.test", names)


@pytest.fixture
def served(tmp_path: Path, settings: Settings, database_url: str) -> Iterator[DunopsServer]:
    server = start_dunops(
        tmp_path / "served",
        database_url=database_url,
        data_dir=str(settings.data_dir),
        worker="false",
        rate_limit_api="100000/minute",  # one token drives the whole load
        rate_limit_client="100000/minute",
    )
    try:
        yield server
    finally:
        server.stop()


def _aimed(target: Target, server: DunopsServer) -> Target:
    return Target(server.url, target.token, target.workspace, target.zone, target.names)


def test_many_clients_mixing_reads_and_writes_get_no_error(
    db: Session, served: DunopsServer, database_url: str
) -> None:
    target = _aimed(_seed(db, "acme", "owner@acme.test", NAMES), served)
    clients = 20 if database_url.startswith("sqlite") else 40
    result = run_load(target, clients=clients, seconds=4)
    print(result.describe())
    assert not result.errors, result.describe()
    assert len(result.of("write")) >= clients, "every client got writes through"
    # generous bounds: a wedged server (requests waiting on a lock or on the event loop) takes seconds
    assert result.percentile(("records", "zones", "changes"), 0.99) < 2.0, result.describe()
    headers = {"Authorization": f"Bearer {target.token}"}
    listed = httpx.get(f"{served.url}/api/v1/workspaces/acme/changes", headers=headers, timeout=30)
    assert listed.status_code == 200


def test_hanging_provider_calls_freeze_no_other_tenant(
    db: Session, served: DunopsServer, settings: Settings
) -> None:
    victim = _aimed(_seed(db, "victim", "owner@victim.test", 200), served)
    with blackhole() as hole:
        user, workspace = member(db, "attacker", "owner@attacker.test")
        grant = grant_for(db, user, "attacker")
        hanging = connections.create(
            db,
            grant,
            Vault.from_settings(settings),
            kind="powerdns",
            name="hangs",
            config={"url": f"http://127.0.0.1:{hole.port}"},
            secrets={"api_key": "irrelevant-key"},
            directories=directories_for(settings, grant),
        )
        attacker = api_token(db, user, workspace, Role.OWNER)
        db.commit()

        answers: list[int] = []

        def call_test() -> None:
            response = httpx.post(
                f"{served.url}/api/v1/workspaces/attacker/connections/{hanging.id}/test",
                headers={"Authorization": f"Bearer {attacker}"},
                timeout=60,
            )
            answers.append(response.status_code)

        callers = [threading.Thread(target=call_test, daemon=True) for _ in range(20)]
        for caller in callers:
            caller.start()
        assert wait_for(lambda: hole.held >= 20, timeout=20), f"only {hole.held} calls reached the provider"

        headers = {"Authorization": f"Bearer {victim.token}"}
        api = f"{served.url}/api/v1/workspaces/victim"
        slowest = 0.0
        with httpx.Client(headers=headers, timeout=30) as client:
            for n in range(20):
                for method, url, body in (
                    ("GET", f"{served.url}/healthz", None),
                    ("GET", f"{api}/zones/victim.test/records?name=h{n}&type=A", None),
                    ("GET", f"{api}/zones", None),
                ):
                    started = time.perf_counter()
                    response = client.request(method, url, json=body)
                    slowest = max(slowest, time.perf_counter() - started)
                    assert response.status_code == 200, response.text
            edit = {"action": "upsert", "name": "during", "type": "A", "values": ["192.0.2.9"]}
            started = time.perf_counter()
            created = client.post(
                f"{api}/changes", json={"zone": "victim.test", "title": "t", "edits": [edit]}
            )
            slowest = max(slowest, time.perf_counter() - started)
            assert created.status_code == 201, created.text
        assert hole.held >= 20, "the provider calls were still hanging while the other tenant worked"
        assert slowest < 1.0, f"another tenant waited {slowest:.2f} s while provider calls hung"
        hole.release()
        for caller in callers:
            caller.join(timeout=60)
    assert answers == [200] * 20  # each test call reports the failure as its result
