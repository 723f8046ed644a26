"""Canonical values agree with dnspython's parse of the same text, for every type."""

import re

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunops.dns import InvalidValue, RRset, Zone, canonical_value, plan_changes, read_bind, read_octodns
from dunops.dns.rdata import _plain_strings, general_canonical_value, text_value_from_bytes, text_value_octets

ORIGIN = "example.com."

SAMPLES = [
    ("A", "192.0.2.1"),
    ("AAAA", "2001:DB8:0:0:0:0:0:1"),
    ("AAAA", "::ffff:192.0.2.1"),
    ("CAA", '128 issuewild ";"'),
    ("CAA", '0 issue "letsencrypt.org; validationmethods=dns-01"'),
    ("CNAME", "WWW.Example.NET."),
    ("CNAME", "relative"),
    ("DNAME", "target.example.net."),
    ("DS", "12345 13 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE5E0D3A4D6B0E0C7F6A9C8B7A"),
    ("HTTPS", "1 . alpn=h2,h3"),
    ("LOC", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m"),
    ("MX", "10 Mail.Example.com."),
    ("MX", "0 ."),
    ("NAPTR", '100 10 "S" "SIP+D2U" "" _sip._udp.Example.com.'),
    ("NS", "ns1"),
    ("OPENPGPKEY", "mQINBGAbCdEBEADgVqHdQx3AqL1yJjF0"),
    ("PTR", "host.example.com."),
    ("SPF", '"v=spf1 -all"'),
    ("SRV", "10 60 5060 SIP.example.com."),
    ("SSHFP", "4 2 123456789ABCDEF67890123456789ABCDEF67890123456789ABCDEF123456789"),
    ("SVCB", "1 svc.example.net. alpn=h2 port=8443"),
    ("TLSA", "3 1 1 0D6FCE3B2A5E1C4E0B9F9B7D6D2E5C3A1B0F9E8D7C6B5A4F3E2D1C0B9A8F7E6D"),
    ("TXT", '"she said \\"hi\\"" "back\\\\slash" "caf\\195\\169"'),
    ("TXT", '"' + "x" * 255 + '" "tail"'),
    ("URI", '10 1 "https://example.com/path"'),
]


def _dnspython(rtype: str, text: str) -> dns.rdata.Rdata:
    return dns.rdata.from_text(
        dns.rdataclass.IN, dns.rdatatype.from_text(rtype), text, origin=dns.name.from_text(ORIGIN)
    )


@pytest.mark.parametrize(("rtype", "text"), SAMPLES)
def test_canonical_form_agrees_with_dnspython(rtype: str, text: str) -> None:
    canonical = canonical_value(rtype, text, ORIGIN)
    ours, theirs = _dnspython(rtype, canonical), _dnspython(rtype, text)
    if rtype in ("TXT", "SPF"):
        assert b"".join(ours.strings) == b"".join(theirs.strings)
    else:
        assert ours == theirs
    assert canonical_value(rtype, canonical, ORIGIN) == canonical  # idempotent
    assert general_canonical_value(rtype, text, ORIGIN) == canonical  # fast path agrees


def test_targets_are_absolute_and_lower_case_and_ipv6_compressed() -> None:
    assert canonical_value("CNAME", "WWW", ORIGIN) == "www.example.com."
    assert canonical_value("AAAA", "2001:DB8:0:0:0:0:0:1", ORIGIN) == "2001:db8::1"
    assert canonical_value("MX", "10   Mail", ORIGIN) == "10 mail.example.com."


def test_long_txt_is_split_at_255_octets_and_other_boundaries_are_kept() -> None:
    long = canonical_value("TXT", '"' + "a" * 300 + '"', ORIGIN)
    assert long == '"' + "a" * 255 + '" "' + "a" * 45 + '"'
    assert canonical_value("TXT", '"' + "a" * 255 + '" "' + "a" * 45 + '"', ORIGIN) == long
    split = canonical_value("TXT", '"' + "a" * 100 + '" "' + "a" * 200 + '"', ORIGIN)
    assert split == '"' + "a" * 100 + '" "' + "a" * 200 + '"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"a" "b"', '"a" "b"'),
        ('"ab"', '"ab"'),
        ("a b", '"a" "b"'),
        ('"" ""', '"" ""'),
        ('"x"  "y"', '"x" "y"'),
        ('"a\\"b" c', '"a\\"b" "c"'),
        ('"\\065" "\\195\\169"', '"A" "\\195\\169"'),
    ],
)
def test_txt_keeps_each_character_string_as_dnspython_does(text: str, expected: str) -> None:
    assert canonical_value("TXT", text, ORIGIN) == expected
    assert canonical_value("TXT", text, ORIGIN) == _dnspython("TXT", text).to_text()


@pytest.mark.parametrize(
    ("rtype", "text"),
    [
        ("A", "192.0.2.256"),
        ("A", "01.2.3.4"),
        ("AAAA", "2001:db8::g"),
        ("MX", "70000 mx."),
        ("SRV", "1 2 port target."),
        ("TXT", '"open'),
        ("DS", "1 2 3 XYZ"),
        ("CAA", "0 issue"),
    ],
)
def test_invalid_values_are_refused_with_the_type_in_the_message(rtype: str, text: str) -> None:
    with pytest.raises(InvalidValue, match=rtype if rtype != "TXT" else "closing"):
        canonical_value(rtype, text, ORIGIN)


_octets = st.binary(max_size=600)


@settings(max_examples=150)
@given(_octets)
def test_txt_octets_round_trip_through_the_canonical_form(data: bytes) -> None:
    value = text_value_from_bytes(data)
    assert text_value_octets(value) == data
    assert canonical_value("TXT", value, ORIGIN) == value
    assert b"".join(_dnspython("TXT", value).strings) == data


@settings(max_examples=150)
@given(st.ip_addresses())
def test_address_fast_path_agrees_with_dnspython(address: object) -> None:
    rtype = "A" if address.version == 4 else "AAAA"  # type: ignore[attr-defined]
    text = str(address)
    assert canonical_value(rtype, text, ORIGIN) == general_canonical_value(rtype, text, ORIGIN)


@settings(max_examples=100)
@given(
    st.from_regex(r"[A-Za-z0-9_-]{1,20}(\.[A-Za-z0-9-]{1,20}){0,3}\.?", fullmatch=True), st.integers(0, 65535)
)
def test_target_fast_paths_agree_with_dnspython(name: str, number: int) -> None:
    for rtype, text in (("CNAME", name), ("MX", f"{number} {name}"), ("SRV", f"1 {number} 443 {name}")):
        assert canonical_value(rtype, text, ORIGIN) == general_canonical_value(rtype, text, ORIGIN)


@pytest.mark.parametrize(
    "text", ['0 ISSUE "ca.example"', '0 Issue "ca.example"', '0 issue "ca.example"', '0 IsSuE  "ca.example"']
)
def test_caa_tags_are_case_insensitive(text: str) -> None:
    assert canonical_value("CAA", text, ORIGIN) == '0 issue "ca.example"'
    assert general_canonical_value("CAA", text, ORIGIN) == '0 issue "ca.example"'


def test_caa_tag_case_never_diffs_in_any_format() -> None:
    upper = read_bind(f'$ORIGIN {ORIGIN}\n@ 300 CAA 0 ISSUE "ca.example"\n@ 300 CAA 0 IODEF "mailto:a@b.c"\n')
    lower = Zone(
        ORIGIN, [RRset.parse(ORIGIN, "CAA", 300, ['0 iodef "mailto:a@b.c"', '0 issue "ca.example"'], ORIGIN)]
    )
    yaml_zone = read_octodns(
        "'':\n  ttl: 300\n  type: CAA\n  values:\n  - {flags: 0, tag: IODEF, value: 'mailto:a@b.c'}\n"
        "  - {flags: 0, tag: Issue, value: ca.example}\n",
        ORIGIN,
    )
    assert not plan_changes(upper, lower)
    assert not plan_changes(lower, yaml_zone)


@pytest.mark.parametrize(
    ("rtype", "text", "expected"),
    [
        ("CNAME", "target.example.net. ", "target.example.net."),
        ("CNAME", " target.example.net.\t", "target.example.net."),
        ("NS", "\tns1.example.net.\n", "ns1.example.net."),
        ("PTR", " host ", "host.example.com."),
    ],
)
def test_fast_target_uses_the_stripped_name(rtype: str, text: str, expected: str) -> None:
    assert canonical_value(rtype, text, ORIGIN) == expected


@pytest.mark.parametrize(
    ("rtype", "text"),
    [
        ("CNAME", "a.example.com.;x"),
        ("CNAME", "a(b)."),
        ("CNAME", '"a.example.com."'),
        ("MX", "10 a;b"),
        ("SRV", "0 5 5060 sip;x"),
    ],
)
def test_targets_with_special_characters_take_the_general_path(rtype: str, text: str) -> None:
    with pytest.raises(InvalidValue):
        canonical_value(rtype, text, ORIGIN)


@pytest.mark.parametrize(
    ("rtype", "text", "problem"),
    [
        ("MX", "1 a\nb", "line break"),
        ("CNAME", "a.example.com. ; hi", "comment"),
        ("OPENPGPKEY", "AAAA\nBBBB", "line break"),
        ("SSHFP", "1 1 abcdef0123abcdef0123abcdef0123abcdef0123\n2 2 ff", "line break"),
        ("MX", "10 a ; comment", "comment"),
        ("CAA", '0\nissue "x"', "line break"),
        ("SOA", "a b 1 2 3 4 5\ngarbage", "line break"),
    ],
)
def test_values_cut_short_by_a_line_break_or_comment_are_refused(rtype: str, text: str, problem: str) -> None:
    with pytest.raises(InvalidValue, match=problem):
        canonical_value(rtype, text, ORIGIN)


def test_quoted_semicolons_are_still_values() -> None:
    assert canonical_value("CAA", '0 issue "a;b"', ORIGIN) == '0 issue "a;b"'
    assert canonical_value("NAPTR", '100 10 "S" "SIP+D2U" "!^.*$!sip:a@b;x!" .', ORIGIN).startswith("100 10")


@pytest.mark.parametrize(
    ("rtype", "text"),
    [
        ("MX", "\u0661\u0660 mail"),
        ("MX", "\u00b2 mail"),
        ("SRV", "1 2 \u00b3 x"),
        ("SRV", "\u0661 2 3 x"),
        ("CAA", '\u0661 issue "x"'),
        ("CAA", "0 " + "a" * 256 + ' "x"'),
    ],
)
def test_numbers_need_ascii_digits_and_caa_tags_at_most_255(rtype: str, text: str) -> None:
    with pytest.raises(InvalidValue):
        canonical_value(rtype, text, ORIGIN)


def test_caa_tag_of_255_octets_is_kept() -> None:
    tag = "a" * 255
    assert canonical_value("CAA", f'0 {tag} "x"', ORIGIN) == general_canonical_value(
        "CAA", f'0 {tag} "x"', ORIGIN
    )


def test_a_txt_value_given_outside_a_zone_file_is_one_text() -> None:
    from dunops.dns.rdata import text_value_from_input

    assert text_value_from_input("TXT", "v=spf1 mx -all") == '"v=spf1 mx -all"'
    assert text_value_from_input("TXT", 'a "b" c') == '"a \\"b\\" c"'
    assert text_value_from_input("SPF", "k=v\\; p=x") == '"k=v; p=x"'
    assert text_value_from_input("TXT", "y" * 256) == '"' + "y" * 255 + '" "y"'
    # wholly quoted presentation strings keep their strings and escapes
    assert text_value_from_input("TXT", '"v=spf1 -all"') == '"v=spf1 -all"'
    assert text_value_from_input("TXT", ' "a" "b\\"c" ') == '"a" "b\\"c"'
    with pytest.raises(InvalidValue, match="65,535 octets"):
        text_value_from_input("TXT", "z" * 65_300)


@pytest.mark.parametrize(
    "text",
    [
        '"a" "b"',
        '"" "v=spf1 -all"',
        '"' + "x" * 255 + '" "' + "y" * 255 + '"',
        '"' + "x" * 256 + '" "y"',
        '"a"  "b"',
        '"a"\t"b"',
        '"a" b',
        '"semi;colon" "(paren)"',
        '"tab\there" "x"',
        '"caf\u00e9" "x"',
        '"esc\\"aped" "x"',
        '"back\\\\slash" "x"',
        '"a" "b" ',
    ],
)
def test_txt_strings_fast_path_agrees_with_the_general_path(text: str) -> None:
    for rtype in ("TXT", "SPF"):
        assert canonical_value(rtype, text, ORIGIN) == general_canonical_value(rtype, text, ORIGIN)


@settings(max_examples=150)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=4))
def test_txt_octets_of_several_strings_agree_with_the_general_reader(strings: list[bytes]) -> None:
    value = " ".join(text_value_from_bytes(string) for string in strings)
    assert text_value_octets(value) == b"".join(strings)
    assert canonical_value("TXT", value, ORIGIN) == general_canonical_value("TXT", value, ORIGIN)


@settings(max_examples=300)
@given(
    st.text(alphabet='"\\ ab\t', max_size=12)
    | st.lists(st.sampled_from(["a" * 255, "a" * 256, '"', " "])).map("".join)
)
def test_plain_strings_are_exactly_quoted_strings_one_space_apart(text: str) -> None:
    pattern = re.compile(r'"[^"\\]{0,255}"(?: "[^"\\]{0,255}")*\Z')
    assert _plain_strings(text) is bool(pattern.match(text))
