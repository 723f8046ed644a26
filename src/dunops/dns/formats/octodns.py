"""octoDNS YAML zone files, compatible both ways with octoDNS 1.x's YamlProvider.

Keys are names relative to the origin (``''`` for the apex, Unicode allowed), each holding one record
or a list of records with ``type``, ``ttl`` (default 3600, as YamlProvider), ``value`` or ``values``
and optional metadata (``octodns:`` and any other key), which is kept on the RRset and written back
unchanged. TXT and SPF values escape ``;`` as ``\\;``. The writer sorts keys naturally, as octoDNS
requires.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from dunops.dns.bulk import collector_paused
from dunops.dns.formats.limits import MAX_ZONE_RRSETS, describe, too_many_rrsets
from dunops.dns.formats.yamlfast import KNOWN, AnchorRefused, OutsideFastSubset, iter_entries, load_yaml
from dunops.dns.names import InvalidName, absolute_name, display_name, is_subdomain, relative_name
from dunops.dns.rdata import (
    MAX_STRING_OCTETS,
    RECORD_TYPES,
    InvalidValue,
    canonical_value,
    escape_octets,
    parse_character_strings,
    record_type,
    text_value_from_bytes,
    text_value_octets,
)
from dunops.dns.rrset import MAX_TTL, RRset, meta_text
from dunops.dns.zone import RRsetKey, Zone
from dunops.errors import Problem, ZoneInvalid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_TTL = 3600
_RECORD_KEYS = frozenset({"type", "ttl", "value", "values"})


def _text(value: Any) -> str:
    if not isinstance(value, str):
        # octoDNS refuses these; str() would turn 010 into "8", 1.10 into "1.1" and yes into "True"
        raise InvalidValue(f"expected a string value, found {describe(value)}: quote it in the YAML")
    simple = _simple_text(value)
    if simple is not None:
        return simple
    if value[:1] == '"':  # as octoDNS's _ChunkedValue.process: outer quotes go, then every '" "'
        value = value[1:-1]
    return text_value_from_bytes(value.replace('" "', "").replace("\\;", ";").encode("utf-8"))


def _quoted(value: Any) -> str:
    return f'"{escape_octets(str(value).encode("utf-8"))}"'


def _svcb(value: dict[str, Any]) -> str:
    params = []
    svcparams = value.get("svcparams") or {}
    if not isinstance(svcparams, dict):
        raise InvalidValue(f"svcparams must be a mapping of keys to values, found {describe(svcparams)}")
    for key, param in svcparams.items():
        if param is None:
            params.append(str(key))
        elif isinstance(param, list):
            params.append(f"{key}={','.join(str(p) for p in param)}")
        else:
            params.append(f"{key}={param}")
    return " ".join([str(value["svcpriority"]), str(value["targetname"]), *params])


_FROM_OCTODNS: dict[str, Callable[[Any], str]] = {
    "MX": lambda v: f"{v.get('preference', v.get('priority'))} {v.get('exchange', v.get('value'))}",
    "SRV": lambda v: f"{v['priority']} {v['weight']} {v['port']} {v['target']}",
    "CAA": lambda v: f"{v.get('flags', 0)} {v['tag']} {_quoted(v['value'])}",
    "DS": lambda v: f"{v['key_tag']} {v['algorithm']} {v['digest_type']} {v['digest']}",
    "SSHFP": lambda v: f"{v['algorithm']} {v['fingerprint_type']} {v['fingerprint']}",
    "TLSA": lambda v: (
        f"{v['certificate_usage']} {v['selector']} {v['matching_type']} {v['certificate_association_data']}"
    ),
    "NAPTR": lambda v: (
        f"{v['order']} {v['preference']} {_quoted(v['flags'])} {_quoted(v['service'])} "
        f"{_quoted(v['regexp'])} {v['replacement']}"
    ),
    "URI": lambda v: f"{v['priority']} {v['weight']} {_quoted(v['target'])}",
    "LOC": lambda v: (
        f"{v['lat_degrees']} {v['lat_minutes']} {v['lat_seconds']} {v['lat_direction']} "
        f"{v['long_degrees']} {v['long_minutes']} {v['long_seconds']} {v['long_direction']} "
        f"{v['altitude']}m {v['size']}m {v['precision_horz']}m {v['precision_vert']}m"
    ),
    "SVCB": _svcb,
    "HTTPS": _svcb,
    "TXT": _text,
    "SPF": _text,
}


def _presentation(rtype: str, value: Any) -> str:
    convert = _FROM_OCTODNS.get(rtype)
    if convert is None:
        if not isinstance(value, str):
            raise InvalidValue(f"expected a string {rtype} value, found {describe(value)}")
        return value
    if rtype not in ("TXT", "SPF") and not isinstance(value, dict):
        raise InvalidValue(f"expected a mapping for a {rtype} value, found {describe(value)}")
    try:
        return convert(value)
    except KeyError as exc:
        raise InvalidValue(f"{rtype} value has no {describe(exc.args[0])}") from exc


@collector_paused()
def read_octodns(
    text: str,
    origin: str,
    *,
    filename: str = "<yaml>",
    positions: dict[RRsetKey, str] | None = None,
    max_rrsets: int = MAX_ZONE_RRSETS,
    memo: EntryMemo | None = None,
) -> Zone:
    """Read an octoDNS YAML zone file for ``origin``; raises ZoneInvalid with every problem.

    Anchors and aliases are refused, and reading stops at the RRset that passes ``max_rrsets``. With a
    ``memo`` that read another version of the zone, the entries that did not change are not read again
    (see :class:`EntryMemo`); the memo then holds this document's entries."""
    origin = absolute_name(origin, ".").lower()
    known = memo if memo is not None and memo.origin == origin else None
    read = EntryMemo(origin) if memo is not None else None
    try:
        # One record block at a time, so that the whole document never sits in memory as YAML data
        entries = iter_entries(text, known.at if known else None, texts=read is not None)
        zone = _zone_from_entries(
            entries,
            origin,
            filename,
            positions,
            streaming=True,
            max_rrsets=max_rrsets,
            known=known,
            read=read,
        )
    except (OutsideFastSubset, _OwnerTwice, AnchorRefused):  # read whole, below, and refused there
        if positions is not None:
            positions.clear()
    else:
        if memo is not None and read is not None:
            memo.take(read)
        return zone
    try:
        data = load_yaml(text)
    except AnchorRefused as exc:
        raise ZoneInvalid.single(str(exc), f"{filename}:{exc.line}:{exc.column}", "yaml-anchor") from exc
    except Exception as exc:  # PyYAML raises several unrelated classes
        mark = getattr(exc, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark is not None else filename
        reason = getattr(exc, "problem", None) or str(exc)
        raise ZoneInvalid.single(f"invalid YAML: {reason}", where, "yaml-syntax") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ZoneInvalid.single(
            "expected a mapping of names to records at the top level", filename, "yaml-shape"
        )
    return _zone_from_items(data.items(), origin, filename, positions, streaming=False, max_rrsets=max_rrsets)


class _OwnerTwice(Exception):
    """Two top-level keys name the same owner: only the whole document says which one counts."""


class EntryMemo:
    """What each entry of the last octoDNS document read with this memo read to, by the entry's exact
    text, for reading another version of the same zone (``dunops zone diff`` reads two): an entry of
    the same text reads to the same RRsets (they are values), so the second document reads only the
    entries that changed. Problems, positions, the owner-twice check and the RRset limit still apply
    to every entry of each document.

    At ``flat[at[text]]``: the entry's name as written, its owner (the RRsets' key), how many RRsets
    it holds, then those RRsets; one flat list, so that the collector has no object more per entry."""

    __slots__ = ("at", "flat", "origin")

    def __init__(self, origin: str = "") -> None:
        self.origin = origin
        self.at: dict[str, int] = {}
        self.flat: list[Any] = []

    def take(self, other: EntryMemo) -> None:
        """Hold ``other``'s entries instead of this memo's own."""
        self.origin, self.at, self.flat = other.origin, other.at, other.flat


def _zone_from_items(
    items: Iterable[tuple[Any, Any]],
    origin: str,
    filename: str,
    positions: dict[RRsetKey, str] | None,
    *,
    streaming: bool,
    max_rrsets: int = MAX_ZONE_RRSETS,
) -> Zone:
    entries = (("", key, value) for key, value in items)
    return _zone_from_entries(
        entries, origin, filename, positions, streaming=streaming, max_rrsets=max_rrsets
    )


def _zone_from_entries(
    entries: Iterable[tuple[str, Any, Any]],
    origin: str,
    filename: str,
    positions: dict[RRsetKey, str] | None,
    *,
    streaming: bool,
    max_rrsets: int = MAX_ZONE_RRSETS,
    known: EntryMemo | None = None,
    read: EntryMemo | None = None,
) -> Zone:
    """The zone of ``(entry text, key, records)`` items; an entry given as ``(text, KNOWN, index)`` is
    taken from ``known.flat`` at ``index``, and each entry with a text goes into ``read`` (when given)."""
    zone = Zone(origin)
    rrsets = zone.rrsets
    problems: list[Problem] = []
    owners: set[str] = set()
    types: dict[str, tuple[str, str | None]] = {}  # a type as written -> (in upper case, RRset type)
    for entry, key, records in entries:
        if key is KNOWN:
            assert known is not None
            flat, at = known.flat, records
            owner, count = flat[at + 1], flat[at + 2]
            if owner in owners:
                raise _OwnerTwice
            owners.add(owner)
            where = f"{filename}: {flat[at] or '@'}"
            for rrset in flat[at + 3 : at + 3 + count]:
                if len(rrsets) >= max_rrsets:
                    raise ZoneInvalid.single(too_many_rrsets(max_rrsets), where, "zone-too-large")
                rkey = (owner, rrset.rtype)
                rrsets[rkey] = rrset
                if positions is not None:
                    positions[rkey] = where
            if read is not None:
                read.at[entry] = len(read.flat)
                read.flat += flat[at : at + 3 + count]
            continue
        records_list = records if isinstance(records, list) else [records]
        added = []
        relative = "" if key is None else str(key)
        try:
            name, name_error = (absolute_name(relative, origin) if relative else origin), ""
        except InvalidName as exc:
            name, name_error = relative, str(exc)
        owner = name.lower()
        owner = name if owner == name else owner  # the string the RRset keeps as its key
        if streaming:
            if owner in owners:
                raise _OwnerTwice
            owners.add(owner)
        for record in records_list:
            written_type: str | None = None  # the type as written, once known (for the location)
            try:
                if name_error:
                    raise InvalidName(name_error)
                written = record.get("type") if type(record) is dict else None
                if type(written) is str:
                    cached = types.get(written)
                    if cached is None:
                        cached = types[written] = (written.upper(), record_type(written.upper()))
                    written_type, rtype = cached
                else:
                    written_type = _written_type(record)
                    rtype = record_type(written_type)
                if rtype is None:
                    raise InvalidValue(f"unsupported or missing type {describe(record.get('type'))}")
                ttl = record.get("ttl", DEFAULT_TTL)
                if type(ttl) is not int or not 0 <= ttl <= MAX_TTL:
                    _check_ttl(ttl)
                if "values" in record:
                    raw = record["values"]
                    raw = raw if isinstance(raw, list) else [raw]
                elif "value" in record:
                    raw = [record["value"]]
                else:
                    raise InvalidValue("a record needs value or values")
                if len(raw) == 1 and raw[0] is not None:
                    values = [_canonical(rtype, raw[0], origin)]
                else:
                    if len(raw) > 1 and None in raw:
                        raise InvalidValue("values holds an empty (null) entry: give a value or remove it")
                    values = [_canonical(rtype, v, origin) for v in raw if v is not None]
                    if not values:
                        raise InvalidValue("a record needs at least one value")
                rrset = RRset(name, rtype, ttl, values, _extra(record) if len(record) > 3 else "")
                rkey = (rrset.key, rtype)
                if rkey in rrsets:
                    raise InvalidValue(f"a second {rtype} record for the same name")
                if len(rrsets) >= max_rrsets:
                    where = f"{filename}: {relative or '@'}"
                    raise ZoneInvalid.single(too_many_rrsets(max_rrsets), where, "zone-too-large")
                rrsets[rkey] = rrset
                added.append(rrset)
                if positions is not None:
                    positions[rkey] = f"{filename}: {relative or '@'}"
            except (InvalidValue, InvalidName, TypeError, ValueError) as exc:
                where = f"{filename}: {relative or '@'}"
                if written_type is not None:
                    where += f" {written_type or '?'}"
                problems.append(Problem(str(exc), where, "octodns-record"))
        if entry and read is not None:
            read.at[entry] = len(read.flat)
            read.flat += (relative, owner, len(added), *added)
    if problems:
        raise ZoneInvalid.collect(
            problems, f"{filename}: {len(problems)} problem(s) reading the octoDNS zone"
        )
    return zone


def _written_type(record: Any) -> str:
    """The type of a record as written, in upper case ("?" when it is not text or a number)."""
    if not isinstance(record, dict):
        raise InvalidValue(f"expected a record mapping, found {describe(record)}")
    written = record.get("type", "")
    return str(written).upper() if isinstance(written, str | int) else "?"


def _check_ttl(ttl: Any) -> None:
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 <= ttl <= MAX_TTL:
        raise InvalidValue(f"ttl must be an integer from 0 to 2147483647, found {describe(ttl)}")


def _extra(record: dict[Any, Any]) -> str:
    """The metadata of a record: its keys other than type, ttl, value and values, as canonical JSON."""
    return meta_text({k: v for k, v in record.items() if k not in _RECORD_KEYS})


def _canonical(rtype: str, value: Any, origin: str) -> str:
    """The canonical form of one octoDNS value of an ``rtype`` record."""
    if rtype == "TXT" or rtype == "SPF":
        simple = _simple_text(value)
        if simple is not None:
            return simple
    return canonical_value(rtype, _presentation(rtype, value), origin)


_MAX_SIMPLE_TEXT = 60_000  # characters of text that always fit in one record's 65,535 octets of data


def _simple_text(value: Any) -> str | None:
    """The canonical TXT value of an octoDNS text of printable ASCII without quotes or backslashes once
    read as :func:`_text` reads it (its 255-character strings, quoted), or None for any other value.

    Such strings need no escape, so :func:`canonical_value` would give this text back unchanged."""
    if type(value) is not str:
        return None
    if value[:1] == '"':  # as octoDNS's _ChunkedValue.process: outer quotes go, then every '" "'
        value = value[1:-1]
    content = value.replace('" "', "").replace("\\;", ";")
    if not (content.isascii() and content.isprintable()) or '"' in content or "\\" in content:
        return None
    if len(content) <= MAX_STRING_OCTETS:
        return f'"{content}"'
    if len(content) > _MAX_SIMPLE_TEXT:
        return None
    return " ".join(
        [f'"{content[i : i + MAX_STRING_OCTETS]}"' for i in range(0, len(content), MAX_STRING_OCTETS)]
    )


def _svcb_key(number: int) -> str:
    import dns.rdtypes.svcbbase

    return str(dns.rdtypes.svcbbase.key_to_text(number))  # type: ignore[no-untyped-call]


def _natural_key(text: str) -> list[Any]:
    """octoDNS's order of keys (natsort's default): runs of digits compare as numbers, the rest as
    text decomposed (NFD), so that a file this writes passes octoDNS's order check."""
    return [
        int(part) if part.isdigit() else unicodedata.normalize("NFD", part)
        for part in re.split(r"([0-9]+)", text)
    ]


def _parse(rtype: str, value: str) -> Any:
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype

    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), value)


# octoDNS's target check (the fqdn package with underscores allowed): at least two labels of letters,
# digits, '-' and '_', no label starting or ending with '-'
_OCTODNS_FQDN = re.compile(r"(?:(?!-)[-_A-Za-z0-9]{1,63}(?<!-)\.){2,}\Z")
_OCTODNS_URI_NAME = re.compile(r"(?:\*|_[^.]+)\.[^.]+")


def _check_representable(rrset: RRset, origin: str) -> None:
    """Raise ValueError naming why octoDNS 1.22 (strict) would refuse or change this RRset."""
    rtype = rrset.rtype
    if rtype not in RECORD_TYPES:
        raise ValueError(f"octoDNS has no {rtype} record type")
    if rtype in ("TXT", "SPF"):
        for value in rrset.values:
            if text_value_from_bytes(text_value_octets(value)) != value:
                raise ValueError(f"octoDNS keeps no character-string boundaries, as in {value[:60]}")
    if rtype == "URI" and not _OCTODNS_URI_NAME.match(relative_name(rrset.name, origin)):
        raise ValueError("octoDNS holds URI records only at _service._proto names (RFC 7553)")
    if rtype in ("CNAME", "ALIAS", "DNAME", "PTR", "NS", "MX", "SRV"):
        for value in rrset.values:
            target = value.rsplit(" ", 1)[-1]
            if target == "." and rtype in ("MX", "SRV"):
                continue
            if len(target) > 254 or not _OCTODNS_FQDN.match(target):
                raise ValueError(
                    f"octoDNS takes only host names of two labels or more as targets, not {target}"
                )


def _octodns_value(rtype: str, value: str) -> Any:
    """The octoDNS form of one canonical value; raises ValueError when octoDNS cannot hold it."""
    if rtype in ("TXT", "SPF"):
        text = text_value_octets(value).decode("utf-8")
        if '" "' in text:
            raise ValueError("octoDNS removes every '\" \"' from TXT text")
        if not text.isascii():
            raise ValueError("octoDNS holds only ASCII text")
        if "\\;" in text:
            raise ValueError("octoDNS reads '\\;' as ';'")
        if text[:1] == '"':
            text = f'"{text}"'  # octoDNS strips one pair of outer quotes from a value starting with '"'
        return text.replace(";", "\\;")
    if rtype == "MX":
        preference, exchange = value.split()
        return {"exchange": exchange, "preference": int(preference)}
    if rtype == "SRV":
        priority, weight, port, target = value.split()
        return {"port": int(port), "priority": int(priority), "target": target, "weight": int(weight)}
    if rtype == "CAA":
        flags, tag, rest = value.split(" ", 2)
        return {"flags": int(flags), "tag": tag, "value": parse_character_strings(rest).decode("utf-8")}
    if rtype == "DS":
        key_tag, algorithm, digest_type, digest = value.split(" ", 3)
        return {
            "algorithm": int(algorithm),
            "digest": digest.replace(" ", ""),
            "digest_type": int(digest_type),
            "key_tag": int(key_tag),
        }
    if rtype == "SSHFP":
        algorithm, kind, fingerprint = value.split(" ", 2)
        return {
            "algorithm": int(algorithm),
            "fingerprint": fingerprint.replace(" ", ""),
            "fingerprint_type": int(kind),
        }
    if rtype == "TLSA":
        usage, selector, matching, data = value.split(" ", 3)
        return {
            "certificate_association_data": data.replace(" ", ""),
            "certificate_usage": int(usage),
            "matching_type": int(matching),
            "selector": int(selector),
        }
    if rtype in ("NAPTR", "URI", "LOC", "SVCB", "HTTPS"):
        return _structured(rtype, _parse(rtype, value))
    return value


def _structured(rtype: str, rd: Any) -> dict[str, Any]:
    if rtype == "NAPTR":
        return {
            "flags": rd.flags.decode(),
            "order": rd.order,
            "preference": rd.preference,
            "regexp": rd.regexp.decode(),
            "replacement": rd.replacement.to_text(),
            "service": rd.service.decode(),
        }
    if rtype == "URI":
        return {"priority": rd.priority, "target": rd.target.decode(), "weight": rd.weight}
    if rtype == "LOC":
        lat, lon = rd.latitude, rd.longitude
        return {
            "altitude": rd.altitude / 100,
            "lat_degrees": lat[0],
            "lat_direction": "N" if lat[4] > 0 else "S",
            "lat_minutes": lat[1],
            "lat_seconds": lat[2] + lat[3] / 1000,
            "long_degrees": lon[0],
            "long_direction": "E" if lon[4] > 0 else "W",
            "long_minutes": lon[1],
            "long_seconds": lon[2] + lon[3] / 1000,
            "precision_horz": rd.horizontal_precision / 100,
            "precision_vert": rd.vertical_precision / 100,
            "size": rd.size / 100,
        }
    params: dict[str, Any] = {}
    for key, param in rd.params.items():
        name = _svcb_key(key)
        if param is None:
            params[name] = None
        elif name == "alpn":  # octoDNS holds these four as lists
            ids = [identifier.decode("ascii") for identifier in param.ids]
            if any(
                not identifier.isprintable() or "," in identifier or "\\" in identifier for identifier in ids
            ):
                raise ValueError("octoDNS cannot hold an alpn id with ',', '\\' or unprintable octets")
            params[name] = ids
        elif name in ("ipv4hint", "ipv6hint"):
            params[name] = [str(address) for address in param.addresses]
        elif name == "mandatory":
            params[name] = [_svcb_key(number) for number in param.keys]
        else:
            text = param.to_text()
            params[name] = text.strip('"') if text else None
    value: dict[str, Any] = {"svcpriority": rd.priority, "targetname": rd.target.to_text()}
    if params:
        value["svcparams"] = params
    return value


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.@/+=-]*\Z|\d{1,3}(?:\.\d{1,3}){3}\Z")
_WORDS = frozenset(["yes", "no", "true", "false", "on", "off", "null", "y", "n"])


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if value is None:
        return "null"
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _WORDS:
        return text
    if text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    escaped = "".join(
        char
        if char.isprintable() and char not in '"\\'
        else ("\\" + char if char in '"\\' else f"\\U{ord(char):08x}")
        for char in text
    )
    return f'"{escaped}"'


def _emit(lines: list[str], value: Any, indent: int, key_prefix: str) -> None:
    """Append ``value`` in PyYAML's block style, as octoDNS's dumper lays it out."""
    pad = " " * indent
    if isinstance(value, dict):
        first = True
        for key in sorted(value, key=lambda k: _natural_key(str(k))):
            item = value[key]
            head = (key_prefix if first else pad) + f"{_yaml_scalar(key)}:"
            first = False
            if isinstance(item, dict) and item:
                lines.append(head)
                _emit(lines, item, indent + 2, " " * (indent + 2))
            elif isinstance(item, list) and item:
                lines.append(head)
                _emit(lines, item, indent, pad)
            else:
                lines.append(f"{head} {_yaml_scalar(item) if item != {} else '{}'}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                _emit(lines, item, indent + 2, pad + "- ")
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")


def octodns_data(zone: Zone, dropped: list[str] | None = None) -> dict[str, Any]:
    """The zone as the data octoDNS's YamlProvider writes; what it cannot hold is listed in ``dropped``."""
    import dns.exception

    data: dict[str, list[dict[str, Any]]] = {}
    origin = zone.origin
    for rrset in zone.sorted():
        if not is_subdomain(rrset.name, origin):
            if dropped is not None:
                dropped.append(f"{rrset.name} {rrset.rtype}: outside the origin {origin}")
            continue
        try:
            _check_representable(rrset, origin)
            values = [_octodns_value(rrset.rtype, value) for value in rrset.values]
        except (ValueError, UnicodeDecodeError, dns.exception.DNSException) as exc:
            if dropped is not None:
                dropped.append(
                    f"{rrset.name} {rrset.rtype}: octoDNS cannot hold this value ({exc}); not written"
                )
            continue
        record: dict[str, Any] = {"ttl": rrset.ttl, "type": rrset.rtype}
        record.update(rrset.meta_dict)
        if len(values) == 1:
            record["value"] = values[0]
        else:
            record["values"] = values
        key = display_name(relative_name(rrset.name, origin))
        data.setdefault(key, []).append(record)
    return {key: records[0] if len(records) == 1 else records for key, records in data.items()}


def write_octodns(zone: Zone, dropped: list[str] | None = None) -> str:
    """The zone as an octoDNS YAML file (the SOA is not written: octoDNS has no SOA records)."""
    if zone.soa is not None and dropped is not None:
        dropped.append(f"{zone.origin} SOA: octoDNS YAML has no SOA record")
    lines = ["---"]
    data = octodns_data(zone, dropped)
    if data:
        _emit(lines, data, 0, "")
    else:
        lines[0] = "--- {}"
    return "\n".join(lines) + "\n"
