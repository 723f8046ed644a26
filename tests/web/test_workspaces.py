"""``/api/v1/workspaces``: create, list, read, rename over HTTP with bearer tokens."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.accounts import access, tokens, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.storage.models import Role


def _bearer(db: Session, email: str, slug: str, role: Role = Role.OWNER, name: str = "") -> dict[str, str]:
    """A user owning workspace ``slug`` (created if needed) and a token for it, committed."""
    user = users.by_email(db, email) or users.create(db, email)
    principal = Principal(user=user)
    if not any(item.workspace.slug == slug for item in workspaces.listing(db, principal)):
        workspaces.create(db, principal, name or slug.title(), slug)
    grant = access.resolve(db, principal, slug, Permission.TOKENS_MANAGE)
    secret = tokens.create(db, grant, role=role).secret
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_list_and_read_workspaces(client: TestClient, db: Session) -> None:
    headers = _bearer(db, "alice@example.com", "alpha")
    _bearer(db, "bob@example.com", "bobs")
    listed = client.get("/api/v1/workspaces", headers=headers)
    assert listed.status_code == 200
    assert [(item["slug"], item["role"]) for item in listed.json()] == [("alpha", "owner")]
    one = client.get("/api/v1/workspaces/alpha", headers=headers)
    assert one.json()["name"] == "Alpha"
    assert client.get("/api/v1/workspaces/bobs", headers=headers).status_code == 404


def test_rename_and_validation_errors_name_the_field(client: TestClient, db: Session) -> None:
    headers = _bearer(db, "alice@example.com", "alpha")
    renamed = client.patch("/api/v1/workspaces/alpha", json={"name": "Alpha Team"}, headers=headers)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Alpha Team"
    bad = client.patch("/api/v1/workspaces/alpha", json={"name": ""}, headers=headers)
    assert bad.status_code == 422
    assert [error["field"] for error in bad.json()["errors"]] == ["body.name"]
    unknown = client.patch("/api/v1/workspaces/alpha", json={"nam": "x"}, headers=headers)
    assert unknown.status_code == 422
    assert {error["field"] for error in unknown.json()["errors"]} == {"body.nam"}  # name is optional


def test_viewer_token_cannot_rename(client: TestClient, db: Session) -> None:
    headers = _bearer(db, "alice@example.com", "alpha", Role.VIEWER)
    response = client.patch("/api/v1/workspaces/alpha", json={"name": "Mine"}, headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_a_token_cannot_create_workspaces_and_bad_slugs_are_422(client: TestClient, db: Session) -> None:
    headers = _bearer(db, "alice@example.com", "alpha")
    assert client.post("/api/v1/workspaces", json={"name": "New"}, headers=headers).status_code == 403
    bad = client.post("/api/v1/workspaces", json={"name": "New", "slug": "UPPER"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.slug"


def test_unauthenticated_requests_get_401(client: TestClient) -> None:
    assert client.get("/api/v1/workspaces").status_code == 401
    response = client.get("/api/v1/workspaces", headers={"Authorization": "Bearer dnp_nonsense"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
