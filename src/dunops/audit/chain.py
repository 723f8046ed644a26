"""The audit trail: append-only events, each signed with the audit-chain key over its content and the
previous event's hash, and one signed head per chain naming where it ends.

One chain per workspace (and one for instance-wide events). The key is derived from the master key (see
:mod:`dunops.audit.digest`), so an edit, a deletion or a shortened chain shows in
:func:`dunops.audit.verification.verify` even when whoever made it recomputed the hashes.

:func:`record` notes an event in the caller's transaction; the events are appended to their chains when
that transaction commits (and dropped when it rolls back), and the chain's head moves in that same
transaction. Appending takes the chain's lock, so it is held only for the commit itself, not for the rest
of the unit of work: writers of one workspace do not queue behind each other's whole requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event as orm_events
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts.principal import Principal
from dunops.audit import keyring
from dunops.audit.digest import GENESIS, ChainKey, content
from dunops.errors import ConfigurationError
from dunops.storage import locks
from dunops.storage.base import utcnow
from dunops.storage.database import mark_written
from dunops.storage.models import AuditEvent, AuditHead

HEAD_REPAIRED = "audit.head_repaired"
"""The action of the event a chain goes on behind when its head was missing, forged or behind it."""


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
    key = keyring.key_for(session)
    chains: dict[int | None, list[_Noted]] = {}
    for item in noted:
        chains.setdefault(item.workspace_id, []).append(item)
    # Chains are locked in one order (instance chain first, then by workspace id): no two commits wait
    # for each other's chains.
    for workspace_id in sorted(chains, key=lambda chain: -1 if chain is None else chain):
        _extend(session, key, workspace_id, chains[workspace_id])
    session.flush()


def _extend(session: Session, key: ChainKey, workspace_id: int | None, items: list[_Noted]) -> None:
    head, last = _ends(session, workspace_id)
    if head is not None and head.master_key_id != key.master_key_id:
        raise ConfigurationError(
            f"the audit chain {_label(workspace_id)} is signed with master key {head.master_key_id}, but "
            f"this process holds master key {key.master_key_id}: restart it with the current key"
        )
    fault = _head_fault(key, workspace_id, head, last)
    if head is not None and fault is None:
        sequence, previous = head.sequence, head.hash
    else:
        sequence, previous = (last.sequence, last.hash) if last is not None else (0, GENESIS)
    if fault is not None:
        items = [_incident(workspace_id, fault), *items]
    at = last.created_at if last is not None else None
    for item in items:
        appended = _append(session, key, item, sequence + 1, previous, at)
        sequence, previous, at = appended.sequence, appended.hash, appended.created_at
    if head is None:
        head = AuditHead(workspace_id=workspace_id)
        session.add(head)
    head.sequence, head.hash, head.master_key_id = sequence, previous, key.master_key_id
    head.mac = key.head_mac(workspace_id, sequence, previous)


def _label(workspace_id: int | None) -> str:
    return "of the instance" if workspace_id is None else f"of workspace {workspace_id}"


def in_chain(column: Any, workspace_id: int | None) -> Any:
    """The condition that ``column`` (a ``workspace_id``) names this chain; None is the instance chain."""
    return column.is_(None) if workspace_id is None else column == workspace_id


def _ends(session: Session, workspace_id: int | None) -> tuple[AuditHead | None, AuditEvent | None]:
    """The chain's head and last event, locked: one writer per chain at a time (a row lock alone would
    let a waiting writer read a stale head)."""
    locks.hold(session, "audit-chain", str(workspace_id or 0))
    head = session.scalars(
        select(AuditHead)
        .where(in_chain(AuditHead.workspace_id, workspace_id))
        .order_by(AuditHead.id)
        .limit(1)
        .with_for_update()
    ).first()
    last = session.scalars(
        select(AuditEvent)
        .where(in_chain(AuditEvent.workspace_id, workspace_id))
        .order_by(AuditEvent.sequence.desc())
        .limit(1)
    ).first()
    return head, last


def _head_fault(
    key: ChainKey, workspace_id: int | None, head: AuditHead | None, last: AuditEvent | None
) -> dict[str, Any] | None:
    """Why the head cannot be trusted to extend the chain from, or None when it can.

    Extending from an untrusted head would sign over the damage; the chain goes on from its last event
    instead, behind an event that records what was found, so the damage stays in the trail.
    """
    chain_end = last.sequence if last is not None else 0
    if head is None:
        return None if last is None else {"head": "missing", "chain_end": chain_end}
    claimed = {"head_sequence": head.sequence, "chain_end": chain_end}
    if not key.signs_head(workspace_id, head.sequence, head.hash, head.mac):
        return {"head": "forged", **claimed}
    if chain_end > head.sequence:
        return {"head": "behind", **claimed}
    return None


def _incident(workspace_id: int | None, fault: dict[str, Any]) -> _Noted:
    return _Noted(
        workspace_id=workspace_id,
        actor_user_id=None,
        actor_token_id=None,
        actor="system",
        action=HEAD_REPAIRED,
        target="",
        details=fault,
        client_address="",
        at=utcnow(),
    )


def _append(
    session: Session, key: ChainKey, item: _Noted, sequence: int, previous: str, last_at: datetime | None
) -> AuditEvent:
    appended = AuditEvent(
        workspace_id=item.workspace_id,
        sequence=sequence,
        actor_user_id=item.actor_user_id,
        actor_token_id=item.actor_token_id,
        actor=item.actor,
        action=item.action,
        target=item.target,
        details=item.details,
        client_address=item.client_address,
        created_at=item.at if last_at is None or item.at > last_at else last_at,
        previous_hash=previous,
    )
    appended.hash = key.hash(content(appended))
    session.add(appended)
    return appended


@orm_events.listens_for(Session, "after_soft_rollback")
def _forget_noted(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_NOTED, None)


def listing(
    session: Session,
    workspace_id: int,
    *,
    limit: int = 100,
    before: int | None = None,
    action: str | None = None,
    actor: str | None = None,
) -> list[AuditEvent]:
    """The workspace's events, newest first; ``action`` keeps those whose action starts with it
    (``change.``), ``actor`` those whose actor holds it."""
    query = select(AuditEvent).where(AuditEvent.workspace_id == workspace_id)
    if before is not None:
        query = query.where(AuditEvent.sequence < before)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEvent.actor.contains(actor, autoescape=True))
    return list(session.scalars(query.order_by(AuditEvent.sequence.desc()).limit(limit)))
