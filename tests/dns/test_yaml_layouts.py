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
from dunops.dns.formats.octodns import EntryMemo
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


# -- whole entries in one regex -----------------------------------------------------------------------

_TRICKY = [
    "a", "192.0.2.1", "2001:db8::1", "1:20", "010", "0x1F", "0o17", "0b11", "1e3", "1.5", "-1", "+1", "1_000",
    "yes", "No", "ON", "off", "y", "n", "~", "null", "Null", "true", "FALSE", ".inf", "-.inf", ".NaN",
    "'it''s'", "''", "'a # b'", "'a: b'", '"dq"', '"a\\"b"', '"tab\\there"', '"a # b"', "a#b", "a: b", "a:",
    "a:b", "- a", "-", "?", "? a", ":a", "[a, b]", "[]", "{a: 1}", "{}", "[a, [b]]", "{a: [b]}", "|", ">",
    "!x", "!!str 1", "&x", "*x", "%x", "@x", "`x", ",x", "v=spf1 -all", "v=DKIM1\\; k=rsa", "caf\u00e9",
    "a\u00a0", "2001-01-01", "2001-01-01 10:00:00", "0.5.1", "1:2:3", "=", "<<",
]  # fmt: skip
_ENDINGS = ["", "  ", " # comment", "  #comment", "#glued"]
_HEADS = {
    "under": ("{key}:{e}\n  ttl: {ttl}{e}\n  type: {rtype}{e}\n", "  ", False),
    "list": ("{key}:{e}\n- ttl: {ttl}{e}\n  type: {rtype}{e}\n", "  ", True),
    "indented": ("{key}:{e}\n  - ttl: {ttl}{e}\n    type: {rtype}{e}\n", "    ", True),
}


def _bodies(rest: str, value: str, ending: str, key: str | None = None) -> list[str]:
    key = value if key is None else key
    return [
        f"{rest}value: {value}{ending}\n",
        f"{rest}values: {value}{ending}\n",
        f"{rest}values:{ending}\n{rest}- {value}{ending}\n{rest}- b\n",
        f"{rest}values:\n{rest}  - a\n{rest}  - {value}{ending}\n",
        f"{rest}value:\n{rest}  k: {value}{ending}\n{rest}  {key}: v\n",
        f"{rest}values:\n{rest}- k: {value}{ending}\n{rest}  j: 1\n{rest}- k: x\n",
        f"{rest}values:\n{rest}  - k: 1\n{rest}    {key}: {value}{ending}\n",
    ]


@pytest.mark.parametrize("layout", sorted(_HEADS))
@pytest.mark.parametrize("ending", _ENDINGS)
def test_whole_entries_read_every_scalar_as_pyyaml_does(layout: str, ending: str) -> None:
    head, rest, _ = _HEADS[layout]
    for tricky in _TRICKY:
        texts = [
            head.format(key=tricky, e=ending, ttl=300, rtype="A") + f"{rest}value: x\n",
            head.format(key="www", e=ending, ttl=tricky, rtype="A") + f"{rest}value: x\n",
            head.format(key="www", e=ending, ttl=300, rtype=tricky) + f"{rest}value: x\n",
        ]
        base = head.format(key="www", e=ending, ttl=300, rtype="A")
        texts += [base + body for body in _bodies(rest, tricky, ending)]
        for text in texts:
            for document in (text, f"first:\n  type: A\n  value: x\n{text}# end\n\nlast: 1\n"):
                try:
                    assert _fast(document) == _pyyaml(document), document
                except AnchorRefused:
                    assert tricky[:1] in "&*"
                    continue
                try:
                    pairs = list(iter_top_level(document))
                except OutsideFastSubset:
                    continue
                assert dict(pairs) == _pyyaml(document), document


@pytest.mark.parametrize("layout", sorted(_HEADS))
def test_whole_entries_take_the_usual_shapes_with_comments(
    layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    head, rest, listed = _HEADS[layout]
    text = "".join(
        head.format(key=f"'n{number}'" if number % 2 else f"n{number}", e="  # c", ttl=300, rtype="MX")
        + body
        + ("# between\n\n" if number % 3 else "")
        for number, body in enumerate(_bodies(rest, "x.example.", "  # c", "weight"))
    )
    monkeypatch.setattr(yamlfast, "_entry", None)  # any other reader would fail
    pairs = list(iter_top_level(text))
    assert pairs == list(_pyyaml(text).items())
    assert all(isinstance(value, list) == listed for _, value in pairs)


@pytest.mark.parametrize(
    "text",
    [
        "a:\n  type: TXT\n  value: b\x00c\n",
        "a:\n  type: TXT\n  value: b\x0cc\n",
        "a:\n  type: TXT\n  value: b\x1bc\n",
        "a:\n  type: TXT\n  value: b\x7fc\n",
        "a:\n  type: TXT\n  value: b\x0bc\n",
        "a:\n  type: TXT\n  value: b\tc\n",
        "a:\n  type: TXT\r\n  value: b\n",
        "a:\n  type: TXT\n  value: 'b\x85c'\n",
    ],
)
def test_control_characters_read_as_pyyaml_reads_them(text: str) -> None:
    assert _fast(text) == _pyyaml(text)
    with pytest.raises(ZoneInvalid) if _pyyaml(text) == ERROR else _no_error():
        read_octodns(text, ORIGIN)


class _no_error:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


# -- a document read after another one ----------------------------------------------------------------


def _fresh(text: str, origin: str = ORIGIN, **options: Any) -> tuple[Zone | None, dict[RRsetKey, str], str]:
    positions: dict[RRsetKey, str] = {}
    try:
        zone = read_octodns(text, origin, positions=positions, **options)
    except ZoneInvalid as exc:
        return None, positions, f"{exc} {[str(problem) for problem in exc.problems]}"
    return zone, positions, ""


def test_a_document_read_after_another_reads_as_it_reads_alone(layouts: dict[str, list[str]]) -> None:
    for name in LAYOUTS:
        current, desired = layouts[name]
        alone = _fresh(desired, filename="desired.yaml")
        memo = EntryMemo()
        first = read_octodns(current, ORIGIN, memo=memo)
        assert memo.at, "the memo holds the entries of the document read"
        after = _fresh(desired, filename="desired.yaml", memo=memo)
        assert after == alone
        assert after[0] is not None
        shared = sum(
            after[0].rrsets[key] is rrset for key, rrset in first.rrsets.items() if key in after[0].rrsets
        )
        assert shared > len(first) // 3  # the RRsets of entries written alike are the same objects


def test_what_is_read_after_a_document_still_reports_every_problem() -> None:
    first_text = (
        "a:\n  type: A\n  value: 192.0.2.1\nb:\n  type: A\n  value: 192.0.2.2\n"
        "c:\n  - type: A\n    value: 192.0.2.3\n  - type: TXT\n    value: x\n"
    )
    variants = [
        first_text,
        first_text + "A:\n  type: AAAA\n  value: 2001:db8::1\n",  # the same owner twice: read whole
        first_text + "a:\n  type: A\n  value: 192.0.2.9\n",
        "b:\n  type: A\n  value: 192.0.2.2\nd:\n  type: A\n  value: 192.0.2.300\n",
        first_text.replace("c:\n", "c: # now with a comment\n"),
    ]
    for text in variants:
        fresh = _fresh(text)
        for options in ({}, {"max_rrsets": 2}, {"max_rrsets": 3}, {"filename": "other.yaml"}):
            memo = EntryMemo()
            read_octodns(first_text, ORIGIN, memo=memo)  # the entries the next read may take
            assert _fresh(text, memo=memo, **options) == _fresh(text, **options), (text, options)
        memo = EntryMemo()
        read_octodns(first_text, ORIGIN, memo=memo)
        assert _fresh(text, "other.example.", memo=memo) == _fresh(text, "other.example.")
        assert fresh[2] or fresh[0] is not None


def test_a_read_without_a_memo_keeps_nothing_and_a_failed_read_leaves_the_memo_as_it_was() -> None:
    text = "a:\n  type: A\n  value: 192.0.2.1\n"
    memo = EntryMemo()
    read_octodns(text, ORIGIN, memo=memo)
    held = dict(memo.at)
    assert list(held) == [text]
    read_octodns("b:\n  type: A\n  value: 192.0.2.2\n", ORIGIN)  # another read, without the memo
    assert memo.at == held
    with pytest.raises(ZoneInvalid):
        read_octodns(text + "b:\n  type: A\n  value: 192.0.2.300\n", ORIGIN, memo=memo)
    assert memo.at == held
