"""Per-zone lease locks: one apply or one sync per zone at a time, across threads and processes.

A lease is a row per zone naming its holder, its purpose (``apply`` or ``sync``) and when it lapses.
It is taken with one conditional UPDATE (free, lapsed, or already ours) or, for a zone that never had
a lease, one INSERT inside a savepoint; the database decides the race, so exactly one holder wins on
SQLite and PostgreSQL alike. A holder releases it in a ``finally``; a lease whose holder died lapses at
``expires_at`` and may then be taken over.
"""

from __future__ import annotations

import time
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dunops.errors import Locked
from dunops.storage.base import utcnow
from dunops.storage.models import ZoneLease

DEFAULT_SECONDS = 600


class Purpose(StrEnum):
    APPLY = "apply"
    SYNC = "sync"


def _take(session: Session, zone_id: int, holder: str, purpose: Purpose, seconds: float) -> bool:
    now = utcnow()
    values = {
        "holder": holder,
        "purpose": purpose.value,
        "acquired_at": now,
        "expires_at": now + timedelta(seconds=seconds),
    }
    statement = (
        update(ZoneLease)
        .where(
            ZoneLease.zone_id == zone_id,
            (ZoneLease.holder.is_(None)) | (ZoneLease.expires_at < now) | (ZoneLease.holder == holder),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if session.execute(statement).rowcount == 1:  # type: ignore[attr-defined]
        return True
    if session.get(ZoneLease, zone_id, populate_existing=True) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ZoneLease(zone_id=zone_id, **values))
    except IntegrityError:
        return False  # another holder inserted the row first
    return True


def current(session: Session, zone_id: int) -> ZoneLease | None:
    """The zone's lease row as stored now (held or free), or None when it never had one."""
    return session.scalars(
        select(ZoneLease).where(ZoneLease.zone_id == zone_id).execution_options(populate_existing=True)
    ).first()


def _refusal(session: Session, zone_id: int, zone_name: str) -> Locked:
    lease = current(session, zone_id)
    if lease is None or lease.holder is None:
        return Locked(f"zone {zone_name} is busy; try again")
    until = lease.expires_at.isoformat(timespec="seconds") if lease.expires_at else "?"
    what = "an apply" if lease.purpose == Purpose.APPLY else "a sync"
    return Locked(
        f"zone {zone_name} is busy: {what} is running ({lease.holder}, lease until {until}); try again"
    )


def acquire(
    session: Session,
    zone_id: int,
    holder: str,
    purpose: Purpose,
    *,
    zone_name: str = "",
    seconds: float = DEFAULT_SECONDS,
) -> None:
    """Take the zone's lease for ``holder`` in the caller's transaction, or raise ``Locked`` at once.

    The lease is visible to others once the caller commits; until then the row lock makes them wait.
    """
    if not _take(session, zone_id, holder, purpose, seconds):
        raise _refusal(session, zone_id, zone_name or f"#{zone_id}")


def release(session: Session, zone_id: int, holder: str) -> bool:
    """Give the lease back if ``holder`` still holds it; True when it did."""
    statement = (
        update(ZoneLease)
        .where(ZoneLease.zone_id == zone_id, ZoneLease.holder == holder)
        .values(holder=None, purpose="", expires_at=None)
        .execution_options(synchronize_session=False)
    )
    released: bool = session.execute(statement).rowcount == 1  # type: ignore[attr-defined]
    return released


def wait_and_acquire(
    session: Session,
    zone_id: int,
    holder: str,
    purpose: Purpose,
    *,
    zone_name: str = "",
    wait_seconds: float = 0.0,
    seconds: float = DEFAULT_SECONDS,
) -> None:
    """Like :func:`acquire`, but retry for up to ``wait_seconds`` (ending the transaction between tries).

    Only for callers that own their transaction (a job): each failed try is rolled back so that the
    holder's commit becomes visible.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            acquire(session, zone_id, holder, purpose, zone_name=zone_name, seconds=seconds)
            return
        except Locked:
            if time.monotonic() >= deadline:
                raise
            session.rollback()
            time.sleep(0.1)
