"""The engine against its peers, record by record, on the zone files in ``peers/``.

BIND (``named-checkzone -D``, the reference for zone files), dnspython and octoDNS 1.22 (the reference
for its YAML) read the same files as the engine; every record must agree, wire octets compared. A file
under ``peers/refused/`` must be refused by BIND and by the engine alike. Round trips BIND -> engine ->
BIND and engine -> octoDNS YAML -> octoDNS must be exact. Every difference a peer shows is either fixed
or listed in ``peers/DIFFERENCES.md`` with the reason DunOps is right.

A directory of further zone files (other projects' test material) can be compared the same way by
pointing ``DUNOPS_PEER_CORPUS`` at it; each file names its zone in a first line ``; zone: NAME.``, or
is read as the zone its SOA names.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest

from dunops.dns import RRsetKey, Zone, check_zone, read_bind, write_bind, write_octodns
from dunops.errors import ZoneInvalid
from tests.support import missing_server

PEERS = Path(__file__).parent / "peers"
Records = set[tuple[bytes, str, int, bytes]]

_CHECKZONE = shutil.which("named-checkzone") or "/usr/sbin/named-checkzone"


def _corpus() -> list[Path]:
    files = sorted(PEERS.glob("*.db"))
    extra = os.environ.get("DUNOPS_PEER_CORPUS")
    if extra:
        files += sorted(p for p in Path(extra).rglob("*") if p.suffix in (".db", ".zone") and p.is_file())
    return files


def _zone_name(path: Path) -> str:
    first = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
    match = re.match(r";\s*zone:\s*(\S+)", first)
    if match:
        return match[1]
    return read_bind(path.read_text(encoding="utf-8")).origin


def _documented() -> set[tuple[str, str]]:
    """(peer, file) pairs that DIFFERENCES.md explains."""
    text = (PEERS / "DIFFERENCES.md").read_text(encoding="utf-8")
    return {(m[1], m[2]) for m in re.finditer(r"^\| (\w+) \| `([^`]+)` \|", text, re.MULTILINE)}


def _records(zone: dns.zone.Zone) -> Records:
    origin = zone.origin
    out: Records = set()
    for name, node in zone.nodes.items():
        absolute = name.derelativize(origin) if origin is not None else name
        for rdataset in node.rdatasets:
            for rdata in rdataset:
                out.add(
                    (
                        absolute.canonicalize().to_wire(),
                        dns.rdatatype.to_text(rdataset.rdtype),
                        rdataset.ttl,
                        rdata.to_digestable(origin),
                    )
                )
    return out


def _from_text(text: str, origin: str) -> Records:
    return _records(dns.zone.from_text(text, origin, relativize=False, check_origin=False))


def bind_dump(path: Path, origin: str) -> str | None:
    """BIND's dump of a file (absolute owners, its canonical data), or None when BIND refuses it."""
    if not Path(_CHECKZONE).exists():
        missing_server("named-checkzone (bind9)")
    result = subprocess.run(
        [
            _CHECKZONE,
            "-q",
            "-i",
            "none",
            "-k",
            "ignore",
            "-D",
            "-o",
            "-",
            origin.rstrip(".") or ".",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=path.parent,
    )
    return result.stdout if result.returncode == 0 else None


def _engine(path: Path, origin: str | None) -> Zone | None:
    try:
        return read_bind(path.read_text(encoding="utf-8"), origin, filename=path.name)
    except ZoneInvalid:
        return None


def _engine_records(zone: Zone) -> Records:
    return _from_text(write_bind(zone), zone.origin)


def _differences(path: Path) -> Iterator[tuple[str, str]]:
    """(peer, what) for each way a peer reads ``path`` otherwise than the engine."""
    origin = _zone_name(path)
    engine = _engine(path, None if path.parent == PEERS else origin)
    dump = bind_dump(path, origin)
    if engine is None or dump is None:
        if (engine is None) != (dump is None):
            yield "bind", f"{'the engine' if engine is None else 'BIND'} alone refuses it"
        return
    mine = _engine_records(engine)
    theirs = _from_text(dump, origin)
    if engine.origin != dns.name.from_text(origin).to_text().lower():
        yield "bind", f"the engine reads it as {engine.origin}"
    if mine != theirs:
        yield "bind", _describe(mine - theirs, theirs - mine)
    try:
        python = _records(
            dns.zone.from_text(path.read_text(encoding="utf-8"), origin, relativize=False, check_origin=False)
        )
    except (dns.exception.DNSException, ValueError) as exc:
        yield "dnspython", f"dnspython refuses it: {exc}"
    else:
        if python != mine:
            yield "dnspython", _describe(mine - python, python - mine)


def _describe(only_engine: Records, only_peer: Records) -> str:
    def show(records: Records) -> list[str]:
        return sorted(f"{dns.name.from_wire(n, 0)[0]} {t} {ttl}" for n, t, ttl, _ in records)[:5]

    return f"only the engine: {show(only_engine)}; only the peer: {show(only_peer)}"


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_the_engine_reads_each_file_as_its_peers_do(path: Path) -> None:
    documented = _documented()
    unexplained = [
        f"{peer}: {what}" for peer, what in _differences(path) if (peer, path.name) not in documented
    ]
    assert unexplained == [], f"{path.name}: differences not in DIFFERENCES.md"


def _read_and_check(path: Path, origin: str) -> None:
    positions: dict[RRsetKey, str] = {}
    zone = read_bind(path.read_text(encoding="utf-8"), origin, filename=path.name, positions=positions)
    check_zone(zone, positions=positions)


@pytest.mark.parametrize("path", sorted((PEERS / "refused").glob("*.db")), ids=lambda p: p.name)
def test_what_bind_refuses_the_engine_refuses_with_its_place(path: Path) -> None:
    origin = _zone_name(path)
    assert bind_dump(path, origin) is None, "BIND reads this file: it belongs in peers/"
    with pytest.raises(ZoneInvalid) as caught:
        _read_and_check(path, origin)
    assert all(problem.location.startswith(f"{path.name}:") for problem in caught.value.problems)


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_bind_to_engine_to_bind_is_exact(path: Path, tmp_path: Path) -> None:
    origin = _zone_name(path)
    dump = bind_dump(path, origin)
    assert dump is not None, "BIND refuses this file: it belongs in refused/"
    engine = read_bind(dump, origin)  # BIND's own dump: $ORIGIN-less, absolute owners
    assert engine.origin == dns.name.from_text(origin).to_text().lower()
    written = tmp_path / "again.db"
    written.write_text(write_bind(engine))
    again = bind_dump(written, origin)
    assert again is not None, "BIND refuses what the engine wrote"
    if ("roundtrip", path.name) not in _documented():
        assert _from_text(again, origin) == _from_text(dump, origin)


def _octodns_records(directory: Path, origin: str) -> Records:
    from octodns.provider.yaml import YamlProvider
    from octodns.zone import Zone as OctoZone

    # octoDNS's defaults (enforced order, strict records), the deprecated default stated outright
    provider = YamlProvider("peers", str(directory), escaped_semicolons=True)
    zone = OctoZone(origin, [])
    provider.populate(zone)
    lines = [f"$ORIGIN {origin}"]
    for record in zone.records:
        owner = record.fqdn
        values = record.values if hasattr(record, "values") else [record.value]
        lines.extend(f"{owner} {record.ttl} IN {record._type} {value.to_rdata_text()}" for value in values)
    return _from_text("\n".join(lines) + "\n", origin)


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_engine_to_octodns_yaml_to_octodns_is_exact(path: Path, tmp_path: Path) -> None:
    origin = _zone_name(path)
    engine = _engine(path, origin)
    assert engine is not None, "the engine refuses this file: it belongs in refused/"
    dropped: list[str] = []
    (tmp_path / f"{engine.origin}yaml").write_text(write_octodns(engine, dropped), encoding="utf-8")
    kept = engine.copy()
    kept.soa = None
    for line in dropped:
        name, rtype = line.split(":", 1)[0].split(" ")[:2]
        kept.remove(name, rtype)
    assert _octodns_records(tmp_path, engine.origin) == _engine_records(kept)
    for line in dropped:  # every record left out is named, with the reason
        assert re.match(r"\S+ [A-Z]+: ", line), line
