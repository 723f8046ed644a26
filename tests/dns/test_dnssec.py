"""The apex's DNSSEC records as ``dunops zone validate`` reads them: a DS is refused at the apex, and
CDS and CDNSKEY must stand for a DNSKEY of the zone or be RFC 8078's delete forms; the NSEC3 and NSAP
data BIND refuses is refused with its place."""

import pytest

from dunops.dns import RRsetKey, Zone, check_zone, read_bind
from dunops.errors import Problem, ZoneInvalid

# BIND's checkzone test key (RSASHA512, key tag 14364) and its SHA-256 DS as BIND computes it
KEY = (
    "257 3 10 AwEAAbqjg7xdvnU2Q/gtLw5LOfr5cDeTRjYuEbkzGrUiVSOSoxcTxuao "
    "WS/AFPQHuD8OSLiE/CeZ087JowREXl058rRfae8KMrveY17V0wmKs9N1 "
    "F1wf/hRDpXiThlRHWlskp8eSEEIqYrrHgWTesy/xDGIEOFM1gwRo0w8j "
    "KdRRJeL2hseTMa+m3rTzrYudUsI0BHLW8PiDUCbG5xgdee8/5YR4847i "
    "AAqHIiPJ1Z/IT53OIjMmtv5BUykZ8RYjlJxxX+C+dpRKiK73SQaR3hCB "
    "XAYOL9WsDp2/fpmEZpewavkMkdC+j2CX+z27MCS3ASO0AeKK0lcNXwND kgreE+Kr7gc="
)
CDS = "14364 10 2 FD03B2312C8F0FE72C1751EFA1007D743C94EC91594FF0047C23C37CE119BA0C"
CDS_SHA1 = "14364 10 1 " + "0" * 40
HEAD = (
    "$ORIGIN example.\n$TTL 3600\n@ SOA ns hostmaster 1 7200 3600 1209600 3600\n"
    "@ NS ns\n@ NS ns2\nns A 192.0.2.1\nns2 A 192.0.2.2\n"
)


def _validate(records: str) -> Zone:
    positions: dict[RRsetKey, str] = {}
    zone = read_bind(HEAD + records, filename="example.db", positions=positions)
    check_zone(zone, positions=positions)
    return zone


def _refused(records: str) -> list[Problem]:
    with pytest.raises(ZoneInvalid) as caught:
        _validate(records)
    return caught.value.problems


def test_a_ds_at_the_apex_is_refused_with_its_place() -> None:
    [problem] = _refused(f"@ DNSKEY {KEY}\n@ DS {CDS}\n")
    assert problem.code == "ds-apex"
    assert problem.location == "example.db:9:1: example. DS"
    assert "belongs to the parent zone" in problem.message
    assert "RFC 4035" in problem.message


def test_a_ds_at_a_delegation_below_the_apex_is_read() -> None:
    zone = _validate(f"sub NS ns.example.net.\nsub NS ns2.example.net.\nsub DS {CDS}\n")
    assert zone.get("sub.example.", "DS") is not None


def test_a_cds_that_is_the_ds_of_a_dnskey_is_read() -> None:
    zone = _validate(f"@ DNSKEY {KEY}\n@ CDS {CDS}\n@ CDNSKEY {KEY}\n")
    cds = zone.get("example.", "CDS")
    assert cds is not None
    assert cds.values == (CDS.lower(),)


@pytest.mark.parametrize(
    ("cds", "why"),
    [
        (CDS[:-1] + "D", "digest"),  # one hex digit off
        (CDS.replace(" 10 2 ", " 14 2 "), "algorithm"),  # BIND's bad-cds.db: the algorithm is not the key's
        (CDS.replace("14364", "14365"), "key tag"),
        (CDS_SHA1, "SHA-1 digest"),
    ],
)
def test_a_cds_that_stands_for_no_dnskey_is_refused(cds: str, why: str) -> None:
    [problem] = _refused(f"@ DNSKEY {KEY}\n@ CDS {cds}\n")
    assert problem.code == "cds-dnskey", why
    assert problem.location == "example.db:9:1: example. CDS"
    assert "matches no DNSKEY of the zone" in problem.message


def test_a_cds_in_a_zone_without_a_dnskey_is_refused() -> None:
    [problem] = _refused(f"@ CDS {CDS}\n")
    assert problem.code == "cds-dnskey"


def test_a_cdnskey_that_is_not_a_dnskey_of_the_zone_is_refused() -> None:
    other = KEY.replace("257 3 10", "257 3 14", 1)  # BIND's bad-cdnskey.db: another algorithm
    [problem] = _refused(f"@ DNSKEY {KEY}\n@ CDNSKEY {other}\n")
    assert (problem.code, problem.location) == ("cds-dnskey", "example.db:9:1: example. CDNSKEY")
    assert "is not a DNSKEY of the zone" in problem.message


@pytest.mark.parametrize("keys", ["", f"@ DNSKEY {KEY}\n"])
def test_the_rfc_8078_delete_forms_are_read_with_or_without_keys(keys: str) -> None:
    zone = _validate(keys + "@ CDS 0 0 0 00\n@ CDNSKEY 0 3 0 AA==\n")
    assert zone.get("example.", "CDS") is not None
    assert zone.get("example.", "CDNSKEY") is not None


def test_a_delete_form_beside_other_records_is_refused() -> None:
    problems = _refused(f"@ DNSKEY {KEY}\n@ CDS 0 0 0 00\n@ CDS {CDS}\n")
    assert [p.code for p in problems] == ["cds-dnskey"]
    assert "must be the only CDS record" in problems[0].message
    assert "RFC 8078" in problems[0].message


def test_a_near_delete_form_is_no_delete_form() -> None:
    [problem] = _refused("@ CDNSKEY 0 3 0 AQ==\n")
    assert problem.code == "cds-dnskey"


def test_cds_and_cdnskey_below_the_apex_are_not_the_zone_s_own() -> None:
    """BIND checks them at the apex only; below it they are data like any other."""
    zone = _validate(f"other CDS {CDS_SHA1}\n")
    assert zone.get("other.example.", "CDS") is not None


def test_an_nsec3_hash_shorter_than_sha_1_is_refused_with_its_place() -> None:
    problems = _refused(
        "I7A7A184GGMI35K1E3IR650LKO7NOB5R 7200 NSEC3 1 0 10 76931F IMQ912BREQP1POLAH3RMONG;UED541AS A\n"
    )
    assert [(p.code, p.location) for p in problems] == [("bind-syntax", "example.db:8:45")]
    assert "14 octets" in problems[0].message
    assert "SHA-1" in problems[0].message


def test_a_whole_nsec3_is_checked_then_left_out() -> None:
    zone = _validate(
        "I7A7A184GGMI35K1E3IR650LKO7NOB5R 7200 NSEC3 1 0 10 76931F IMQ912BREQP1POLAH3RMONGUED541AS0 A\n"
        "I7A7A184GGMI35K1E3IR650LKO7NOB5S 7200 NSEC3 2 0 10 76931F IMQ912BREQP1POLAH3RMONG A\n"
    )
    assert not [key for key in zone.rrsets if key[1] == "NSEC3"]


@pytest.mark.parametrize("data", ["0x", "\\# 0"])
def test_an_empty_nsap_is_refused(data: str) -> None:
    [problem] = _refused(f"host NSAP {data}\n")
    assert (problem.code, problem.location) == ("bind-syntax", "example.db:8:11")
    assert "an NSAP address holds at least one octet" in problem.message


def test_an_nsap_address_is_read() -> None:
    zone = _validate("host NSAP 0x47.0005.80.005a00.0000.0001.e133.ffffff000161.00\n")
    assert zone.get("host.example.", "NSAP") is not None


def test_a_cds_of_a_digest_no_parent_computes_is_matched_by_key_tag_and_algorithm() -> None:
    """GOST (digest type 3, retired by RFC 8624) cannot be computed: BIND reads such a CDS too."""
    gost = "14364 10 3 " + "AB" * 32
    assert _validate(f"@ DNSKEY {KEY}\n@ CDS {gost}\n").get("example.", "CDS") is not None
    [problem] = _refused(f"@ DNSKEY {KEY}\n@ CDS {gost.replace('14364', '14365')}\n")
    assert problem.code == "cds-dnskey"
