"""``/api/v1/workspaces/{slug}/tokens``: the secret once, listing without secrets, revocation."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.accounts import access, sessions, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings


def _owner_session(db: Session, settings: Settings, client: TestClient) -> dict[str, str]:
    owner = Principal(user=users.create(db, "owner@example.com"))
    workspaces.create(db, owner, "Acme")
    access.resolve(db, owner, "acme", Permission.TOKENS_MANAGE)
    issued = sessions.start(db, settings, owner.user)
    db.commit()
    client.cookies.set("dunops_session", issued.cookie_value)
    return {"X-CSRF-Token": issued.record.csrf_token}


def test_create_use_list_and_revoke(client: TestClient, db: Session, settings: Settings) -> None:
    csrf = _owner_session(db, settings, client)
    created = client.post(
        "/api/v1/workspaces/acme/tokens",
        json={"name": "deploy", "role": "editor", "expires_days": 30},
        headers=csrf,
    )
    assert created.status_code == 201
    body = created.json()
    secret = body["token"]
    assert secret.startswith("dnp_")
    assert body["prefix"] == secret[:12]
    assert body["expires_at"] is not None

    bearer = TestClient(client.app)
    me = bearer.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    assert me.json()["token"]["role"] == "editor"

    listed = client.get("/api/v1/workspaces/acme/tokens")
    assert listed.status_code == 200
    assert secret not in listed.text
    (only,) = listed.json()
    assert (only["name"], only["role"], only["revoked_at"]) == ("deploy", "editor", None)
    assert only["last_used_at"] is not None

    assert client.delete(f"/api/v1/workspaces/acme/tokens/{only['id']}", headers=csrf).status_code == 204
    assert client.get("/api/v1/workspaces/acme/tokens").json()[0]["revoked_at"] is not None
    assert bearer.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_bad_input_names_the_field(client: TestClient, db: Session, settings: Settings) -> None:
    csrf = _owner_session(db, settings, client)
    response = client.post(
        "/api/v1/workspaces/acme/tokens", json={"role": "root", "expires_days": 0}, headers=csrf
    )
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"body.role", "body.expires_days"}
    assert client.delete("/api/v1/workspaces/acme/tokens/4242", headers=csrf).status_code == 404
