import pytest

from dunops.dns import Level, RRset, Zone, check_zone, validate
from dunops.errors import ZoneInvalid

O = "example.com."


def _zone(*records: tuple[str, str, list[str]], ttl: int = 3600) -> Zone:
    return Zone(
        O,
        [RRset.parse(n if n.endswith(".") else f"{n}.{O}" if n else O, t, ttl, v, O) for n, t, v in records],
    )


def _checks(zone: Zone, **kwargs: object) -> set[str]:
    return {finding.check for finding in validate(zone, **kwargs)}  # type: ignore[arg-type]


def test_cname_rules_raise_once_with_every_reason() -> None:
    zone = _zone(("", "CNAME", ["a.example.net."]), ("www", "CNAME", ["x."]), ("www", "A", ["192.0.2.1"]),
                 ("out.example.org.", "A", ["192.0.2.2"]))  # fmt: skip
    with pytest.raises(ZoneInvalid) as caught:
        check_zone(zone)
    codes = {problem.code for problem in caught.value.problems}
    assert codes == {"cname-apex", "cname-exclusive", "out-of-zone"}


def test_delegation_dname_and_alias_rules() -> None:
    zone = _zone(
        ("sub", "NS", ["ns1.sub.example.com.", "ns2.example.net."]), ("ns1.sub", "A", ["192.0.2.1"]),
        ("x.sub", "TXT", ['"hidden"']), ("d", "DNAME", ["t.example.net."]), ("y.d", "A", ["192.0.2.3"]),
        ("alias", "ALIAS", ["t.example.net."]),
    )  # fmt: skip
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
        ("", "MX", ["10 mx"]), ("mx", "CNAME", ["mail.example.net."]), ("", "NS", ["ns1.example.net."]),
        ("", "TXT", ['"v=spf1 include:a include:b include:c include:d include:e include:f include:g '
                     'include:h include:i include:j include:k bogus ~all"']),
        ("", "CAA", ['0 iodef "mailto:x@example.com"']), ("go", "CNAME", ["missing"]),
    )  # fmt: skip
    assert _checks(zone) == {
        "target-cname", "ns-count", "spf-lookups", "spf-syntax", "caa-issue", "dangling-target", "dmarc-missing",
    }  # fmt: skip
    assert "ttl-suspicious" in _checks(_zone(("a", "A", ["192.0.2.1"]), ttl=5))


def test_spf_lookups_follow_includes_inside_the_zone() -> None:
    inner = " ".join(f"a:h{i}.example.net" for i in range(9))
    zone = _zone(("", "TXT", ['"v=spf1 include:_spf.example.com include:x.example.net -all"']),
                 ("_spf", "TXT", [f'"v=spf1 {inner} -all"']), ("_dmarc", "TXT", ['"v=DMARC1; p=none"']))  # fmt: skip
    assert "spf-lookups" in _checks(zone)


def test_unknown_check_ids_are_refused() -> None:
    with pytest.raises(ZoneInvalid, match="unknown check"):
        validate(Zone(O), disabled=["no-such-check"])
