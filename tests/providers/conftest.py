"""Fixtures of the provider tests: real servers (session-scoped) and one harness per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.providers.backends import (
    Backend,
    CloudflareBackend,
    PowerDNSBackend,
    Rfc2136Backend,
    Route53Backend,
    ZoneFileBackend,
    silent_listener,
)
from tests.servers.bind import bind_server
from tests.servers.knot import knot_server
from tests.servers.moto import moto, moto_checking_credentials, moto_server
from tests.servers.powerdns import powerdns_server

__all__ = [
    "bind_server",
    "knot_server",
    "moto",
    "moto_checking_credentials",
    "moto_server",
    "powerdns_server",
]

BACKENDS = ["zonefile", "powerdns", "bind", "knot", "route53", "cloudflare"]


def make_backend(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if name == "zonefile":
        return ZoneFileBackend(tmp_path)
    if name == "powerdns":
        return PowerDNSBackend(request.getfixturevalue("powerdns_server"))
    if name == "bind":
        return Rfc2136Backend(request.getfixturevalue("bind_server"))
    if name == "knot":
        return Rfc2136Backend(request.getfixturevalue("knot_server"))
    if name == "route53":
        return Route53Backend(request.getfixturevalue("moto"))
    return CloudflareBackend()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return make_backend(request.param, request, tmp_path)


@pytest.fixture
def silent_port() -> Iterator[int]:
    yield from silent_listener()
