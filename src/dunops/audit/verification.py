"""Checking a chain: every event signed and linked, no sequence missing, and the chain ending where its
signed head says, whether the chain is read from the database or from an exported file.

Each problem is one :class:`ChainBreak` with one sentence naming the events concerned.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from dunops.audit import keyring
from dunops.audit.chain import HEAD_REPAIRED, in_chain
from dunops.audit.digest import GENESIS, ChainKey, content
from dunops.storage.models import AuditEvent, AuditHead

_BATCH = 1000


class Finding(StrEnum):
    REWRITTEN = "rewritten"
    UNLINKED = "unlinked"
    MISSING = "missing"
    ORDER = "order"
    TRUNCATED = "truncated"
    BEYOND_HEAD = "beyond head"
    HEAD = "head"
    REPAIRED = "repaired"
    KEY = "key"


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """One problem: what kind, the first sequence it concerns (0: the head), and a sentence naming it."""

    kind: Finding
    sequence: int
    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True, slots=True)
class Head:
    sequence: int
    hash: str
    master_key_id: str
    mac: str


def _span(first: int, last: int) -> str:
    return f"event #{first}" if first == last else f"events #{first}-#{last}"


def _event(sequence: int, event_id: int | None) -> str:
    return f"event #{sequence}" if event_id is None else f"event #{sequence} (id {event_id})"


class ChainCheck:
    """Checks the events of one chain as they come, in sequence order, then its head."""

    def __init__(self, key: ChainKey, workspace_id: int | None, head: Head | None) -> None:
        self.key = key
        self.workspace_id = workspace_id
        self.head = head
        self.count = 0
        self.breaks: list[ChainBreak] = []
        self._last_sequence = 0
        self._last_hash = GENESIS
        self._rewritten: list[tuple[int, int | None]] = []

    def event(self, fields: Mapping[str, Any], stored_hash: str, event_id: int | None = None) -> None:
        self.count += 1
        sequence: int = fields["sequence"]
        if sequence <= self._last_sequence:
            self._end_rewritten()
            self._add(
                Finding.ORDER,
                sequence,
                f"{_event(sequence, event_id)} comes after event #{self._last_sequence}: "
                "out of order or repeated",
            )
            return
        if sequence > self._last_sequence + 1:
            self._end_rewritten()
            self._add(
                Finding.MISSING,
                self._last_sequence + 1,
                f"{_span(self._last_sequence + 1, sequence - 1)} missing (deleted): the chain goes from "
                f"#{self._last_sequence} to #{sequence}",
            )
        if fields["workspace_id"] != self.workspace_id or not self.key.signs(fields, stored_hash):
            self._rewritten.append((sequence, event_id))
        else:
            self._end_rewritten()
            self._check_signed(fields, event_id)
        self._last_sequence, self._last_hash = sequence, stored_hash

    def _check_signed(self, fields: Mapping[str, Any], event_id: int | None) -> None:
        sequence: int = fields["sequence"]
        if sequence == self._last_sequence + 1 and fields["previous_hash"] != self._last_hash:
            self._add(
                Finding.UNLINKED,
                sequence,
                f"{_event(sequence, event_id)} does not link to event #{self._last_sequence}: "
                "its previous hash differs (that event was replaced)",
            )
        if fields["action"] == HEAD_REPAIRED:
            found = fields["details"].get("head", "unusable")
            self._add(
                Finding.REPAIRED,
                sequence,
                f"{_event(sequence, event_id)}: when it was written the chain's head was {found}; "
                "events before it may have been removed",
            )

    def _end_rewritten(self) -> None:
        if not self._rewritten:
            return
        (first, first_id), (last, _) = self._rewritten[0], self._rewritten[-1]
        if first == last:
            reason = f"{_event(first, first_id)} was rewritten: its content does not match its hash"
        else:
            reason = f"{_span(first, last)} were rewritten: their content does not match their hashes"
        self._add(Finding.REWRITTEN, first, reason)
        self._rewritten = []

    def _add(self, kind: Finding, sequence: int, reason: str) -> None:
        self.breaks.append(ChainBreak(kind, sequence, reason))

    def finish(self) -> list[ChainBreak]:
        self._end_rewritten()
        head, end = self.head, self._last_sequence
        if head is None:
            if self.count:
                self._add(Finding.HEAD, 0, "the chain has no head (deleted): nothing shows where it ended")
        elif not self.key.signs_head(self.workspace_id, head.sequence, head.hash, head.mac):
            self._add(Finding.HEAD, 0, "the head does not match its signature (forged or tampered with)")
        elif end < head.sequence:
            ends = f"at #{end}" if end else "with no event"
            self._add(
                Finding.TRUNCATED,
                end + 1,
                f"the chain was truncated: its head says it ends at #{head.sequence}, but it ends {ends}",
            )
        elif end > head.sequence:
            self._add(
                Finding.BEYOND_HEAD,
                head.sequence + 1,
                f"{_span(head.sequence + 1, end)} beyond the head (#{head.sequence}): "
                "added behind the service's back",
            )
        elif head.hash != self._last_hash:
            self._add(Finding.HEAD, end, f"event #{end} is not the event the head names (replaced)")
        return self.breaks


def key_mismatch(head: Head, key: ChainKey) -> ChainBreak | None:
    """The chain is signed with another master key than ``key``'s: nothing else can be checked."""
    if head.master_key_id == key.master_key_id:
        return None
    return ChainBreak(
        Finding.KEY,
        0,
        f"the chain is signed with master key {head.master_key_id}, "
        f"but the configured master key is {key.master_key_id}",
    )


def stored_head(session: Session, workspace_id: int | None) -> Head | None:
    row = session.scalars(
        select(AuditHead)
        .where(in_chain(AuditHead.workspace_id, workspace_id))
        .order_by(AuditHead.id)
        .limit(1)
    ).first()
    return None if row is None else Head(row.sequence, row.hash, row.master_key_id, row.mac)


def stored_events(session: Session, workspace_id: int | None) -> Iterator[Row[Any]]:
    """The chain's events as plain rows, in sequence order, read a batch at a time."""
    rows = session.execute(
        select(AuditEvent.__table__)
        .where(in_chain(AuditEvent.workspace_id, workspace_id))
        .order_by(AuditEvent.sequence),
        execution_options={"yield_per": _BATCH},
    )
    yield from rows


def verify(session: Session, workspace_id: int | None) -> tuple[int, list[ChainBreak]]:
    """Check the chain in the database; returns the number of events checked and every problem found."""
    key = keyring.key_for(session)
    head = stored_head(session, workspace_id)
    mismatch = None if head is None else key_mismatch(head, key)
    if mismatch is not None:
        count = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(in_chain(AuditEvent.workspace_id, workspace_id))
        )
        return count or 0, [mismatch]
    check = ChainCheck(key, workspace_id, head)
    for row in stored_events(session, workspace_id):
        check.event(content(row), row.hash, row.id)
    return check.count, check.finish()
