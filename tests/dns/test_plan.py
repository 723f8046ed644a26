from dunops.dns import Capabilities, ChangeKind, Plan, RRset, Zone, analyse, plan_changes, unacknowledged

ORIGIN = "example.com."


def _rr(name: str, rtype: str, values: list[str], ttl: int = 300) -> RRset:
    return RRset.parse(f"{name}.{ORIGIN}" if name else ORIGIN, rtype, ttl, values, ORIGIN)


def _zone(*rrsets: RRset) -> Zone:
    return Zone(ORIGIN, rrsets)


def test_plan_creates_updates_deletes_sorted_with_ttl_only_marked() -> None:
    current = _zone(
        _rr("a", "A", ["192.0.2.1", "192.0.2.2"]), _rr("b", "A", ["192.0.2.3"]), _rr("c", "A", ["192.0.2.4"])
    )
    desired = _zone(
        _rr("a", "A", ["192.0.2.2", "192.0.2.1"]),
        _rr("b", "A", ["192.0.2.3"], ttl=60),
        _rr("d", "TXT", ['"x"']),
    )
    plan = plan_changes(current, desired)
    assert [(c.kind, c.name, c.ttl_only) for c in plan.changes] == [
        (ChangeKind.UPDATE, f"b.{ORIGIN}", True),
        (ChangeKind.DELETE, f"c.{ORIGIN}", False),
        (ChangeKind.CREATE, f"d.{ORIGIN}", False),
    ]
    assert plan.apply(current) == desired
    assert "1 to create, 1 to update (1 TTL only), 1 to delete; 1 RRsets unchanged" in plan.render()
    assert not plan_changes(current, current)


def test_plan_json_round_trips_and_hashes_stably() -> None:
    current = _zone(_rr("a", "A", ["192.0.2.1"]))
    desired = _zone(_rr("a", "A", ["192.0.2.9"]), _rr("", "MX", ["10 mx.example.net."]))
    plan = plan_changes(current, desired)
    again = Plan.from_json(plan.to_json())
    assert again == plan
    assert again.hash == plan.hash
    assert plan.hash != plan_changes(current, _zone(_rr("a", "A", ["192.0.2.8"]))).hash
    assert plan.changes[1].before_fingerprint == current.get(f"a.{ORIGIN}", "A").fingerprint  # type: ignore[union-attr]


def test_names_differing_in_case_do_not_diff() -> None:
    current = Zone(ORIGIN, [RRset.parse("WWW.Example.com.", "A", 60, ["192.0.2.1"], ORIGIN)])
    desired = Zone(ORIGIN, [RRset.parse("www.example.com.", "A", 60, ["192.0.2.1"], ORIGIN)])
    assert not plan_changes(current, desired)


def test_safety_reasons_each_have_an_id_to_acknowledge() -> None:
    base = [_rr(f"h{i}", "A", ["192.0.2.1"]) for i in range(10)]
    current = _zone(
        *base, _rr("", "NS", ["ns1.example.net.", "ns2.example.net."]), _rr("", "MX", ["10 mx.example.net."])
    )
    desired = _zone(
        *[r.replace(ttl=60) for r in base[:6]],
        _rr("", "NS", ["ns3.example.net.", "ns2.example.net."]),
        _rr("*", "A", ["192.0.2.5"]),
        _rr("s", "DS", ["1 13 2 " + "AB" * 32]),
        _rr("x", "OPENPGPKEY", ["AAAA"]),
    )
    caps = Capabilities(record_types=frozenset({"A", "NS", "MX", "DS"}))
    reasons = analyse(plan_changes(current, desired), capabilities=caps)
    ids = [reason.id for reason in reasons]
    assert ids == [
        "update-share",
        "delete-share",
        "mx:example.com.",
        "apex-ns",
        "wildcard:*.example.com. A",
        "ds:s.example.com.",
        "unsupported-type:x.example.com. OPENPGPKEY",
    ]
    left = unacknowledged(reasons, {"update-share", "delete-share", "mx:example.com."})
    assert [r.id for r in left] == ids[3:]


def test_empty_desired_zone_and_root_ns_capability() -> None:
    current = _zone(*[_rr(f"h{i}", "A", ["192.0.2.1"]) for i in range(3)], _rr("", "NS", ["a.example.net."]))
    assert "empty-zone" in [r.id for r in analyse(plan_changes(current, _zone()))]
    plan = plan_changes(current, _zone(*current.rrsets.values()).copy(), Capabilities(root_ns=False))
    assert not plan
    without_ns = _zone(*[r for r in current.rrsets.values() if r.rtype != "NS"])
    assert plan_changes(current, without_ns, Capabilities(root_ns=False)).skipped
