"""``python -m bench --suite providers``: DunOps against real PowerDNS, BIND and moto (Route53).

In one invocation: seed a deterministic 50,000-RRset zone (``bench/zonegen.py``) into PowerDNS (API
PATCHes in batches) and BIND (zone file loaded at start); time DunOps importing it (``fetch``); time
DunOps applying 5,000 deterministic changes (read desired zone → fetch → plan → ``Provider.apply``
with its compare-and-set re-read and read-back) to PowerDNS, to BIND over RFC 2136 and to moto's
Route53 (a smaller zone holding every RRset the changes touch); reset PowerDNS and time
octodns-powerdns applying the same changes (``Manager.sync``). Every server runs on 127.0.0.1 in a
temporary directory and is stopped by PID at the end, even on error. Each measurement runs in its own
process (``bench.provider_worker``) with a time limit and reports its own peak RSS.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from bench import measurement, servers
from bench.changeset import Edits, apply_edits, make_edits, subset
from bench.zonegen import ORIGIN, generate
from dunops.dns import RRset, Zone, plan_changes, write_bind, write_octodns
from dunops.providers import build

SIZE = 50_000
MOTO_SIZE = 10_000
WORKER_LIMIT = 600.0
OCTODNS_LIMIT = 900.0
IMPORT_REPEAT = 3
SEED_BATCH = 5_000
ROUTE53_BATCH_VALUES = 400  # an UPSERT counts its values twice against Route53's 1,000
RATIO_TARGET = 3.0
IMPORT_TARGET = 5.0
RESULTS = Path(__file__).parent / "RESULTS.md"
PROFILE = Path(__file__).parent / ".work" / "profile-powerdns-apply.txt"
TIMES = "\N{MULTIPLICATION SIGN}"

Result = measurement.Result


@dataclass
class Row:
    operation: str
    backend: str
    ours: Result
    peer: Result = None
    peer_note: str = "-"
    note: str = ""


def _run(*args: str, limit: float = WORKER_LIMIT) -> Result:
    return measurement.run("bench.provider_worker", *args, limit=limit)


def _best(*args: str, repeat: int) -> Result:
    return measurement.best("bench.provider_worker", *args, repeat=repeat)


def _connection(
    directory: Path, label: str, kind: str, config: dict[str, Any], secrets: dict[str, Any]
) -> str:
    path = directory / f"{label}.connection.json"
    path.write_text(json.dumps({"kind": kind, "config": config, "secrets": secrets}), encoding="utf-8")
    path.chmod(0o600)
    return str(path)


def _desired_yaml(directory: Path, zone: Zone) -> str:
    directory.mkdir(parents=True)
    path = directory / f"{ORIGIN}yaml"
    path.write_text(write_octodns(zone), encoding="utf-8")
    return str(path)


def _held(zone: Zone, kind: str) -> tuple[Zone, list[str]]:
    """The zone without the types ``kind`` cannot hold, and the names of the dropped types."""
    from dunops.providers import KINDS

    types = KINDS[kind].provider_class().capabilities.record_types
    dropped = sorted({rtype for _, rtype in zone.rrsets if rtype not in types})
    kept = Zone(zone.origin, soa=zone.soa)
    kept.rrsets = {key: rrset for key, rrset in zone.rrsets.items() if key[1] in types}
    return kept, dropped


# -- seeding ----------------------------------------------------------------------------------------


def _pdns_rrset(rrset: RRset) -> dict[str, Any]:
    return {
        "name": rrset.key,
        "type": rrset.rtype,
        "ttl": rrset.ttl,
        "changetype": "REPLACE",
        "records": [{"content": value, "disabled": False} for value in rrset.values],
    }


def seed_powerdns(pdns: servers.PowerDNS, zone: Zone) -> None:
    """(Re)create the zone through the API and load its RRsets in PATCHes of SEED_BATCH RRsets."""
    zone_id = ORIGIN
    if any(item["name"] == ORIGIN for item in pdns.request("GET", "/zones").json()):
        pdns.request("DELETE", f"/zones/{zone_id}")
    apex_ns = zone.get(ORIGIN, "NS")
    assert apex_ns is not None
    pdns.request(
        "POST", "/zones", json={"name": ORIGIN, "kind": "Native", "nameservers": list(apex_ns.values)}
    )
    rrsets = [rrset for key, rrset in sorted(zone.rrsets.items()) if key != (ORIGIN, "NS")]
    for start in range(0, len(rrsets), SEED_BATCH):
        batch = [_pdns_rrset(rrset) for rrset in rrsets[start : start + SEED_BATCH]]
        pdns.request("PATCH", f"/zones/{zone_id}", json={"rrsets": batch})


def seed_route53(moto: servers.Moto, zone: Zone) -> None:
    client = boto3.client(
        "route53",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        region_name="us-east-1",
        endpoint_url=moto.endpoint_url,
    )
    zone_id = client.create_hosted_zone(Name=ORIGIN, CallerReference="dunops-bench")["HostedZone"]["Id"]
    changes: list[dict[str, Any]] = []
    values = 0
    for rrset in zone.rrsets.values():
        record = {
            "Name": rrset.key,
            "Type": rrset.rtype,
            "TTL": rrset.ttl,
            "ResourceRecords": [{"Value": value} for value in rrset.values],
        }
        if values + len(rrset.values) > ROUTE53_BATCH_VALUES:
            client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
            changes, values = [], 0
        changes.append({"Action": "UPSERT", "ResourceRecordSet": record})
        values += len(rrset.values)
    if changes:
        client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


def _left_over(connection: str, desired: Zone) -> int:
    data = json.loads(Path(connection).read_text(encoding="utf-8"))
    provider = build(data["kind"], data["config"], data["secrets"], timeout=300.0, name="bench")
    return len(plan_changes(provider.fetch(ORIGIN), desired))


# -- the measurements -------------------------------------------------------------------------------


def _octodns_config(directory: Path, desired_dir: Path, pdns: servers.PowerDNS) -> str:
    port = pdns.api_url.rsplit(":", 1)[1]
    path = directory / "octodns.yaml"
    path.write_text(
        "providers:\n"
        "  config:\n"
        "    class: octodns.provider.yaml.YamlProvider\n"
        f"    directory: {desired_dir}\n"
        "  powerdns:\n"
        "    class: octodns_powerdns.PowerDnsProvider\n"
        "    host: 127.0.0.1\n"
        f"    port: {port}\n"
        f"    api_key: {pdns.api_key}\n"
        "    timeout: 300\n"
        "zones:\n"
        f"  {ORIGIN}:\n"
        "    sources: [config]\n"
        "    targets: [powerdns]\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return str(path)


def _powerdns(work: Path, zone: Zone, desired: Zone, started: list[servers.ServerProcess]) -> list[Row]:
    zone, dropped = _held(zone, "powerdns")
    desired, _ = _held(desired, "powerdns")
    pdns = servers.start_powerdns(work / "powerdns")
    started.append(pdns.process)
    seed_powerdns(pdns, zone)
    connection = _connection(work, "powerdns", "powerdns", {"url": pdns.api_url}, {"api_key": pdns.api_key})
    note = f"dropped types: {', '.join(dropped)}" if dropped else ""
    imported = _best("fetch", connection, ORIGIN, repeat=IMPORT_REPEAT)
    desired_dir = work / "desired-powerdns"
    desired_yaml = _desired_yaml(desired_dir, desired)
    ours = _run("apply", connection, desired_yaml, ORIGIN)
    seed_powerdns(pdns, zone)
    if os.environ.get("BENCH_PROFILE"):
        PROFILE.parent.mkdir(exist_ok=True)
        _run("apply", connection, desired_yaml, ORIGIN, "--profile", str(PROFILE))
        seed_powerdns(pdns, zone)
    theirs = _run("octodns", _octodns_config(work, desired_dir, pdns), ORIGIN, limit=OCTODNS_LIMIT)
    peer_note = f"timed out after {OCTODNS_LIMIT:.0f} s"
    if theirs is not None:
        theirs["left_over"] = _left_over(connection, desired)
        peer_note = f"{theirs['seconds']:.2f} s / {theirs['rss_mb']:.0f} MB"
    return [
        Row(f"import {len(zone):,} RRsets (fetch)", "PowerDNS 4.7 (HTTP API)", imported, note=note),
        Row(f"apply {_changes(ours)} changes", "PowerDNS 4.7 (HTTP API)", ours, theirs, peer_note, note),
    ]


def _bind(work: Path, zone: Zone, desired: Zone, started: list[servers.ServerProcess]) -> list[Row]:
    zone, dropped = _held(zone, "rfc2136")
    desired, _ = _held(desired, "rfc2136")
    bind = servers.start_bind(work / "bind", ORIGIN, write_bind(zone))
    started.append(bind.process)
    config = {
        "server": "127.0.0.1",
        "port": bind.port,
        "zones": [ORIGIN],
        "tsig_name": bind.key_name,
        "tsig_algorithm": bind.key_algorithm,
    }
    secrets = {"tsig_secret": bind.key_secret}
    connection = _connection(work, "bind", "rfc2136", config, secrets)
    note = f"dropped types: {', '.join(dropped)}" if dropped else ""
    imported = _best("fetch", connection, ORIGIN, repeat=IMPORT_REPEAT)
    desired_yaml = _desired_yaml(work / "desired-bind", desired)
    ours = _run("apply", connection, desired_yaml, ORIGIN)
    rows = [
        Row(f"import {len(zone):,} RRsets (fetch)", "BIND 9.18 (AXFR, TSIG)", imported, note=note),
        Row(f"apply {_changes(ours)} changes", "BIND 9.18 (RFC 2136, TSIG)", ours, note=note),
    ]
    return rows


def _route53(work: Path, zone: Zone, edits: Edits, started: list[servers.ServerProcess]) -> list[Row]:
    zone, dropped = _held(subset(zone, edits, MOTO_SIZE), "route53")
    desired, _ = _held(apply_edits(zone, edits), "route53")
    moto = servers.start_moto(work / "moto")
    started.append(moto.process)
    seed_route53(moto, zone)
    connection = _connection(
        work,
        "route53",
        "route53",
        {"endpoint_url": moto.endpoint_url},
        {"access_key_id": "bench", "secret_access_key": "bench"},
    )
    note = f"{len(zone):,}-RRset zone holding every RRset the changes touch"
    if dropped:
        note += f"; dropped types: {', '.join(dropped)}"
    imported = _run("fetch", connection, ORIGIN)
    ours = _run("apply", connection, _desired_yaml(work / "desired-route53", desired), ORIGIN)
    backend = f"Route53 (moto {_version('moto')})"
    return [
        Row(f"import {len(zone):,} RRsets (fetch)", backend, imported, note=note),
        Row(f"apply {_changes(ours)} changes", backend, ours, note=note),
    ]


# -- the report -------------------------------------------------------------------------------------


def _changes(result: Result) -> str:
    return "-" if result is None else f"{result['changes']:,}"


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _cell(result: Result) -> str:
    return "failed or timed out" if result is None else f"{result['seconds']:.2f} s"


def _breakdown(result: Result) -> str:
    if result is None or "apply" not in result:
        return ""
    outcomes = ", ".join(f"{count:,} {status}" for status, count in sorted(result["outcomes"].items()))
    if result.get("messages"):
        outcomes += f" ({result['messages'][0]})"
    return (
        f"read desired {result['read_desired']:.2f} s + fetch {result['fetch']:.2f} s + plan "
        f"{result['plan']:.2f} s + apply {result['apply']:.2f} s; {outcomes}; "
        f"{result['left_over']:,} RRsets differ from desired after"
    )


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| operation | backend | DunOps | peer: octodns-powerdns | ratio | peak RSS (DunOps) | details |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        ratio = "-"
        if row.ours is not None and row.peer is not None:
            ratio = f"**{row.peer['seconds'] / row.ours['seconds']:.1f}{TIMES}**"
        elif row.peer_note != "-":
            ratio = "n/a"
        rss = "-" if row.ours is None else f"{row.ours['rss_mb']:.0f} MB"
        details = "; ".join(part for part in (_breakdown(row.ours), row.note) if part)
        if row.peer is not None:
            details += (
                f"; octoDNS applied {row.peer['changes']:,} changes, "
                f"{row.peer['left_over']:,} RRsets differ from desired after"
            )
        lines.append(
            f"| {row.operation} | {row.backend} | {_cell(row.ours)} | {row.peer_note} | {ratio} "
            f"| {rss} | {details} |"
        )
    return lines


def targets(rows: list[Row]) -> list[str]:
    apply_row = next(row for row in rows if row.peer_note != "-")
    import_row = next(row for row in rows if row.backend.startswith("PowerDNS"))
    ratio_met = (
        apply_row.ours is not None
        and apply_row.peer is not None
        and apply_row.peer["seconds"] / apply_row.ours["seconds"] >= RATIO_TARGET
    )
    import_met = import_row.ours is not None and import_row.ours["seconds"] < IMPORT_TARGET
    ratio = "n/a"
    if apply_row.ours is not None and apply_row.peer is not None:
        ratio = f"{apply_row.peer['seconds'] / apply_row.ours['seconds']:.1f}{TIMES}"
    seconds = "-" if import_row.ours is None else f"{import_row.ours['seconds']:.2f} s"
    return [
        f"- Apply of the 5,000 changes to PowerDNS ≥ {RATIO_TARGET:.0f}{TIMES} faster than "
        f"octodns-powerdns: {ratio} — **{'met' if ratio_met else 'not met'}**.",
        f"- Import of {SIZE:,} RRsets from PowerDNS in < {IMPORT_TARGET:.0f} s: {seconds} — "
        f"**{'met' if import_met else 'not met'}**.",
    ]


def _server_version(argv: list[str], pattern: str) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "?"
    match = re.search(pattern, done.stdout + done.stderr)
    return match.group(1) if match else "?"


def hardware() -> str:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    pdns = _server_version(["pdns_server", "--version"], r"Authoritative Server (\S+)")
    bind = _server_version(["named", "-v"], r"BIND (\S+)")
    versions = ", ".join(
        f"{name} {_version(name)}"
        for name in ("octodns", "octodns-powerdns", "dnspython", "httpx", "boto3", "moto")
    )
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()} on {platform.system()}, "
        f"PowerDNS {pdns} (gsqlite3), BIND {bind}, {versions}; {datetime.date.today().isoformat()}"
    )


def section(rows: list[Row], level: str) -> str:
    dropped = "every backend holds every type, none dropped"
    if any("dropped types" in row.note for row in rows):
        dropped = "types a backend cannot hold are dropped for it, as its rows say"
    return "\n".join(
        [
            f"{level} Providers",
            "",
            f"`python -m bench --suite providers`: a {SIZE:,}-RRset zone from `bench/zonegen.py` (A, AAAA, "
            f"CNAME, TXT, MX, SRV, CAA, NS delegations; {dropped}), "
            "and 5,000 deterministic changes (2,000 updates, 1,500 creates, 1,500 deletes; "
            "`bench/changeset.py`). Real servers on 127.0.0.1, one run.",
            "",
            *table(rows),
            "",
            *targets(rows),
            "",
            f"{hardware()}.",
            "",
            "- Wall-clock seconds; peak RSS is `VmHWM` of the process that made the measurement. Imports "
            f"are the fastest of {IMPORT_REPEAT} runs; applies run once.",
            "- DunOps apply = read the desired zone (octoDNS YAML) → `fetch` → `plan_changes` → "
            "`Provider.apply` (validate the plan against the zone, re-read the zone and compare every "
            "touched RRset to its fingerprint, write, read the zone back). octodns-powerdns runs "
            "`Manager.sync(dry_run=False)` on a `YamlProvider` holding the same desired zone: its own "
            "read, plan and one PATCH. PowerDNS is reset to the same starting content before each.",
            f"- moto answers Route53 slowly, so its zone has {MOTO_SIZE:,} RRsets: every RRset the "
            "5,000 changes update or delete, plus the first others in name order; the changes are the same.",
        ]
    )


def write_results(text: str) -> None:
    """Put the section in bench/RESULTS.md, replacing an earlier "## Providers" section."""
    current = RESULTS.read_text(encoding="utf-8")
    pattern = re.compile(r"^## Providers\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text + "\n\n", current).rstrip() + "\n"
    else:
        updated = current.rstrip() + "\n\n" + text + "\n"
    RESULTS.write_text(updated, encoding="utf-8")


def main() -> None:
    print(f"generating {SIZE:,} RRsets and 5,000 changes", file=sys.stderr, flush=True)
    zone = generate(SIZE)
    edits = make_edits(zone)
    desired = apply_edits(zone, edits)
    temp = Path(tempfile.mkdtemp(prefix="dunops-bench-"))
    started: list[servers.ServerProcess] = []
    rows: list[Row] = []
    try:
        for name, measure in (
            ("PowerDNS", lambda: _powerdns(temp, zone, desired, started)),
            ("BIND", lambda: _bind(temp, zone, desired, started)),
            ("Route53 (moto)", lambda: _route53(temp, zone, edits, started)),
        ):
            print(f"{name}...", file=sys.stderr, flush=True)
            rows.extend(measure())
            for line in table(rows)[-2:]:
                print(line, file=sys.stderr, flush=True)
    finally:
        for process in started:
            process.stop()
        shutil.rmtree(temp, ignore_errors=True)
    text = section(rows, "##")
    print(text)
    write_results(text)


if __name__ == "__main__":
    main()
