"""Judging a few RRsets in their stored neighbourhood gives the same errors as validating the whole zone.

Differential: random edits on a zone full of what the rules look at (delegations with glue, a DNAME,
CNAMEs, wildcards, MX/SRV/NS targets, empty non-terminals, SPF includes) are planned the partial way
and compared with whole-zone validation before and after. Every error must match exactly; warnings
may only be fewer (a warning about another RRset pointing at a touched name can be missed).
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.dns.formats import read_bind
from dunops.dns.validation import Level, validate
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import ZoneInvalid
from dunops.sync import edits as sync_edits
from dunops.sync.planning import plan_for_zone
from dunops.zones import zones
from tests.zones.helpers import grant_for, member, vault_for

ORIGIN = "example.test."
ZONE = """$ORIGIN example.test.
@ 3600 IN SOA ns1 hostmaster 1 10800 3600 604800 3600
@ 3600 IN NS ns1
@ 3600 IN NS ns2
ns1 300 IN A 192.0.2.1
ns2 300 IN A 192.0.2.2
@ 300 IN MX 10 mail
@ 300 IN TXT "v=spf1 include:_spf mx -all"
_spf 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
mail 300 IN A 192.0.2.25
www 300 IN CNAME web
web 300 IN A 192.0.2.80
sub 300 IN NS ns.sub
sub 300 IN NS ns.elsewhere.test.
ns.sub 300 IN A 192.0.2.53
old 300 IN DNAME new.example.test.
*.wild 300 IN A 192.0.2.99
a.b.ent 300 IN TXT "deep"
_sip._tcp 300 IN SRV 10 60 5060 sip
sip 300 IN A 192.0.2.60
"""

NAMES = ["@", "www", "web", "mail", "sub", "x.sub", "ns.sub", "old", "x.old", "new", "*.wild", "q.wild",
         "ent", "b.ent", "a.b.ent", "c.ent", "sip", "_sip._tcp", "_spf", "_dmarc", "fresh",
         "fresh.sub"]  # fmt: skip
VALUES = {
    "A": ["192.0.2.7"],
    "AAAA": ["2001:db8::7"],
    "TXT": ['"hello"', '"v=spf1 include:_spf -all"', '"v=DMARC1; p=none"'],
    "CNAME": ["web", "b.ent", "nowhere", "q.wild", "elsewhere.example.net."],
    "NS": ["ns1.example.test. ns.other.test.", "ns.fresh.example.test. ns2.example.test."],
    "MX": ["10 www", "10 b.ent", "10 nowhere", "10 mail"],
    "DNAME": ["target.example.net."],
    "SRV": ["1 1 1 www", "1 1 1 c.ent"],
}


def _edit(rng: random.Random) -> dict[str, object]:
    name = rng.choice(NAMES)
    rtype = rng.choice(sorted(VALUES))
    if rng.random() < 0.25:
        return {"action": "delete", "name": name, "type": rtype}
    value = rng.choice(VALUES[rtype])
    values = value.split(" ", 1) if rtype == "NS" else [value]
    return {"action": "upsert", "name": name, "type": rtype, "ttl": 300, "values": values}


def _whole_zone_errors(before: ZoneContent, edits: list[dict[str, object]]) -> set[str] | None:
    """The new errors whole-zone validation finds, or None when the edits themselves are refused."""
    try:
        parsed = sync_edits.parse_edits(edits, ORIGIN)
        wanted = sync_edits.resolve_edits(parsed, before)
    except ZoneInvalid:
        return None
    after = before.copy()
    for key, rrset in wanted.items():
        after.remove(*key)
        if rrset is not None:
            after.add(rrset, replace=True)
    seen = {str(f) for f in validate(before)}
    return {f.message for f in validate(after) if f.level is Level.ERROR and str(f) not in seen}


@pytest.mark.parametrize("seed", range(6))
def test_partial_judgement_agrees_with_whole_zone_validation(
    db: Session, settings: Settings, seed: int
) -> None:
    user, _ = member(db, "acme", "owner@example.com")
    grant = grant_for(db, user, "acme")
    zone = zones.import_from_file(db, grant, name="example.test", format="bind", content=ZONE).zone
    db.commit()
    before = read_bind(ZONE, ORIGIN)
    rng = random.Random(seed)
    compared = refused = 0
    for _ in range(60):
        edits = [_edit(rng) for _ in range(rng.randrange(1, 4))]
        expected = _whole_zone_errors(before, edits)
        if expected is None:
            with pytest.raises(ZoneInvalid):
                plan_for_zone(db, vault_for(settings), zone, edits=edits)
            continue
        try:
            plan_for_zone(db, vault_for(settings), zone, edits=edits)
            found: set[str] = set()
        except ZoneInvalid as error:
            found = {problem.message for problem in error.problems}
            refused += bool(found)
        assert found == expected, edits
        compared += 1
    assert compared > 20
    assert refused > 3, "the generator must produce invalid changes too"
