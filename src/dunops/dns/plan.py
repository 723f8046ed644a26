"""Plans: the RRset-level changes that turn a current zone into a desired one, as a value.

:func:`plan_changes` compares two zones (values as sets) and returns a :class:`Plan` of sorted
Create/Update/Delete changes, each with before and after. A plan serialises to stable JSON, reads
back, hashes stably, applies to a zone, and renders as a unified-diff-like text with a summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from dunops.dns.names import name_sort_key
from dunops.dns.rdata import RECORD_TYPES
from dunops.dns.rrset import RRset, meta_text, rrset_fingerprint
from dunops.dns.zone import Zone

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class ChangeKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class Capabilities:
    """What a target provider can hold: its record types and whether it manages apex NS records."""

    record_types: frozenset[str] = RECORD_TYPES - {"ALIAS"}
    root_ns: bool = True


@dataclass(frozen=True, slots=True)
class Change:
    """One RRset-level change; ``before`` is None for a create, ``after`` None for a delete."""

    kind: ChangeKind
    before: RRset | None
    after: RRset | None

    @property
    def rrset(self) -> RRset:
        result = self.after if self.after is not None else self.before
        assert result is not None
        return result

    @property
    def name(self) -> str:
        return self.rrset.name

    @property
    def rtype(self) -> str:
        return self.rrset.rtype

    @property
    def ttl_only(self) -> bool:
        """True for an update that changes nothing but the TTL."""
        return (
            self.kind is ChangeKind.UPDATE
            and self.before is not None
            and self.after is not None
            and self.before.values == self.after.values
            and self.before.meta == self.after.meta
        )

    @property
    def before_fingerprint(self) -> str:
        """Fingerprint of the RRset as it was when planned (compare-and-set checks it at apply)."""
        return rrset_fingerprint(self.before)

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "name": self.rrset.key,
            "type": self.rtype,
            "ttl_only": self.ttl_only,
            "before": _rrset_data(self.before),
            "after": _rrset_data(self.after),
            "before_fingerprint": self.before_fingerprint,
        }


def _rrset_data(rrset: RRset | None) -> dict[str, Any] | None:
    if rrset is None:
        return None
    data: dict[str, Any] = {
        "name": rrset.name,
        "type": rrset.rtype,
        "ttl": rrset.ttl,
        "values": list(rrset.values),
    }
    if rrset.meta:
        data["meta"] = rrset.meta_dict
    return data


def _rrset_from(data: dict[str, Any] | None) -> RRset | None:
    if data is None:
        return None
    return RRset(data["name"], data["type"], data["ttl"], data["values"], meta_text(data.get("meta")))


def _sort_key(change: Change) -> tuple[tuple[str, ...], str]:
    return (name_sort_key(change.rrset.key), change.rtype)


@dataclass(frozen=True)
class Plan:
    """The ordered changes from one zone's content to another's."""

    origin: str
    changes: tuple[Change, ...] = ()
    unchanged: int = 0
    current_size: int = 0
    desired_size: int = 0
    skipped: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for change in self.changes if change.kind is kind)

    def to_data(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "changes": [change.to_data() for change in self.changes],
            "unchanged": self.unchanged,
            "current_size": self.current_size,
            "desired_size": self.desired_size,
            "skipped": list(self.skipped),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """Stable JSON: the same plan always gives the same text."""
        import json

        return json.dumps(self.to_data(), indent=indent, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        import json

        return cls.from_data(json.loads(text))

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Plan:
        changes = tuple(
            Change(ChangeKind(item["kind"]), _rrset_from(item["before"]), _rrset_from(item["after"]))
            for item in data["changes"]
        )
        return cls(
            data["origin"],
            changes,
            data.get("unchanged", 0),
            data.get("current_size", 0),
            data.get("desired_size", 0),
            tuple(data.get("skipped", ())),
        )

    @classmethod
    def of_changes(
        cls, origin: str, changes: Iterable[Change], *, current_size: int, desired_size: int
    ) -> Plan:
        """A plan of ``changes`` (any order) between zones of the given sizes."""
        ordered = sorted(changes, key=_sort_key)
        touched = sum(1 for change in ordered if change.before is not None)
        return cls(origin, tuple(ordered), current_size - touched, current_size, desired_size)

    @property
    def hash(self) -> str:
        """SHA-256 of the stable JSON form: what an approval binds to."""
        import hashlib

        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def apply(self, zone: Zone) -> Zone:
        """A copy of ``zone`` with the changes made (the zone should be the plan's current one)."""
        result = zone.copy()
        for change in self.changes:
            if change.kind is ChangeKind.DELETE:
                result.remove(change.rrset.name, change.rtype)
            else:
                assert change.after is not None
                result.add(change.after, replace=True)
        return result

    def summary(self) -> str:
        updates = self.count(ChangeKind.UPDATE)
        ttl_only = sum(1 for change in self.changes if change.ttl_only)
        return (
            f"{self.count(ChangeKind.CREATE)} to create, {updates} to update ({ttl_only} TTL only), "
            f"{self.count(ChangeKind.DELETE)} to delete; {self.unchanged} RRsets unchanged"
        )

    def render(self) -> str:
        """A readable rendering like a unified diff, ending with the summary line."""
        lines = [f"--- current {self.origin}", f"+++ desired {self.origin}"]
        for change in self.changes:
            marker = " (TTL only)" if change.ttl_only else ""
            lines.append(f"@@ {change.kind.value} {change.name} {change.rtype}{marker} @@")
            before = set(change.before.lines()) if change.before else set()
            after = set(change.after.lines()) if change.after else set()
            lines.extend(f"-{line}" for line in sorted(before - after))
            lines.extend(f"+{line}" for line in sorted(after - before))
            if change.before and change.after and change.before.meta != change.after.meta:
                lines.append(f"-meta {change.before.meta or '{}'}")
                lines.append(f"+meta {change.after.meta or '{}'}")
        lines.append(self.summary())
        return "\n".join(lines) + "\n"


def plan_changes(
    current: Zone, desired: Zone, capabilities: Capabilities | None = None, *, zone_size: int | None = None
) -> Plan:
    """The plan turning ``current`` into ``desired``. SOA is never planned.

    With ``capabilities`` that do not manage apex NS (``root_ns=False``), apex NS changes are left
    out and listed in ``Plan.skipped``. Types the target cannot hold stay in the plan; the safety
    analysis names them. ``zone_size`` says that both zones hold only the RRsets to plan, out of a
    zone of that many: the plan's sizes then describe the whole zone.
    """
    changes: list[Change] = []
    skipped: list[str] = []
    unchanged = 0
    current_rrsets, desired_rrsets = current.rrsets, desired.rrsets
    apex = desired.origin
    for key, after in desired_rrsets.items():
        before = current_rrsets.get(key)
        if before is None:
            changes.append(Change(ChangeKind.CREATE, None, after))
        elif before.ttl == after.ttl and before.values == after.values and before.meta == after.meta:
            unchanged += 1
        else:
            changes.append(Change(ChangeKind.UPDATE, before, after))
    for key, before in current_rrsets.items():
        if key not in desired_rrsets:
            changes.append(Change(ChangeKind.DELETE, before, None))
    if capabilities is not None and not capabilities.root_ns:
        kept = []
        for change in changes:
            if change.rtype == "NS" and change.rrset.key == apex:
                skipped.append(f"{change.name} NS: the target manages apex NS itself")
            else:
                kept.append(change)
        changes = kept
    changes.sort(key=_sort_key)
    sizes = (len(current_rrsets), len(desired_rrsets))
    if zone_size is not None:
        unchanged = zone_size - sum(1 for change in changes if change.before is not None)
        creates, deletes = (
            sum(1 for change in changes if change.kind is kind)
            for kind in (ChangeKind.CREATE, ChangeKind.DELETE)
        )
        sizes = (zone_size, zone_size + creates - deletes)
    return Plan(desired.origin, tuple(changes), unchanged, *sizes, tuple(skipped))
