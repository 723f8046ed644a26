"""Zone validation: every check has an id and a level, every reason is collected, one error is raised.

:func:`validate` returns the findings; :func:`check_zone` raises :class:`~dunops.errors.ZoneInvalid`
once with every error and returns the warnings. A check can be switched off per zone by its id, and
``lenient=True`` turns errors into warnings. :data:`CHECKS` lists every id with its level.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from enum import StrEnum

from dunops.dns.bulk import collector_paused
from dunops.dns.names import is_subdomain, name_key, parent_name
from dunops.dns.rdata import text_value_octets
from dunops.dns.zone import RRsetKey, Zone
from dunops.errors import FrozenValue, Problem, ZoneInvalid


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


CHECKS: dict[str, tuple[Level, str]] = {
    "out-of-zone": (Level.ERROR, "every name is the origin or beneath it"),
    "cname-apex": (Level.ERROR, "no CNAME at the zone apex"),
    "cname-exclusive": (Level.ERROR, "a CNAME is alone at its node"),
    "single-value": (Level.ERROR, "CNAME, DNAME and ALIAS hold exactly one value"),
    "dname-subtree": (Level.ERROR, "no names beneath a DNAME owner"),
    "below-delegation": (Level.ERROR, "nothing beneath a delegation except glue"),
    "alias-apex": (Level.ERROR, "ALIAS only at the apex"),
    "ds-apex": (Level.ERROR, "no DS at the zone apex: a DS belongs to the parent, at a delegation"),
    "cds-dnskey": (Level.ERROR, "CDS and CDNSKEY at the apex stand for DNSKEYs of the zone, or delete"),
    "ttl-suspicious": (Level.WARNING, "TTL below 60 s or above one week"),
    "ns-count": (Level.WARNING, "at least two NS at the apex and at each delegation"),
    "target-cname": (Level.WARNING, "MX, NS and SRV targets are not CNAMEs"),
    "dangling-target": (Level.WARNING, "targets inside the zone exist"),
    "spf-syntax": (Level.WARNING, "SPF records follow RFC 7208 syntax, one per name"),
    "spf-lookups": (Level.WARNING, "SPF needs at most 10 DNS lookups (as far as the zone shows)"),
    "spf-rrtype": (Level.WARNING, "the SPF record type is obsolete (RFC 7208); publish TXT"),
    "dmarc-missing": (Level.WARNING, "a zone that sends or receives mail has a DMARC record at _dmarc"),
    "dmarc-syntax": (Level.WARNING, "a _dmarc TXT record starts with v=DMARC1"),
    "caa-issue": (Level.WARNING, "a CAA RRset says who may issue (issue or issuewild)"),
}


class Finding(FrozenValue):
    """One reason a zone is wrong or doubtful."""

    __slots__ = ("check", "level", "location", "message")
    FIELDS = ("check", "level", "message", "location")
    check: str
    level: Level
    message: str
    location: str

    def __init__(self, check: str, level: Level, message: str, location: str = "") -> None:
        object.__setattr__(self, "check", check)
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "location", location)

    def to_problem(self) -> Problem:
        return Problem(self.message, self.location, self.check)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.level}: {self.message} [{self.check}]"


@collector_paused()
def validate(
    zone: Zone,
    *,
    disabled: Collection[str] = (),
    lenient: bool = False,
    positions: Mapping[RRsetKey, str] | None = None,
) -> list[Finding]:
    """Every finding for ``zone``, errors first. ``positions`` maps RRsets to ``file:line`` text."""
    unknown = set(disabled) - CHECKS.keys()
    if unknown:
        raise ZoneInvalid.collect(
            [Problem(f"unknown check id {check!r}", "disabled checks", "unknown-check") for check in unknown]
        )
    findings: list[Finding] = []
    for check, key, message in _run_checks(zone):
        if check in disabled:
            continue
        level = CHECKS[check][0]
        if lenient:
            level = Level.WARNING
        where = f"{key[0]} {key[1]}" if key[1] else key[0]
        if positions and key in positions:
            where = f"{positions[key]}: {where}"
        findings.append(Finding(check, level, message, where))
    findings.sort(key=lambda f: f.level != Level.ERROR)
    return findings


def check_zone(
    zone: Zone,
    *,
    disabled: Collection[str] = (),
    lenient: bool = False,
    positions: Mapping[RRsetKey, str] | None = None,
) -> list[Finding]:
    """Raise ZoneInvalid with every error found; return the warnings."""
    findings = validate(zone, disabled=disabled, lenient=lenient, positions=positions)
    errors = [finding.to_problem() for finding in findings if finding.level == Level.ERROR]
    if errors:
        raise ZoneInvalid.collect(errors, f"zone {zone.origin} is invalid: {len(errors)} error(s)")
    return findings


_Raw = tuple[str, RRsetKey, str]


def _ancestors(name: str, origin: str) -> Iterator[str]:
    """Names strictly between ``name`` and ``origin`` going up, then the origin (exclusive of name)."""
    current = name
    while current != origin:
        parent = parent_name(current) if "\\" in current else current.split(".", 1)[1] or "."
        if parent is None:
            return
        current = parent
        yield current
        if len(current) < len(origin):
            return


def _run_checks(zone: Zone) -> Iterator[_Raw]:
    origin = zone.origin
    nodes = zone.types_by_name()
    holding: dict[str, set[str]] = {"NS": set(), "DNAME": set(), "CNAME": set()}
    for name, rtype in zone.rrsets:
        if rtype in holding:
            holding[rtype].add(name)
    delegations = holding["NS"] - {origin}
    dnames = holding["DNAME"]
    cuts = delegations | dnames
    apex_dname = origin in dnames
    suffix = "." + origin
    below_apex = len(suffix)  # a name one label below the apex is this much longer than its label
    for name, types in nodes.items():
        plain = "\\" not in name
        if not ((plain and name.endswith(suffix)) or name == origin or origin == ".") and not is_subdomain(
            name, origin
        ):
            for rtype in types:  # each RRset, so that each is named with its place in the file
                yield "out-of-zone", (name, rtype), f"{name} is not inside the zone {origin}"
            continue
        if "CNAME" in types:
            if name == origin:
                yield "cname-apex", (name, "CNAME"), "a CNAME cannot be at the zone apex"
            elif len(types) > 1:
                others = ", ".join(sorted(t for t in types if t != "CNAME"))
                yield "cname-exclusive", (name, "CNAME"), f"a CNAME cannot coexist with {others} at {name}"
        if "ALIAS" in types and name != origin:
            yield "alias-apex", (name, "ALIAS"), "ALIAS is only allowed at the zone apex"
        # most names sit one label below the apex, where no cut can be above them, and most deeper
        # names have no cut above them either
        if (
            cuts
            and name != origin
            and (
                not plain
                or name in delegations
                or apex_dname
                or (name.find(".") + below_apex != len(name) and _cut_above(name, origin, cuts))
            )
        ):
            yield from _check_cuts(name, types, origin, delegations, dnames)
    yield from _check_rrsets(zone, nodes, delegations, holding["CNAME"])
    yield from _check_apex_dnssec(zone, nodes.get(origin, ()))
    yield from _check_mail(zone, nodes)


def _cut_above(name: str, origin: str, cuts: set[str]) -> bool:
    """True when a name strictly between ``name`` (inside the zone, with no escapes) and the apex is
    in ``cuts``: the names :func:`_ancestors` gives before the apex."""
    rest = name
    while True:
        rest = rest[rest.index(".") + 1 :]
        if len(rest) <= len(origin):
            return False
        if rest in cuts:
            return True


def _check_apex_dnssec(zone: Zone, types: Collection[str]) -> Iterator[_Raw]:
    """RFC 4035 2.4: a DS is the parent's, at a delegation; RFC 7344 and 8078: the CDS and CDNSKEY
    sets stand for the zone's own keys (or ask the parent to delete its DS set)."""
    origin = zone.origin
    if "DS" in types:
        yield (
            "ds-apex",
            (origin, "DS"),
            f"a DS at the apex of {origin}: a DS set belongs to the parent zone, at the delegation "
            "(RFC 4035 section 2.4)",
        )
    if "CDS" not in types and "CDNSKEY" not in types:
        return

    def values(rtype: str) -> tuple[str, ...]:
        rrset = zone.get(origin, rtype)
        return rrset.values if rrset is not None else ()

    from dunops.dns.dnssec import cds_mismatches  # dnspython, for zones that hold CDS or CDNSKEY only

    for rtype, message in cds_mismatches(origin, values("DNSKEY"), values("CDS"), values("CDNSKEY")):
        yield "cds-dnskey", (origin, rtype), message


def _check_cuts(
    name: str, types: list[str], origin: str, delegations: set[str], dnames: set[str]
) -> Iterator[_Raw]:
    if name in delegations:
        extra = sorted(set(types) - {"NS", "DS", "A", "AAAA"})
        if extra:
            yield (
                "below-delegation",
                (name, extra[0]),
                f"{', '.join(extra)} at the delegation point {name}: only NS, DS and glue belong there",
            )
    for ancestor in _ancestors(name, origin):
        if ancestor in dnames:
            yield "dname-subtree", (name, types[0]), f"{name} is beneath the DNAME at {ancestor}"
            return
        if ancestor in delegations:
            extra = sorted(set(types) - {"A", "AAAA"})
            if extra:
                yield (
                    "below-delegation",
                    (name, extra[0]),
                    f"{', '.join(extra)} at {name} is beneath the delegation {ancestor}: only glue "
                    "(A, AAAA) may be there",
                )
            return


def _target_of(rtype: str, value: str) -> str | None:
    if rtype in ("CNAME", "NS", "PTR", "DNAME", "ALIAS"):
        return value
    if rtype == "MX":
        return value.split()[1]
    if rtype == "SRV":
        return value.split()[3]
    return None


def _with_empty_non_terminals(names: set[str], origin: str) -> set[str]:
    existing = set(names)
    for name in names:
        if "\\" not in name and name.split(".", 1)[-1] == origin:
            existing.add(origin)  # the only name between it and the origin is the origin
        else:
            existing.update(_ancestors(name, origin))
    return existing


def _check_rrsets(
    zone: Zone, nodes: Mapping[str, list[str]], delegations: set[str], cnames: set[str]
) -> Iterator[_Raw]:
    origin = zone.origin
    names = set(nodes)
    existing: set[str] = set()
    suffix = "." + origin
    for key, rrset in zone.rrsets.items():
        name, rtype = key
        if rtype not in _CHECKED_TYPES:
            if rrset.ttl < 60 or rrset.ttl > 604800:
                yield "ttl-suspicious", key, f"TTL {rrset.ttl} is below 60 s or above one week (604800 s)"
            continue
        if rtype in ("CNAME", "DNAME", "ALIAS") and len(rrset.values) > 1:
            yield "single-value", key, f"{rtype} holds exactly one value, not {len(rrset.values)}"
        if rrset.ttl < 60 or rrset.ttl > 604800:
            yield "ttl-suspicious", key, f"TTL {rrset.ttl} is below 60 s or above one week (604800 s)"
        if rtype == "NS" and len(rrset.values) < 2 and (name == origin or name in delegations):
            yield "ns-count", key, f"only {len(rrset.values)} NS: use at least two for redundancy"
        if rtype == "SPF":
            yield "spf-rrtype", key, "the SPF record type is obsolete (RFC 7208): publish the policy as TXT"
        if rtype == "CAA" and not any(v.split()[1].lower() in ("issue", "issuewild") for v in rrset.values):
            yield "caa-issue", key, "this CAA RRset has no issue or issuewild property: any CA may issue"
        if rtype not in ("CNAME", "NS", "DNAME", "ALIAS", "MX", "SRV"):
            continue  # a PTR target may be any host, in the zone or not
        for value in rrset.values:
            target = _target_of(rtype, value)
            if target is None or target == ".":
                continue
            if "\\" in target:
                if not is_subdomain(target, origin):
                    continue
            elif not (origin == "." or (lowered := target.lower()) == origin or lowered.endswith(suffix)):
                continue  # as is_subdomain() says of a name with no escapes
            if rtype in ("MX", "NS", "SRV") and target in cnames:
                yield "target-cname", key, f"{rtype} target {target} is a CNAME (RFC 2181 10.3)"
            elif target not in names and not _beneath(target, origin, delegations):
                if not existing:
                    existing = _with_empty_non_terminals(names, origin)
                parent = parent_name(target)
                if target in existing or (parent is not None and f"*.{parent}" in names):
                    continue
                yield "dangling-target", key, f"{rtype} target {target} does not exist in the zone"


_CHECKED_TYPES = frozenset({"CNAME", "DNAME", "ALIAS", "NS", "SPF", "CAA", "PTR", "MX", "SRV"})
"""The types :func:`_check_rrsets` checks for more than their TTL."""


def _beneath(name: str, origin: str, delegations: set[str]) -> bool:
    return bool(delegations) and any(a in delegations for a in _ancestors(name, origin))


_SPF_MECHANISMS = {"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"}
_LOOKUP_TERMS = {"include", "a", "mx", "ptr", "exists", "redirect"}
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9_.-]*)=(.*)\Z")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IP4_NETWORK = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}(?:/(?:3[0-2]|[12]?[0-9]))?\Z")


def _spf_terms(text: str) -> list[str]:
    return text.split()[1:]


def _spf_problems(text: str) -> list[str]:
    problems = []
    for term in _spf_terms(text):
        modifier = _MODIFIER.match(term) if "=" in term else None  # a modifier holds "="
        if modifier:
            if modifier[1].lower() in ("redirect", "exp") and not modifier[2]:
                problems.append(f"modifier {term!r} needs a domain")
            continue
        body = term[1:] if term[:1] in "+-~?" else term
        mechanism, _, argument = body.partition(":")
        mechanism, _, cidr = mechanism.partition("/")
        mechanism = mechanism.lower()
        if mechanism not in _SPF_MECHANISMS:
            problems.append(f"unknown SPF term {term!r}")
        elif mechanism == "ip4" and _IP4_NETWORK.match(argument):
            continue  # a valid IPv4 network, as ipaddress reads it
        elif mechanism in ("ip4", "ip6"):
            import ipaddress

            try:
                network = ipaddress.ip_network(argument, strict=False)
                if network.version != int(mechanism[2]):
                    problems.append(f"{term!r} is not an IPv{mechanism[2]} network")
            except ValueError:
                problems.append(f"{term!r} does not hold a valid IP network")
        elif mechanism in ("include", "exists") and not argument:
            problems.append(f"{term!r} needs a domain")
        elif mechanism == "all" and (argument or cidr):
            problems.append(f"{term!r}: 'all' takes no argument")
    return problems


def _spf_text(zone: Zone, name: str) -> str | None:
    rrset = zone.get(name, "TXT")
    if rrset is None:
        return None
    for value in rrset.values:
        text = text_value_octets(value).decode("utf-8", "replace")
        if text.lower().startswith("v=spf1") and (len(text) == 6 or text[6] == " "):
            return text
    return None


def _spf_lookups(zone: Zone, name: str, seen: set[str], text: str | None = None) -> int:
    """The DNS lookups the SPF policy at ``name`` (``text``, else the zone's) needs, following the
    includes and redirects inside the zone once each."""
    if text is None:
        text = _spf_text(zone, name)
    if text is None or name in seen:
        return 0
    seen.add(name)
    count = 0
    for term in _spf_terms(text):
        body = term[1:] if term[:1] in "+-~?" else term
        modifier = _MODIFIER.match(body) if "=" in body else None
        kind = modifier[1].lower() if modifier else body.partition(":")[0].partition("/")[0].lower()
        if kind not in _LOOKUP_TERMS:
            continue
        count += 1
        domain = modifier[2] if modifier else body.partition(":")[2]
        if kind in ("include", "redirect") and domain:
            absolute = name_key(domain if domain.endswith(".") else domain + ".")
            if is_subdomain(absolute, zone.origin):
                count += _spf_lookups(zone, absolute, seen)
    return count


def _check_mail(zone: Zone, nodes: Mapping[str, list[str]]) -> Iterator[_Raw]:
    origin = zone.origin
    sends_mail = False
    for name, types in nodes.items():
        if "TXT" not in types:
            continue
        rrset = zone.rrsets[(name, "TXT")]
        texts = [text_value_octets(v).decode("utf-8", "replace") for v in rrset.values]
        spf = [t for t in texts if t.lower().startswith("v=spf1") and (len(t) == 6 or t[6] == " ")]
        if spf:
            sends_mail = True
            key = (name, "TXT")
            if len(spf) > 1:
                yield "spf-syntax", key, f"{len(spf)} SPF policies at one name: receivers fail them all"
            for problem in _spf_problems(spf[0]):
                yield "spf-syntax", key, problem
            lookups = _spf_lookups(zone, name, set(), spf[0])
            if lookups > 10:
                yield (
                    "spf-lookups",
                    key,
                    f"SPF needs {lookups} DNS lookups as far as this zone shows (max 10)",
                )
        if name.startswith("_dmarc.") and not any(t.startswith("v=DMARC1") for t in texts):
            yield "dmarc-syntax", (name, "TXT"), "a DMARC record must start with v=DMARC1"
    if "MX" in nodes.get(origin, ()):
        sends_mail = True
    if sends_mail and (f"_dmarc.{origin}", "TXT") not in zone.rrsets:
        yield (
            "dmarc-missing",
            (origin, ""),
            f"no DMARC record at _dmarc.{origin} though the zone handles mail",
        )
