"""Memberships: who may grant which role, the last owner stays, removal revokes the member's tokens."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import access, memberships, tokens, users, workspaces
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from dunops.storage.models import Role


@pytest.fixture
def team(db: Session) -> dict[str, Principal]:
    """Workspace 'acme' with an owner, an admin, an editor and a viewer."""
    people = {role: Principal(user=users.create(db, f"{role}@example.com")) for role in Role}
    workspaces.create(db, people[Role.OWNER], "Acme")
    owner = access.resolve(db, people[Role.OWNER], "acme", Permission.MEMBERS_MANAGE)
    for role in (Role.ADMIN, Role.EDITOR, Role.VIEWER):
        memberships.add(db, owner, f"{role}@example.com", role)
    return {str(role): principal for role, principal in people.items()}


def _as(db: Session, principal: Principal) -> Access:
    return access.resolve(db, principal, "acme", Permission.WORKSPACE_READ)


def test_members_are_listed_with_their_roles(db: Session, team: dict[str, Principal]) -> None:
    listed = {member.user.email: member.role for member in memberships.listing(db, _as(db, team["viewer"]))}
    assert listed == {
        "admin@example.com": Role.ADMIN,
        "editor@example.com": Role.EDITOR,
        "owner@example.com": Role.OWNER,
        "viewer@example.com": Role.VIEWER,
    }


def test_add_refuses_unknown_users_duplicates_and_roles_above_the_granter(
    db: Session, team: dict[str, Principal]
) -> None:
    admin = _as(db, team["admin"])
    with pytest.raises(InvalidInput) as unknown:
        memberships.add(db, admin, "nobody@example.com", Role.VIEWER)
    assert unknown.value.problems[0].location == "email"
    with pytest.raises(Conflict):
        memberships.add(db, admin, "EDITOR@example.com", Role.VIEWER)
    users.create(db, "new@example.com")
    with pytest.raises(PermissionDenied):
        memberships.add(db, admin, "new@example.com", Role.OWNER)
    with pytest.raises(PermissionDenied):
        memberships.add(db, _as(db, team["editor"]), "new@example.com", Role.VIEWER)
    assert memberships.add(db, admin, "new@example.com", Role.ADMIN).role == Role.ADMIN


def test_an_editor_cannot_raise_their_own_role(db: Session, team: dict[str, Principal]) -> None:
    editor = team["editor"]
    with pytest.raises(PermissionDenied):
        memberships.change_role(db, _as(db, editor), editor.user.id, Role.ADMIN)
    assert _as(db, editor).role == Role.EDITOR


def test_only_owners_grant_or_take_away_ownership(db: Session, team: dict[str, Principal]) -> None:
    admin, owner = _as(db, team["admin"]), _as(db, team["owner"])
    with pytest.raises(PermissionDenied):
        memberships.change_role(db, admin, team["admin"].user.id, Role.OWNER)
    with pytest.raises(PermissionDenied):
        memberships.change_role(db, admin, team["owner"].user.id, Role.VIEWER)
    with pytest.raises(PermissionDenied):
        memberships.remove(db, admin, team["owner"].user.id)
    memberships.change_role(db, owner, team["admin"].user.id, Role.OWNER)
    assert _as(db, team["admin"]).role == Role.OWNER
    db.commit()  # audit events join their chain when the transaction commits
    changes = [e.details for e in audit.listing(db, owner.workspace.id) if e.action == "member.role_change"]
    assert changes == [{"from": "admin", "to": "owner"}]


def test_the_last_owner_can_neither_leave_nor_be_demoted(db: Session, team: dict[str, Principal]) -> None:
    owner = _as(db, team["owner"])
    owner_id = team["owner"].user.id
    with pytest.raises(Conflict):
        memberships.change_role(db, owner, owner_id, Role.ADMIN)
    with pytest.raises(Conflict):
        memberships.remove(db, owner, owner_id)
    memberships.change_role(db, owner, team["admin"].user.id, Role.OWNER)
    memberships.change_role(db, owner, owner_id, Role.ADMIN)
    assert _as(db, team["owner"]).role == Role.ADMIN


def test_a_member_may_leave_and_removal_revokes_their_tokens(db: Session, team: dict[str, Principal]) -> None:
    editor = team["editor"]
    issued = tokens.create(db, _as(db, editor), role=Role.EDITOR)
    memberships.remove(db, _as(db, team["admin"]), editor.user.id)
    with pytest.raises(NotFound):
        _as(db, editor)
    with pytest.raises(NotAuthenticated):
        tokens.authenticate(db, issued.secret)
    viewer = team["viewer"]
    memberships.remove(db, _as(db, viewer), viewer.user.id)
    with pytest.raises(NotFound):
        _as(db, viewer)
    db.commit()  # audit events join their chain when the transaction commits
    actions = [event.action for event in audit.listing(db, issued.record.workspace_id, limit=3)]
    assert actions == ["member.leave", "member.remove", "token.revoke_all"]


def test_a_viewer_cannot_remove_others(db: Session, team: dict[str, Principal]) -> None:
    with pytest.raises(PermissionDenied):
        memberships.remove(db, _as(db, team["viewer"]), team["editor"].user.id)
    with pytest.raises(NotFound):
        memberships.remove(db, _as(db, team["admin"]), 987654)
