"""The state table: the documented path and exits are allowed, every other move is refused by name."""

from __future__ import annotations

import itertools

import pytest

from dunops.errors import Conflict
from dunops.storage.models import ChangeState
from dunops.workflow.states import FINAL_STATES, TRANSITIONS, check_transition

S = ChangeState


def test_the_happy_path_and_its_exits_are_allowed() -> None:
    path = [S.DRAFT, S.PENDING_REVIEW, S.APPROVED, S.APPLYING, S.APPLIED, S.VERIFIED]
    for current, target in itertools.pairwise(path):
        check_transition(current, target)
    check_transition(S.PENDING_REVIEW, S.REJECTED)
    check_transition(S.APPLYING, S.STALE)
    check_transition(S.APPLYING, S.FAILED)
    check_transition(S.STALE, S.PENDING_REVIEW)
    assert {S.VERIFIED, S.REJECTED, S.CANCELLED, S.EXPIRED, S.FAILED} == FINAL_STATES


@pytest.mark.parametrize("current", list(S))
def test_every_move_outside_the_table_is_refused_naming_both_states(current: ChangeState) -> None:
    for target in S:
        if target in TRANSITIONS[current]:
            continue
        with pytest.raises(Conflict, match=f"in state '{current}' cannot move to '{target}'"):
            check_transition(current, target)


def test_nothing_skips_review_or_apply() -> None:
    assert S.APPROVED not in TRANSITIONS[S.DRAFT]
    assert S.APPLYING not in TRANSITIONS[S.PENDING_REVIEW]
    assert S.APPLIED not in TRANSITIONS[S.APPROVED]
    assert all(S.APPLYING not in TRANSITIONS[state] for state in S if state is not S.APPROVED)
