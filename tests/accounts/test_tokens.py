"""API tokens: shown once, hashed at rest, never above the creator, lowered when the creator is demoted."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts import access, memberships, tokens, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied, Suspended
from dunops.storage.base import utcnow
from dunops.storage.models import ApiToken, Role


@pytest.fixture
def owner(db: Session) -> Principal:
    principal = Principal(user=users.create(db, "owner@example.com"))
    workspaces.create(db, principal, "Acme")
    return principal


def _member(db: Session, owner: Principal, email: str, role: Role) -> Principal:
    users.create(db, email)
    member = memberships.add(db, access.resolve(db, owner, "acme", Permission.MEMBERS_MANAGE), email, role)
    return Principal(user=member.user)


def _grant(db: Session, principal: Principal) -> access.Access:
    return access.resolve(db, principal, "acme", Permission.WORKSPACE_READ)


def test_a_token_is_returned_once_and_stored_only_as_its_sha256(db: Session, owner: Principal) -> None:
    issued = tokens.create(db, _grant(db, owner), role=Role.EDITOR, name="ci", expires_days=30)
    assert issued.secret.startswith("dnp_")
    assert issued.record.prefix == issued.secret[:12]
    stored = db.scalars(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret not in {stored.name, stored.prefix, stored.token_hash}
    assert stored.expires_at is not None
    assert timedelta(days=29, hours=23) < stored.expires_at - utcnow() <= timedelta(days=30)
    user, token = tokens.authenticate(db, issued.secret)
    assert (user.email, token.id) == ("owner@example.com", stored.id)
    assert token.last_used_at is None  # reading a credential writes nothing
    assert not db.dirty


def test_members_create_tokens_up_to_their_own_role(db: Session, owner: Principal) -> None:
    viewer = _member(db, owner, "viewer@example.com", Role.VIEWER)
    editor = _member(db, owner, "editor@example.com", Role.EDITOR)
    assert tokens.create(db, _grant(db, viewer), role=Role.VIEWER).record.role == Role.VIEWER
    with pytest.raises(PermissionDenied):
        tokens.create(db, _grant(db, viewer), role=Role.EDITOR)
    with pytest.raises(PermissionDenied) as higher:
        tokens.create(db, _grant(db, editor), role=Role.ADMIN)
    assert "higher role" in str(higher.value)
    assert tokens.create(db, _grant(db, editor), role=Role.VIEWER).record.role == Role.VIEWER
    with pytest.raises(InvalidInput) as bad:
        tokens.create(db, _grant(db, editor), role=Role.VIEWER, expires_days=0)
    assert bad.value.problems[0].location == "expires_days"


def test_a_token_acts_with_its_creators_current_role(db: Session, owner: Principal) -> None:
    admin = _member(db, owner, "admin@example.com", Role.ADMIN)
    issued = tokens.create(db, _grant(db, admin), role=Role.ADMIN)
    as_token = Principal(user=admin.user, token=issued.record)
    assert access.resolve(db, as_token, "acme", Permission.MEMBERS_MANAGE).role == Role.ADMIN
    memberships.change_role(db, _grant(db, owner), admin.user.id, Role.VIEWER)
    assert _grant(db, as_token).role == Role.VIEWER
    with pytest.raises(PermissionDenied):
        access.resolve(db, as_token, "acme", Permission.ZONES_MANAGE)


def test_a_token_cannot_mint_tokens(db: Session, owner: Principal) -> None:
    issued = tokens.create(db, _grant(db, owner), role=Role.OWNER)
    with pytest.raises(PermissionDenied):
        tokens.create(db, _grant(db, Principal(user=owner.user, token=issued.record)), role=Role.VIEWER)


def test_listing_and_revoking(db: Session, owner: Principal) -> None:
    editor = _member(db, owner, "editor@example.com", Role.EDITOR)
    mine = tokens.create(db, _grant(db, editor), role=Role.EDITOR, name="mine")
    theirs = tokens.create(db, _grant(db, owner), role=Role.OWNER, name="theirs")
    assert [token.name for token in tokens.listing(db, _grant(db, editor))] == ["mine"]
    assert {token.name for token in tokens.listing(db, _grant(db, owner))} == {"mine", "theirs"}
    with pytest.raises(PermissionDenied):
        tokens.revoke(db, _grant(db, editor), theirs.record.id)
    with pytest.raises(NotFound):
        tokens.revoke(db, _grant(db, editor), theirs.record.id + 100)
    tokens.revoke(db, _grant(db, owner), mine.record.id)
    with pytest.raises(NotAuthenticated):
        tokens.authenticate(db, mine.secret)


def test_expired_unknown_and_suspended_tokens_are_refused(db: Session, owner: Principal) -> None:
    issued = tokens.create(db, _grant(db, owner), role=Role.OWNER, expires_days=1)
    issued.record.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(NotAuthenticated):
        tokens.authenticate(db, issued.secret)
    with pytest.raises(NotAuthenticated):
        tokens.authenticate(db, "dnp_" + "x" * 43)
    live = tokens.create(db, _grant(db, owner), role=Role.OWNER)
    users.suspend(db, owner.user)
    with pytest.raises(Suspended, match="is suspended"):  # named, so its holder knows whom to ask
        tokens.authenticate(db, live.secret)
