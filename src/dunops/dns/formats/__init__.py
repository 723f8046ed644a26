"""Zone formats: the registry, detection by file extension, and reports of what a conversion drops.

Every format has a reader and a writer, and ``read(write(zone)) == zone`` for whatever the format can
hold. :func:`write_zone` returns a :class:`ConversionReport` naming exactly what was left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from dunops.dns.formats.bind import read_bind, write_bind
from dunops.dns.formats.json import ZONE_JSON_SCHEMA, read_json, write_json
from dunops.dns.formats.limits import MAX_ZONE_RRSETS
from dunops.dns.formats.octodns import read_octodns, write_octodns
from dunops.dns.zone import RRsetKey, Zone
from dunops.errors import InvalidInput


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


@dataclass(frozen=True)
class ConversionReport:
    """What a writer left out (``dropped``) or wrote in a form not every reader takes (``notes``)."""

    target: ZoneFormat
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def detect_format(path: str | Path) -> ZoneFormat:
    """The format named by a file's extension; raises InvalidInput for an unknown one."""
    suffix = Path(path).suffix.lower()
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
) -> Zone:
    """Read ``text`` in ``zone_format``; raises ZoneInvalid with every problem found, and as soon as
    the zone would hold more than ``max_rrsets`` RRsets (callers pass ``DUNOPS_MAX_ZONE_RRSETS``).
    ``notes`` gets what was read but left out (a BIND file's DNSSEC signatures and denial records)."""
    if zone_format is ZoneFormat.BIND:
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
        return read_json(text, origin, filename=filename, positions=positions, max_rrsets=max_rrsets)
    if origin is None:
        raise InvalidInput.single(
            "octoDNS files do not name their zone: give --origin", filename, "no-origin"
        )
    return read_octodns(text, origin, filename=filename, positions=positions, max_rrsets=max_rrsets)


def write_zone(zone: Zone, zone_format: ZoneFormat) -> tuple[str, ConversionReport]:
    """The zone written in ``zone_format`` and the report of what that format could not hold."""
    report = ConversionReport(zone_format)
    if zone_format is ZoneFormat.JSON:
        return write_json(zone), report
    if zone_format is ZoneFormat.OCTODNS:
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
    return write_bind(zone), report


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
