"""Zone formats: the registry, detection by file extension, and reports of what a conversion drops.

Every format has a reader and a writer, and ``read(write(zone)) == zone`` for whatever the format can
hold. :func:`write_zone` returns a :class:`ConversionReport` naming exactly what was left out.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import import_module
from os import path as os_path

from dunops.dns.formats.limits import MAX_ZONE_RRSETS
from dunops.errors import InvalidInput

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from dunops.dns.formats.bind import read_bind, write_bind
    from dunops.dns.formats.json import ZONE_JSON_SCHEMA, read_json, write_json
    from dunops.dns.formats.octodns import EntryMemo, read_octodns, write_octodns
    from dunops.dns.zone import RRsetKey, Zone


class ZoneFormat(StrEnum):
    BIND = "bind"
    OCTODNS = "octodns"
    JSON = "json"


_EXTENSIONS = {
    ".zone": ZoneFormat.BIND,
    ".db": ZoneFormat.BIND,
    ".txt": ZoneFormat.BIND,
    ".yaml": ZoneFormat.OCTODNS,
    ".yml": ZoneFormat.OCTODNS,
    ".json": ZoneFormat.JSON,
}


class ConversionReport:
    """What a writer left out (``dropped``) or wrote in a form not every reader takes (``notes``)."""

    def __init__(self, target: ZoneFormat) -> None:
        self.target = target
        self.dropped: list[str] = []
        self.notes: list[str] = []


def detect_format(path: str | Path) -> ZoneFormat:
    """The format named by a file's extension; raises InvalidInput for an unknown one."""
    suffix = os_path.splitext(path)[1].lower()
    try:
        return _EXTENSIONS[suffix]
    except KeyError:
        known = ", ".join(sorted(_EXTENSIONS))
        raise InvalidInput.single(
            f"cannot tell the format from the extension {suffix or '(none)'!r}: "
            f"use one of {known} or --format",
            str(path),
            "unknown-format",
        ) from None


def read_zone(
    text: str,
    zone_format: ZoneFormat,
    origin: str | None = None,
    *,
    filename: str = "<zone>",
    include_dir: str | Path | None = None,
    positions: dict[RRsetKey, str] | None = None,
    max_rrsets: int = MAX_ZONE_RRSETS,
    notes: list[str] | None = None,
    memo: EntryMemo | None = None,
) -> Zone:
    """Read ``text`` in ``zone_format``; raises ZoneInvalid with every problem found, and as soon as
    the zone would hold more than ``max_rrsets`` RRsets (callers pass ``DUNOPS_MAX_ZONE_RRSETS``).
    ``notes`` gets what was read but left out (a BIND file's DNSSEC signatures and denial records).
    ``memo`` lets an octoDNS file skip the entries an earlier version read with it held alike
    (:class:`~dunops.dns.formats.octodns.EntryMemo`)."""
    if zone_format is ZoneFormat.BIND:
        from dunops.dns.formats.bind import read_bind

        return read_bind(
            text,
            origin,
            filename=filename,
            include_dir=include_dir,
            positions=positions,
            max_rrsets=max_rrsets,
            notes=notes,
        )
    if zone_format is ZoneFormat.JSON:
        from dunops.dns.formats.json import read_json

        return read_json(text, origin, filename=filename, positions=positions, max_rrsets=max_rrsets)
    if origin is None:
        raise InvalidInput.single(
            "octoDNS files do not name their zone: give --origin", filename, "no-origin"
        )
    from dunops.dns.formats.octodns import read_octodns

    return read_octodns(
        text, origin, filename=filename, positions=positions, max_rrsets=max_rrsets, memo=memo
    )


def write_zone(zone: Zone, zone_format: ZoneFormat) -> tuple[str, ConversionReport]:
    """The zone written in ``zone_format`` and the report of what that format could not hold."""
    report = ConversionReport(zone_format)
    if zone_format is ZoneFormat.JSON:
        from dunops.dns.formats.json import write_json

        return write_json(zone), report
    if zone_format is ZoneFormat.OCTODNS:
        from dunops.dns.formats.octodns import write_octodns

        return write_octodns(zone, report.dropped), report
    for rrset in zone.sorted():
        if rrset.meta:
            report.dropped.append(
                f"{rrset.name} {rrset.rtype}: metadata {rrset.meta} (zone files cannot hold it)"
            )
        if rrset.rtype == "ALIAS":
            report.notes.append(
                f"{rrset.name} ALIAS: written as ALIAS, which only some servers (PowerDNS) read"
            )
    from dunops.dns.formats.bind import write_bind

    return write_bind(zone), report


_READERS = ("bind", "json", "octodns")


_ABSENT = object()


def __getattr__(name: str) -> object:
    """The readers and writers are imported when first used: reading a YAML file loads no BIND reader."""
    if name in __all__:
        for module in _READERS:
            home = import_module(f"{__name__}.{module}")
            value = getattr(home, name, _ABSENT)
            if value is not _ABSENT:
                globals()[name] = value
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MAX_ZONE_RRSETS",
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
]
