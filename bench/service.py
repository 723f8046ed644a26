"""``python -m bench --suite service``: DunOps as a service, whole HTTP requests, next to PowerDNS.

In one run, against real PowerDNS 4.7 and ``dunops serve`` processes on 127.0.0.1:

1. **One-record change**: zones of 100k and 1M RRsets (``bench/zonegen.py``) loaded into PowerDNS and
   imported into DunOps (``POST .../imports``, timed); then, repeated, the whole workflow of a person
   changing one A record (create the request, approve it as another member, apply, poll until
   ``verified`` on PowerDNS's DNS port), next to PowerDNS's own ``PATCH`` of one RRset of the same zone.
   PowerDNS runs as installed (``default-api-rectify=yes``); the same is measured again with
   ``API-RECTIFY`` off for the zone, where a PATCH costs milliseconds and DunOps' own floor shows.
2. **Lookups**: ``GET .../records?name=&type=`` against PowerDNS's whole-zone ``GET`` (what a client
   of its API must do to read one RRset by name without the newer filters), with the server's RSS.
3. **Concurrency**: mixed reads and writes (``tests/load.py``) on a 10k-RRset zone: 20 clients on
   SQLite and 50 on PostgreSQL, 60 s each.
4. **Freeze**: while 20 provider calls hang (a server that accepts and never answers), the latency of
   ``/healthz`` and of another workspace's reads, next to the same requests with nothing hanging.
"""

from __future__ import annotations

import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from tests.load import Target, run_load
from tests.servers.blackhole import blackhole
from tests.servers.dunops import DunopsServer, start_dunops
from tests.web.test_load import generated_zone
from tests.zones.helpers import api_token, member

from bench import servers
from bench.zonegen import ORIGIN, generate
from dunops.dns import write_bind
from dunops.storage.database import make_engine, make_session_factory
from dunops.storage.models import Role

SIZES = (100_000, 1_000_000)
REPEAT = {100_000: 10, 1_000_000: 4}
LOOKUPS = 200
CONCURRENCY_SECONDS = 60.0
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass
class Team:
    """A workspace with an author and a reviewer (both editors) and their API tokens."""

    slug: str
    author: str
    reviewer: str


def _seed_team(database_url: str, slug: str) -> Team:
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        author, workspace = member(session, slug, f"author@{slug}.test", Role.OWNER)
        reviewer, _ = member(session, slug, f"reviewer@{slug}.test", Role.EDITOR)
        team = Team(slug, api_token(session, author, workspace), api_token(session, reviewer, workspace))
        session.commit()
    engine.dispose()
    return team


def _client(server: DunopsServer, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=600)


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory now (``VmRSS``) or at its peak (``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else 0.0


# -- one-record change ------------------------------------------------------------------------------


def _import(server: DunopsServer, team: Team, connection_id: int, zone: str) -> tuple[float, float]:
    """Seconds to import ``zone`` from the connection (as a job, until done) and the server's peak RSS."""
    with _client(server, team.author) as client:
        started = time.perf_counter()
        response = client.post(
            f"/api/v1/workspaces/{team.slug}/imports", json={"name": zone, "connection_id": connection_id}
        )
        response.raise_for_status()
        location = response.headers["Location"]
        while (state := client.get(location).json())["state"] in ("queued", "running"):
            time.sleep(0.05)
        if state["state"] != "succeeded":
            raise RuntimeError(f"import failed: {state}")
        return time.perf_counter() - started, _rss_mb(server.process.pid, "VmHWM")


@dataclass
class Flow:
    create: float
    approve: float
    apply: float

    @property
    def total(self) -> float:
        return self.create + self.approve + self.apply


def _one_change(server: DunopsServer, team: Team, zone: str, name: str, address: str) -> Flow:
    api = f"/api/v1/workspaces/{team.slug}"
    edit = {"action": "upsert", "name": name, "type": "A", "ttl": 300, "values": [address]}
    with _client(server, team.author) as author, _client(server, team.reviewer) as reviewer:
        started = time.perf_counter()
        created = author.post(
            f"{api}/changes", json={"zone": zone, "title": "one record", "edits": [edit], "submit": True}
        )
        assert created.status_code == 201, created.text
        change = created.json()
        made = time.perf_counter()
        approval = {
            "plan_hash": change["plan_hash"],
            "acknowledge": [r["id"] for r in change["current_revision"]["risk_reasons"]],
        }
        approved = reviewer.post(f"{api}/changes/{change['id']}/approve", json=approval)
        assert approved.status_code == 200, approved.text
        reviewed = time.perf_counter()
        applied = author.post(f"{api}/changes/{change['id']}/apply")
        assert applied.status_code == 202, applied.text
        while (state := author.get(f"{api}/changes/{change['id']}").json()["state"]) in (
            "applying",
            "applied",
        ):
            time.sleep(0.002)
        finished = time.perf_counter()
        if state != "verified":
            raise RuntimeError(f"the change ended {state}")
    return Flow(made - started, reviewed - made, finished - reviewed)


def _patch(pdns: servers.PowerDNS, zone: str, name: str, address: str) -> float:
    body = {"rrsets": [{"name": name, "type": "A", "ttl": 300, "changetype": "REPLACE",
                        "records": [{"content": address, "disabled": False}]}]}  # fmt: skip
    with httpx.Client(headers={"X-API-Key": pdns.api_key}, timeout=600) as client:
        started = time.perf_counter()
        response = client.patch(f"{pdns.api_url}/api/v1/servers/localhost/zones/{zone}", json=body)
        elapsed = time.perf_counter() - started
    assert response.status_code == 204, response.text
    return elapsed


def _changes(
    server: DunopsServer, pdns: servers.PowerDNS, team: Team, zone: str, repeat: int, label: str
) -> dict[str, Any]:
    flows, patches = [], []
    for number in range(repeat):
        address = f"198.51.100.{number + 1}"
        flows.append(_one_change(server, team, zone, f"bench-{label}-{number}.{zone}", address))
        patches.append(_patch(pdns, zone, f"peer-{label}-{number}.{zone}", address))
    return {
        "create": _median([f.create for f in flows]),
        "approve": _median([f.approve for f in flows]),
        "apply": _median([f.apply for f in flows]),
        "total": _median([f.total for f in flows]),
        "patch": _median(patches),
    }


# -- lookups ----------------------------------------------------------------------------------------


def _lookups(
    server: DunopsServer, pdns: servers.PowerDNS, team: Team, zone: str, size: int
) -> dict[str, float]:
    api = f"/api/v1/workspaces/{team.slug}/zones/{zone}/records"
    ours = []
    before = _rss_mb(server.process.pid)
    with _client(server, team.author) as client:
        for number in range(LOOKUPS):
            name = f"host{(number * 7919) % (size - 3) // 100 * 100 + number % 50}.{zone}"
            started = time.perf_counter()
            response = client.get(api, params={"name": name, "type": "A"})
            ours.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    after = _rss_mb(server.process.pid)
    theirs = []
    with httpx.Client(headers={"X-API-Key": pdns.api_key}, timeout=600) as client:
        for _ in range(3):
            started = time.perf_counter()
            client.get(f"{pdns.api_url}/api/v1/servers/localhost/zones/{zone}").raise_for_status()
            theirs.append(time.perf_counter() - started)
    return {"ours": _median(ours), "p99": sorted(ours)[int(len(ours) * 0.99) - 1], "theirs": _median(theirs),
            "rss_growth": after - before}  # fmt: skip


# -- concurrency and freeze -----------------------------------------------------------------------------


@contextmanager
def _postgres_database() -> Iterator[str]:
    name = f"dunops_bench_{int(time.time())}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _connect(server: DunopsServer, team: Team, pdns: servers.PowerDNS) -> int:
    body = {"kind": "powerdns", "name": "pdns",
            "config": {"url": pdns.api_url, "dns_address": f"127.0.0.1:{pdns.dns_port}"},
            "secrets": {"api_key": pdns.api_key}}  # fmt: skip
    with _client(server, team.author) as client:
        response = client.post(f"/api/v1/workspaces/{team.slug}/connections", json=body)
        response.raise_for_status()
        return int(response.json()["id"])


def _latencies(url: str, headers: dict[str, str], count: int = 100) -> list[float]:
    found = []
    with httpx.Client(headers=headers, timeout=60) as client:
        for _ in range(count):
            started = time.perf_counter()
            client.get(url).raise_for_status()
            found.append(time.perf_counter() - started)
    return found


def _freeze(server: DunopsServer, database_url: str, victim: Team, zone: str) -> dict[str, float]:
    attacker = _seed_team(database_url, "attacker")
    headers = {"Authorization": f"Bearer {victim.author}"}
    records = f"{server.url}/api/v1/workspaces/{victim.slug}/zones/{zone}/records?name=h7&type=A"
    calm = {"healthz": _latencies(f"{server.url}/healthz", {}), "reads": _latencies(records, headers)}
    with blackhole() as hole, _client(server, attacker.author) as client:
        body = {"kind": "powerdns", "name": "hangs", "config": {"url": f"http://127.0.0.1:{hole.port}"},
                "secrets": {"api_key": "never-used-key"}}  # fmt: skip
        connection = client.post(f"/api/v1/workspaces/{attacker.slug}/connections", json=body).json()["id"]
        callers = [
            threading.Thread(
                target=lambda: httpx.post(
                    f"{server.url}/api/v1/workspaces/{attacker.slug}/connections/{connection}/test",
                    headers={"Authorization": f"Bearer {attacker.author}"},
                    timeout=60,
                ),
                daemon=True,
            )
            for _ in range(20)
        ]
        for caller in callers:
            caller.start()
        deadline = time.monotonic() + 20
        while hole.held < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        held = hole.held
        hung = {"healthz": _latencies(f"{server.url}/healthz", {}), "reads": _latencies(records, headers)}
        still = hole.held
        hole.release()
        for caller in callers:
            caller.join()
    return {
        "held": float(min(held, still)),
        "healthz_calm": _median(calm["healthz"]),
        "healthz_hung": _median(hung["healthz"]),
        "healthz_hung_max": max(hung["healthz"]),
        "reads_calm": _median(calm["reads"]),
        "reads_hung": _median(hung["reads"]),
        "reads_hung_max": max(hung["reads"]),
    }


@dataclass(frozen=True)
class Setup:
    """A database and how ``dunops serve`` runs on it for the concurrency measurements."""

    name: str
    clients: int
    processes: int
    paced_rate: float


SETUPS = (Setup("SQLite", 20, 1, 3.0), Setup("PostgreSQL", 50, 2, 1.0))


def _concurrency(work: Path, database: str, setup: Setup) -> dict[str, Any]:
    server = start_dunops(
        work / f"load-{setup.name}",
        database_url=database,
        migrate=True,
        worker="false",
        web_processes=str(setup.processes),
        master_key=secrets.token_urlsafe(32),
    )
    try:
        team = _seed_team(database, "load")
        zone = "load.test"
        with _client(server, team.author) as client:
            body = {"name": zone, "format": "bind", "content": generated_zone(f"{zone}.", 10_000)}
            client.post(f"/api/v1/workspaces/{team.slug}/zones", json=body).raise_for_status()
        target = Target(server.url, team.author, team.slug, zone, 10_000)
        saturated = run_load(target, clients=setup.clients, seconds=CONCURRENCY_SECONDS)
        paced = run_load(
            target, clients=setup.clients, seconds=CONCURRENCY_SECONDS, rate=setup.paced_rate, seed=11
        )
        freeze = _freeze(server, database, team, zone)
    finally:
        server.stop()
    return {"saturated": saturated, "paced": paced, "freeze": freeze}


# -- the run ---------------------------------------------------------------------------------------------


def _line(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def main(sizes: tuple[int, ...] = SIZES) -> None:
    work = Path(tempfile.mkdtemp(prefix="dunops-bench-service-"))
    pdns = servers.start_powerdns(work / "powerdns")
    rows: list[str] = []
    try:
        for size in sizes:
            zone = generate(size)
            started = time.perf_counter()
            pdns.load_zone(ORIGIN, write_bind(zone))
            print(
                f"{size:,} RRsets loaded into PowerDNS in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            database = f"sqlite:///{work}/dunops-{size}.sqlite3"
            server = start_dunops(work / f"serve-{size}", database_url=database)
            try:
                team = _seed_team(database, "bench")
                connection = _connect(server, team, pdns)
                seconds, rss = _import(server, team, connection, ORIGIN.rstrip("."))
                print(f"{size:,}: import {seconds:.1f} s, RSS {rss:.0f} MB", file=sys.stderr)
                default = _changes(server, pdns, team, ORIGIN, REPEAT[size], f"default{size}")
                pdns.set_meta(ORIGIN, "API-RECTIFY", "0")
                fast = _changes(server, pdns, team, ORIGIN, REPEAT[size], f"norectify{size}")
                pdns.set_meta(ORIGIN, "API-RECTIFY", "1")
                lookups = _lookups(server, pdns, team, ORIGIN.rstrip("."), size)
            finally:
                server.stop()
            rows.append(_report(size, seconds, rss, default, fast, lookups))
            print(rows[-1], file=sys.stderr, flush=True)
        sqlite = _concurrency(work, f"sqlite:///{work}/load.sqlite3", SETUPS[0])
        with _postgres_database() as url:
            postgres = _concurrency(work, url, SETUPS[1])
    finally:
        pdns.process.stop()
    _print(rows, {"SQLite": sqlite, "PostgreSQL": postgres})


def _report(
    size: int,
    seconds: float,
    rss: float,
    default: dict[str, Any],
    fast: dict[str, Any],
    lookups: dict[str, float],
) -> str:
    def ms(value: float) -> str:
        return f"{value * 1000:.0f} ms"

    return _line(
        f"{size:,}",
        f"{seconds:.1f} s / {rss:.0f} MB",
        f"{ms(default['total'])} (create {ms(default['create'])}, approve {ms(default['approve'])}, "
        f"apply→verified {ms(default['apply'])})",
        ms(default["patch"]),
        f"**{default['total'] / default['patch']:.2f}{TIMES}**",
        f"{ms(fast['total'])} (create {ms(fast['create'])}, approve {ms(fast['approve'])}, "
        f"apply→verified {ms(fast['apply'])})",
        f"{fast['patch'] * 1000:.1f} ms",
        f"{ms(lookups['ours'])} (p99 {ms(lookups['p99'])})",
        ms(lookups["theirs"]),
        f"**{lookups['theirs'] / lookups['ours']:.0f}{TIMES}**",
        f"{lookups['rss_growth']:+.0f} MB",
    )


def _print(rows: list[str], concurrency: dict[str, dict[str, Any]]) -> None:
    print(
        "| RRsets | import (job, until done) / server peak RSS | one-record change, whole workflow "
        "(PowerDNS as installed) | PowerDNS PATCH of one RRset | ratio | the same with API-RECTIFY off "
        "| PATCH, API-RECTIFY off | `GET records?name=&type=` (median of "
        f"{LOOKUPS}) | PowerDNS whole-zone GET | speed-up | server RSS over the {LOOKUPS} lookups |"
    )
    print("|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row)
    print()
    print(
        "| database (web processes) | clients | pace | requests/s | errors | reads p50 / p95 / p99 "
        "| writes p50 / p95 / p99 |"
    )
    print("|---|---:|---|---:|---:|---:|---:|")
    reads = ("records", "zones", "changes")
    setups = {setup.name: setup for setup in SETUPS}
    for name, found in concurrency.items():
        for label, load in (("none (saturation)", found["saturated"]), ("paced", found["paced"])):
            pace = label if load.rate is None else f"{load.rate:g} requests/s each"

            def pct(kinds: tuple[str, ...], load: Any = load) -> str:
                return (
                    " / ".join(f"{load.percentile(kinds, q) * 1000:.0f}" for q in (0.5, 0.95, 0.99)) + " ms"
                )

            print(_line(
                f"{name} ({setups[name].processes})", str(load.clients), pace,
                f"{len(load.samples) / load.seconds:.0f}", str(len(load.errors)), pct(reads), pct(("write",)),
            ))  # fmt: skip
    print()
    print(
        "| database | `/healthz`, nothing hanging → 20 provider calls hanging (median / max) "
        "| another workspace's `GET records`, nothing hanging → hanging (median / max) |"
    )
    print("|---|---:|---:|")
    for name, found in concurrency.items():
        freeze = found["freeze"]
        print(_line(
            name,
            f"{freeze['healthz_calm'] * 1000:.1f} ms → {freeze['healthz_hung'] * 1000:.1f} / "
            f"{freeze['healthz_hung_max'] * 1000:.0f} ms ({freeze['held']:.0f} calls held)",
            f"{freeze['reads_calm'] * 1000:.1f} ms → {freeze['reads_hung'] * 1000:.1f} / "
            f"{freeze['reads_hung_max'] * 1000:.0f} ms",
        ))  # fmt: skip
    print()
    for name, found in concurrency.items():
        print(f"{name}, saturation: {found['saturated'].describe()}")
        print(f"{name}, paced: {found['paced'].describe()}")
