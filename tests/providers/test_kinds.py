"""The kind registry: each kind's models check config and secrets, name each bad field and what it
expects, give forms their fields, and build providers from stored connections."""

from __future__ import annotations

import pytest

from dunops.errors import InvalidInput
from dunops.providers import KINDS, FieldType, build, stored_problems
from dunops.providers.kinds import check_fields
from dunops.providers.powerdns import PowerDNSProvider
from dunops.providers.rfc2136 import ALGORITHMS, Rfc2136Provider


def test_every_kind_has_a_provider_class_with_that_kind() -> None:
    assert set(KINDS) == {"zonefile", "powerdns", "rfc2136", "route53", "cloudflare"}
    for name, kind in KINDS.items():
        assert kind.provider_class().kind == name


def test_build_fills_defaults() -> None:
    provider = build("powerdns", {"url": "http://127.0.0.1:8081"}, {"api_key": "k"}, name="pdns", timeout=3)
    assert isinstance(provider, PowerDNSProvider)
    assert provider.server_id == "localhost"
    assert provider.describe() == "connection 'pdns' (PowerDNS)"
    config = {"server": "127.0.0.1", "port": "5353", "tsig_name": "k.", "zones": "a.test, b.test"}
    rfc = build("rfc2136", config, {"tsig_secret": "c2VjcmV0"})
    assert isinstance(rfc, Rfc2136Provider)
    assert (rfc.port, rfc.zones) == (5353, ["a.test.", "b.test."])


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        build("powerdns", {"url": "ftp://x", "colour": "blue"}, {})
    assert {problem.location for problem in refused.value.problems} == {
        "config.url", "config.colour", "secrets.api_key",
    }  # fmt: skip
    with pytest.raises(InvalidInput) as bad_port:
        build("rfc2136", {"server": "h", "tsig_name": "k", "port": "fifty"}, {"tsig_secret": "c2VjcmV0"})
    assert [problem.location for problem in bad_port.value.problems] == ["config.port"]
    with pytest.raises(InvalidInput) as bad_secret:
        build("rfc2136", {"server": "h", "tsig_name": "k"}, {"tsig_secret": "not base64!"})
    assert bad_secret.value.problems[0].location == "secrets.tsig_secret"
    with pytest.raises(InvalidInput) as unknown:
        build("bind9", {}, {})
    assert unknown.value.problems[0].location == "kind"


BAD_FIELDS: list[tuple[str, dict[str, object], str, str]] = [
    ("powerdns", {"dns_address": "127.0.0.1"}, "config.dns_address", "expected host:port"),
    ("powerdns", {"dns_address": "::1:53"}, "config.dns_address", "IPv6 address in brackets"),
    ("powerdns", {"dns_address": "ns1.example.net:0"}, "config.dns_address", "expected host:port"),
    ("powerdns", {"server_id": "../../metrics"}, "config.server_id", "must be an identifier"),
    ("powerdns", {"server_id": ".."}, "config.server_id", "must be an identifier"),
    ("powerdns", {"server_id": "a/b"}, "config.server_id", "must be an identifier"),
    ("powerdns", {"url": "http://admin:pw@127.0.0.1:8081"}, "config.url", "user name or password"),
    ("powerdns", {"url": "http://127.0.0.1:8081/?x=1"}, "config.url", "query"),
    ("cloudflare", {"account_id": "../accounts"}, "config.account_id", "must be an identifier"),
    ("route53", {"region": "us east"}, "config.region", "AWS region"),
    ("rfc2136", {"server": "ns1 example"}, "config.server", "host name or an IP address"),
    ("rfc2136", {"zones": "a.test, bad..test"}, "config.zones[1]", "empty label"),
    ("rfc2136", {"tsig_algorithm": "hmac-sha3"}, "config.tsig_algorithm", "must be one of hmac-sha256"),
    ("rfc2136", {"port": True}, "config.port", "whole number"),
]
GOOD = {
    "powerdns": ({"url": "http://127.0.0.1:8081"}, {"api_key": "k"}),
    "cloudflare": ({}, {"api_token": "t"}),
    "route53": ({}, {"access_key_id": "a", "secret_access_key": "s"}),
    "rfc2136": ({"server": "192.0.2.53", "tsig_name": "k."}, {"tsig_secret": "c2VjcmV0"}),
}


@pytest.mark.parametrize(("kind", "change", "field", "expected"), BAD_FIELDS)
def test_each_field_is_checked_by_its_kind_and_named_with_what_it_expects(
    kind: str, change: dict[str, object], field: str, expected: str
) -> None:
    config, secrets = GOOD[kind]
    with pytest.raises(InvalidInput) as refused:
        build(kind, {**config, **change}, secrets)
    assert [problem.location for problem in refused.value.problems] == [field]
    assert expected in refused.value.problems[0].message


def test_fields_are_stored_in_one_canonical_form() -> None:
    config, _ = check_fields(
        "powerdns", {"url": "http://127.0.0.1:8081/", "dns_address": "[::1]:0053"}, {"api_key": "k"}
    )
    assert config == {"url": "http://127.0.0.1:8081", "server_id": "localhost", "dns_address": "[::1]:53"}
    rfc, _ = check_fields(
        "rfc2136",
        {"server": "[2001:db8::53]", "tsig_name": "k.", "zones": ["A.Test"]},
        {"tsig_secret": "c2VjcmV0"},
    )
    assert (rfc["server"], rfc["zones"], rfc["port"]) == ("2001:db8::53", ["a.test."], 53)


def test_a_stored_config_the_checks_no_longer_accept_is_named_not_fatal() -> None:
    stored = {"url": "http://127.0.0.1:8081", "dns_address": "127.0.0.1", "server_id": "../../metrics"}
    assert {problem.location for problem in stored_problems("powerdns", stored)} == {
        "config.dns_address",
        "config.server_id",
    }
    assert stored_problems("powerdns", {"url": "http://127.0.0.1:8081"}) == []


def test_forms_read_each_kind_s_fields_from_its_models() -> None:
    fields = {field.name: field for field in KINDS["rfc2136"].config}
    assert fields["port"].type is FieldType.INTEGER
    assert fields["port"].default == 53
    assert fields["server"].required
    assert fields["server"].endpoint
    assert [field.name for field in KINDS["powerdns"].secrets] == ["api_key"]
    assert KINDS["zonefile"].config[1].operator_only
    assert set(
        KINDS["rfc2136"].config_model.model_json_schema()["properties"]["tsig_algorithm"]["enum"]
    ) == set(ALGORITHMS)
