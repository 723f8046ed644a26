"""``/api/v1/workspaces/{slug}/members`` over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.accounts import access, memberships, tokens, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.storage.models import Role


def _team(db: Session) -> dict[str, tuple[int, dict[str, str]]]:
    """Workspace 'acme' with one member per role; each with a token of that role, committed."""
    people = {role: Principal(user=users.create(db, f"{role}@example.com")) for role in Role}
    workspaces.create(db, people[Role.OWNER], "Acme")
    owner = access.resolve(db, people[Role.OWNER], "acme", Permission.MEMBERS_MANAGE)
    for role in (Role.ADMIN, Role.EDITOR, Role.VIEWER):
        memberships.add(db, owner, f"{role}@example.com", role)
    team = {}
    for role, principal in people.items():
        grant = access.resolve(db, principal, "acme", Permission.WORKSPACE_READ)
        secret = tokens.create(db, grant, role=role).secret
        team[str(role)] = (principal.user.id, {"Authorization": f"Bearer {secret}"})
    db.commit()
    return team


def test_list_add_change_and_remove(client: TestClient, db: Session) -> None:
    team = _team(db)
    _, admin = team["admin"]
    listed = client.get("/api/v1/workspaces/acme/members", headers=team["viewer"][1])
    assert listed.status_code == 200
    assert {item["email"]: item["role"] for item in listed.json()}["editor@example.com"] == "editor"
    # Someone the admin already works with elsewhere may be added directly; strangers are invited.
    newcomer = Principal(user=users.create(db, "new@example.com"))
    workspaces.create(db, newcomer, "Elsewhere")
    elsewhere = access.resolve(db, newcomer, "elsewhere", Permission.MEMBERS_MANAGE)
    memberships.add(db, elsewhere, "admin@example.com", Role.VIEWER)
    db.commit()
    added = client.post(
        "/api/v1/workspaces/acme/members", json={"email": "New@Example.com", "role": "editor"}, headers=admin
    )
    assert added.status_code == 201
    new_id = added.json()["user_id"]
    changed = client.patch(f"/api/v1/workspaces/acme/members/{new_id}", json={"role": "admin"}, headers=admin)
    assert changed.json()["role"] == "admin"
    assert client.delete(f"/api/v1/workspaces/acme/members/{new_id}", headers=admin).status_code == 204
    assert new_id not in {
        item["user_id"] for item in client.get("/api/v1/workspaces/acme/members", headers=admin).json()
    }


def test_refusals(client: TestClient, db: Session) -> None:
    team = _team(db)
    owner_id, owner = team["owner"]
    editor_id, editor = team["editor"]
    _, admin = team["admin"]
    raise_self = client.patch(
        f"/api/v1/workspaces/acme/members/{editor_id}", json={"role": "admin"}, headers=editor
    )
    assert raise_self.status_code == 403
    assert (
        client.patch(
            f"/api/v1/workspaces/acme/members/{owner_id}", json={"role": "viewer"}, headers=admin
        ).status_code
        == 403
    )
    last_owner = client.patch(
        f"/api/v1/workspaces/acme/members/{owner_id}", json={"role": "admin"}, headers=owner
    )
    assert last_owner.status_code == 409
    assert "last owner" in last_owner.json()["detail"]
    # Leaving is for a signed-in person (the last owner cannot, see the service tests), never a token.
    assert client.delete(f"/api/v1/workspaces/acme/members/{owner_id}", headers=owner).status_code == 403
    bad_role = client.patch(
        f"/api/v1/workspaces/acme/members/{editor_id}", json={"role": "god"}, headers=admin
    )
    assert bad_role.status_code == 422
    assert bad_role.json()["errors"][0]["field"] == "body.role"
    unknown = client.post(
        "/api/v1/workspaces/acme/members",
        json={"email": "ghost@example.com", "role": "viewer"},
        headers=admin,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "email"
    assert client.delete("/api/v1/workspaces/acme/members/99999", headers=admin).status_code == 404
