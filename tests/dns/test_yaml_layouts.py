"""The fast YAML reader gives exactly what PyYAML's safe loader gives, on every layout people and tools
write (octoDNS's own dump, DunOps's writer, hand-written files) and on generated documents; one unusual
name is read by PyYAML alone, not the whole file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from bench.layouts import LAYOUTS, layout
from bench.zonegen import ORIGIN, generate, variant
from hypothesis import given, settings
from hypothesis import strategies as st

from dunops.dns import RRset, RRsetKey, Zone, read_octodns, write_octodns
from dunops.dns.formats import octodns, yamlfast
from dunops.dns.formats.yamlfast import AnchorRefused, OutsideFastSubset, iter_top_level, load_yaml
from dunops.errors import ZoneInvalid

ERROR = "error"


def _pyyaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return ERROR


def _fast(text: str) -> Any:
    try:
        return load_yaml(text)
    except yaml.YAMLError:
        return ERROR


def _read(text: str, *, whole: bool) -> tuple[Zone | None, dict[RRsetKey, str], list[str]]:
    positions: dict[RRsetKey, str] = {}
    try:
        if whole:
            data = yaml.load(text, Loader=yaml.CSafeLoader) or {}
            zone = octodns._zone_from_items(data.items(), ORIGIN, "<yaml>", positions, streaming=False)
        else:
            zone = read_octodns(text, ORIGIN, positions=positions)
    except ZoneInvalid as exc:
        return None, positions, [str(problem) for problem in exc.problems]
    return zone, positions, []


@pytest.fixture(scope="module")
def layouts() -> dict[str, list[str]]:
    zone = generate(1500)
    sources = [write_octodns(zone), write_octodns(variant(zone))]
    return {name: [layout(name, text, ORIGIN) for text in sources] for name in LAYOUTS}


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    entries: list[int] = []
    original = yamlfast._with_pyyaml

    def counted(chunk: list[str]) -> Any:
        entries.append(len(chunk))
        return original(chunk)

    monkeypatch.setattr(yamlfast, "_with_pyyaml", counted)
    return entries


@pytest.mark.parametrize("name", LAYOUTS)
def test_every_layout_reads_as_pyyaml_reads_it(layouts: dict[str, list[str]], name: str) -> None:
    for text in layouts[name]:
        assert load_yaml(text) == _pyyaml(text)
        assert list(iter_top_level(text)) == list(_pyyaml(text).items())
        assert _read(text, whole=False) == _read(text, whole=True)


@pytest.mark.parametrize("name", LAYOUTS)
def test_every_layout_stays_off_pyyaml_but_for_octodns_apex_key(
    layouts: dict[str, list[str]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = _counting(monkeypatch)
    for text in layouts[name]:
        assert len(list(iter_top_level(text))) > 1000
    assert sum(entries) == (0 if name in ("dunops", "hand") else 2)  # "? ''" (the apex key) in each file


@pytest.mark.parametrize("name", LAYOUTS)
def test_every_layout_takes_the_record_shapes(
    layouts: dict[str, list[str]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: object, text: str, *_: object) -> None:
        raise AssertionError(f"line-based reader used for {text!r}")

    monkeypatch.setattr(yamlfast, "_with_pyyaml", lambda entries: yaml.safe_load("".join(entries)).items())
    monkeypatch.setattr(yamlfast._LineReader, "__init__", refuse)
    for text in layouts[name]:
        assert len(list(iter_top_level(text))) > 1000


def test_names_with_several_types_take_the_record_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    zone = generate(300)
    for owner in (ORIGIN, f"www.{ORIGIN}", f"mail.{ORIGIN}"):
        zone.add(RRset.parse(owner, "A", 300, ["192.0.2.1", "192.0.2.2"], ORIGIN), replace=True)
        zone.add(RRset.parse(owner, "AAAA", 3600, ["2001:db8::1"], ORIGIN), replace=True)
        zone.add(RRset.parse(owner, "TXT", 3600, ['"v=spf1 mx -all"'], ORIGIN), replace=True)
        zone.add(RRset.parse(owner, "MX", 3600, ["10 mx1.example.net.", "20 mx2.example.net."], ORIGIN))
        zone.add(RRset.parse(owner, "CAA", 3600, ['0 issue "ca.example"'], ORIGIN), replace=True)
    source = write_octodns(zone)
    line_read: list[str] = []
    original = yamlfast._LineReader.__init__

    def noted(self: Any, text: str, scalar: Any) -> None:
        line_read.append(text)
        original(self, text, scalar)

    monkeypatch.setattr(yamlfast._LineReader, "__init__", noted)
    for name in ("octodns", "dunops", "indented"):
        text = layout(name, source, ORIGIN)
        assert "- type: AAAA\n" in text or "- ttl: 3600\n  type: AAAA" in text or "type: AAAA" in text
        assert list(iter_top_level(text)) == list(_pyyaml(text).items())
        assert _read(text, whole=False) == _read(text, whole=True)
        assert [entry for entry in line_read if not entry.startswith("?")] == []


def test_octodns_dump_layout_is_what_octodns_writes(layouts: dict[str, list[str]]) -> None:
    text = layouts["octodns"][0]
    assert text.startswith("---\n? ''\n: ")
    assert "\n- type: " in text or "\n- octodns:" in text or "  - " in text
    assert "\n  ttl: 3600\n" not in text  # octoDNS leaves the default TTL out


def test_one_unusual_name_is_read_by_pyyaml_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [f"host{i}:\n  type: A\n  value: 192.0.2.{i}\n" for i in range(1, 200)]
    lines[100] = "odd:\n  type: TXT\n  value: |\n    folded\n    text\n"
    lines[150] = "tab:\n  type: A\n  value:\t192.0.2.7\n"
    text = "".join(lines)
    entries = _counting(monkeypatch)
    assert list(iter_top_level(text)) == list(_pyyaml(text).items())
    assert entries == [1, 1]
    assert _read(text, whole=False) == _read(text, whole=True)


DOCUMENTS = [
    "",
    "# only a comment\n",
    "---\n",
    "---\n# comment\nwww:\n  type: A\n  value: 192.0.2.1\n",
    "- not\n- a mapping\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\n...\n",
    "%YAML 1.1\n---\na: 1\n",
    "  indented: 1\nb: 2\n",
    "? ''\n: - type: A\n    value: 192.0.2.1\nwww:\n- type: A\n  value: 192.0.2.2\n",
    "www:\n  - type: A\n    values:\n      - 192.0.2.1\n      - 192.0.2.2  # second\n",
    "www:\n- type: A\n  values: [192.0.2.1, 192.0.2.2]\n"
    "- type: MX\n  value: {exchange: mx., preference: 10}\n",
    "'quoted':\n  type: A\n  value: 192.0.2.1\n\"double\":\n  type: A\n  value: 192.0.2.2\n",
    "www :\n  type: A\n  value: 192.0.2.1\n",
    "www: # comment\n  type: A # comment\n  value: '192.0.2.1' # comment\n",
    "v6:\n  type: AAAA\n  values: [2001:db8::1, '2001:db8::2']\n",
    "f:\n  values: [a, , b]\n",
    "f:\n  values: [a, b,]\n",
    "f:\n  values: []\n  value: {}\n",
    "f:\n  value: [a, [b]]\n",
    "f:\n  value: {a: 1, b}\n",
    "e:\n  value:\n",
    "e:\n  values:\n  -\n  - x\n",
    "e:\n  values:\n  - # nothing\n    x\n",
    "m:\n  value: a\n    b\n",
    "m:\n  - a\n  b\n",
    "s:\n  value: 'it''s'\n  other: 'open\n   quote'\n",
    'd:\n  value: "a\\tb"\n',
    "k:\n  yes: no\n  1: 010\n  0x1f: 1:20\n  ~: null\n",
    "dup:\n  a: 1\n  a: 2\ndup:\n  b: 3\n",
    "-key: 1\n:key: 2\n?key: 3\n",
    "a:\nb: 1\n",
    "a:\n[1, 2]\n",
    "a:\nfoo\n",
    "a: 1\n  b: 2\n",
    "\ufeffbom:\n  type: A\n  value: 192.0.2.1\n",
    "nel:\n  value: a\x85b\n",
    "crlf:\r\n  type: A\r\n  value: 192.0.2.1\r\n",
    "u:\n  value: caf\u00e9\n  ls: a\u2028b\n",
    "<<: {a: 1}\n",
    "x:\n  <<: {a: 1}\n  b: 2\n",
    "x: !!str 1\n",
    "x:\n  - - a\n    - b\n",
    "no newline:\n  type: A\n  value: 192.0.2.1",
    "txt:\n  type: TXT\n  value: |\n    a #b\n    # c\n",
    "q:\n  type: TXT\n  value: 'a\n# b'\n",
    'q:\n  type: TXT\n  value: "a\n  # b"\n',
    "www: # c\n  type: A  # c\n  value: 192.0.2.1 # c\n# trailing\n\nmail:\n  type: A\n  value: 192.0.2.2\n",
    "f:\n  type: A\n  values: [a,\n    # c\n    b]\n",
    "f:\n- type: A # c\n  value: a#b # c\n-   type: A\n    value: x\n",
    "f:\n  type: TXT\n  value: v=spf1 # all\n    -all\n",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_documents_at_the_edges_read_as_pyyaml_reads_them(text: str) -> None:
    assert _fast(text) == _pyyaml(text)
    try:
        pairs = list(iter_top_level(text))
    except OutsideFastSubset:
        return
    assert dict(pairs) == (_pyyaml(text) or {})


def test_anchors_and_aliases_are_refused_in_every_entry_before_anything_is_read() -> None:
    text = "a:\n  type: A\n  value: 192.0.2.1\nb:\n- type: A\n  value: &ip 192.0.2.2\n"
    with pytest.raises(AnchorRefused) as caught:
        list(iter_top_level(text))
    assert (caught.value.line, caught.value.column) == (6, 10)
    with pytest.raises(ZoneInvalid) as refused:
        read_octodns(text, ORIGIN, filename="z.yaml")
    assert [(p.location, p.code) for p in refused.value.problems] == [("z.yaml:6:10", "yaml-anchor")]


# -- generated documents ----------------------------------------------------------------------------

_SCALARS = st.sampled_from(
    [
        "a", "www", "192.0.2.1", "2001:db8::1", "1:20", "010", "0x1f", "1.5", "1e3", "yes", "No", "null",
        "~", "''", "'it''s'", '"dq"', '"a\\"b"', "a b", "a #b", "a#b", "a: b", "a:", "-", "- a", "-1",
        "+1", ".inf", "v=spf1 -all", "v=DKIM1\\; k=rsa", "[a, b]", "[]", "{a: 1}", "{}", "[a, [b]]",
        "|", ">", "!x", "%x", "@x", "`x", "?", "? x", "=", "<<", "caf\u00e9", "*.x", "'*'", "_sip._tcp",
    ]
)  # fmt: skip
_KEYS = st.sampled_from(["type", "ttl", "value", "values", "octodns", "'q'", '"d"', "''", "k", "1", "yes"])
_SPACES = st.sampled_from(["", " ", "  # c", " #c", "#c"])


@st.composite
def _node(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    pad = " " * indent
    kind = draw(st.sampled_from(["mapping", "sequence", "indentless"] if depth < 3 else ["mapping"]))
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 6)) == 0:
            lines.append(pad + draw(st.sampled_from(["# comment", "", "  # deeper comment"])))
        prefix = pad + ("- " if kind != "mapping" else "")
        if kind == "mapping" or draw(st.booleans()):
            key = draw(_KEYS)
            if depth < 3 and draw(st.integers(0, 2)) == 0:
                lines.append(f"{prefix}{key}:{draw(_SPACES)}")
                lines += draw(_node(indent + draw(st.sampled_from([0, 2, 4])), depth + 1))
            else:
                lines.append(f"{prefix}{key}: {draw(_SCALARS)}{draw(_SPACES)}")
        else:
            lines.append(f"{prefix}{draw(_SCALARS)}{draw(_SPACES)}")
    return lines


@st.composite
def _documents(draw: st.DrawFn) -> str:
    lines = [draw(st.sampled_from(["", "---", "# head"]))]
    for _ in range(draw(st.integers(1, 4))):
        lines.append(f"{draw(st.sampled_from(['www', 'mail', 'www', '_x._tcp', chr(39) * 2]))}:")
        lines += draw(_node(draw(st.sampled_from([0, 2, 4])), 1))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@settings(max_examples=400, deadline=None)
@given(_documents())
def test_generated_documents_read_as_pyyaml_reads_them(text: str) -> None:
    assert _fast(text) == _pyyaml(text)
    try:
        pairs = list(iter_top_level(text))
    except OutsideFastSubset:
        return
    assert dict(pairs) == (_pyyaml(text) or {})


def test_peer_corpus_yaml_reads_as_pyyaml_reads_it(corpus: Path) -> None:
    for path in sorted(corpus.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "&" not in text and "*" not in text:
            assert _fast(text) == _pyyaml(text), path
