"""The pure DNS engine of DunOps: names, record values, RRsets, zones, validation, formats and plans.

No I/O beyond parsing text handed in, no database, no HTTP, no async. The public surface::

    Zone, RRset, RRsetKey            a zone's content: RRsets keyed by (lower-case name, type); SOA apart
    rrset_fingerprint(r)             SHA-256 of an RRset's canonical form, or of its absence
    canonical_value(type, text, o)   one value's canonical presentation form; RECORD_TYPES lists the types
    absolute_name / relative_name / display_name / name_key    names: origin, IDNA 2008, case
    parse_ttl("1h30m")               TTLs with BIND units
    validate / check_zone, Finding, Level, CHECKS    zone checks with ids and levels; lenient; disabling
    plan_changes(cur, des, caps) -> Plan of Change (Create/Update/Delete), Capabilities
    analyse(plan) -> [SafetyReason], unacknowledged(reasons, ids)    risks acknowledged one by one
    read_zone / write_zone, ZoneFormat, detect_format, ConversionReport, ZONE_JSON_SCHEMA
    read_bind / write_bind, read_octodns / write_octodns, read_json / write_json

Errors are :class:`dunops.errors.ZoneInvalid` (reading and validation, carrying every Problem) and
:class:`dunops.errors.InvalidInput`; value-level helpers raise ``InvalidValue``/``InvalidName``
(``ValueError`` subclasses) that the readers turn into Problems with a location.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dunops.dns.formats import (
        ZONE_JSON_SCHEMA,
        ConversionReport,
        ZoneFormat,
        detect_format,
        read_bind,
        read_json,
        read_octodns,
        read_zone,
        write_bind,
        write_json,
        write_octodns,
        write_zone,
    )
    from dunops.dns.names import InvalidName, absolute_name, display_name, name_key, relative_name
    from dunops.dns.plan import Capabilities, Change, ChangeKind, Plan, plan_changes
    from dunops.dns.rdata import RECORD_TYPES, InvalidValue, canonical_value
    from dunops.dns.rrset import RRset, parse_ttl, rrset_fingerprint
    from dunops.dns.safety import SafetyReason, analyse, unacknowledged
    from dunops.dns.validation import CHECKS, Finding, Level, check_zone, validate
    from dunops.dns.zone import RRsetKey, Zone

__all__ = [
    "CHECKS",
    "RECORD_TYPES",
    "ZONE_JSON_SCHEMA",
    "Capabilities",
    "Change",
    "ChangeKind",
    "ConversionReport",
    "Finding",
    "InvalidName",
    "InvalidValue",
    "Level",
    "Plan",
    "RRset",
    "RRsetKey",
    "SafetyReason",
    "Zone",
    "ZoneFormat",
    "absolute_name",
    "analyse",
    "canonical_value",
    "check_zone",
    "detect_format",
    "display_name",
    "name_key",
    "parse_ttl",
    "plan_changes",
    "read_bind",
    "read_json",
    "read_octodns",
    "read_zone",
    "relative_name",
    "rrset_fingerprint",
    "unacknowledged",
    "validate",
    "write_bind",
    "write_json",
    "write_octodns",
    "write_zone",
]

_HOMES = {
    **dict.fromkeys(
        (
            "ZONE_JSON_SCHEMA",
            "ConversionReport",
            "ZoneFormat",
            "detect_format",
            "read_bind",
            "read_json",
            "read_octodns",
            "read_zone",
            "write_bind",
            "write_json",
            "write_octodns",
            "write_zone",
        ),
        "dunops.dns.formats",
    ),
    **dict.fromkeys(
        ("InvalidName", "absolute_name", "display_name", "name_key", "relative_name"), "dunops.dns.names"
    ),
    **dict.fromkeys(("Capabilities", "Change", "ChangeKind", "Plan", "plan_changes"), "dunops.dns.plan"),
    **dict.fromkeys(("RECORD_TYPES", "InvalidValue", "canonical_value"), "dunops.dns.rdata"),
    **dict.fromkeys(("RRset", "parse_ttl", "rrset_fingerprint"), "dunops.dns.rrset"),
    **dict.fromkeys(("SafetyReason", "analyse", "unacknowledged"), "dunops.dns.safety"),
    **dict.fromkeys(("CHECKS", "Finding", "Level", "check_zone", "validate"), "dunops.dns.validation"),
    **dict.fromkeys(("RRsetKey", "Zone"), "dunops.dns.zone"),
}


def __getattr__(name: str) -> object:
    """Each public name is imported from its module the first time it is used, so a command that
    needs one reader (``dunops zone validate`` of a YAML file) loads neither the others nor dnspython."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
