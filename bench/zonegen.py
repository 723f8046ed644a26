"""Deterministic realistic zones of N RRsets, and a variant with 2% of them created/updated/deleted."""

from __future__ import annotations

import base64
import random

from dunops.dns import RRset, Zone

ORIGIN = "bench.example."


def _dkim(rng: random.Random) -> str:
    key = base64.b64encode(rng.randbytes(294)).decode()
    return f"v=DKIM1; k=rsa; p={key}"


def generate(size: int, seed: int = 1) -> Zone:
    """≈50% A, 10% AAAA, 15% CNAME, 10% TXT (SPF/DKIM-like), 5% MX, 5% SRV, 3% CAA, 2% NS delegations."""
    rng = random.Random(seed)
    soa = RRset(ORIGIN, "SOA", 3600, [f"ns1.{ORIGIN} hostmaster.{ORIGIN} 1 7200 900 1209600 300"])
    zone = Zone(ORIGIN, soa=soa)
    add = zone.add
    add(RRset.parse(ORIGIN, "NS", 3600, [f"ns1.{ORIGIN}", f"ns2.{ORIGIN}"], ORIGIN))
    add(RRset.parse(f"ns1.{ORIGIN}", "A", 3600, ["192.0.2.53"], ORIGIN))
    add(RRset.parse(f"ns2.{ORIGIN}", "A", 3600, ["198.51.100.53"], ORIGIN))
    for i in range(size - 3):
        slot = i % 100
        ttl = rng.choice((300, 300, 3600, 3600, 3600, 86400))
        if slot < 50:
            values = [
                f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                for _ in range(rng.choice((1, 1, 1, 2)))
            ]
            add(RRset.parse(f"host{i}.{ORIGIN}", "A", ttl, values, ORIGIN))
        elif slot < 60:
            add(
                RRset.parse(
                    f"v6host{i}.{ORIGIN}",
                    "AAAA",
                    ttl,
                    [f"2001:db8:{i % 65536:x}::{rng.randrange(1, 65535):x}"],
                    ORIGIN,
                )
            )
        elif slot < 75:
            add(
                RRset.parse(
                    f"alias{i}.{ORIGIN}",
                    "CNAME",
                    ttl,
                    [f"host{(i // 100) * 100 + rng.randrange(50)}"],
                    ORIGIN,
                )
            )
        elif slot < 85:
            if rng.random() < 0.5:
                name, text = (
                    f"spf{i}.{ORIGIN}",
                    f"v=spf1 ip4:192.0.2.{rng.randrange(256)} include:_spf{i}.mail.example ~all",
                )
            else:
                name, text = f"sel{i}._domainkey.{ORIGIN}", _dkim(rng)
            encoded = text.encode()
            value = " ".join(f'"{encoded[j : j + 255].decode()}"' for j in range(0, len(encoded), 255))
            add(RRset.parse(name, "TXT", ttl, [value], ORIGIN))
        elif slot < 90:
            add(
                RRset.parse(
                    f"mail{i}.{ORIGIN}",
                    "MX",
                    ttl,
                    [f"10 mx1.mail{i}.example.", f"20 mx2.mail{i}.example."],
                    ORIGIN,
                )
            )
        elif slot < 95:
            add(
                RRset.parse(
                    f"_sip._tcp.svc{i}.{ORIGIN}",
                    "SRV",
                    ttl,
                    [f"10 {rng.randrange(100)} 5060 host{(i // 100) * 100 + rng.randrange(50)}"],
                    ORIGIN,
                )
            )
        elif slot < 98:
            add(
                RRset.parse(
                    f"caa{i}.{ORIGIN}",
                    "CAA",
                    ttl,
                    ['0 issue "letsencrypt.org"', '0 iodef "mailto:sec@example.org"'],
                    ORIGIN,
                )
            )
        else:
            add(
                RRset.parse(
                    f"sub{i}.{ORIGIN}", "NS", ttl, [f"ns1.dns{i}.example.", f"ns2.dns{i}.example."], ORIGIN
                )
            )
    return zone


def variant(zone: Zone, seed: int = 2) -> Zone:
    """A copy with 2% of RRsets changed: 0.7% created, 0.7% updated (A addresses), 0.6% deleted."""
    rng = random.Random(seed)
    result = zone.copy()
    keys = sorted(result.rrsets)
    size = len(keys)
    for key in rng.sample(keys, int(size * 0.006)):
        del result.rrsets[key]
    a_keys = [k for k in keys if k[1] == "A" and k in result.rrsets]
    for key in rng.sample(a_keys, min(len(a_keys), int(size * 0.007))):
        old = result.rrsets[key]
        result.rrsets[key] = old.replace(values=[f"172.16.{rng.randrange(256)}.{rng.randrange(1, 255)}"])
    for i in range(int(size * 0.007)):
        name = f"new{i}.{ORIGIN}"
        result.add(RRset.parse(name, "A", 300, [f"192.0.2.{i % 250 + 1}"], ORIGIN))
    return result
