"""The audit trail: append-only events, each hash covering the previous hash and its own canonical JSON.

One chain per workspace (and one for instance-wide events). ``verify`` recomputes a chain and names the
first event whose stored hash or link does not match, so an edit behind the service's back shows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts.principal import Principal
from dunops.storage import locks
from dunops.storage.base import utcnow
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
) -> AuditEvent:
    """Append one event to the workspace's chain (inside the caller's transaction)."""
    last = _last(session, workspace_id)
    now = utcnow()
    if last is not None and now <= last.created_at:
        now = last.created_at
    event = AuditEvent(
        workspace_id=workspace_id,
        sequence=1 if last is None else last.sequence + 1,
        actor_user_id=actor.user.id if actor else None,
        actor_token_id=actor.token.id if actor and actor.token else None,
        actor=actor.label if actor else "system",
        action=action,
        target=target,
        details=details or {},
        client_address=actor.client_address if actor else "",
        created_at=now,
        previous_hash=GENESIS if last is None else last.hash,
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


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
