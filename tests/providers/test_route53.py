"""Route 53 specifics on moto, plus AWS's documented behaviour that moto does not enforce.

moto accepts stale exact-match DELETEs, CNAME beside A and oversized batches, and returns ``*``
where AWS returns ``\\052``; DunOps must not rely on any of that, so these tests pin what DunOps sends.
"""

from __future__ import annotations

import pytest

from dunops.dns.plan import Change, ChangeKind, plan_changes
from dunops.dns.rrset import RRset
from dunops.dns.zone import Zone
from dunops.errors import ProviderError
from dunops.providers import ChangeStatus, build
from dunops.providers.route53 import Route53Provider, decode_name
from tests.providers.backends import Route53Backend
from tests.servers.moto import MotoServer


@pytest.fixture
def route53(moto: MotoServer) -> Route53Backend:
    return Route53Backend(moto)


def provider_of(backend: Route53Backend) -> Route53Provider:
    provider = backend.provider()
    assert isinstance(provider, Route53Provider)
    return provider


def test_names_with_octal_escapes_are_decoded() -> None:
    assert decode_name("\\052.apps.Example.com.") == "*.apps.example.com."
    assert decode_name("a\\100b.example.com.") == "a@b.example.com."


def test_an_update_is_an_exact_match_delete_and_a_create_in_one_batch(route53: Route53Backend) -> None:
    provider = provider_of(route53)
    before = RRset("www.aws.test.", "A", 300, ["192.0.2.1", "192.0.2.2"])
    after = before.replace(values=["192.0.2.3"], ttl=60)
    changes = provider.change_batch([Change(ChangeKind.UPDATE, before, after)])
    name = "www.aws.test."
    old_values = [{"Value": "192.0.2.1"}, {"Value": "192.0.2.2"}]
    new_values = [{"Value": "192.0.2.3"}]
    assert changes == [
        {
            "Action": "DELETE",
            "ResourceRecordSet": {"Name": name, "Type": "A", "TTL": 300, "ResourceRecords": old_values},
        },
        {
            "Action": "CREATE",
            "ResourceRecordSet": {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": new_values},
        },
    ]


def test_batches_hold_at_most_1000_values_and_all_land(route53: Route53Backend) -> None:
    origin = route53.new_zone()
    provider = provider_of(route53)
    current = provider.fetch(origin)
    big = [RRset(f"big{n}.{origin}", "A", 300, [f"10.{n}.{i // 250}.{i % 250 + 1}" for i in range(400)])
           for n in range(3)]  # fmt: skip
    desired = current.copy()
    for rrset in big:
        desired.add(rrset)
    plan = plan_changes(current, desired)
    assert provider.batches(plan.changes) == [[0, 1], [2]]
    result = provider.apply(plan)
    assert result.complete
    assert len(result.request_ids) == 2
    assert not plan_changes(provider.fetch(origin), desired)


def test_private_and_public_zones_are_listed_with_pagination(route53: Route53Backend) -> None:
    client = route53.client
    client.create_hosted_zone(Name="internal.test.", CallerReference="private",
                              VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"},
                              HostedZoneConfig={"PrivateZone": True, "Comment": ""})  # fmt: skip
    for _ in range(101):
        route53.new_zone()
    zones = {zone.name: zone for zone in provider_of(route53).list_zones()}
    assert len(zones) == 102
    assert zones["internal.test."].private
    assert not zones["aws1.test."].private


def test_alias_records_read_as_alias_and_are_never_rewritten_unless_changed(route53: Route53Backend) -> None:
    origin = route53.new_zone()
    zone_id = route53.zone_id(origin)
    alias = {"HostedZoneId": zone_id, "DNSName": f"www.{origin}", "EvaluateTargetHealth": False}
    route53.client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": f"www.{origin}", "Type": "A", "TTL": 300,
                                                   "ResourceRecords": [{"Value": "192.0.2.1"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": origin, "Type": "A", "AliasTarget": alias}},
    ]})  # fmt: skip
    provider = provider_of(route53)
    served = provider.fetch(origin)
    apex = served.get(origin, "ALIAS")
    assert apex is not None
    assert apex.values == (f"www.{origin}",)
    assert apex.meta_dict["route53"] == {
        "hosted_zone_id": zone_id,
        "types": ["A"],
        "evaluate_target_health": False,
    }
    assert not plan_changes(served, provider.fetch(origin))
    desired = served.copy()
    desired.add(RRset(f"other.{origin}", "A", 300, ["192.0.2.9"]))
    plan = plan_changes(served, desired)
    assert [change.name for change in plan.changes] == [f"other.{origin}"]
    assert provider.apply(plan).complete
    assert provider.fetch(origin).get(origin, "ALIAS") == apex


def test_a_wildcard_is_sent_and_read_back_as_a_wildcard(route53: Route53Backend) -> None:
    origin = route53.new_zone()
    provider = provider_of(route53)
    current = provider.fetch(origin)
    wildcard = RRset(f"*.{origin}", "A", 300, ["192.0.2.8"])
    desired = current.copy()
    desired.add(wildcard)
    result = provider.apply(plan_changes(current, desired))
    assert [outcome.status for outcome in result.outcomes] == [ChangeStatus.WRITTEN]
    assert provider.fetch(origin).get(f"*.{origin}", "A") == wildcard
    assert isinstance(result.read_back, Zone)


def test_refused_credentials_name_the_connection(moto_checking_credentials: MotoServer) -> None:
    config = {"endpoint_url": moto_checking_credentials.endpoint_url}
    secrets = {"access_key_id": "AKIAUNKNOWN", "secret_access_key": "wrong"}
    provider = build("route53", config, secrets, name="aws-prod")
    with pytest.raises(ProviderError) as refused:
        provider.list_zones()
    assert "connection 'aws-prod' (Route 53)" in str(refused.value)
    assert "credentials were refused" in str(refused.value)
