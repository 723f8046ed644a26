"""Workspaces: the creator owns them, slugs are derived and unique, renaming needs admin, lists are scoped."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import access, memberships, tokens, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dunops.storage.models import Role


def _person(db: Session, email: str) -> Principal:
    return Principal(user=users.create(db, email))


def test_creator_becomes_owner_and_the_slug_comes_from_the_name(db: Session) -> None:
    alice = _person(db, "alice@example.com")
    workspace = workspaces.create(db, alice, "  Ünïcode   Café Ops! ")
    assert workspace.name == "Ünïcode Café Ops!"
    assert workspace.slug == "unicode-cafe-ops"
    grant = workspaces.get(db, alice, workspace.slug)
    assert grant.role == Role.OWNER
    db.commit()  # audit events join their chain when the transaction commits
    events = audit.listing(db, workspace.id)
    assert [event.action for event in events] == ["workspace.create"]
    assert events[0].actor == "alice@example.com"


def test_derived_slugs_are_unique_and_explicit_slugs_must_be_free(db: Session) -> None:
    alice = _person(db, "alice@example.com")
    assert workspaces.create(db, alice, "Acme").slug == "acme"
    assert workspaces.create(db, alice, "ACME").slug == "acme-2"
    assert workspaces.create(db, alice, "!!").slug == "workspace"
    with pytest.raises(Conflict) as taken:
        workspaces.create(db, alice, "Other", slug="acme")
    assert taken.value.problems[0].location == "slug"
    with pytest.raises(InvalidInput) as bad:
        workspaces.create(db, alice, "Other", slug="-Bad_Slug")
    assert bad.value.problems[0].location == "slug"
    with pytest.raises(InvalidInput) as empty:
        workspaces.create(db, alice, "   ")
    assert empty.value.problems[0].location == "name"


def test_rename_needs_admin_and_is_audited(db: Session) -> None:
    alice, bob = _person(db, "alice@example.com"), _person(db, "bob@example.com")
    workspace = workspaces.create(db, alice, "Acme")
    owner = access.resolve(db, alice, "acme", Permission.WORKSPACE_READ)
    memberships.add(db, owner, "bob@example.com", Role.EDITOR)
    with pytest.raises(PermissionDenied):
        access.resolve(db, bob, "acme", Permission.WORKSPACE_UPDATE)
    with pytest.raises(PermissionDenied):
        workspaces.rename(db, access.resolve(db, bob, "acme", Permission.WORKSPACE_READ), "Hijacked")
    workspaces.rename(db, owner, "Acme Corp")
    assert workspace.name == "Acme Corp"
    assert workspace.slug == "acme"
    db.commit()  # audit events join their chain when the transaction commits
    assert audit.listing(db, workspace.id)[0].details == {"from": "Acme", "to": "Acme Corp"}


def test_listing_shows_only_the_callers_workspaces_and_a_token_only_its_own(db: Session) -> None:
    alice, bob = _person(db, "alice@example.com"), _person(db, "bob@example.com")
    workspaces.create(db, alice, "Alpha")
    workspaces.create(db, alice, "Beta")
    workspaces.create(db, bob, "Bobs")
    assert [item.workspace.slug for item in workspaces.listing(db, alice)] == ["alpha", "beta"]
    grant = access.resolve(db, alice, "beta", Permission.TOKENS_MANAGE)
    issued = tokens.create(db, grant, role=Role.VIEWER)
    as_token = Principal(user=alice.user, token=issued.record)
    listed = workspaces.listing(db, as_token)
    assert [(item.workspace.slug, item.role) for item in listed] == [("beta", Role.VIEWER)]
    with pytest.raises(NotFound):
        workspaces.get(db, as_token, "alpha")
    with pytest.raises(NotFound):
        workspaces.get(db, alice, "bobs")


def test_a_token_cannot_create_workspaces(db: Session) -> None:
    alice = _person(db, "alice@example.com")
    workspaces.create(db, alice, "Alpha")
    grant = access.resolve(db, alice, "alpha", Permission.TOKENS_MANAGE)
    issued = tokens.create(db, grant, role=Role.OWNER)
    with pytest.raises(PermissionDenied):
        workspaces.create(db, Principal(user=alice.user, token=issued.record), "Sneaky")
