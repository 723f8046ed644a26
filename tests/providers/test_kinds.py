"""The kind registry: building providers from stored config and secrets, naming each bad field."""

from __future__ import annotations

import pytest

from dunops.errors import InvalidInput
from dunops.providers import KINDS, build
from dunops.providers.powerdns import PowerDNSProvider
from dunops.providers.rfc2136 import Rfc2136Provider


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
