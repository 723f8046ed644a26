"""A zone: its origin, its RRsets keyed by (name, type), and the SOA kept apart (never planned)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from dunops.dns.names import name_sort_key
from dunops.dns.rrset import RRset

RRsetKey = tuple[str, str]
"""(lower-case absolute name, type): the identity of an RRset inside a zone."""


class Zone:
    """The content of one zone. Equality compares origin, every RRset and the SOA."""

    __slots__ = ("origin", "rrsets", "soa")

    def __init__(self, origin: str, rrsets: Iterable[RRset] = (), soa: RRset | None = None) -> None:
        if not origin.endswith("."):
            origin += "."
        self.origin = origin.lower()
        self.soa = soa
        self.rrsets: dict[RRsetKey, RRset] = {}
        for rrset in rrsets:
            self.add(rrset)

    def add(self, rrset: RRset, *, replace: bool = False) -> None:
        """Add an RRset; a second RRset for the same (name, type) is refused unless ``replace``."""
        key = (rrset.key, rrset.rtype)
        if not replace and key in self.rrsets:
            raise ValueError(f"duplicate RRset {rrset.name} {rrset.rtype}")
        self.rrsets[key] = rrset

    def remove(self, name: str, rtype: str) -> None:
        self.rrsets.pop((name.lower(), rtype), None)

    def get(self, name: str, rtype: str) -> RRset | None:
        return self.rrsets.get((name.lower(), rtype))

    def __len__(self) -> int:
        return len(self.rrsets)

    def __iter__(self) -> Iterator[RRset]:
        """RRsets in canonical order: by name (reversed labels, ignoring case), then type."""
        return iter(self.sorted())

    def sorted(self) -> list[RRset]:
        return sorted(self.rrsets.values(), key=lambda r: (name_sort_key(r.key), r.rtype))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Zone):
            return NotImplemented
        return self.origin == other.origin and self.rrsets == other.rrsets and self.soa == other.soa

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Zone({self.origin!r}, {len(self.rrsets)} RRsets)"

    def copy(self) -> Zone:
        clone = Zone(self.origin, soa=self.soa)
        clone.rrsets = dict(self.rrsets)
        return clone

    def names(self) -> set[str]:
        """Every owner name that has at least one RRset (lower-case)."""
        return {key for key, _ in self.rrsets}

    def types_by_name(self) -> dict[str, list[str]]:
        nodes: dict[str, list[str]] = {}
        for name, rtype in self.rrsets:
            types = nodes.get(name)
            if types is None:
                nodes[name] = [rtype]
            else:
                types.append(rtype)
        return nodes
