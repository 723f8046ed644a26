"""Zone names are plain DNS names: what passes, in which form, and what is refused with which reason."""

from __future__ import annotations

import pytest

from dunops.dns.names import InvalidName, display_name, zone_origin
from dunops.errors import InvalidInput
from dunops.zones.zones import clean_fqdn

LONGEST_LABEL = "a" * 63
LONGEST_NAME = ".".join([LONGEST_LABEL] * 3 + ["b" * 61])  # 253 octets


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("example.com", "example.com."),
        ("example.com.", "example.com."),
        ("Example.COM.", "example.com."),
        ("bücher.example", "xn--bcher-kva.example."),
        ("xn--bcher-kva.example.", "xn--bcher-kva.example."),
        ("_dmarc.example.com", "_dmarc.example.com."),
        ("my-zone.example", "my-zone.example."),
        ("2.0.192.in-addr.arpa.", "2.0.192.in-addr.arpa."),
        ("com", "com."),
        (f"{LONGEST_LABEL}.example", f"{LONGEST_LABEL}.example."),
        (LONGEST_NAME, LONGEST_NAME + "."),
    ],
)
def test_plain_dns_names_pass_in_absolute_lower_case_punycode(text: str, origin: str) -> None:
    assert zone_origin(text) == origin


def test_an_idn_zone_name_is_kept_as_punycode_and_shown_in_unicode() -> None:
    assert clean_fqdn("Bücher.Example.") == "xn--bcher-kva.example"
    assert display_name(zone_origin("bücher.example")) == "bücher.example."


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/etc/x", "holds '/'"),
        ("/etc/passwd", "holds '/'"),
        ("a/b.example", "label 'a/b' holds '/'"),
        ("../other", "empty label"),
        ("..", "empty label"),
        ("x..y", "empty label"),
        (".example.com", "empty label"),
        ("example.com..", "empty label"),
        ("a\\b.example", "holds '\\\\'"),
        ("a\\.b.example", "holds '\\\\'"),
        ("a\\047b.example", "holds '\\\\'"),
        ("a\x00b", "control character (U+0000) at position 2"),
        ("a\x1fb.example", "control character (U+001F)"),
        ("a\x7fb.example", "control character (U+007F)"),
        ("a b.example", "whitespace (U+0020) at position 2"),
        (" example.com", "whitespace (U+0020) at position 1"),
        ("example.com\n", "control character (U+000A)"),
        ("a\u3000b.example", "whitespace (U+3000)"),
        ("*.example.com", "cannot be a wildcard"),
        ("a*.example.com", "cannot be a wildcard"),
        ("a:b.example", "holds ':'"),
        ("a@b.example", "holds '@'"),
        ("-rf.example", "starts or ends with a hyphen"),
        ("a-.example", "starts or ends with a hyphen"),
        ("b\uff0fc.example", "not a valid IDNA 2008 label"),  # a full-width solidus
        ("a" * 64 + ".example", "64 octets long; a label holds at most 63"),
        (LONGEST_NAME + "b", "254 octets long; a domain name holds at most 253"),
        ("", "must be a domain name"),
        (".", "must be a domain name"),
    ],
)
def test_anything_else_is_refused_saying_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidName) as refused:
        zone_origin(text)
    assert reason in str(refused.value)


def test_the_edge_names_the_field_it_refuses() -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_fqdn("/etc/x", "name")
    assert [(p.location, p.message) for p in refused.value.problems] == [
        ("name", "label '/etc/x' holds '/'; a label holds only letters, digits, hyphens and underscores")
    ]
    assert clean_fqdn("Example.Test.") == "example.test"
