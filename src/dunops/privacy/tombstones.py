"""Re-applying deletions after a backup restore, so that what was deleted stays deleted.

A restore brings the database back to the moment of the backup; the tombstones recorded since then are
read from the database before it is replaced (:func:`collect`), written back into the restored one, and
every tombstone is applied again (:func:`reapply_all`): a workspace comes back in deletion with its data
keys destroyed again, and is purged at once when its grace period is over; an account is erased again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.privacy import account_deletion, purge, workspace_deletion
from dunops.storage.base import utcnow
from dunops.storage.models import DeletionTombstone, TombstoneKind


@dataclass(frozen=True, slots=True)
class Recorded:
    """A tombstone as read before a restore."""

    kind: TombstoneKind
    subject_id: int
    requested_by_id: int | None
    recorded_at: datetime
    purge_after: datetime
    purged_at: datetime | None


@dataclass(slots=True)
class Reapplied:
    """What re-applying the tombstones did."""

    workspaces_purged: list[int]
    workspaces_in_deletion: list[int]
    accounts_erased: list[int]


def collect(session: Session) -> list[Recorded]:
    """Every tombstone in the database, oldest first."""
    rows = session.scalars(select(DeletionTombstone).order_by(DeletionTombstone.recorded_at))
    return [
        Recorded(t.kind, t.subject_id, t.requested_by_id, t.recorded_at, t.purge_after, t.purged_at)
        for t in rows
    ]


def reapply_all(session: Session, settings: Settings, carried: list[Recorded]) -> Reapplied:
    """Write ``carried`` tombstones missing from the (restored) database, then apply every tombstone."""
    present = {(t.kind, t.subject_id) for t in session.scalars(select(DeletionTombstone))}
    for recorded in carried:
        if (recorded.kind, recorded.subject_id) not in present:
            session.add(
                DeletionTombstone(
                    kind=recorded.kind,
                    subject_id=recorded.subject_id,
                    requested_by_id=recorded.requested_by_id,
                    recorded_at=recorded.recorded_at,
                    purge_after=recorded.purge_after,
                    purged_at=recorded.purged_at,
                )
            )
    session.flush()
    done = Reapplied([], [], [])
    now = utcnow()
    tombstones = list(session.scalars(select(DeletionTombstone).order_by(DeletionTombstone.recorded_at)))
    for tombstone in tombstones:
        if tombstone.kind == TombstoneKind.USER:
            if account_deletion.reapply(session, settings, tombstone.subject_id):
                done.accounts_erased.append(tombstone.subject_id)
            continue
        if workspace_deletion.reapply(session, tombstone) is None:
            continue
        if tombstone.purge_after <= now and purge.purge_workspace(session, settings, tombstone.subject_id):
            done.workspaces_purged.append(tombstone.subject_id)
        else:
            done.workspaces_in_deletion.append(tombstone.subject_id)
    return done
