"""Zone files read as BIND reads them: where the zone is, its SOA, generic data, $GENERATE, $INCLUDE,
limits, occluded data and every problem of a file at once, each with its place."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunops.cli.main import app
from dunops.dns import read_bind, write_bind
from dunops.errors import ZoneInvalid

HEAD = (
    "$TTL 300\n@ SOA ns1 hostmaster 1 7200 900 1209600 300\n"
    "@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n"
)


def _problems(text: str, origin: str | None = "example.com.", **kwargs: object) -> list[str]:
    with pytest.raises(ZoneInvalid) as caught:
        read_bind(text, origin, filename="z.db", **kwargs)  # type: ignore[arg-type]
    return [str(problem) for problem in caught.value.problems]


def _values(text: str, name: str, rtype: str, origin: str | None = "example.com.") -> tuple[str, ...]:
    rrset = read_bind(text, origin).get(name, rtype)
    assert rrset is not None, f"{name} {rtype} missing"
    return rrset.values


# 1. where the zone is


def test_a_dump_with_origin_dot_is_the_zone_its_soa_names() -> None:
    dump = (
        "$ORIGIN .\n$TTL 300\n"
        "example.com IN SOA ns1.example.com. h.example.com. 7 2 3 4 5\n"
        "example.com NS ns1.example.com.\n"
        "$ORIGIN example.com.\nns1 A 192.0.2.1\n"
    )
    zone = read_bind(dump)
    assert zone.origin == "example.com."
    assert zone.soa is not None
    assert zone.soa.name == "example.com."
    assert zone.get("ns1.example.com.", "A") is not None
    assert write_bind(zone).startswith("$ORIGIN example.com.\n@ 300 IN SOA ns1.example.com. h.example.com. 7")


def test_relative_owners_with_no_origin_are_refused_never_read_at_the_root() -> None:
    for text in ("$TTL 300\n@ SOA ns1.x. h.x. 1 2 3 4 5\n", "$TTL 300\nwww A 192.0.2.1\n"):
        problems = _problems(text, None)
        assert any("no origin: give --origin" in p for p in problems), problems
    # a relative name inside the data is no better
    problems = _problems("$TTL 300\nexample.com. SOA ns1 h.example.com. 1 2 3 4 5\n", None)
    assert any("z.db:2:" in p and "with no origin" in p for p in problems), problems


def test_no_soa_and_only_origin_dot_asks_for_the_zone_name() -> None:
    problems = _problems("$ORIGIN .\n$TTL 300\nwww.example.com A 192.0.2.1\n", None)
    assert problems == [
        "z.db: cannot tell which zone this is: it has no SOA and no $ORIGIN naming the zone; give --origin"
    ]
    assert (
        read_bind("$ORIGIN .\n$TTL 300\nwww.example.com A 192.0.2.1\n", "example.com").origin
        == "example.com."
    )


# 2. SOA rules


def test_a_second_soa_is_refused_with_both_places() -> None:
    problems = _problems(HEAD + "@ SOA ns1 hostmaster 2 7200 900 1209600 300\n")
    assert problems == [
        "z.db:7:1: example.com. SOA: a second SOA at example.com.: a zone has exactly one "
        "(the first is at z.db:2:1)"
    ]


def test_an_soa_below_the_apex_is_refused_with_both_places() -> None:
    problems = _problems(HEAD + "sub SOA ns1 hostmaster 2 7200 900 1209600 300\n")
    assert len(problems) == 1
    assert problems[0].startswith("z.db:7:1: sub.example.com. SOA: an SOA at sub.example.com., which is not")
    assert "the apex SOA is at z.db:2:1" in problems[0]


def test_an_soa_elsewhere_than_the_given_origin_is_refused() -> None:
    problems = _problems("$TTL 300\nother.example. SOA ns1.x. h.x. 1 2 3 4 5\n")
    assert "not the zone apex example.com." in problems[0]


# 3. RFC 3597 generic data


@pytest.mark.parametrize(
    ("rtype", "generic", "expected"),
    [
        ("TXT", r"\# 6 0568656C6C6F", '"hello"'),
        ("TXT", r"\# 4 01610162", '"a" "b"'),
        ("A", r"\# 4 C0000201", "192.0.2.1"),
        ("AAAA", r"\# 16 20010db8000000000000000000000001", "2001:db8::1"),
        ("MX", r"\# 10 000a 046d61696c 00c0", None),  # a compression pointer: refused
        ("MX", r"\# 5 000a 0161 00", "10 a."),
        ("CAA", r"\# 15 0005 6973737565 6361 2e6f7267", None),  # length wrong
        ("CAA", r"\# 13 00 05 6973737565 6361 2e6f7267", '0 issue "ca.org"'),
        ("TLSA", r"\# 5 030100abcd", "3 1 0 abcd"),
    ],
)
def test_generic_data_is_read_as_the_types_own_data(rtype: str, generic: str, expected: str | None) -> None:
    text = HEAD + f"g {rtype} {generic}\n"
    if expected is None:
        problems = _problems(text)
        assert problems
        assert problems[0].startswith("z.db:7:")
        assert "RFC 3597" in problems[0]
    else:
        assert _values(text, "g.example.com.", rtype) == (expected,)
        assert _values(HEAD + f"g {rtype} {expected}\n", "g.example.com.", rtype) == (expected,)


def test_type_numbers_name_known_types() -> None:
    assert _values(HEAD + r"g TYPE1 \# 4 C0000201" + "\n", "g.example.com.", "A") == ("192.0.2.1",)
    assert _values(HEAD + 'g TYPE16 "x"\n', "g.example.com.", "TXT") == ('"x"',)


# 4. $GENERATE


def test_generate_modifiers_in_every_base_and_escapes() -> None:
    zone = read_bind(
        HEAD
        + "$GENERATE 1-2 wp-db${+10,2,d} A 192.0.2.$\n"
        + "$GENERATE 8-9 o${0,3,o} A 192.0.2.${-1}\n"
        + "$GENERATE 254-255 x${0,4,x}-X${0,0,X} CNAME t$\n"
        + "$GENERATE 1-1 ${0,3,n}.rev PTR h${0,3}\n"
        + "$GENERATE 171-171 ${0,0,N}.up PTR h$$\n"
        + '$GENERATE 5-5 esc$ TXT "cost \\$$ and $$ and ${1}"\n',
        "example.com.",
    )
    names = sorted(key for key, _ in zone.rrsets)
    assert "wp-db11.example.com." in names
    assert "wp-db12.example.com." in names
    assert zone.get("o010.example.com.", "A").values == ("192.0.2.7",)  # type: ignore[union-attr]
    assert zone.get("o011.example.com.", "A").values == ("192.0.2.8",)  # type: ignore[union-attr]
    assert zone.get("x00fe-XFE.example.com.", "CNAME").values == ("t254.example.com.",)  # type: ignore[union-attr]
    assert zone.get("x00ff-XFF.example.com.", "CNAME") is not None
    assert zone.get("1.0.rev.example.com.", "PTR").values == ("h001.example.com.",)  # type: ignore[union-attr]
    assert zone.get("B.A.up.example.com.", "PTR").values == ("h\\$.example.com.",)  # type: ignore[union-attr]
    assert zone.get("esc5.example.com.", "TXT").values == (
        '"cost" "$5" "and" "$" "and" "6"',
    )  # the rhs is one word: BIND reads its words  # type: ignore[union-attr]


@pytest.mark.parametrize("modifier", ["${+1,2,q}", "${1,}", "${x}", "${1,2,d"])
def test_a_malformed_generate_modifier_is_refused_with_its_line(modifier: str) -> None:
    problems = _problems(HEAD + f"$GENERATE 1-2 h{modifier} A 192.0.2.1\n")
    assert problems
    assert problems[0].startswith("z.db:7:")


# 5. $INCLUDE


def test_include_takes_a_quoted_name_and_an_origin(tmp_path: Path) -> None:
    (tmp_path / "my hosts.db").write_text("www A 192.0.2.9\n@ TXT here\n")
    zone = read_bind(
        HEAD + '$INCLUDE "my hosts.db" sub.example.com.\nafter A 192.0.2.10\n',
        "example.com.",
        include_dir=tmp_path,
    )
    assert zone.get("www.sub.example.com.", "A") is not None
    assert zone.get("sub.example.com.", "TXT") is not None
    assert zone.get("after.example.com.", "A") is not None  # the origin is back after the file
    problems = _problems(HEAD + '$INCLUDE "../outside.db"\n', include_dir=tmp_path)
    assert "outside the allowed directory" in problems[0]


# 6. limits


def test_a_character_string_over_255_octets_is_refused_in_a_zone_file() -> None:
    problems = _problems(HEAD + 'long TXT "' + "a" * 256 + '"\n')
    assert problems[0].startswith("z.db:7:10: a TXT character-string of 256 octets is over the limit of 255")
    assert (
        _values(HEAD + 'ok TXT "' + "a" * 255 + '"\n', "ok.example.com.", "TXT")[0] == '"' + "a" * 255 + '"'
    )


def test_data_over_65535_octets_is_refused() -> None:
    strings = " ".join(['"' + "a" * 255 + '"'] * 257)
    problems = _problems(HEAD + f"big TXT {strings}\n")
    assert "z.db:7:" in problems[0]
    assert "over the limit of 65,535 octets" in problems[0]
    hexdata = "ab" * 65_536
    problems = _problems(HEAD + f"big TLSA 3 1 0 {hexdata}\n")
    assert "over the limit of 65,535 octets" in problems[0]


@pytest.mark.parametrize(
    ("loc", "what"),
    [
        ("91 0 0 N 0 0 0 E 0m", "degrees"),
        ("90 0 1 N 0 0 0 E 0m", "latitude"),
        ("0 0 0 N 180 1 0 E 0m", "longitude"),
        ("0 0 0 N 0 0 0 E -100000.01m", "altitude"),
        ("0 0 0 N 0 0 0 E 42849672.96m", "altitude"),
        ("0 0 0 N 0 0 0 E 0m 90000000.01m", "size"),
    ],
)
def test_loc_outside_rfc_1876_is_refused(loc: str, what: str) -> None:
    problems = _problems(HEAD + f"here LOC {loc}\n")
    assert problems[0].startswith("z.db:7:10:"), problems
    assert what in problems[0], problems


def test_loc_at_the_ends_of_its_ranges_is_read() -> None:
    for loc in ("90 0 0 N 180 0 0 W -100000m", "0 0 0 S 0 0 0 E 42849672.95m 90000000m 90000000m 90000000m"):
        assert _values(HEAD + f"here LOC {loc}\n", "here.example.com.", "LOC")


# 7. data below a delegation, 8. every problem at once

OCCLUDED = HEAD + "sub NS ns.sub\nns.sub A 192.0.2.5\nwww.sub TXT hidden\n"


def test_data_below_a_delegation_is_refused_strictly_and_warned_leniently(tmp_path: Path) -> None:
    path = tmp_path / "z.db"
    path.write_text(OCCLUDED)
    runner = CliRunner()
    strict = runner.invoke(app, ["zone", "validate", str(path), "--origin", "example.com."])
    assert strict.exit_code == 1
    assert (
        f"{path}:9:1: www.sub.example.com. TXT: error: TXT at www.sub.example.com. is beneath"
        in strict.output
    )
    lenient = runner.invoke(app, ["zone", "validate", str(path), "--origin", "example.com.", "--lenient"])
    assert lenient.exit_code == 0
    assert "www.sub.example.com. TXT: warning: TXT at www.sub.example.com. is beneath" in lenient.output
    assert "ns.sub" not in lenient.output  # glue is not occluded data


def test_every_problem_of_a_file_comes_at_once_with_its_place() -> None:
    text = (
        OCCLUDED
        + "www CNAME elsewhere.example.net.\nwww A 192.0.2.7\n"
        + "@ SOA ns1 hostmaster 2 7200 900 1209600 300\n"
        + "bad A 300.1.1.1\n"
        + 'open TXT "no end\n'
    )
    problems = _problems(text)
    assert "z.db:13:7: invalid A value '300.1.1.1': expected an IPv4 address like 192.0.2.1" in problems
    assert any(p.startswith("z.db:14:10: expected a closing '\"'") for p in problems), problems
    assert any(p.startswith("z.db:12:1: example.com. SOA: a second SOA") for p in problems), problems
    assert any(
        p.startswith("z.db:10:1: www.example.com. CNAME: a CNAME cannot coexist with A") for p in problems
    )
    assert any(p.startswith("z.db:9:1: www.sub.example.com. TXT: TXT at www.sub") for p in problems), problems
