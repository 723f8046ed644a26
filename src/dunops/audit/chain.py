"""The audit trail: append-only events, each hash covering the previous hash and its own canonical JSON.

One chain per workspace (and one for instance-wide events). ``verify`` recomputes a chain and names the
first event whose stored hash or link does not match, so an edit behind the service's back shows.

:func:`record` notes an event in the caller's transaction; the events are appended to their chains when
that transaction commits (and dropped when it rolls back). Appending takes the chain's lock, so it is
held only for the commit itself, not for the rest of the unit of work: writers of one workspace do not
queue behind each other's whole requests.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event as orm_events
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts.principal import Principal
from dunops.storage import locks
from dunops.storage.base import utcnow
from dunops.storage.database import mark_written
from dunops.storage.models import AuditEvent

GENESIS = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "workspace_id": event.workspace_id,
        "sequence": event.sequence,
        "actor_user_id": event.actor_user_id,
        "actor_token_id": event.actor_token_id,
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "details": event.details,
        "client_address": event.client_address,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "previous_hash": event.previous_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


@dataclass(frozen=True, slots=True)
class _Noted:
    workspace_id: int | None
    actor_user_id: int | None
    actor_token_id: int | None
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    client_address: str
    at: datetime


_NOTED = "dunops_audit_noted"


def _last(session: Session, workspace_id: int | None) -> AuditEvent | None:
    # One writer per chain at a time: a row lock alone would let a waiting writer read a stale tail.
    locks.hold(session, "audit-chain", str(workspace_id or 0))
    query = select(AuditEvent).where(
        AuditEvent.workspace_id.is_(None) if workspace_id is None else AuditEvent.workspace_id == workspace_id
    )
    return session.scalars(query.order_by(AuditEvent.sequence.desc()).limit(1).with_for_update()).first()


def record(
    session: Session,
    *,
    workspace_id: int | None,
    actor: Principal | None,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Note one event for the workspace's chain; it is appended when the caller's transaction commits."""
    noted = _Noted(
        workspace_id=workspace_id,
        actor_user_id=actor.user.id if actor else None,
        actor_token_id=actor.token.id if actor and actor.token else None,
        actor=actor.label if actor else "system",
        action=action,
        target=target,
        details=details or {},
        client_address=actor.client_address if actor else "",
        at=utcnow(),
    )
    if not session.in_transaction():
        session.begin()  # so that a rollback of this unit of work drops the event
    session.info.setdefault(_NOTED, []).append(noted)
    mark_written(session)


@orm_events.listens_for(Session, "before_commit")
def _append_noted(session: Session) -> None:
    noted: list[_Noted] = session.info.pop(_NOTED, [])
    if not noted:
        return
    chains: dict[int | None, list[_Noted]] = {}
    for item in noted:
        chains.setdefault(item.workspace_id, []).append(item)
    # Chains are locked in one order (instance chain first, then by workspace id): no two commits wait
    # for each other's chains.
    for workspace_id in sorted(chains, key=lambda key: -1 if key is None else key):
        last = _last(session, workspace_id)
        for item in chains[workspace_id]:
            last = _append(session, last, item)
    session.flush()


def _append(session: Session, last: AuditEvent | None, item: _Noted) -> AuditEvent:
    at = item.at if last is None or item.at > last.created_at else last.created_at
    appended = AuditEvent(
        workspace_id=item.workspace_id,
        sequence=1 if last is None else last.sequence + 1,
        actor_user_id=item.actor_user_id,
        actor_token_id=item.actor_token_id,
        actor=item.actor,
        action=item.action,
        target=item.target,
        details=item.details,
        client_address=item.client_address,
        created_at=at,
        previous_hash=GENESIS if last is None else last.hash,
    )
    appended.hash = event_hash(appended)
    session.add(appended)
    return appended


@orm_events.listens_for(Session, "after_soft_rollback")
def _forget_noted(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_NOTED, None)


@dataclass(frozen=True, slots=True)
class ChainBreak:
    sequence: int
    event_id: int
    reason: str

    def __str__(self) -> str:
        return f"event #{self.sequence} (id {self.event_id}): {self.reason}"


def verify(session: Session, workspace_id: int | None) -> tuple[int, list[ChainBreak]]:
    """Recompute the chain; returns the number of events checked and every break found."""
    query = select(AuditEvent).where(
        AuditEvent.workspace_id.is_(None) if workspace_id is None else AuditEvent.workspace_id == workspace_id
    )
    previous = GENESIS
    expected_sequence = 1
    breaks: list[ChainBreak] = []
    count = 0
    for event in session.scalars(query.order_by(AuditEvent.sequence)):
        count += 1
        if event.sequence != expected_sequence:
            breaks.append(ChainBreak(event.sequence, event.id, f"expected sequence {expected_sequence}"))
        if event.previous_hash != previous:
            breaks.append(ChainBreak(event.sequence, event.id, "previous-hash link does not match"))
        if event.hash != event_hash(event):
            breaks.append(ChainBreak(event.sequence, event.id, "content does not match its hash"))
        previous = event.hash
        expected_sequence = event.sequence + 1
    return count, breaks


def listing(
    session: Session, workspace_id: int, *, limit: int = 100, before: int | None = None
) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.workspace_id == workspace_id)
    if before is not None:
        query = query.where(AuditEvent.sequence < before)
    return list(session.scalars(query.order_by(AuditEvent.sequence.desc()).limit(limit)))
