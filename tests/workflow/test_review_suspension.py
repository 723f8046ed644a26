"""Suspension holds in the review service itself, not only where people sign in: a member suspended after
their credentials were checked (a request already under way through the API) records no review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.errors import PermissionDenied
from dunops.storage.database import transaction
from dunops.storage.models import Approval, ChangeRequest, ChangeState, User, UserStatus
from dunops.workflow import review
from tests.workflow.support import SLUG, Team, team  # noqa: F401

WEB = {"action": "upsert", "name": "web", "type": "A", "ttl": 300, "values": ["192.0.2.80"]}


def _approve(db: Session, settings: Settings, grant: access.Access, created: dict[str, Any]) -> None:
    review.approve(db, settings, grant, created["id"], plan_hash=created["current_revision"]["plan_hash"])


def _reject(db: Session, settings: Settings, grant: access.Access, created: dict[str, Any]) -> None:
    review.reject(db, settings, grant, created["id"], comment="no")


@pytest.mark.parametrize("review_action", [_approve, _reject])
def test_a_member_suspended_after_signing_in_reviews_nothing(
    team: Team,  # noqa: F811
    session_factory: sessionmaker[Session],
    settings: Settings,
    review_action: Callable[[Session, Settings, access.Access, dict[str, Any]], None],
) -> None:
    created = team.create([WEB])
    with session_factory() as signing_in:  # the caller as authenticated, before the suspension
        reviewer = signing_in.scalars(select(User).where(User.email == "reviewer@example.com")).one()
        principal = Principal(user=reviewer)
    with transaction(session_factory) as suspending:
        suspending.get_one(User, reviewer.id).status = UserStatus.SUSPENDED

    with transaction(session_factory) as db:
        grant = access.resolve(db, principal, SLUG, Permission.CHANGES_APPROVE)
        with pytest.raises(PermissionDenied) as refused:
            review_action(db, settings, grant, created)
    assert "reviewer@example.com is not an active user" in refused.value.detail

    with session_factory() as db:
        assert db.scalars(select(Approval)).all() == []
        assert db.get_one(ChangeRequest, created["id"]).state is ChangeState.PENDING_REVIEW
