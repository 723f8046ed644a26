"""Fixtures of the fault tests: PowerDNS (one per session) behind a holding proxy and a UDP gate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.support import HoldingProxy, UdpGate
from tests.servers.powerdns import PowerDNSServer, powerdns_server

__all__ = ["gate", "powerdns_server", "proxy"]


@pytest.fixture
def proxy(powerdns_server: PowerDNSServer) -> Iterator[HoldingProxy]:
    held = HoldingProxy(int(powerdns_server.api_url.rsplit(":", 1)[1]))
    yield held
    held.close()


@pytest.fixture
def gate(powerdns_server: PowerDNSServer) -> Iterator[UdpGate]:
    relay = UdpGate(powerdns_server.dns_port)
    yield relay
    relay.close()
