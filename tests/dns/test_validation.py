import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunops.dns import Level, RRset, Zone, check_zone, validate
from dunops.dns.validation import _check_cuts, _run_checks, _spf_problems
from dunops.errors import ZoneInvalid

ORIGIN = "example.com."


def _zone(*records: tuple[str, str, list[str]], ttl: int = 3600) -> Zone:
    return Zone(
        ORIGIN,
        [
            RRset.parse(n if n.endswith(".") else f"{n}.{ORIGIN}" if n else ORIGIN, t, ttl, v, ORIGIN)
            for n, t, v in records
        ],
    )


def _checks(zone: Zone, **kwargs: object) -> set[str]:
    return {finding.check for finding in validate(zone, **kwargs)}  # type: ignore[arg-type]


def test_cname_rules_raise_once_with_every_reason() -> None:
    zone = _zone(
        ("", "CNAME", ["a.example.net."]),
        ("www", "CNAME", ["x."]),
        ("www", "A", ["192.0.2.1"]),
        ("out.example.org.", "A", ["192.0.2.2"]),
    )
    with pytest.raises(ZoneInvalid) as caught:
        check_zone(zone)
    codes = {problem.code for problem in caught.value.problems}
    assert codes == {"cname-apex", "cname-exclusive", "out-of-zone"}


def test_delegation_dname_and_alias_rules() -> None:
    zone = _zone(
        ("sub", "NS", ["ns1.sub.example.com.", "ns2.example.net."]),
        ("ns1.sub", "A", ["192.0.2.1"]),
        ("x.sub", "TXT", ['"hidden"']),
        ("d", "DNAME", ["t.example.net."]),
        ("y.d", "A", ["192.0.2.3"]),
        ("alias", "ALIAS", ["t.example.net."]),
    )
    findings = validate(zone)
    assert {f.check for f in findings if f.level is Level.ERROR} == {
        "below-delegation",
        "dname-subtree",
        "alias-apex",
    }


def test_lenient_turns_errors_into_warnings_and_checks_switch_off() -> None:
    zone = _zone(("www", "CNAME", ["x."]), ("www", "A", ["192.0.2.1"]))
    warnings = check_zone(zone, lenient=True)
    assert [f.check for f in warnings] == ["cname-exclusive"]
    assert check_zone(zone, disabled=["cname-exclusive"]) == []


def test_best_practice_warnings() -> None:
    zone = _zone(
        ("", "MX", ["10 mx"]),
        ("mx", "CNAME", ["mail.example.net."]),
        ("", "NS", ["ns1.example.net."]),
        (
            "",
            "TXT",
            [
                '"v=spf1 include:a include:b include:c include:d include:e include:f include:g '
                'include:h include:i include:j include:k bogus ~all"'
            ],
        ),
        ("", "CAA", ['0 iodef "mailto:x@example.com"']),
        ("go", "CNAME", ["missing"]),
    )
    assert _checks(zone) == {
        "target-cname",
        "ns-count",
        "spf-lookups",
        "spf-syntax",
        "caa-issue",
        "dangling-target",
        "dmarc-missing",
    }
    assert "ttl-suspicious" in _checks(_zone(("a", "A", ["192.0.2.1"]), ttl=5))


def test_spf_lookups_follow_includes_inside_the_zone() -> None:
    inner = " ".join(f"a:h{i}.example.net" for i in range(9))
    zone = _zone(
        ("", "TXT", ['"v=spf1 include:_spf.example.com include:x.example.net -all"']),
        ("_spf", "TXT", [f'"v=spf1 {inner} -all"']),
        ("_dmarc", "TXT", ['"v=DMARC1; p=none"']),
    )
    assert "spf-lookups" in _checks(zone)


def test_unknown_check_ids_are_refused() -> None:
    with pytest.raises(ZoneInvalid, match="unknown check"):
        validate(Zone(ORIGIN), disabled=["no-such-check"])


def test_cut_checks_cover_names_one_label_below_the_apex() -> None:
    at_delegation = _zone(("sub", "NS", ["ns1.example.net.", "ns2.example.net."]), ("sub", "TXT", ['"x"']))
    assert "below-delegation" in _checks(at_delegation)
    under_apex_dname = _zone(("", "DNAME", ["example.net."]), ("a", "A", ["192.0.2.1"]))
    assert "dname-subtree" in _checks(under_apex_dname)
    plain = _zone(("sub", "NS", ["ns1.example.net.", "ns2.example.net."]), ("a", "TXT", ['"x"']))
    assert "below-delegation" not in _checks(plain)


def test_targets_at_empty_non_terminals_are_not_dangling() -> None:
    zone = _zone(("a.b", "A", ["192.0.2.1"]), ("x", "CNAME", ["b"]), ("y", "CNAME", ["c"]))
    dangling = [f.location for f in validate(zone) if f.check == "dangling-target"]
    assert dangling == [f"y.{ORIGIN} CNAME"]


_RECORD_DATA = {
    "A": "192.0.2.1",
    "NS": "ns1.example.net.",
    "DNAME": "example.net.",
    "TXT": '"x"',
    "MX": "10 mx.example.net.",
}


@settings(max_examples=150)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(["a", "b", "c"]), max_size=3), st.sampled_from(sorted(_RECORD_DATA))
        ),
        max_size=12,
    )
)
def test_cut_checks_skip_only_names_that_have_no_cut_above(records: list[tuple[list[str], str]]) -> None:
    rrsets = {
        (".".join([*labels, ORIGIN]).replace("..", "."), rtype): rtype for labels, rtype in records
    }  # one RRset per name and type
    zone = Zone(
        ORIGIN, [RRset.parse(name, rtype, 3600, [_RECORD_DATA[rtype]], ORIGIN) for name, rtype in rrsets]
    )
    nodes = zone.types_by_name()
    delegations = {name for name, types in nodes.items() if "NS" in types and name != ORIGIN}
    dnames = {name for name, types in nodes.items() if "DNAME" in types}
    every_name = [
        finding
        for name, types in nodes.items()
        if name != ORIGIN
        for finding in _check_cuts(name, types, ORIGIN, delegations, dnames)
    ]
    found = [finding for finding in _run_checks(zone) if finding[0] in ("below-delegation", "dname-subtree")]
    assert found == every_name


@pytest.mark.parametrize(
    "argument",
    [
        "192.0.2.1",
        "192.0.2.0/24",
        "0.0.0.0/0",
        "255.255.255.255/32",
        "192.0.2.01",
        "192.0.2.256",
        "192.0.2.1/33",
        "192.0.2.1/08",
        "192.0.2.1/",
        "1.2.3",
        "1.2.3.4.5",
        "\u0661.2.3.4",
        "192.0.2.1/\u0661",
        "2001:db8::/32",
        "",
    ],
)
def test_spf_ip4_networks_are_checked_as_ipaddress_reads_them(argument: str) -> None:
    try:
        valid = ipaddress.ip_network(argument, strict=False).version == 4
    except ValueError:
        valid = False
    assert (_spf_problems(f"v=spf1 ip4:{argument} -all") == []) is valid
