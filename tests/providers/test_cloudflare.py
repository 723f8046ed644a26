"""Cloudflare specifics against the stateful fake: rate limits, pagination, proxied, partial failures."""

from __future__ import annotations

import pytest

from dunops.dns.plan import plan_changes
from dunops.dns.rrset import RRset, meta_text
from dunops.dns.zone import Zone
from dunops.errors import InvalidInput, ProviderError, ZoneMissing
from dunops.providers import ChangeStatus
from dunops.providers.cloudflare import CloudflareProvider
from tests.providers.backends import CloudflareBackend


@pytest.fixture
def cloudflare() -> CloudflareBackend:
    return CloudflareBackend()


def a_records(origin: str, count: int, start: int = 0) -> list[RRset]:
    return [
        RRset(f"h{i}.{origin}", "A", 300, [f"192.0.2.{i % 250 + 1}"]) for i in range(start, start + count)
    ]


def with_rrsets(zone: Zone, rrsets: list[RRset]) -> Zone:
    desired = zone.copy()
    for rrset in rrsets:
        desired.add(rrset, replace=True)
    return desired


def test_rate_limits_are_retried_after_the_server_says(cloudflare: CloudflareBackend) -> None:
    origin = cloudflare.new_zone()
    cloudflare.fake.rate_limited = 2
    assert cloudflare.provider().fetch(origin).origin == origin
    assert cloudflare.fake.rate_limited == 0


def test_rate_limit_retries_are_bounded(cloudflare: CloudflareBackend) -> None:
    origin = cloudflare.new_zone()
    cloudflare.fake.rate_limited = 10
    with pytest.raises(ProviderError, match="429"):
        cloudflare.provider(max_retries=2).fetch(origin)
    assert cloudflare.fake.rate_limited == 7


def test_pagination_reads_every_zone_and_record(cloudflare: CloudflareBackend) -> None:
    zones = [cloudflare.new_zone() for _ in range(130)]
    provider = cloudflare.provider()
    assert {zone.name for zone in provider.list_zones()} == set(zones)
    zone = cloudflare.fake.zone_named(zones[0])
    for rrset in a_records(zones[0], 250):
        cloudflare.fake.add_record(
            zone, type="A", name=rrset.key.rstrip("."), content=rrset.values[0], ttl=300
        )
    assert len(provider.fetch(zones[0])) == 250


def test_proxied_flag_is_kept_as_provider_metadata(cloudflare: CloudflareBackend) -> None:
    origin = cloudflare.new_zone()
    zone = cloudflare.fake.zone_named(origin)
    cloudflare.fake.add_record(
        zone, type="A", name=f"www.{origin}".rstrip("."), content="192.0.2.1", ttl=1, proxied=True
    )
    provider = cloudflare.provider()
    served = provider.fetch(origin)
    www = served.get(f"www.{origin}", "A")
    assert www is not None
    assert www.meta_dict == {"cloudflare": {"proxied": True}}
    assert not plan_changes(served, provider.fetch(origin))
    unproxied = RRset(www.name, "A", 300, www.values, "")
    assert provider.apply(plan_changes(served, with_rrsets(served, [unproxied]))).complete
    record = next(iter(zone.records.values()))
    assert (record["proxied"], record["ttl"]) == (False, 300)
    assert provider.fetch(origin).get(www.name, "A") == unproxied


def test_unquoted_txt_content_is_one_string(cloudflare: CloudflareBackend) -> None:
    origin = cloudflare.new_zone()
    zone = cloudflare.fake.zone_named(origin)
    cloudflare.fake.add_record(zone, type="TXT", name=origin.rstrip("."), content="v=spf1 -all", ttl=300)
    txt = cloudflare.provider().fetch(origin).get(origin, "TXT")
    assert txt is not None
    assert txt.values == ('"v=spf1 -all"',)


def test_a_failed_batch_reports_exactly_which_changes_landed(cloudflare: CloudflareBackend) -> None:
    origin = cloudflare.new_zone()
    provider = cloudflare.provider(batch_size=3)
    current = provider.fetch(origin)
    cloudflare.fake.fail_after_writes(2)
    result = provider.apply(plan_changes(current, with_rrsets(current, a_records(origin, 9))))
    statuses = [outcome.status for outcome in result.outcomes]
    assert statuses == [ChangeStatus.WRITTEN] * 6 + [ChangeStatus.REFUSED] * 3
    served = provider.fetch(origin)
    for outcome in result.outcomes:
        assert (served.get(outcome.name, "A") is not None) == (outcome.status is ChangeStatus.WRITTEN)


def test_without_the_batch_endpoint_calls_are_ordered_and_reported_one_by_one(
    cloudflare: CloudflareBackend,
) -> None:
    cloudflare.fake.batch_enabled = False
    origin = cloudflare.new_zone()
    provider = cloudflare.provider()
    current = provider.fetch(origin)
    cloudflare.fake.fail_after_writes(1 + 4)  # the refused batch attempt counts as one write request
    result = provider.apply(plan_changes(current, with_rrsets(current, a_records(origin, 6))))
    assert [o.status for o in result.outcomes].count(ChangeStatus.WRITTEN) == 4
    assert [o.status for o in result.outcomes].count(ChangeStatus.REFUSED) == 2
    assert len(provider.fetch(origin)) == 4
    failed = [o for o in result.outcomes if o.status is ChangeStatus.REFUSED]
    assert "HTTP status 500 (Cloudflare error 1000)" in failed[0].message
    assert "Internal server error" not in failed[0].message  # Cloudflare's own words are not passed on


def test_an_update_touches_only_the_values_that_change(cloudflare: CloudflareBackend) -> None:
    origin = cloudflare.new_zone()
    provider = cloudflare.provider()
    current = provider.fetch(origin)
    first = RRset(f"www.{origin}", "A", 300, ["192.0.2.1", "192.0.2.2"])
    provider.apply(plan_changes(current, with_rrsets(current, [first])))
    kept_id = next(
        r["id"] for r in cloudflare.fake.zone_named(origin).records.values() if r["content"] == "192.0.2.1"
    )
    served = provider.fetch(origin)
    provider.apply(
        plan_changes(served, with_rrsets(served, [first.replace(values=["192.0.2.1", "192.0.2.3"])]))
    )
    contents = {r["content"]: r["id"] for r in cloudflare.fake.zone_named(origin).records.values()}
    assert set(contents) == {"192.0.2.1", "192.0.2.3"}
    assert contents["192.0.2.1"] == kept_id


def test_nothing_is_sent_for_a_plan_cloudflare_cannot_hold(cloudflare: CloudflareBackend) -> None:
    origin = cloudflare.new_zone()
    provider = cloudflare.provider()
    current = provider.fetch(origin)
    apex_ns = RRset(origin, "NS", 300, ["ns1.example.net.", "ns2.example.net."])
    sshfp = RRset(f"ssh.{origin}", "SSHFP", 300, ["4 2 " + "cd" * 32])
    with pytest.raises(InvalidInput) as refused:
        provider.apply(plan_changes(current, with_rrsets(current, [apex_ns, sshfp])))
    assert {problem.location for problem in refused.value.problems} == {f"{origin} NS", f"ssh.{origin} SSHFP"}
    assert cloudflare.fake.writes == 0


def test_api_errors_carry_cloudflare_messages(cloudflare: CloudflareBackend) -> None:
    with pytest.raises(ZoneMissing, match=r"no zone missing\.test\."):
        cloudflare.provider().fetch("missing.test")
    cloudflare.fake.add_zone("ok.test")
    provider = cloudflare.provider()
    assert isinstance(provider, CloudflareProvider)
    assert provider.nameservers("ok.test") == ["ada.ns.cloudflare.com.", "bob.ns.cloudflare.com."]
    assert meta_text({"cloudflare": {"proxied": True}}) == '{"cloudflare":{"proxied":true}}'
