"""The engine against its peers on their own test material, file by file, record by record.

``peers/upstream/`` holds the zone files of the test suites of BIND, NSD, Knot (zscanner, with its
expected output), dnspython and octoDNS, each with its licence and a ``SOURCES.md``. Each file is read
as ``dunops zone validate`` reads it (the reader, then every check, strict) and by its peers: BIND's
``named-checkzone -D`` for every zone file, Knot's expected output for its own cases, dnspython for
its files and the SVCB vectors, octoDNS 1.22's ``YamlProvider`` for octoDNS's zone YAML. The outcome
of each (peer, file) is one of:

* ``equal`` -- both read it, and every record is the same, wire octets compared;
* ``both-refuse`` -- both refuse it;
* ``engine-refuses`` -- the peer reads it, the engine refuses it;
* ``peer-refuses`` -- the engine reads it, the peer refuses it;
* ``differ`` -- both read it, and the records differ.

Every outcome other than the first two is listed in ``peers/upstream/differences.tsv`` with the
reason DunOps is right (each reason is explained, with its RFC, in ``peers/DIFFERENCES.md``). The test
fails on an outcome that is not listed, and on a listed one that is no longer what happens, so the
list stays true. ``python -m tests.dns.test_upstream_peers`` prints the current outcomes in the list's
format, with the reasons already listed kept.
"""

from __future__ import annotations

import re
import shutil
import sys
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest

from dunops.dns import RRsetKey, Zone, check_zone, read_bind, write_bind
from dunops.dns.formats.octodns import read_octodns
from dunops.errors import InvalidInput
from tests.dns.test_peers import bind_dump

UPSTREAM = Path(__file__).parent / "peers" / "upstream"
LISTED = UPSTREAM / "differences.tsv"
Records = set[tuple[bytes, str, int, bytes]]

KNOT = UPSTREAM / "knot" / "tests" / "libzscanner" / "data"
DNSPYTHON = UPSTREAM / "dnspython" / "tests"
OCTODNS = UPSTREAM / "octodns" / "tests" / "config"
BIND_MASTER = UPSTREAM / "bind9" / "tests" / "dns" / "testdata" / "master"


@dataclass(frozen=True)
class Case:
    """One file and the peer it is compared with."""

    peer: str
    path: Path
    origin: str

    @property
    def name(self) -> str:
        return self.path.relative_to(UPSTREAM).as_posix()

    def __str__(self) -> str:
        return f"{self.peer}:{self.name}"


def _origin_of(path: Path) -> str:
    """The zone a test file holds: as the test's ``named.conf`` names it (``bind9/origins.tsv``), else
    as the file's first SOA names it, else after the file (``example.db`` is ``example.``, ``root.db``
    the root); BIND's master-file unit tests read their files as ``test.``."""
    if path.parent == BIND_MASTER:
        return "test."
    named = (
        _NAMED.get(path.relative_to(UPSTREAM / "bind9").as_posix())
        if path.is_relative_to(UPSTREAM / "bind9")
        else None
    )
    if named:
        return named
    origin = ""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        words = line.split(";", 1)[0].split()
        if len(words) >= 2 and words[0].upper() == "$ORIGIN":
            origin = words[1] if words[1].endswith(".") else ""
        elif "SOA" in (word.upper() for word in words[1:4]) and not line[:1].isspace():
            owner = words[0]
            if owner.endswith("."):
                return owner
            if origin:
                return origin if owner == "@" else f"{owner}.{origin}".replace("..", ".")
            break
    stem = path.name.rsplit(".", 1)[0]
    return "." if stem in ("root", "root.hint", "hint", "root2") else stem.rstrip(".") + "."


_NAMED = dict(
    line.split("\t")[:2]
    for line in (UPSTREAM / "bind9" / "origins.tsv").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
)


def cases() -> list[Case]:
    found: list[Case] = []
    for project, pattern in (("bind9", "**/*.db"), ("bind9", "**/*.data"), ("nsd", "**/*.zone")):
        found += [Case("bind", p, _origin_of(p)) for p in sorted((UPSTREAM / project).glob(pattern))]
    for path in sorted(KNOT.glob("*.in")):  # zscanner reads every case with the root as origin
        found += [Case("bind", path, "."), Case("knot", path, ".")]
    for path in [DNSPYTHON / "example", *sorted(DNSPYTHON.glob("svcb_test_vectors.*"))]:
        origin = "example." if path.name == "example" else "example.com."
        found += [Case("bind", path, origin), Case("dnspython", path, origin)]
    found += [Case("octodns", p, p.name.removesuffix("yaml")) for p in sorted(OCTODNS.rglob("*.yaml"))]
    return found


# -- reading ---------------------------------------------------------------------------------------


def _records(zone: dns.zone.Zone) -> Records:
    origin = zone.origin
    out: Records = set()
    for name, node in zone.nodes.items():
        absolute = name.derelativize(origin) if origin is not None else name
        for rdataset in node.rdatasets:
            for rdata in rdataset:
                owner = absolute.canonicalize().to_wire()
                out.add((owner, dns.rdatatype.to_text(rdataset.rdtype), rdataset.ttl, rdata.to_digestable()))
    return out


def _from_text(text: str, origin: str) -> Records:
    return _records(dns.zone.from_text(text, origin, relativize=False, check_origin=False))


def _text(case: Case, directory: Path) -> Path:
    """The file as its peers read it: zscanner's ``@TMPDIR@`` put in, SVCB vectors made records."""
    text = case.path.read_text(encoding="utf-8", errors="surrogateescape")
    if case.path.parent == KNOT:  # as zscanner's test runs them: beside a copy of includes/
        shutil.copytree(KNOT / "includes", directory / "includes", dirs_exist_ok=True)
        text = text.replace("@TMPDIR@", str(directory))
    elif case.path.name.startswith("svcb_test_vectors"):
        text = _svcb_zone(text)
    else:
        return case.path
    written = directory / case.path.name
    written.write_text(text, encoding="utf-8", errors="surrogateescape")
    return written


def _svcb_zone(vectors: str) -> str:
    """dnspython's SVCB vectors (one RDATA each, blank lines and comments between) as a zone."""
    lines = ["$ORIGIN example.com.", "$TTL 300", "@ SOA ns hostmaster 1 2 3 4 5", "@ NS ns", "ns A 192.0.2.1"]
    depth, count = 0, 0
    for line in vectors.splitlines():
        body = line.split(";", 1)[0].strip()
        if not body:
            continue
        if depth == 0:
            count += 1
            body = f"v{count} SVCB {body}"
        depth += body.count("(") - body.count(")")
        lines.append(body)
    return "\n".join(lines) + "\n"


def engine(path: Path, origin: str, name: str) -> Zone:
    """The zone as ``dunops zone validate`` reads it: the reader, then every check, strict."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:  # the command exits 2: it reads zone files as UTF-8 text
        raise InvalidInput.single(f"not UTF-8: {exc.reason}", name, "not-utf-8") from exc
    positions: dict[RRsetKey, str] = {}
    if path.suffix == ".yaml":
        zone = read_octodns(text, origin, filename=name, positions=positions)
    else:
        zone = read_bind(text, origin, filename=name, include_dir=path.parent, positions=positions)
    check_zone(zone, positions=positions)
    return zone


def _engine_records(zone: Zone) -> Records:
    return _from_text(write_bind(zone), zone.origin)


def bind(path: Path, origin: str) -> Records | None:
    """BIND's reading of a file, or None when BIND refuses it."""
    dump = bind_dump(path, origin)
    return None if dump is None else _dump_records(dump)


def _dump_records(dump: str) -> Records:
    """BIND's ``-D`` dump, one record a line with absolute owners, read line by line: data dnspython
    cannot read is kept as its text, so that it differs from whatever the engine made of it."""
    out: Records = set()
    for line in dump.splitlines():
        if not line or line.startswith(";"):
            continue
        owner, ttl, _, rtype, *rest = line.split(None, 4)
        name = dns.name.from_text(owner).canonicalize().to_wire()
        data = rest[0] if rest else ""
        if rtype in ("NID", "L64"):  # BIND writes a group without its leading zeros, as RFC 6742 allows
            data = re.sub(
                r"(?<![0-9A-Fa-f])([0-9A-Fa-f]{1,3})(?=:|\s*$)|(?<=:)([0-9A-Fa-f]{1,3})\b",
                lambda m: m[0].zfill(4),
                data,
            )
        try:
            rdtype = dns.rdatatype.from_text(rtype)
            rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, data)
            rtype, wire = dns.rdatatype.to_text(rdtype), rdata.to_digestable()
        except (dns.exception.DNSException, ValueError):
            wire = b"text: " + line.encode()
        out.add((name, rtype, int(ttl), wire))
    return out


def knot(path: Path) -> Records | None:
    """zscanner's expected records for a case it reads without an error or a warning."""
    expected = path.with_suffix(".out").read_text(encoding="utf-8")
    if re.search(r"^(ERROR|WARNG)=", expected, re.MULTILINE):
        return None
    out: Records = set()
    for block in expected.split("------"):
        fields = dict(re.findall(r"^(\w+)=(\S*)$", block, re.MULTILINE))
        if "RTYPE" not in fields:
            continue
        rtype = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(int(fields["RTYPE"], 16)))
        owner = dns.name.from_wire(bytes.fromhex(fields["OWNER"]), 0)[0].canonicalize().to_wire()
        rdata = bytes.fromhex(fields["RDATA"])
        wire = dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), rdata, 0, len(rdata))
        out.add((owner, rtype, int(fields["RRTTL"], 16), wire.to_digestable()))
    return out


def dnspython(path: Path, origin: str) -> Records | None:
    try:
        return _from_text(path.read_text(encoding="utf-8"), origin)
    except (dns.exception.DNSException, ValueError):
        return None


def octodns(path: Path, origin: str) -> Records | None:
    from octodns.provider.yaml import YamlProvider
    from octodns.zone import Zone as OctoZone

    provider = YamlProvider("peer", str(path.parent), escaped_semicolons=True)
    zone = OctoZone(origin, [])
    try:
        with warnings.catch_warnings():  # octoDNS's deprecation warnings are not refusals
            warnings.simplefilter("ignore")
            provider.populate(zone)
    except Exception:  # octoDNS refuses with exceptions of many kinds
        return None
    lines = []
    for record in zone.records:
        values = record.values if hasattr(record, "values") else [record.value]
        lines += [f"{record.fqdn} {record.ttl} IN {record._type} {v.to_rdata_text()}" for v in values]
    return _dump_records("\n".join(lines))


def outcome(case: Case, directory: Path) -> tuple[str, str]:
    """(outcome, detail) of one case; the detail is why the engine refuses, or what differs."""
    path = _text(case, directory)
    try:
        mine: Records | None = _engine_records(engine(path, case.origin, case.name))
        why = ""
    except InvalidInput as exc:
        mine, why = None, "; ".join(sorted({f"[{p.code}] {p.message}"[:120] for p in exc.problems})[:3])
    if case.peer == "bind":
        theirs = bind(path, case.origin)
    elif case.peer == "knot":
        theirs = knot(case.path)
        if theirs is None and mine is not None:
            return "peer-refuses", "zscanner reports an error or a warning for this case"
    elif case.peer == "dnspython":
        theirs = dnspython(path, case.origin)
    else:
        theirs = octodns(path, case.origin)
        if mine is not None:
            mine = {record for record in mine if record[1] != "SOA"}  # octoDNS keeps no SOA
    if mine is None and theirs is None:
        return "both-refuse", why
    if mine is None:
        return "engine-refuses", why
    if theirs is None:
        return "peer-refuses", ""
    if mine == theirs:
        return "equal", ""
    return "differ", _describe(mine - theirs, theirs - mine)


def _describe(only_engine: Records, only_peer: Records) -> str:
    def show(records: Records) -> list[str]:
        return sorted(f"{dns.name.from_wire(n, 0)[0]} {t}" for n, t, _, _ in records)[:3]

    return f"only the engine: {show(only_engine)}; only the peer: {show(only_peer)}"


# -- the list of differences -----------------------------------------------------------------------


def listed() -> dict[str, tuple[str, str]]:
    """``peer:file`` -> (outcome, reason) as ``differences.tsv`` lists them."""
    entries: dict[str, tuple[str, str]] = {}
    for line in LISTED.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, result, reason = line.split("\t")[:3]
            entries[key] = (result, reason)
    return entries


def reasons() -> set[str]:
    """The reasons ``DIFFERENCES.md`` explains: its rows whose first cell is a reason id in backquotes."""
    text = (UPSTREAM.parent / "DIFFERENCES.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z0-9-]+)` \|", text, re.MULTILINE))


AGREE = {"equal", "both-refuse"}


@pytest.mark.parametrize("case", cases(), ids=str)
def test_the_engine_reads_upstream_test_material_as_its_peers_do(case: Case, tmp_path: Path) -> None:
    result, detail = outcome(case, tmp_path)
    entry = listed().get(str(case))
    if result in AGREE:
        assert entry is None, f"{case} is listed as {entry} but the engine and {case.peer} now agree"
        return
    assert entry is not None, f"{case}: {result} ({detail}), and not listed in differences.tsv"
    assert entry[0] == result, f"{case}: {result} ({detail}), but listed as {entry[0]}"


def test_every_listed_difference_has_an_explained_reason() -> None:
    explained = reasons()
    known = {str(case) for case in cases()}
    for key, (result, reason) in listed().items():
        assert key in known, f"{key} is listed but is not in the corpus"
        assert result not in AGREE, f"{key}: {result} is no difference"
        assert reason in explained, f"{key}: reason {reason!r} is not explained in DIFFERENCES.md"


def main() -> None:
    import tempfile

    kept = listed() if LISTED.exists() else {}
    counts: Counter[tuple[str, str]] = Counter()
    with tempfile.TemporaryDirectory() as directory:
        for case in cases():
            result, detail = outcome(case, Path(directory))
            counts[case.peer.split(":")[0], result] += 1
            if result not in AGREE:
                reason = kept.get(str(case), ("", "unexplained"))[1]
                print(f"{case}\t{result}\t{reason}\t{detail}")
    for (peer, result), count in sorted(counts.items()):
        print(f"# {peer}\t{result}\t{count}", file=sys.stderr)


if __name__ == "__main__":
    main()
