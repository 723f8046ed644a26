"""RRsets: the unit DunOps stores, compares, plans and applies.

An :class:`RRset` is a value: an owner name (absolute, case as written), a type, a TTL and a sorted
tuple of distinct canonical values, plus optional provider metadata passed through untouched (the
``octodns:`` block of an octoDNS record). Two RRsets are equal when they hold the same data; names
compare without regard to ASCII case. :attr:`RRset.fingerprint` is the SHA-256 of the canonical form,
which the compare-and-set apply checks against what a provider serves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from dunops.dns.rdata import canonical_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_TTL = 2**31 - 1
_TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TTL_TOKEN = re.compile(r"(\d+)([smhdwSMHDW]?)")


def parse_ttl(text: str) -> int:
    """A TTL written as seconds or with BIND units (``1h30m``); raises ValueError with the reason."""
    if text.isdigit():
        value = int(text)
    else:
        position, value = 0, 0
        while position < len(text):
            match = _TTL_TOKEN.match(text, position)
            if match is None or (not match[2] and match.end() != len(text)):
                raise ValueError(f"invalid TTL {text!r}: expected seconds or units like 1h30m")
            value += int(match[1]) * _TTL_UNITS[match[2].lower() or "s"]
            position = match.end()
        if not text:
            raise ValueError("empty TTL")
    if value > MAX_TTL:
        raise ValueError(f"TTL {text} is above the maximum {MAX_TTL}")
    return value


class RRset:
    """One resource record set: (name, type) -> ttl and values. A value: treat as immutable."""

    __slots__ = ("_hash", "key", "meta", "name", "rtype", "ttl", "values")

    name: str
    key: str
    rtype: str
    ttl: int
    values: tuple[str, ...]
    meta: str

    def __init__(self, name: str, rtype: str, ttl: int, values: Iterable[str], meta: str = "") -> None:
        """Build from canonical values; use :meth:`parse` for text that may not be canonical yet.

        ``meta`` is provider metadata as canonical JSON text (see :func:`meta_text`), or ``""``.
        """
        self.name = name
        key = name.lower()
        self.key = name if key == name else key
        self.rtype = rtype
        self.ttl = ttl
        ordered = tuple(values)
        self.values = tuple(sorted(set(ordered))) if len(ordered) > 1 else ordered
        self.meta = meta
        self._hash = -1

    @classmethod
    def parse(
        cls, name: str, rtype: str, ttl: int, values: Iterable[str], origin: str, meta: str = ""
    ) -> RRset:
        """Build from presentation texts, canonicalising each value (raises InvalidValue)."""
        return cls(name, rtype, ttl, [canonical_value(rtype, value, origin) for value in values], meta)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RRset):
            return NotImplemented
        return (
            self.key == other.key
            and self.rtype == other.rtype
            and self.ttl == other.ttl
            and self.values == other.values
            and self.meta == other.meta
        )

    def __hash__(self) -> int:
        if self._hash == -1:
            self._hash = hash((self.key, self.rtype, self.ttl, self.values, self.meta))
        return self._hash

    def __repr__(self) -> str:
        return f"RRset({self.name!r}, {self.rtype!r}, {self.ttl}, {list(self.values)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (RRset, (self.name, self.rtype, self.ttl, self.values, self.meta))

    def same_data(self, other: RRset) -> bool:
        """True when TTL, values and metadata are equal (names are compared by the caller)."""
        return self.ttl == other.ttl and self.values == other.values and self.meta == other.meta

    def replace(self, *, ttl: int | None = None, values: Iterable[str] | None = None) -> RRset:
        return RRset(
            self.name,
            self.rtype,
            self.ttl if ttl is None else ttl,
            self.values if values is None else values,
            self.meta,
        )

    @property
    def meta_dict(self) -> dict[str, Any]:
        """The provider metadata as a dict (empty when there is none)."""
        import json

        return dict(json.loads(self.meta)) if self.meta else {}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.rtype,
            "ttl": self.ttl,
            "values": list(self.values),
        }
        if self.meta:
            data["octodns"] = self.meta_dict
        return data

    @property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the canonical form; stable across processes and versions of this code."""
        return rrset_fingerprint(self)

    def lines(self) -> list[str]:
        """Zone-file lines, one per value (absolute owner name)."""
        return [f"{self.name} {self.ttl} IN {self.rtype} {value}" for value in self.values]


def meta_text(meta: Mapping[str, Any] | None) -> str:
    """Canonical JSON text of provider metadata (sorted keys, no spaces); ``""`` for none."""
    if not meta:
        return ""
    import json

    return json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


DIGEST_MODULUS = 2**256


def rrset_digest(rrset: RRset) -> int:
    """A 256-bit digest of one RRset's data; a zone's content hash is the sum of these (see below)."""
    import hashlib  # on first use: reading and checking a zone file hashes nothing

    payload = "\n".join([rrset.key, rrset.rtype, str(rrset.ttl), rrset.meta, *rrset.values])
    return int.from_bytes(hashlib.sha256(payload.encode("utf-8")).digest(), "big")


def origin_digest(origin: str) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(b"zone " + origin.lower().encode("utf-8")).digest(), "big")


def content_hash(origin: str, rrsets: Iterable[RRset]) -> str:
    """The hash of a zone's content: (origin digest + sum of RRset digests) mod 2**256, as 64 hex digits.

    A sum is kept up to date from a change alone (:func:`updated_content_hash`), without the whole zone.
    It tells versions apart; decisions (is there drift?) compare RRsets, never hashes.
    """
    total = origin_digest(origin) + sum(rrset_digest(rrset) for rrset in rrsets)
    return f"{total % DIGEST_MODULUS:064x}"


def updated_content_hash(current: str, removed: Iterable[RRset], added: Iterable[RRset]) -> str:
    total = int(current, 16) - sum(map(rrset_digest, removed)) + sum(map(rrset_digest, added))
    return f"{total % DIGEST_MODULUS:064x}"


def rrset_fingerprint(rrset: RRset | None) -> str:
    """Fingerprint of an RRset, or of its absence (``None``), for compare-and-set."""
    import hashlib
    import json

    if rrset is None:
        return hashlib.sha256(b"absent").hexdigest()
    payload = json.dumps(
        [rrset.key, rrset.rtype, rrset.ttl, list(rrset.values), rrset.meta],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
