"""Small hostile zone files must not make a reader build or repeat more than a zone may hold: YAML
anchors and aliases are refused, $GENERATE is bounded per line and per file, JSON nesting is bounded,
every reader stops at its RRset limit, and errors describe values without repeating them."""

from __future__ import annotations

import itertools
import time

import pytest

from dunops.dns import read_bind, read_json, read_octodns, read_zone
from dunops.dns.formats import MAX_ZONE_RRSETS, ZoneFormat
from dunops.dns.formats.json import NestedTooDeeply, load_json
from dunops.dns.formats.yamlfast import AnchorRefused, load_yaml
from dunops.errors import MAX_PROBLEMS, InvalidInput, Problem, ZoneInvalid

ORIGIN = "example.com."
HEAD = f"$ORIGIN {ORIGIN}\n$TTL 300\n"


def alias_bomb(levels: int) -> str:
    """A few hundred bytes of YAML whose aliases, expanded, hold 9**levels strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in itertools.pairwise("abcdefghij"[:levels]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _refusal(text: str, **limits: int) -> ZoneInvalid:
    with pytest.raises(ZoneInvalid) as caught:
        read_bind(text, ORIGIN, filename="bomb.zone", **limits)
    return caught.value


# -- YAML anchors and aliases ---------------------------------------------------------------------------


def test_a_yaml_alias_bomb_is_refused_before_anything_is_built() -> None:
    bomb = alias_bomb(9)  # 9**9 strings once expanded: gigabytes
    assert len(bomb) < 500
    started = time.perf_counter()
    with pytest.raises(AnchorRefused) as caught:
        load_yaml(bomb)
    assert time.perf_counter() - started < 1
    assert (caught.value.line, caught.value.column) == (1, 4)
    with pytest.raises(ZoneInvalid) as refused:
        read_octodns(bomb, ORIGIN, filename="bomb.yaml")
    assert [(p.location, p.code) for p in refused.value.problems] == [("bomb.yaml:1:4", "yaml-anchor")]
    assert "anchor (&) is refused" in refused.value.problems[0].message


def test_an_alias_names_its_own_line() -> None:
    text = "www:\n  type: A\n  value: 192.0.2.1\nmail:\n  type: A\n  value: *ip\n"
    with pytest.raises(AnchorRefused) as caught:
        load_yaml(text)
    assert (caught.value.line, caught.value.column) == (6, 10)
    assert "alias (*)" in str(caught.value)


def test_ampersands_and_asterisks_in_quoted_values_are_plain_text() -> None:
    text = "'*':\n  type: TXT\n  values: ['a &b', '*c']  # flow style: PyYAML reads this file\n"
    zone = read_octodns(text, ORIGIN)
    assert zone.get("*.example.com.", "TXT").values == ('"*c"', '"a &b"')  # type: ignore[union-attr]


# -- $GENERATE ------------------------------------------------------------------------------------------


def test_one_generate_line_makes_at_most_65536_records() -> None:
    refused = _refusal(HEAD + "$GENERATE 0-65536 h$ A 192.0.2.1\n")
    [problem] = refused.problems
    assert problem.location == "bomb.zone:3:1"
    assert problem.message == "$GENERATE 0-65536 would make 65,537 records; one line may make at most 65,536"


def test_generate_lines_past_the_zone_limit_are_refused_before_any_record_is_made() -> None:
    bomb = HEAD + "".join(f"$GENERATE 0-65535 l{n}-$ A 192.0.2.1\n" for n in range(32))
    started = time.perf_counter()
    refused = _refusal(bomb)
    assert time.perf_counter() - started < 1, "nothing is generated: 31 lines would pass 2,000,000"
    [problem] = refused.problems
    assert problem.location == "bomb.zone:33"
    assert problem.code == "zone-too-large"
    assert f"more than {MAX_ZONE_RRSETS:,} records" in problem.message


def test_the_generate_budget_is_the_limit_the_caller_gives() -> None:
    text = HEAD + "$GENERATE 1-600 a$ A 192.0.2.1\n$GENERATE 1-600 b$ A 192.0.2.1\n"
    assert len(read_bind(text, ORIGIN, max_rrsets=1_200)) == 1_200
    [problem] = _refusal(text, max_rrsets=1_000).problems
    assert problem.location == "bomb.zone:4"
    assert "more than 1,000 records" in problem.message


def test_generate_lines_written_in_parentheses_are_counted_as_they_are_read() -> None:
    text = HEAD + "$GENERATE 1-600 a$ ( A 192.0.2.1 )\n($GENERATE 1-600 b$ A 192.0.2.1)\n"
    [problem] = _refusal(text, max_rrsets=1_000).problems
    assert problem.location == "bomb.zone:4"


def test_values_generated_into_one_rrset_count_against_the_budget() -> None:
    text = HEAD + '$GENERATE 1-800 @ TXT "$"\n' * 2
    [problem] = _refusal(text, max_rrsets=1_000).problems
    assert problem.location == "bomb.zone:4"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("$GENERATE 0-0 h${0,2000000000} A 192.0.2.1", "$GENERATE width 2000000000 is over 127"),
        ("$GENERATE 0-0 h${0,2000000000,n} A 192.0.2.1", "$GENERATE width 2000000000 is over 127"),
        ("$GENERATE 1-1 h${2147483647} A 192.0.2.1", "$GENERATE value 2147483648 is over 2147483647"),
        (
            '$GENERATE 0-0 @ TXT "' + "${0,127} " * 17 + '"',
            "$GENERATE makes a record longer than 2,048 characters",
        ),
        ("$GENERATE 0-0 @ TXT " + "x" * 2_100, "a $GENERATE template may be at most 2,048 characters"),
    ],
)
def test_a_generate_line_cannot_make_one_huge_record(line: str, message: str) -> None:
    [problem] = _refusal(HEAD + line + "\n").problems
    assert problem.location == "bomb.zone:3:1"
    assert problem.message.startswith(message)


def test_a_range_past_what_bind_counts_is_refused() -> None:
    [problem] = _refusal(HEAD + "$GENERATE 0-9999999999 h$ A 192.0.2.1\n").problems
    assert "0 <= start <= stop <= 2147483647" in problem.message


# -- the RRset limit of every reader ---------------------------------------------------------------------


def test_a_zone_file_stops_at_the_rrset_past_the_limit_with_one_problem() -> None:
    text = HEAD + "".join(f"h{n} A 192.0.2.1\n" for n in range(5_000))
    [problem] = _refusal(text, max_rrsets=1_000).problems
    assert problem.location == "bomb.zone:1003"
    assert problem.message == "the zone holds more than 1,000 RRsets; a zone may hold at most 1,000"


@pytest.mark.parametrize("zone_format", [ZoneFormat.OCTODNS, ZoneFormat.JSON])
def test_octodns_and_json_readers_stop_at_the_rrset_past_the_limit(zone_format: ZoneFormat) -> None:
    if zone_format is ZoneFormat.OCTODNS:
        text = "".join(f"h{n}:\n  type: A\n  value: 192.0.2.1\n" for n in range(50))
        where = "content: h10"
    else:
        rrsets = ",".join(
            f'{{"name": "h{n}", "type": "A", "ttl": 300, "values": ["192.0.2.1"]}}' for n in range(50)
        )
        text = f'{{"origin": "{ORIGIN}", "rrsets": [{rrsets}]}}'
        where = "content: rrsets[10]"
    assert len(read_zone(text, zone_format, ORIGIN, filename="content", max_rrsets=50)) == 50
    with pytest.raises(ZoneInvalid) as caught:
        read_zone(text, zone_format, ORIGIN, filename="content", max_rrsets=10)
    assert [(p.location, p.code) for p in caught.value.problems] == [(where, "zone-too-large")]


# -- JSON nesting ----------------------------------------------------------------------------------------


def test_json_nested_deeper_than_64_levels_is_refused() -> None:
    assert load_json("[" * 64 + "]" * 64) == load_json("[" * 64 + "]" * 64)
    for depth in (65, 1_000, 100_000):
        with pytest.raises(NestedTooDeeply):
            load_json("[" * depth + "]" * depth)
    with pytest.raises(NestedTooDeeply):
        load_json('{"a": ' * 65 + "1" + "}" * 65)


def test_a_json_zone_nested_too_deeply_is_an_invalid_zone_not_a_crash() -> None:
    for depth in (65, 100_000):
        with pytest.raises(ZoneInvalid) as caught:
            read_json('{"origin": "example.com.", "rrsets": ' + "[" * depth + "]" * depth + "}")
        assert caught.value.problems[0].message == (
            "invalid JSON: arrays and objects are nested more than 64 levels deep"
        )


# -- what an error repeats -------------------------------------------------------------------------------


def test_an_octodns_error_describes_a_value_without_repeating_it() -> None:
    huge = "[" + ", ".join(["x"] * 20_000) + "]"
    text = f"www:\n- {huge}\nmail:\n  type: A\n  ttl: {huge}\n  value: 192.0.2.1\n"
    with pytest.raises(ZoneInvalid) as caught:
        read_octodns(text, ORIGIN)
    assert [p.message for p in caught.value.problems] == [
        "expected a record mapping, found a list",
        "ttl must be an integer from 0 to 2147483647, found a list",
    ]


def test_an_error_keeps_100_problems_counts_the_rest_and_cuts_long_text() -> None:
    problems = [Problem("x" * 10_000, f"line {n} " + "y" * 10_000) for n in range(1_000)]
    error = InvalidInput.collect(problems, "z" * 10_000)
    assert len(error.problems) == MAX_PROBLEMS
    assert error.more_problems == 1_000 - MAX_PROBLEMS
    assert len(error.detail) == 1_000
    assert all(len(p.message) == 500 and p.message.endswith("...") for p in error.problems)
    assert all(len(p.location) == 500 for p in error.problems)
    assert error.problems[7].location.startswith("line 7 ")


def test_a_file_full_of_bad_lines_gives_an_error_of_bounded_size() -> None:
    text = HEAD + "".join(f"h{n} A 192.0.2.{'9' * 2_000}\n" for n in range(300))
    refused = _refusal(text)
    assert refused.detail == "bomb.zone: 300 problem(s) reading the zone file"
    assert len(refused.problems) == MAX_PROBLEMS
    assert refused.more_problems == 300 - MAX_PROBLEMS
    assert sum(len(str(p)) for p in refused.problems) < MAX_PROBLEMS * 600
