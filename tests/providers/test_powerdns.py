"""PowerDNS specifics: the apply is one atomic PATCH and verification queries its DNS port."""

from __future__ import annotations

from dunops.dns.plan import plan_changes
from dunops.dns.rrset import RRset
from dunops.providers import ChangeStatus, ServeStatus
from tests.providers.backends import PowerDNSBackend
from tests.servers.powerdns import PowerDNSServer


def test_apply_then_verify_on_the_authoritative_server(powerdns_server: PowerDNSServer) -> None:
    backend = PowerDNSBackend(powerdns_server)
    origin = backend.new_zone()
    provider = backend.provider()
    current = provider.fetch(origin)
    desired = current.copy()
    desired.add(RRset(f"www.{origin}", "A", 300, ["192.0.2.1", "192.0.2.2"]))
    desired.add(RRset(f"mail.{origin}", "MX", 300, [f"10 mx.{origin}"]))
    desired.add(RRset(f"mx.{origin}", "A", 300, ["192.0.2.25"]))
    plan = plan_changes(current, desired)
    result = provider.apply(plan)
    assert [o.status for o in result.outcomes] == [ChangeStatus.WRITTEN] * 3
    verification = provider.verify(plan)
    assert [o.status for o in verification.outcomes] == [ServeStatus.SERVED] * 3
    assert verification.servers == (f"127.0.0.1:{powerdns_server.dns_port}",)
