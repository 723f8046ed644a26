"""Record values: parse, validate per RFC and keep one canonical presentation form per value.

:func:`canonical_value` turns the presentation text of one value into the form DunOps stores and
compares: targets absolute and lower-case, IPv6 compressed, CAA tags lower-case (RFC 8659), TXT as
its character-strings (boundaries kept, a string over 255 octets split at 255) quoted with
dnspython's escapes, hex and base64 as dnspython renders them. The common types take a string fast
path; everything else (and anything unusual in the common types) goes through dnspython, and a test
proves both paths agree.
"""

from __future__ import annotations

import re

# the C functions the socket module re-exports; importing them alone skips its classes and enums
from _socket import AF_INET, AF_INET6, inet_ntop, inet_pton
from functools import cache

from dunops.dns.names import InvalidName, absolute_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    import dns.rdata

RECORD_TYPES: frozenset[str] = frozenset(
    {
        "A",
        "AAAA",
        "ALIAS",
        "CAA",
        "CNAME",
        "DNAME",
        "DS",
        "HTTPS",
        "LOC",
        "MX",
        "NAPTR",
        "NS",
        "OPENPGPKEY",
        "PTR",
        "SPF",
        "SRV",
        "SSHFP",
        "SVCB",
        "TLSA",
        "TXT",
        "URI",
    }
)
"""The types octoDNS, the API and the providers work with (SOA is kept apart on the zone and never
planned). Zone files may hold more: :func:`zone_file_types`."""

SIGNER_TYPES: frozenset[str] = frozenset({"RRSIG", "NSEC", "NSEC3", "NSEC3PARAM"})
"""The records a DNSSEC signer makes and keeps up to date from the rest of the zone (RFC 4034, RFC 5155):
a zone file's copies are checked, then left out, so that a plan never carries signatures of old data."""

# RFC 6742: a NID or L64 value is four 16-bit groups in hex, each of one to four digits as BIND reads them
_LOCATOR_GROUP = re.compile(r"(\A[ \t]*[0-9]+[ \t]+|:)([0-9A-Fa-f]{1,4})(?=:|[ \t]*\Z)")
_GENERIC_TYPE = re.compile(r"TYPE[0-9]{1,5}\Z")


@cache
def zone_file_types() -> frozenset[str]:
    """Every type a BIND or JSON zone file may hold: :data:`RECORD_TYPES` and every other data type
    dnspython knows (HINFO, RP, DNSKEY, ...), plus any type by number (``TYPE65534``, RFC 3597). A
    provider says which it holds (its capabilities); a plan with any other is refused before anything
    is sent. Computed on first use: reading the common types never loads dnspython."""
    import dns.rdatatype

    names = {
        dns.rdatatype.to_text(rdtype)
        for rdtype in dns.rdatatype.RdataType
        if not dns.rdatatype.is_metatype(rdtype) and rdtype not in (dns.rdatatype.SOA, dns.rdatatype.TYPE0)
    }
    return frozenset(names | RECORD_TYPES) - SIGNER_TYPES


_TYPE_NAMES = {rtype: rtype for rtype in RECORD_TYPES}


@cache
def _zone_file_type_names() -> dict[str, str]:
    return {rtype: rtype for rtype in zone_file_types() | SIGNER_TYPES}


def record_type(text: str) -> str | None:
    """The shared string of an RRset type written in upper case, or None when it is not one.

    Readers keep this one object per type instead of a copy per RRset (a few MB per 100k RRsets).
    """
    return _TYPE_NAMES.get(text)


def zone_file_type(text: str) -> str | None:
    """The name DunOps gives a type written in upper case in a zone file, or None when it is none.

    A mnemonic is itself (``HINFO``); ``TYPEnnn`` (RFC 3597) is the type's mnemonic when it has one
    (``TYPE1`` is ``A``) and ``TYPEnnn`` otherwise; meta types (``ANY``, ``AXFR``, ``OPT``...) are none.
    The signer's types (:data:`SIGNER_TYPES`) and ``SOA`` are named too: the reader decides about them.
    """
    known = _TYPE_NAMES.get(text) or _zone_file_type_names().get(text)
    if known is not None or text == "SOA":
        return known or "SOA"
    if not _GENERIC_TYPE.match(text) or int(text[4:]) > 65535:
        return None
    import dns.rdatatype

    number = dns.rdatatype.RdataType.make(int(text[4:]))
    if dns.rdatatype.is_metatype(number) or number == dns.rdatatype.TYPE0:
        return None
    name = dns.rdatatype.to_text(number)
    return _zone_file_type_names().get(name) or ("SOA" if name == "SOA" else name)


def _readable_type(rtype: str) -> bool:
    return (
        rtype in RECORD_TYPES
        or rtype in zone_file_types()
        or rtype in SIGNER_TYPES
        or rtype == "SOA"
        or bool(_GENERIC_TYPE.match(rtype))
    )


SINGLE_VALUE_TYPES: frozenset[str] = frozenset({"CNAME", "DNAME", "ALIAS"})
TARGET_TYPES: frozenset[str] = frozenset({"CNAME", "NS", "PTR", "DNAME", "ALIAS"})
TEXT_TYPES: frozenset[str] = frozenset({"TXT", "SPF"})
MAX_STRING_OCTETS = 255

_PLAIN_TARGET = re.compile(r"(?:[a-z0-9_-]{1,63}\.)+\Z")
_CAA = re.compile(r'([0-9]{1,3})[ \t]+([A-Za-z0-9]{1,255})[ \t]+"([^"\\]*)"\Z')


class InvalidValue(ValueError):
    """A record value that cannot be read; the message says what was expected."""


def canonical_value(rtype: str, text: str, origin: str) -> str:
    """The canonical presentation form of one ``rtype`` value written as ``text``.

    Relative names in ``text`` are read against ``origin``. Raises :class:`InvalidValue`.
    """
    try:
        if text[:2] == "\\#" or (text[:1] in (" ", "\t") and text.lstrip()[:2] == "\\#"):
            return _generic_value(rtype, text, origin)
        fast = _FAST_PATHS.get(rtype)
        if fast is not None:
            result = fast(text, origin)
            if result is not None:
                return result
        if rtype in TEXT_TYPES:
            return text_value_from_strings(_within_rdata_limit(rtype, character_strings(text)))
        if len(text) > _LONG_TEXT:
            _check_wire_length(rtype, text, origin)
        return general_canonical_value(rtype, text, origin)
    except InvalidName as exc:
        raise InvalidValue(f"invalid {rtype} value {text!r}: {exc}") from exc


MAX_RDATA_OCTETS = 65_535
"""The most octets one record's data may hold on the wire (RFC 1035 3.2.1: RDLENGTH is 16 bits)."""
_LONG_TEXT = 32_768  # presentation text shorter than this cannot make more than 65,535 octets of data

# RFC 1876 section 2: the ranges of LOC data that its wire format holds
_LOC_MAX_ALTITUDE_CM = 2**32 - 1 - 10_000_000
_LOC_MIN_ALTITUDE_CM = -10_000_000
_LOC_MAX_SIZE_CM = 9 * 10**9
_LOC_MAX_LATITUDE_MS = 90 * 3_600_000
_LOC_MAX_LONGITUDE_MS = 180 * 3_600_000


def _within_rdata_limit(rtype: str, strings: list[bytes]) -> list[bytes]:
    """``strings`` when the record they make fits in 65,535 octets (each string takes a length octet
    per 255 octets); raises InvalidValue otherwise."""
    octets = sum(len(string) + max(1, -(-len(string) // MAX_STRING_OCTETS)) for string in strings)
    if octets > MAX_RDATA_OCTETS:
        raise InvalidValue(
            f"{rtype} data of {octets:,} octets is over the limit of {MAX_RDATA_OCTETS:,} octets a record "
            "may hold (RFC 1035 3.2.1)"
        )
    return strings


def _check_wire_length(rtype: str, text: str, origin: str) -> None:
    import dns.exception

    try:
        rdata = _from_text(rtype, text, origin)
        octets = len(rdata.to_digestable())
    except (dns.exception.DNSException, ValueError, UnicodeError):
        return  # general_canonical_value says why
    if octets > MAX_RDATA_OCTETS:
        raise InvalidValue(
            f"{rtype} data of {octets:,} octets is over the limit of {MAX_RDATA_OCTETS:,} octets a record "
            "may hold (RFC 1035 3.2.1)"
        )


def _from_text(rtype: str, text: str, origin: str) -> dns.rdata.Rdata:
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype

    return dns.rdata.from_text(
        dns.rdataclass.IN,
        dns.rdatatype.from_text("CNAME" if rtype == "ALIAS" else rtype),
        text,
        origin=dns.name.from_text(origin),
        relativize=False,
        idna_codec=dns.name.IDNA_2008,
    )


def _generic_value(rtype: str, text: str, origin: str) -> str:
    """A value in RFC 3597's generic syntax (``\\# LENGTH HEX``), read as the type's own data: the
    wire octets are decoded by the type's rules, so ``A \\# 4 C0000201`` is ``192.0.2.1``."""
    if not _readable_type(rtype):
        raise InvalidValue(f"unsupported record type {rtype}")
    import dns.exception

    try:
        _refuse_line_breaks_and_comments(text)
        rdata = _from_text(rtype, text, origin)
    except (dns.exception.DNSException, ValueError, UnicodeError) as exc:
        reason = str(exc) or type(exc).__name__
        raise InvalidValue(
            f"invalid {rtype} value {text[:80]!r} in RFC 3597 generic syntax: {reason} "
            "(expected \\# LENGTH HEX, the length counting the octets of HEX)"
        ) from exc
    if rtype in TEXT_TYPES:
        return text_value_from_strings(list(rdata.strings))  # type: ignore[attr-defined]
    return general_canonical_value(rtype, rdata.to_text(), origin)


def _check_loc(rdata: dns.rdata.Rdata) -> None:
    """RFC 1876 ranges, which dnspython does not check in full."""
    latitude, longitude = rdata.latitude, rdata.longitude  # type: ignore[attr-defined]
    for what, value, limit in (
        ("latitude", latitude, _LOC_MAX_LATITUDE_MS),
        ("longitude", longitude, _LOC_MAX_LONGITUDE_MS),
    ):
        total = ((value[0] * 60 + value[1]) * 60 + value[2]) * 1000 + value[3]
        if total > limit:
            raise InvalidValue(f"LOC {what} is beyond {limit // 3_600_000} degrees (RFC 1876)")
    altitude = round(rdata.altitude)  # type: ignore[attr-defined]
    if not _LOC_MIN_ALTITUDE_CM <= altitude <= _LOC_MAX_ALTITUDE_CM:
        raise InvalidValue("LOC altitude must be from -100000.00m to 42849672.95m (RFC 1876)")
    for what in ("size", "horizontal_precision", "vertical_precision"):
        if not 0 <= round(getattr(rdata, what)) <= _LOC_MAX_SIZE_CM:
            raise InvalidValue(f"LOC {what.replace('_', ' ')} must be from 0m to 90000000.00m (RFC 1876)")


_CHECKED_LENGTHS = frozenset({"NSAP", "NSEC3"})
_SHA1_OCTETS = 20


def _check_length(rtype: str, rdata: dns.rdata.Rdata, text: str) -> None:
    """Lengths dnspython reads but BIND refuses: an NSAP holds an address (RFC 1706 section 5), and
    an NSEC3 of hash algorithm 1 names the next owner by its SHA-1 hash (RFC 5155 sections 3.1.7, 5)."""
    if rtype == "NSAP" and not rdata.address:  # type: ignore[attr-defined]
        raise InvalidValue(f"invalid NSAP value {text!r}: empty, an NSAP address holds at least one octet")
    if rtype == "NSEC3" and rdata.algorithm == 1:  # type: ignore[attr-defined]
        octets = len(rdata.next)  # type: ignore[attr-defined]
        if octets != _SHA1_OCTETS:
            raise InvalidValue(
                f"invalid NSEC3 value {text!r}: the next hashed owner name is {octets} octets, and hash "
                f"algorithm 1 (SHA-1) makes {_SHA1_OCTETS}, 32 base32hex digits (RFC 5155 sections 3.1.7, 5)"
            )


def general_canonical_value(rtype: str, text: str, origin: str) -> str:
    """The canonical form computed by dnspython alone (the reference the fast paths must agree with)."""
    if rtype in TEXT_TYPES:
        return text_value_from_strings(character_strings(text))
    if not _readable_type(rtype):
        raise InvalidValue(f"unsupported record type {rtype}")
    if rtype in ("NID", "L64"):
        text = _LOCATOR_GROUP.sub(lambda m: m[1] + m[2].zfill(4), text)
    import dns.exception
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.ANY.CAA

    try:
        _refuse_line_breaks_and_comments(text)
        rdata = _from_text(rtype, text, origin)
    except (dns.exception.DNSException, ValueError, UnicodeError) as exc:
        reason = str(exc) or type(exc).__name__
        reader = dns.rdata.get_rdata_class(dns.rdataclass.IN, dns.rdatatype.from_text(rtype))  # type: ignore[no-untyped-call]
        if reader is dns.rdata.GenericRdata:
            reason = f"{rtype} data is read only in RFC 3597 generic syntax (\\# LENGTH HEX)"
        raise InvalidValue(f"invalid {rtype} value {text!r}: {reason}") from exc
    changes: dict[str, object] = {
        slot: value.canonicalize()
        for slot in _slots(type(rdata))
        if isinstance(value := getattr(rdata, slot, None), dns.name.Name)
    }
    if isinstance(rdata, dns.rdtypes.ANY.CAA.CAA):  # RFC 8659 4.1: tags are case-insensitive
        changes["tag"] = rdata.tag.lower()
    if rtype == "LOC":
        _check_loc(rdata)
    elif rtype in _CHECKED_LENGTHS:
        _check_length(rtype, rdata, text)
    if changes:
        rdata = rdata.replace(**changes)
    return rdata.to_text()


def _refuse_line_breaks_and_comments(text: str) -> None:
    """Refuse a value dnspython would silently cut short at a line break or a ``;`` comment."""
    import dns.tokenizer

    tokenizer = dns.tokenizer.Tokenizer(text)
    while True:
        token = tokenizer.get(want_leading=False, want_comment=True)
        if token.is_eof():
            return
        if token.is_eol():
            raise InvalidValue("a line break is not allowed inside a value")
        if token.is_comment():
            raise InvalidValue(
                f"';' starts a comment here: quote it or escape it as '\\;' (comment {token.value!r})"
            )


def _slots(cls: type) -> list[str]:
    slots: list[str] = []
    for klass in cls.__mro__:
        declared = klass.__dict__.get("__slots__", ())
        slots.extend([declared] if isinstance(declared, str) else declared)
    return slots


def target(text: str, origin: str) -> str:
    """A target name made absolute and lower-case."""
    lowered = text.lower()
    if _PLAIN_TARGET.match(lowered) and len(lowered) < 255:
        return lowered
    if lowered == "@":
        return origin.lower()
    return absolute_name(text, origin).lower()


def _uint16(text: str, what: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 5 or int(text) > 65535:
        raise InvalidValue(f"{what} must be an integer from 0 to 65535, got {text!r}")
    return int(text)


def _fast_a(text: str, origin: str) -> str | None:
    try:
        return inet_ntop(AF_INET, inet_pton(AF_INET, text))
    except OSError as exc:
        raise InvalidValue(f"invalid A value {text!r}: expected an IPv4 address like 192.0.2.1") from exc


def _fast_aaaa(text: str, origin: str) -> str | None:
    try:
        return inet_ntop(AF_INET6, inet_pton(AF_INET6, text))
    except OSError as exc:
        raise InvalidValue(f"invalid AAAA value {text!r}: expected an IPv6 address like 2001:db8::1") from exc


def _special(word: str) -> bool:
    """True when ``word`` holds a quote, a ``;`` or a parenthesis: text the fast paths leave to dnspython."""
    return '"' in word or ";" in word or "(" in word or ")" in word


def _fast_target(text: str, origin: str) -> str | None:
    parts = text.split()
    if len(parts) != 1 or _special(parts[0]):
        return None
    return target(parts[0], origin)


def _fast_mx(text: str, origin: str) -> str | None:
    parts = text.split()
    if len(parts) != 2 or _special(parts[1]):
        return None
    return f"{_uint16(parts[0], 'MX preference')} {target(parts[1], origin)}"


def _fast_srv(text: str, origin: str) -> str | None:
    parts = text.split()
    if len(parts) != 4 or _special(parts[3]):
        return None
    numbers = (_uint16(parts[0], "SRV priority"), _uint16(parts[1], "SRV weight"))
    port = _uint16(parts[2], "SRV port")
    return f"{numbers[0]} {numbers[1]} {port} {target(parts[3], origin)}"


def _fast_caa(text: str, origin: str) -> str | None:
    match = _CAA.match(text)
    if match is None or int(match[1]) > 255 or not match[3].isprintable() or not match[3].isascii():
        return None
    return f'{int(match[1])} {match[2].lower()} "{match[3]}"'


def _fast_text(text: str, origin: str) -> str | None:
    if (
        len(text) <= MAX_STRING_OCTETS + 2
        and text[:1] == '"'
        and text[-1:] == '"'
        and len(text) >= 2
        and text.isascii()
        and text.isprintable()
        and '"' not in text[1:-1]
        and "\\" not in text
    ):
        return text
    return None


def _plain_strings(text: str) -> bool:
    """True when ``text`` is quoted strings one space apart, each of at most 255 characters and free of
    quotes and backslashes: ``'" "'`` in it is only ever a boundary."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"' or "\\" in text:
        return False
    return all(len(string) <= MAX_STRING_OCTETS and '"' not in string for string in text[1:-1].split('" "'))


def _fast_strings(text: str, origin: str) -> str | None:
    """Character-strings of printable ASCII, each quoted, at most 255 octets and free of quotes and
    backslashes, one space apart, are their own canonical form (as :func:`text_value_from_strings`
    writes them)."""
    if _fast_text(text, origin) is not None:
        return text
    if len(text) <= _LONG_TEXT and text.isascii() and _plain_strings(text) and text.isprintable():
        return text
    return None


_FAST_PATHS = {
    "A": _fast_a,
    "AAAA": _fast_aaaa,
    "CNAME": _fast_target,
    "NS": _fast_target,
    "PTR": _fast_target,
    "DNAME": _fast_target,
    "ALIAS": _fast_target,
    "MX": _fast_mx,
    "SRV": _fast_srv,
    "CAA": _fast_caa,
    "TXT": _fast_strings,
    "SPF": _fast_strings,
}
CANONICAL_FAST_PATHS = _FAST_PATHS
"""Per type, the fast path :func:`canonical_value` takes for text that neither starts with a blank nor
is RFC 3597 generic data (``\\#``): it gives the canonical value, or None when only the general path
can tell, or raises :class:`InvalidValue` or :class:`~dunops.dns.names.InvalidName`. A TXT or SPF value
it gives holds no character-string over 255 octets."""


_SIMPLE_STRINGS = re.compile(r'"[^"\\]*"(?:[ \t]+"[^"\\]*")*\Z')
_SIMPLE_STRING = re.compile(r'"([^"\\]*)"')


def parse_character_strings(text: str) -> bytes:
    """The octets of TXT presentation text: quoted or bare strings, RFC 1035 escapes, joined."""
    if _SIMPLE_STRINGS.match(text):
        return "".join(_SIMPLE_STRING.findall(text)).encode("utf-8")
    return b"".join(character_strings(text))


def character_strings(text: str) -> list[bytes]:
    """The octets of each character-string of TXT presentation text (quoted or bare, RFC 1035
    escapes), in order; a string may be longer than 255 octets here."""
    if _SIMPLE_STRINGS.match(text):
        return [found.encode("utf-8") for found in _SIMPLE_STRING.findall(text)]
    strings: list[bytes] = []
    data = text.encode("utf-8")
    i, size = 0, len(data)
    while i < size:
        char = data[i]
        if char in b" \t":
            i += 1
            continue
        out = bytearray()
        quoted = char == 0x22
        if quoted:
            i += 1
        while i < size:
            char = data[i]
            if quoted and char == 0x22:
                i += 1
                break
            if not quoted and char in b" \t":
                break
            if not quoted and char == 0x22:
                raise InvalidValue(f"unexpected '\"' inside an unquoted string in {text!r}")
            if char == 0x5C:
                i = _read_escape(data, i, out, text)
                continue
            out.append(char)
            i += 1
        else:
            if quoted:
                raise InvalidValue(f"missing closing '\"' in {text!r}")
        strings.append(bytes(out))
    return strings


def _read_escape(data: bytes, i: int, out: bytearray, text: str) -> int:
    digits = data[i + 1 : i + 4]
    if len(digits) == 3 and digits.isdigit():
        value = int(digits)
        if value > 255:
            raise InvalidValue(f"escape \\{digits.decode()} is above \\255 in {text!r}")
        out.append(value)
        return i + 4
    if i + 1 < len(data) and not data[i + 1 : i + 2].isdigit():
        out.append(data[i + 1])
        return i + 2
    raise InvalidValue(f"incomplete escape in {text!r}: expected \\X or \\DDD")


def escape_octets(chunk: bytes) -> str:
    """Presentation text of one character-string's octets, escaped exactly as dnspython does."""
    if chunk.isascii() and chunk.decode("ascii").isprintable() and b'"' not in chunk and b"\\" not in chunk:
        return chunk.decode("ascii")
    parts = []
    for octet in chunk:
        if octet in (0x22, 0x5C):
            parts.append("\\" + chr(octet))
        elif 0x20 <= octet < 0x7F:
            parts.append(chr(octet))
        else:
            parts.append(f"\\{octet:03d}")
    return "".join(parts)


def text_value_from_bytes(data: bytes) -> str:
    """Canonical TXT value: the octets split into 255-octet character-strings, quoted and escaped."""
    if not data:
        return '""'
    chunks = [data[i : i + MAX_STRING_OCTETS] for i in range(0, len(data), MAX_STRING_OCTETS)]
    return " ".join(f'"{escape_octets(chunk)}"' for chunk in chunks)


def text_value_from_strings(strings: list[bytes]) -> str:
    """Canonical TXT value keeping each character-string: only a string longer than 255 octets is
    split (at 255), each is quoted and escaped, joined by one space (as dnspython writes them)."""
    if not strings:
        return '""'
    chunks = [
        string[i : i + MAX_STRING_OCTETS]
        for string in strings
        for i in range(0, max(len(string), 1), MAX_STRING_OCTETS)
    ]
    return " ".join(f'"{escape_octets(chunk)}"' for chunk in chunks)


_PRESENTATION_STRINGS = re.compile(r'[ \t]*"(?:[^"\\\n]|\\.)*"(?:[ \t]+"(?:[^"\\\n]|\\.)*")*[ \t]*\Z')


def text_value_from_input(rtype: str, text: str) -> str:
    """A TXT or SPF value given outside a zone file (an API or CLI edit), as octoDNS means it.

    One value is one text, whatever spaces or quotes it holds (``v=spf1 mx -all`` stays one string),
    with ``\\;`` standing for ``;`` as in octoDNS; it goes on the wire as 255-octet character-strings.
    A value that is wholly quoted presentation strings (``"v=spf1 -all"``, ``"part one" "part two"``)
    is read as presentation, strings and escapes as written. Raises :class:`InvalidValue`.
    """
    if _PRESENTATION_STRINGS.match(text):
        return canonical_value(rtype, text.strip(" \t"), ".")
    data = text.replace("\\;", ";").encode("utf-8")
    _within_rdata_limit(rtype, [data])
    return text_value_from_bytes(data)


def text_value_octets(value: str) -> bytes:
    """The joined octets of a canonical TXT value (the inverse of :func:`text_value_from_bytes`)."""
    if _fast_text(value, "") is not None:
        return value[1:-1].encode("ascii")
    if value.isascii() and _plain_strings(value):
        return value[1:-1].replace('" "', "").encode("ascii")
    return parse_character_strings(value)
