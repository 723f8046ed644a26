"""RRset edits (``upsert`` / ``delete`` one RRset) and replacements, read in two steps.

:func:`parse_edits` checks everything that needs no zone (fields, names, types, values) and says which
RRsets the edits touch; :func:`resolve_edits` then turns them into the wanted state of each touched
RRset, given those RRsets as served now (a delete needs the RRset to exist; an upsert keeps its TTL
and provider metadata unless told otherwise). Bad edits are refused once, naming every problem.

A replacement states the wanted state of an RRset outright (a rollback restores the content before a
deployment this way); :func:`replacements_data` / :func:`replacements_from` store and read them back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dunops.dns.names import InvalidName, absolute_name, is_subdomain
from dunops.dns.rdata import RECORD_TYPES, TEXT_TYPES, InvalidValue, canonical_value, text_value_from_input
from dunops.dns.rrset import MAX_TTL, RRset, meta_text
from dunops.dns.zone import RRsetKey
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import InvalidInput, Problem, ZoneInvalid

DEFAULT_TTL = 3600
MAX_EDITS = 1000

Wanted = dict[RRsetKey, RRset | None]
"""The wanted state of each touched RRset: the RRset, or None for absent."""


@dataclass(frozen=True, slots=True)
class ParsedEdit:
    """One edit whose fields are good: ``values`` canonical, ``ttl`` None when the edit leaves it."""

    index: int
    action: str
    name: str
    rtype: str
    ttl: int | None
    values: tuple[str, ...]

    @property
    def key(self) -> RRsetKey:
        return (self.name.lower(), self.rtype)


def _parse_one(index: int, edit: Any, origin: str) -> tuple[list[Problem], ParsedEdit | None]:
    where = f"edits[{index}]"
    if not isinstance(edit, Mapping):
        return [Problem("must be an object with action, name and type", where)], None
    problems: list[Problem] = []
    action = edit.get("action")
    if action not in ("upsert", "delete"):
        problems.append(Problem("must be 'upsert' or 'delete'", f"{where}.action"))
    unknown = set(edit) - {"action", "name", "type", "ttl", "values"}
    problems.extend(Problem("is not an edit field", f"{where}.{key}") for key in sorted(map(str, unknown)))
    name = edit.get("name")
    owner = None
    if not isinstance(name, str):
        problems.append(Problem("is required (a name in the zone, relative or absolute)", f"{where}.name"))
    else:
        try:
            owner = absolute_name(name.strip(), origin)
        except InvalidName as exc:
            problems.append(Problem(str(exc), f"{where}.name"))
        else:
            if not is_subdomain(owner, origin):
                problems.append(Problem(f"is outside the zone {origin}", f"{where}.name"))
    rtype_raw = edit.get("type")
    rtype = rtype_raw.strip().upper() if isinstance(rtype_raw, str) else ""
    if rtype == "SOA":
        problems.append(Problem("the SOA is managed by the provider and cannot be edited", f"{where}.type"))
    elif rtype not in RECORD_TYPES:
        problems.append(Problem("is not a supported record type", f"{where}.type"))
    ttl = edit.get("ttl")
    canonical: list[str] = []
    if action == "upsert":
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= MAX_TTL):
            problems.append(Problem(f"must be a whole number of seconds from 0 to {MAX_TTL}", f"{where}.ttl"))
        values = edit.get("values")
        if not isinstance(values, list) or not values:
            problems.append(Problem("must be a non-empty list of values", f"{where}.values"))
        elif rtype in RECORD_TYPES:
            for position, value in enumerate(values):
                if not isinstance(value, str):
                    problems.append(Problem("must be a string", f"{where}.values[{position}]"))
                    continue
                try:
                    if rtype in TEXT_TYPES:  # one value is one text, as in octoDNS
                        canonical.append(text_value_from_input(rtype, value))
                    else:
                        canonical.append(canonical_value(rtype, value, origin))
                except InvalidValue as exc:
                    problems.append(Problem(str(exc), f"{where}.values[{position}]"))
    if problems or owner is None:
        return problems, None
    return [], ParsedEdit(index, str(action), owner, rtype, ttl, tuple(canonical))


@dataclass(frozen=True, slots=True)
class Parsed:
    """The edits that are good on their own, and the problems of the others (by edit index)."""

    edits: list[ParsedEdit]
    problems: list[tuple[int, Problem]]


def parse_edits(edits: Any, origin: str) -> Parsed:
    """Every edit checked on its own: each bad field and each repeated RRset named, none raised yet
    (the caller adds what the served zone says of the good ones, then refuses once)."""
    if not isinstance(edits, Sequence) or isinstance(edits, str) or not edits:
        raise InvalidInput.single("must be a non-empty list of edits", "edits")
    if len(edits) > MAX_EDITS:
        raise InvalidInput.single(f"at most {MAX_EDITS} edits in one plan", "edits")
    problems: list[tuple[int, Problem]] = []
    parsed: list[ParsedEdit] = []
    seen: set[RRsetKey] = set()
    for index, edit in enumerate(edits):
        found, result = _parse_one(index, edit, origin)
        problems.extend((index, problem) for problem in found)
        if result is None:
            continue
        if result.key in seen:
            second = Problem(f"a second edit for {result.name} {result.rtype}", f"edits[{index}]")
            problems.append((index, second))
            continue
        seen.add(result.key)
        parsed.append(result)
    return Parsed(parsed, problems)


def resolve_edits(parsed: Parsed, live: ZoneContent) -> Wanted:
    """The wanted state of each RRset the good edits touch, given those RRsets as served (``live``);
    ``ZoneInvalid`` naming every problem of every edit, in the order of the edits."""
    problems = list(parsed.problems)
    wanted: Wanted = {}
    for edit in parsed.edits:
        existing = live.get(*edit.key)
        if edit.action == "delete":
            if existing is None:
                missing = Problem(f"{edit.name} {edit.rtype} is not in the zone", f"edits[{edit.index}]")
                problems.append((edit.index, missing))
            wanted[edit.key] = None
            continue
        ttl = edit.ttl if edit.ttl is not None else existing.ttl if existing is not None else DEFAULT_TTL
        meta = existing.meta if existing is not None else ""
        wanted[edit.key] = RRset(edit.name, edit.rtype, ttl, edit.values, meta)
    if problems:
        ordered = [problem for _, problem in sorted(problems, key=lambda item: item[0])]
        raise ZoneInvalid.collect(ordered, f"{len(ordered)} problem(s) in the edits")
    return wanted


def replacements_data(wanted: Mapping[RRsetKey, RRset | None]) -> list[dict[str, Any]]:
    """Replacements as JSON data (a change request's stored source)."""
    data = []
    for (name, rtype), rrset in sorted(wanted.items()):
        item: dict[str, Any] = {"name": name, "type": rtype, "rrset": None}
        if rrset is not None:
            item["rrset"] = {"name": rrset.name, "ttl": rrset.ttl, "values": list(rrset.values)}
            if rrset.meta:
                item["rrset"]["meta"] = rrset.meta_dict
        data.append(item)
    return data


def replacements_from(data: Sequence[Mapping[str, Any]]) -> Wanted:
    wanted: Wanted = {}
    for item in data:
        stored = item["rrset"]
        rrset = None
        if stored is not None:
            rrset = RRset(
                stored["name"], item["type"], stored["ttl"], stored["values"], meta_text(stored.get("meta"))
            )
        wanted[(item["name"], item["type"])] = rrset
    return wanted
