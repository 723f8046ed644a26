"""The change-request state machine: one table of allowed transitions; every other move is refused.

``draft -> pending_review -> approved -> applying -> applied -> verified``, with the exits
``rejected``, ``cancelled``, ``expired``, ``stale`` and ``failed``.
"""

from __future__ import annotations

from enum import StrEnum

from dunops.errors import Conflict


class ChangeState(StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    APPLYING = "applying"
    APPLIED = "applied"
    VERIFIED = "verified"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    STALE = "stale"
    FAILED = "failed"


S = ChangeState

TRANSITIONS: dict[ChangeState, frozenset[ChangeState]] = {
    S.DRAFT: frozenset({S.DRAFT, S.PENDING_REVIEW, S.CANCELLED, S.EXPIRED, S.STALE}),
    S.PENDING_REVIEW: frozenset({S.DRAFT, S.PENDING_REVIEW, S.APPROVED, S.REJECTED, S.CANCELLED, S.EXPIRED, S.STALE}),
    S.APPROVED: frozenset({S.DRAFT, S.PENDING_REVIEW, S.APPLYING, S.CANCELLED, S.EXPIRED, S.STALE}),
    S.APPLYING: frozenset({S.APPLIED, S.STALE, S.FAILED}),
    S.APPLIED: frozenset({S.VERIFIED}),
    S.STALE: frozenset({S.DRAFT, S.PENDING_REVIEW, S.CANCELLED, S.EXPIRED}),
    S.VERIFIED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.FAILED: frozenset(),
}

OPEN_STATES = frozenset({S.DRAFT, S.PENDING_REVIEW, S.APPROVED, S.STALE})
FINAL_STATES = frozenset(state for state, targets in TRANSITIONS.items() if not targets)


def check_transition(current: ChangeState, target: ChangeState, *, what: str = "change request") -> None:
    """Refuse any move the table does not list, naming both states."""
    if target not in TRANSITIONS[current]:
        raise Conflict(f"a {what} in state '{current}' cannot move to '{target}'")
