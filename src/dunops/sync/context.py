"""The part of a stored zone that the zone rules need to judge a change to a few RRsets.

Validating a change does not need the whole zone: only the RRsets it touches and the names the rules
look at around them. :func:`neighbourhood` reads, from the zone's indexed rows:

- every RRset at the touched names (CNAME exclusivity, delegation points, DNAME owners),
- every RRset at their ancestors up to the apex (a covering delegation or DNAME occludes them),
- the apex and ``_dmarc`` (apex NS, MX, SPF and the DMARC record the mail checks use),
- for targets inside the zone (CNAME, NS, MX, SRV, DNAME, ALIAS): the target's node, whether names
  exist beneath it (an empty non-terminal exists too) and a wildcard that would answer for it,
- the names an SPF policy includes from inside the zone,
- for a new delegation or DNAME: the names beneath it, which it would occlude (up to a bound).

Validating this neighbourhood before and after the change and keeping the findings that are new gives
the whole-zone answer for every error; a warning about an RRset elsewhere that points at a touched
name (a dangling MX on another name) may be missed.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from dunops.dns.names import is_subdomain, name_key, parent_name
from dunops.dns.rdata import text_value_octets
from dunops.dns.rrset import RRset
from dunops.dns.zone import RRsetKey
from dunops.zones import records

OCCLUDED_LIMIT = 1000
"""At most this many RRsets beneath a new delegation are read to name what it would occlude."""
_TARGET_TYPES = ("CNAME", "NS", "MX", "SRV", "DNAME", "ALIAS")


def _ancestors(name: str, origin: str) -> Iterable[str]:
    current = parent_name(name)
    while current is not None and is_subdomain(current, origin):
        yield current
        if current == origin:
            return
        current = parent_name(current)


def _target(rtype: str, value: str) -> str | None:
    if rtype in ("CNAME", "NS", "DNAME", "ALIAS"):
        return value.lower()
    if rtype == "MX":
        return value.split()[1].lower()
    if rtype == "SRV":
        return value.split()[3].lower()
    return None


def _spf_includes(rrset: RRset, origin: str) -> set[str]:
    found: set[str] = set()
    if rrset.rtype != "TXT":
        return found
    for value in rrset.values:
        text = text_value_octets(value).decode("utf-8", "replace")
        if not text.lower().startswith("v=spf1"):
            continue
        for term in text.split()[1:]:
            body = term.lstrip("+-~?")
            kind, _, domain = body.partition(":") if ":" in body else body.partition("=")
            if kind.lower() in ("include", "redirect") and domain:
                absolute = name_key(domain if domain.endswith(".") else domain + ".")
                if is_subdomain(absolute, origin):
                    found.add(absolute)
    return found


def neighbourhood(
    session: Session, zone_id: int, origin: str, keys: Iterable[RRsetKey], wanted: Iterable[RRset]
) -> list[RRset]:
    """The stored RRsets the zone rules need around a change of ``keys`` to the ``wanted`` RRsets."""
    touched = {name for name, _ in keys}
    names = {origin, f"_dmarc.{origin}", *touched}
    for name in touched:
        names.update(_ancestors(name, origin))
    targets: set[str] = set()
    cuts: set[str] = set()
    for rrset in wanted:
        if (rrset.rtype == "NS" and rrset.key != origin) or rrset.rtype == "DNAME":
            cuts.add(rrset.key)
        names.update(_spf_includes(rrset, origin))
        if rrset.rtype in _TARGET_TYPES:
            for value in rrset.values:
                target = _target(rrset.rtype, value)
                if target and target != "." and is_subdomain(target, origin):
                    targets.add(target)
    for target in targets:
        names.add(target)
        parent = parent_name(target)
        if parent is not None:
            names.add(f"*.{parent}")
    found = {(r.key, r.rtype): r for r in records.at_names(session, zone_id, names)}
    for name in cuts:
        for rrset in records.beneath(session, zone_id, name, limit=OCCLUDED_LIMIT):
            found[(rrset.key, rrset.rtype)] = rrset
    for target in targets - {name for name, _ in found}:
        # a target with names beneath it exists as an empty non-terminal: one of them shows that
        for rrset in records.beneath(session, zone_id, target, limit=1):
            found[(rrset.key, rrset.rtype)] = rrset
    return list(found.values())
