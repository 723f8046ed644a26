"""A deterministic set of RRset edits (creates, updates, deletes) to apply to a generated zone.

The same edits can be laid over any zone that holds the RRsets they update or delete, so a smaller
starting zone (for a slow backend) still receives exactly the same changes.
"""

from __future__ import annotations

import random

from bench.zonegen import ORIGIN
from dunops.dns import RRset, RRsetKey, Zone

Edits = dict[RRsetKey, RRset | None]  # the new RRset, or None to delete it

_KEPT = {(ORIGIN, "NS"), (f"ns1.{ORIGIN}", "A"), (f"ns2.{ORIGIN}", "A")}


def _updated(rrset: RRset, rng: random.Random, i: int) -> RRset:
    if rrset.rtype == "A":
        values = [f"172.16.{rng.randrange(256)}.{rng.randrange(1, 255)}"]
        return rrset.replace(values=values, ttl=rrset.ttl if i % 3 else 600)
    if rrset.rtype == "AAAA":
        return rrset.replace(values=[f"2001:db8:ffff::{rng.randrange(1, 65535):x}"])
    if rrset.rtype == "TXT":
        return RRset.parse(rrset.name, "TXT", rrset.ttl, [f'"v=spf1 ip4:198.51.100.{i % 256} -all"'], ORIGIN)
    if rrset.rtype == "MX":
        return RRset.parse(rrset.name, "MX", rrset.ttl, [f"5 mx.changed{i}.example."], ORIGIN)
    return rrset.replace(ttl=120 if rrset.ttl != 120 else 240)  # CNAME, SRV, CAA, NS: a TTL change


def _created(i: int) -> RRset:
    name = f"chg{i}.{ORIGIN}"
    slot = i % 10
    if slot < 5:
        return RRset.parse(name, "A", 300, [f"192.0.2.{i % 250 + 1}"], ORIGIN)
    if slot < 7:
        return RRset.parse(name, "AAAA", 300, [f"2001:db8:c::{i:x}"], ORIGIN)
    if slot < 8:
        return RRset.parse(name, "TXT", 300, [f'"bench-created-{i}"'], ORIGIN)
    if slot < 9:
        return RRset.parse(name, "MX", 300, [f"10 mx.created{i}.example."], ORIGIN)
    return RRset.parse(name, "CNAME", 300, [f"host{(i * 100) % 4900}.{ORIGIN}"], ORIGIN)


def make_edits(
    zone: Zone, *, updates: int = 2000, creates: int = 1500, deletes: int = 1500, seed: int = 5
) -> Edits:
    """``updates`` + ``creates`` + ``deletes`` edits of ``zone`` (apex NS and its glue kept)."""
    rng = random.Random(seed)
    keys = sorted(key for key in zone.rrsets if key not in _KEPT)
    picked = rng.sample(keys, updates + deletes)
    edits: Edits = {}
    for i, key in enumerate(picked[:updates]):
        edits[key] = _updated(zone.rrsets[key], rng, i)
    for key in picked[updates:]:
        edits[key] = None
    for i in range(creates):
        rrset = _created(i)
        edits[(rrset.key, rrset.rtype)] = rrset
    return edits


def apply_edits(zone: Zone, edits: Edits) -> Zone:
    result = zone.copy()
    for key, rrset in edits.items():
        result.remove(*key)
        if rrset is not None:
            result.add(rrset, replace=True)
    return result


def subset(zone: Zone, edits: Edits, size: int) -> Zone:
    """A zone of about ``size`` RRsets holding every RRset the edits update or delete."""
    result = Zone(zone.origin, soa=zone.soa)
    for key, rrset in zone.rrsets.items():
        if key in edits or key in _KEPT:
            result.add(rrset)
    for key, rrset in sorted(zone.rrsets.items()):
        if len(result) >= size:
            break
        if key not in result.rrsets:
            result.add(rrset)
    return result
