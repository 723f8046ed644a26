"""Re-signing every chain under a new key: when the master key is rotated, and when the chains built
with unkeyed hashes are keyed (migration 0005).

Only what was intact under the old key is re-signed. An event whose hash did not match its content keeps
its hash, and a link that did not hold keeps its stale previous hash, so every break found before shows
in the same place afterwards; re-signing never makes a damaged chain look whole.

This works on the tables through Core, naming only the columns it needs, so that the migration that
uses it keeps working whatever later migrations add.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from dunops.audit.chain import in_chain
from dunops.audit.digest import GENESIS, ChainKey, content, legacy_hash
from dunops.security.master_key import MasterKey
from dunops.storage.base import UTCDateTime, utcnow

_BATCH = 1000

EVENTS = sa.table(
    "audit_events",
    sa.column("id", sa.Integer()),
    sa.column("workspace_id", sa.Integer()),
    sa.column("sequence", sa.Integer()),
    sa.column("actor_user_id", sa.Integer()),
    sa.column("actor_token_id", sa.Integer()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("target", sa.String()),
    sa.column("details", sa.JSON()),
    sa.column("client_address", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("previous_hash", sa.String()),
    sa.column("hash", sa.String()),
)
_heads = sa.table(
    "audit_heads",
    sa.column("id", sa.Integer()),
    sa.column("workspace_id", sa.Integer()),
    sa.column("sequence", sa.Integer()),
    sa.column("hash", sa.String()),
    sa.column("master_key_id", sa.String()),
    sa.column("mac", sa.String()),
    sa.column("updated_at", UTCDateTime()),
)


def _chains(connection: Connection) -> list[int | None]:
    found = set(connection.scalars(sa.select(EVENTS.c.workspace_id).distinct()))
    found |= set(connection.scalars(sa.select(_heads.c.workspace_id)))
    return sorted(found, key=lambda key: -1 if key is None else key)


@dataclass(slots=True)
class _Resigned:
    """Where re-signing a chain got to: the last event's stored and new hash, and the new hash of the
    event the head names."""

    old_hash: str = GENESIS
    new_hash: str = GENESIS
    sequence: int = 0
    head_hash: str | None = None


def _intact(old: ChainKey | None, fields: dict[str, Any], stored_hash: str) -> bool:
    return legacy_hash(fields) == stored_hash if old is None else old.signs(fields, stored_hash)


def _resign_events(
    connection: Connection, workspace_id: int | None, old: ChainKey | None, new: ChainKey, head: Any
) -> _Resigned:
    done = _Resigned()
    while True:
        rows = connection.execute(
            sa.select(EVENTS)
            .where(in_chain(EVENTS.c.workspace_id, workspace_id), EVENTS.c.sequence > done.sequence)
            .order_by(EVENTS.c.sequence)
            .limit(_BATCH)
        ).all()
        if not rows:
            return done
        updates = []
        for row in rows:
            fields = content(row)
            intact = _intact(old, fields, row.hash)
            if row.previous_hash == done.old_hash:
                fields["previous_hash"] = done.new_hash
            new_hash = new.hash(fields) if intact else row.hash
            if head is not None and (row.sequence, row.hash) == (head.sequence, head.hash):
                done.head_hash = new_hash
            updates.append({"row_id": row.id, "new_previous": fields["previous_hash"], "new_hash": new_hash})
            done.old_hash, done.new_hash, done.sequence = row.hash, new_hash, row.sequence
        connection.execute(
            sa.update(EVENTS)
            .where(EVENTS.c.id == sa.bindparam("row_id"))
            .values(previous_hash=sa.bindparam("new_previous"), hash=sa.bindparam("new_hash")),
            updates,
        )


def _resign_head(
    connection: Connection,
    workspace_id: int | None,
    old: ChainKey,
    new: ChainKey,
    head: Any,
    named: str | None,
) -> None:
    """Sign the head anew if it was signed (naming the new hash of its event); a forged head stays forged."""
    values: dict[str, Any] = {"master_key_id": new.master_key_id, "updated_at": utcnow()}
    if old.signs_head(workspace_id, head.sequence, head.hash, head.mac):
        values["hash"] = named or head.hash
        values["mac"] = new.head_mac(workspace_id, head.sequence, values["hash"])
    connection.execute(sa.update(_heads).where(_heads.c.id == head.id).values(**values))


def resign(connection: Connection, old: ChainKey | None, new: ChainKey) -> int:
    """Re-sign every chain with ``new``; ``old`` is the key they are signed with now (None: unkeyed
    SHA-256, when chains have no heads yet and each gets one). Returns how many chains were re-signed."""
    chains = _chains(connection)
    for workspace_id in chains:
        head = connection.execute(
            sa.select(_heads)
            .where(in_chain(_heads.c.workspace_id, workspace_id))
            .order_by(_heads.c.id)
            .limit(1)
        ).first()
        done = _resign_events(connection, workspace_id, old, new, head)
        if old is None:
            connection.execute(
                sa.insert(_heads).values(
                    workspace_id=workspace_id,
                    sequence=done.sequence,
                    hash=done.new_hash,
                    master_key_id=new.master_key_id,
                    mac=new.head_mac(workspace_id, done.sequence, done.new_hash),
                    updated_at=utcnow(),
                )
            )
        elif head is not None:
            _resign_head(connection, workspace_id, old, new, head, done.head_hash)
    return len(chains)


def rotate(session: Session, current: MasterKey, new: MasterKey) -> int:
    """Re-sign every chain under the audit-chain key of ``new`` (the master key being rotated to)."""
    return resign(session.connection(), ChainKey.of(current), ChainKey.of(new))
