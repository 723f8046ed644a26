"""The readers' fast paths give exactly what their general paths give, on the whole corpus and more."""

import re
from pathlib import Path

import pytest
import yaml
from bench.zonegen import generate, variant

from dunops.dns import RRsetKey, Zone, read_bind, read_octodns, write_bind, write_octodns
from dunops.dns.formats import bind, octodns, yamlfast
from dunops.dns.formats.yamlfast import load_yaml
from dunops.errors import ZoneInvalid

EDGE_CASES = (
    """$ORIGIN edge.example.
$TTL 300
@ IN SOA ns1 hostmaster 1 7200 900 1209600 300
@ NS ns1
  NS ns2
ns1 A 192.0.2.1
ns2 3600 IN A 192.0.2.2
spaced  TXT   "two  spaces"   "kept"  ; a comment
multi TXT "a"  "b"
class IN 60 A 192.0.2.3
lower 60 in a 192.0.2.4
units 1h A 192.0.2.5
big 2147483648 A 192.0.2.6
joined TXT "abc"def
embedded SVCB 1 svc.example.net. alpn="h2,h3"
semi TXT "a;b" ; "c"
parens TXT "(not a group)"
tab\tA\t192.0.2.7
Mixed.Case 60 CNAME Target.Example.NET.
@ 60 CAA 0 ISSUE "ca.example"
mx MX 10 mail
mx MX 20 mail
bad A 192.0.2.300
bogus 60 BOGUS data
empty 60 A
\\065bc A 192.0.2.9
bücher A 192.0.2.10
esc TXT "back\\\\slash"
bigtext TXT "LONG"
two 60 TXT "v=spf1 -all" "tail;(x)"
Two 60 TXT "second"
  60 TXT "blank owner"
@ 60 TXT "at apex" "two"
deep.Rel 60 MX 10 Mail
$ORIGIN Sub.edge.example.
$TTL 1h
idn.bücher 60 A 192.0.2.12
idn.bücher 60 A 192.0.2.13
x 60 CNAME @
x2 60 CNAME y.Sub.edge.example.
*.wild 60 A 192.0.2.14
LABEL64 60 A 192.0.2.15
NAME254 60 A 192.0.2.16
$INCLUDE A 192.0.2.11
""".replace("LONG", "\u00e9" * 200)
    .replace("LABEL64", "a" * 64)
    .replace("NAME254", ".".join(["b" * 63] * 4))
)
# 400 octets in one character-string, a label of 64 octets and a name of 274: refused on either path


def _read(
    text: str, *, fast: bool, origin: str | None = "fallback.example."
) -> tuple[Zone | None, dict[RRsetKey, str], list[str]]:
    positions: dict[RRsetKey, str] = {}
    with pytest.MonkeyPatch.context() as patch:
        if not fast:
            patch.setattr(bind, "_FAST_RECORD", re.compile(r"(?!)"))
        try:
            zone = read_bind(text, origin, positions=positions)
        except ZoneInvalid as exc:
            return None, positions, [str(problem) for problem in exc.problems]
    return zone, positions, []


def _texts(corpus: Path) -> list[str]:
    texts = [path.read_text() for path in sorted(corpus.glob("*")) if path.suffix in (".zone", ".db")]
    zone = generate(3000)
    texts += [write_bind(zone), write_bind(variant(zone)), EDGE_CASES, EDGE_CASES.replace("bad A", "good A")]
    without_errors = "\n".join(
        line for line in EDGE_CASES.splitlines() if not line.startswith(("bad", "bogus", "empty", "big"))
    )
    texts.append(without_errors + "\n")
    texts.append("abs.example. 60 A 192.0.2.1\n  60 TXT x\n@ 60 A 192.0.2.2\nrel 60 A 192.0.2.3\n")
    texts.append(
        "$ORIGIN .\n$TTL 60\ncom NS a.\nX.com A 192.0.2.1\nx.Com A 192.0.2.2\n$ORIGIN com.\nx A 192.0.2.3\n"
    )
    return texts


def test_bind_fast_path_agrees_with_the_general_tokenizer(corpus: Path) -> None:
    for text in _texts(corpus):
        for origin in ("fallback.example.", None):
            assert _read(text, fast=True, origin=origin) == _read(text, fast=False, origin=origin)
    assert _read(EDGE_CASES.replace("bad A", "good A"), fast=True)[2] != []  # other errors remain


def test_bind_fast_path_takes_the_usual_lines(corpus: Path) -> None:
    lines = write_bind(generate(500)).splitlines()[2:]
    assert all(bind._FAST_RECORD.match(line) for line in lines)
    assert bind._FAST_RECORD.match('spaced  TXT   "two  spaces"   "kept"') is None
    assert bind._FAST_RECORD.match('joined TXT "abc"def') is None


def test_fast_yaml_loader_agrees_with_pyyaml_on_generated_zones() -> None:
    zone = generate(3000)
    for text in (write_octodns(zone), write_octodns(variant(zone))):
        assert load_yaml(text) == yaml.safe_load(text)


def _read_octodns_whole(text: str) -> tuple[Zone | None, dict[RRsetKey, str], list[str]]:
    positions: dict[RRsetKey, str] = {}
    try:
        data = load_yaml(text)
        zone = octodns._zone_from_items(data.items(), "example.com.", "<yaml>", positions, streaming=False)
    except ZoneInvalid as exc:
        return None, positions, [str(problem) for problem in exc.problems]
    return zone, positions, []


def _read_octodns(text: str) -> tuple[Zone | None, dict[RRsetKey, str], list[str]]:
    positions: dict[RRsetKey, str] = {}
    try:
        zone = read_octodns(text, "example.com.", positions=positions)
    except ZoneInvalid as exc:
        return None, positions, [str(problem) for problem in exc.problems]
    return zone, positions, []


def test_octodns_streaming_reader_agrees_with_reading_the_whole_document(corpus: Path) -> None:
    zone = generate(3000)
    texts = [path.read_text() for path in sorted(corpus.glob("*.yaml"))]
    texts += [write_octodns(zone), write_octodns(variant(zone))]
    texts += [
        "www:\n  type: A\n  value: 192.0.2.1\nWWW:\n  type: AAAA\n  value: 2001:db8::1\n",
        "www:\n  type: A\n  value: 192.0.2.1\nmail:\n  type: A\n  value: 192.0.2.2\nwww:\n  type: TXT\n"
        "  value: x\n",
        "a:\n  type: A\n  value: 192.0.2.300\nb:\n  type: BOGUS\n  value: x\nc: [1, 2]\n",
        "a:\n  type: A\n  value: 192.0.2.300\nb:\n  type: MX\n  value: {preference: 10}\n",
    ]
    for text in texts:
        assert _read_octodns(text) == _read_octodns_whole(text)


STRUCTURED_YAML = [
    "mx:\n  ttl: 300\n  type: MX\n  values:\n  - exchange: a.example.\n    preference: 10\n"
    "  - exchange: b.example.\n    preference: 20\n",
    "srv:\n  ttl: 300\n  type: SRV\n  value:\n    port: 5060\n    priority: 10\n"
    "    target: x.\n    weight: 1\n",
    "caa:\n  ttl: 300\n  type: CAA\n  values:\n  - flags: 0\n    tag: issue\n    value: 'ca.example; x=y'\n",
    "n:\n  ttl: 300\n  type: X\n  value:\n    nested:\n      deeper: 1\n    flat: yes\n",
    "t:\n  ttl: 300\n  type: X\n  value:\n    trailing: spaces   \n    'quoted key': \"v\"\n",
    "c:\n  ttl: 300\n  type: X\n  value:\n    a: 1 # comment\n",
    "s:\n  ttl: 300\n  type: X\n  values:\n  - plain\n  - k: v\n    k2: v2\n",
    "d:\n  ttl: 300\n  type: X\n  values:\n  - k: v\n    k: again\n  - k: 1:20\n    j: 0x1f\n",
    "e:\n  ttl: 300\n  type: X\n  value:\n    k: [1, 2]\n",
]


@pytest.mark.parametrize("text", STRUCTURED_YAML)
def test_fast_yaml_loader_agrees_with_pyyaml_on_mapping_values(text: str) -> None:
    assert load_yaml(text) == yaml.safe_load(text)


def test_usual_octodns_records_take_the_fast_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: object, text: str, *_: object) -> None:
        raise AssertionError(f"general parser used for {text!r}")

    monkeypatch.setattr(yamlfast._LineReader, "__init__", refuse)
    assert len(dict(yamlfast.iter_top_level(write_octodns(generate(2000))))) > 1000
