"""JSON: the API's canonical form of a zone, described by :data:`ZONE_JSON_SCHEMA`.

``{"origin": "example.com.", "soa": {...} | null, "rrsets": [{"name", "type", "ttl", "values",
"meta"?}]}`` with absolute names and canonical values; RRsets in canonical order.

:func:`load_json` reads JSON text from outside (zone files, API request bodies) and refuses nesting
deeper than :data:`MAX_NESTING` levels, which no zone needs and which would exhaust the stack of any
code that walks the data.
"""

from __future__ import annotations

import json
from typing import Any

from dunops.dns.bulk import collector_paused
from dunops.dns.formats.limits import MAX_ZONE_RRSETS, describe, too_many_rrsets
from dunops.dns.names import InvalidName, absolute_name
from dunops.dns.rdata import SIGNER_TYPES, InvalidValue, canonical_value, zone_file_type, zone_file_types
from dunops.dns.rrset import RRset, meta_text
from dunops.dns.zone import RRsetKey, Zone
from dunops.errors import Problem, ZoneInvalid

_RRSET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "type", "ttl", "values"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "description": "absolute owner name with a trailing dot"},
        "type": {
            "type": "string",
            "description": "a type's mnemonic, or TYPEnnn (RFC 3597) for a type by number",
            "examples": sorted(zone_file_types()),
        },
        "ttl": {"type": "integer", "minimum": 0, "maximum": 2147483647},
        "values": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string"},
            "description": "values in canonical presentation form, sorted, distinct",
        },
        "meta": {"type": "object", "description": "provider metadata kept unchanged (octoDNS keys)"},
    },
}

ZONE_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://dunops.dev/schemas/zone.json",
    "title": "DunOps zone",
    "type": "object",
    "required": ["origin", "rrsets"],
    "additionalProperties": False,
    "properties": {
        "origin": {"type": "string", "description": "absolute zone name with a trailing dot"},
        "soa": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["ttl", "value"],
                    "additionalProperties": False,
                    "properties": {"ttl": {"type": "integer", "minimum": 0}, "value": {"type": "string"}},
                },
            ]
        },
        "rrsets": {"type": "array", "items": _RRSET_SCHEMA},
    },
}
"""JSON Schema (draft 2020-12) of the zone JSON form."""

MAX_NESTING = 64
"""The deepest nesting of arrays and objects :func:`load_json` takes."""


class NestedTooDeeply(ValueError):
    def __init__(self) -> None:
        super().__init__(f"arrays and objects are nested more than {MAX_NESTING} levels deep")


def load_json(text: str | bytes) -> Any:
    """The data of a JSON text; raises :class:`NestedTooDeeply` past :data:`MAX_NESTING` levels, and
    ``ValueError`` (``json.JSONDecodeError`` for a syntax error) for text that is not JSON."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise NestedTooDeeply from None
    level = [data] if isinstance(data, dict | list) else []
    for _ in range(MAX_NESTING):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
    if level:
        raise NestedTooDeeply
    return data


def zone_to_data(zone: Zone) -> dict[str, Any]:
    rrsets = []
    for rrset in zone.sorted():
        item: dict[str, Any] = {
            "name": rrset.name,
            "type": rrset.rtype,
            "ttl": rrset.ttl,
            "values": list(rrset.values),
        }
        if rrset.meta:
            item["meta"] = rrset.meta_dict
        rrsets.append(item)
    soa = {"ttl": zone.soa.ttl, "value": zone.soa.values[0]} if zone.soa is not None else None
    return {"origin": zone.origin, "soa": soa, "rrsets": rrsets}


def write_json(zone: Zone) -> str:
    return json.dumps(zone_to_data(zone), indent=2, ensure_ascii=False) + "\n"


def _fail(where: str, message: str) -> ZoneInvalid:
    return ZoneInvalid(f"{where}: {message}", [Problem(message, where, "json-shape")])


@collector_paused()
def zone_from_data(
    data: Any,
    origin: str | None = None,
    *,
    filename: str = "<json>",
    positions: dict[RRsetKey, str] | None = None,
    max_rrsets: int = MAX_ZONE_RRSETS,
) -> Zone:
    """Build a zone from JSON data, canonicalising every value; raises ZoneInvalid with every problem.

    Reading stops at the RRset that passes ``max_rrsets``."""
    if not isinstance(data, dict):
        raise _fail(filename, "expected an object with origin and rrsets")
    given = data.get("origin", origin)
    if not isinstance(given, str):
        raise _fail(filename, 'no origin: give --origin or an "origin" field')
    try:
        zone_origin = absolute_name(given, ".").lower()
    except InvalidName as exc:
        raise _fail(f"{filename}: origin", f"invalid origin {given!r}: {exc}") from exc
    problems: list[Problem] = []
    soa = None
    soa_data = data.get("soa")
    if soa_data is not None:
        try:
            soa_ttl = soa_data["ttl"]
            if not isinstance(soa_ttl, int) or isinstance(soa_ttl, bool) or not 0 <= soa_ttl <= 2**31 - 1:
                raise InvalidValue(f"ttl must be an integer from 0 to 2147483647, found {describe(soa_ttl)}")
            soa = RRset(
                zone_origin,
                "SOA",
                soa_ttl,
                [canonical_value("SOA", str(soa_data["value"]), zone_origin)],
            )
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(f"invalid soa: {exc}", f"{filename}: soa", "json-record"))
    zone = Zone(zone_origin, soa=soa)
    rrsets = data.get("rrsets", [])
    if not isinstance(rrsets, list):
        raise _fail(filename, "rrsets must be an array")
    for index, item in enumerate(rrsets):
        where = f"{filename}: rrsets[{index}]"
        try:
            if not isinstance(item, dict):
                raise InvalidValue("expected an object")
            unknown = set(item) - {"name", "type", "ttl", "values", "meta"}
            if unknown:
                raise InvalidValue(f"unknown field(s) {', '.join(sorted(unknown))}")
            name = absolute_name(str(item["name"]), zone_origin)
            rtype = zone_file_type(str(item["type"]).upper())
            if rtype is None or rtype == "SOA" or rtype in SIGNER_TYPES:
                raise InvalidValue(f"unsupported type {describe(item['type'])}")
            ttl = item["ttl"]
            if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 <= ttl <= 2**31 - 1:
                raise InvalidValue(f"ttl must be an integer from 0 to 2147483647, found {describe(ttl)}")
            values = item["values"]
            if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                raise InvalidValue("values must be a non-empty array of strings")
            rrset = RRset.parse(name, rtype, ttl, values, zone_origin, meta_text(item.get("meta")))
            if (rrset.key, rtype) in zone.rrsets:
                raise InvalidValue(f"a second {rtype} RRset for {name}")
            if len(zone) >= max_rrsets:
                raise ZoneInvalid.single(too_many_rrsets(max_rrsets), where, "zone-too-large")
            zone.add(rrset)
            if positions is not None:
                positions[(rrset.key, rtype)] = where
        except KeyError as exc:
            problems.append(Problem(f"missing field {exc.args[0]!r}", where, "json-record"))
        except (InvalidValue, InvalidName, ValueError) as exc:
            problems.append(Problem(str(exc), where, "json-record"))
    if problems:
        raise ZoneInvalid.collect(problems, f"{filename}: {len(problems)} problem(s) reading the JSON zone")
    return zone


@collector_paused()
def read_json(
    text: str,
    origin: str | None = None,
    *,
    filename: str = "<json>",
    positions: dict[RRsetKey, str] | None = None,
    max_rrsets: int = MAX_ZONE_RRSETS,
) -> Zone:
    try:
        data = load_json(text)
    except json.JSONDecodeError as exc:
        raise ZoneInvalid.single(
            f"invalid JSON: {exc.msg}", f"{filename}:{exc.lineno}:{exc.colno}", "json-syntax"
        ) from exc
    except ValueError as exc:
        raise ZoneInvalid.single(f"invalid JSON: {exc}", filename, "json-syntax") from exc
    return zone_from_data(data, origin, filename=filename, positions=positions, max_rrsets=max_rrsets)
