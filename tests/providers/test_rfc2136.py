"""RFC 2136 specifics on BIND and Knot: message splitting and verification on the server itself."""

from __future__ import annotations

import pytest

from dunops.dns.plan import Plan, plan_changes
from dunops.dns.rrset import RRset
from dunops.providers import ServeStatus
from dunops.providers.rfc2136 import Rfc2136Provider, split_messages
from tests.providers.backends import Rfc2136Backend
from tests.servers.rfc2136 import Rfc2136Server


@pytest.fixture(params=["bind", "knot"])
def rfc2136(request: pytest.FixtureRequest) -> Rfc2136Backend:
    server: Rfc2136Server = request.getfixturevalue(f"{request.param}_server")
    return Rfc2136Backend(server)


def test_a_plan_above_1000_records_is_split_into_messages_that_all_land(rfc2136: Rfc2136Backend) -> None:
    origin = rfc2136.new_zone()
    provider = rfc2136.provider()
    assert isinstance(provider, Rfc2136Provider)
    current = provider.fetch(origin)
    desired = current.copy()
    for n in range(12):  # BIND 9.18 keeps at most 100 records per RRset by default
        desired.add(RRset(f"big{n}.{origin}", "A", 300, [f"10.{n}.0.{i + 1}" for i in range(90)]))
    plan = plan_changes(current, desired)
    result = provider.apply(plan)
    assert result.complete
    assert len(result.request_ids) == 2
    assert not plan_changes(provider.fetch(origin), desired)


def test_verification_asks_the_server_itself(rfc2136: Rfc2136Backend) -> None:
    origin = rfc2136.new_zone()
    provider = rfc2136.provider()
    current = provider.fetch(origin)
    desired = current.copy()
    desired.add(RRset(f"www.{origin}", "A", 300, ["192.0.2.1"]))
    desired.add(RRset.parse(f"txt.{origin}", "TXT", 300, ['"' + "x" * 300 + '"'], origin))
    plan = plan_changes(current, desired)
    pending = provider.verify(plan)
    assert [o.status for o in pending.outcomes] == [ServeStatus.NOT_YET_SERVED] * 2
    assert provider.apply(plan).complete
    verification = provider.verify(plan)
    assert verification.all_served, verification
    assert verification.servers == (f"{rfc2136.server.host}:{rfc2136.server.port}",)
    assert provider.verify(Plan(origin)).outcomes == ()
    assert provider.nameservers(origin) == [f"ns1.{origin}", f"ns2.{origin}"]


def test_long_dkim_keys_are_split_by_message_size_and_all_land(rfc2136: Rfc2136Backend) -> None:
    origin = rfc2136.new_zone()
    provider = rfc2136.provider()
    assert isinstance(provider, Rfc2136Provider)
    current = provider.fetch(origin)
    desired = current.copy()
    key = "v=DKIM1; k=rsa; p=" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" * 40  # ~1.8 KB each
    for n in range(60):  # ~110 KB of records: far fewer than 1000, far more than one message holds
        desired.add(RRset.parse(f"s{n}._domainkey.{origin}", "TXT", 300, [f'"{key}"'], origin))
    plan = plan_changes(current, desired)
    messages = [
        provider._message(origin, [change for index, change in enumerate(plan.changes) if index in group])
        for group in split_messages(plan.changes)
    ]
    assert len(messages) >= 2
    assert all(len(message.to_wire()) <= 65535 for message in messages)

    result = provider.apply(plan)
    assert result.complete, result
    assert not plan_changes(provider.fetch(origin), desired)
