"""The change-request state machine: one table of allowed transitions; every other move is refused.

``draft -> pending_review -> approved -> applying -> applied -> verified``, with the exits
``rejected``, ``cancelled``, ``expired``, ``stale`` and ``failed``. A revision (an edit or a re-plan)
moves an open request back to ``draft`` or ``pending_review``; an apply that could not start (the zone
was busy) moves ``applying`` back to ``approved`` with nothing written.
"""

from __future__ import annotations

from dunops.errors import Conflict
from dunops.storage.models import ChangeState

S = ChangeState

TRANSITIONS: dict[ChangeState, frozenset[ChangeState]] = {
    S.DRAFT: frozenset({S.DRAFT, S.PENDING_REVIEW, S.CANCELLED, S.EXPIRED}),
    S.PENDING_REVIEW: frozenset({S.DRAFT, S.PENDING_REVIEW, S.APPROVED, S.REJECTED, S.CANCELLED, S.EXPIRED}),
    S.APPROVED: frozenset({S.DRAFT, S.PENDING_REVIEW, S.APPLYING, S.CANCELLED, S.EXPIRED}),
    S.APPLYING: frozenset({S.APPROVED, S.APPLIED, S.STALE, S.FAILED}),
    S.APPLIED: frozenset({S.VERIFIED}),
    S.STALE: frozenset({S.DRAFT, S.PENDING_REVIEW, S.CANCELLED, S.EXPIRED}),
    S.VERIFIED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.FAILED: frozenset(),
}

OPEN_STATES = frozenset({S.DRAFT, S.PENDING_REVIEW, S.APPROVED, S.STALE})
"""States in which a request can still be revised, reviewed or cancelled, and in which it expires."""

FINAL_STATES = frozenset(state for state, targets in TRANSITIONS.items() if not targets)


def check_transition(current: ChangeState, target: ChangeState, *, what: str = "change request") -> None:
    """Refuse any move the table does not list, naming both states."""
    if target not in TRANSITIONS[current]:
        raise Conflict(f"a {what} in state '{current}' cannot move to '{target}'")


__all__ = ["FINAL_STATES", "OPEN_STATES", "TRANSITIONS", "ChangeState", "check_transition"]
