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

_MODULES = ("formats", "names", "plan", "rdata", "rrset", "safety", "validation", "zone")
"""The modules that hold the public names, searched in this order when a name is first asked for."""


_ABSENT = object()


def __getattr__(name: str) -> object:
    """A public name, imported with its module the first time it is used: importing one part of the
    engine (``dunops zone validate`` reading a YAML file) loads neither the rest nor dnspython."""
    if name in __all__:
        from importlib import import_module

        for module in _MODULES:
            home = import_module(f"{__name__}.{module}")
            value = getattr(home, name, _ABSENT)
            if value is not _ABSENT:
                globals()[name] = value
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
