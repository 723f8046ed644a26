"""Hostile use: crossing workspaces with a token, climbing roles, forging requests, dead credentials."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.accounts import access, memberships, sessions, tokens, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.storage.base import utcnow
from dunops.storage.models import ApiToken, Role


def _token(db: Session, principal: Principal, slug: str, role: Role) -> tuple[ApiToken, dict[str, str]]:
    issued = tokens.create(db, access.resolve(db, principal, slug, Permission.TOKENS_MANAGE), role=role)
    return issued.record, {"Authorization": f"Bearer {issued.secret}"}


def _owner(db: Session, email: str, *slugs: str) -> Principal:
    principal = Principal(user=users.create(db, email))
    for slug in slugs:
        workspaces.create(db, principal, slug.title(), slug)
    return principal


def _add(db: Session, owner: Principal, slug: str, email: str, role: Role) -> Principal:
    user = users.by_email(db, email) or users.create(db, email)
    memberships.add(db, access.resolve(db, owner, slug, Permission.MEMBERS_MANAGE), email, role)
    return Principal(user=user)


WORKSPACE_B_ENDPOINTS = [
    ("GET", "/api/v1/workspaces/beta", None),
    ("PATCH", "/api/v1/workspaces/beta", {"name": "Taken over"}),
    ("GET", "/api/v1/workspaces/beta/members", None),
    ("POST", "/api/v1/workspaces/beta/members", {"email": "mallory@example.com", "role": "owner"}),
    ("PATCH", "/api/v1/workspaces/beta/members/{member}", {"role": "viewer"}),
    ("DELETE", "/api/v1/workspaces/beta/members/{member}", None),
    ("POST", "/api/v1/workspaces/beta/invitations", {"email": "mallory@example.com", "role": "owner"}),
    ("GET", "/api/v1/workspaces/beta/tokens", None),
    ("POST", "/api/v1/workspaces/beta/tokens", {"role": "owner"}),
    ("DELETE", "/api/v1/workspaces/beta/tokens/{token}", None),
    ("GET", "/api/v1/workspaces/beta/audit", None),
]


def test_a_token_of_workspace_a_finds_nothing_of_workspace_b(client: TestClient, db: Session) -> None:
    alice = _owner(db, "alice@example.com", "alpha", "beta")
    bob = _add(db, alice, "beta", "bob@example.com", Role.EDITOR)
    users.create(db, "mallory@example.com")
    b_token, _ = _token(db, alice, "beta", Role.OWNER)
    _, headers = _token(db, alice, "alpha", Role.OWNER)
    db.commit()
    ids = {"member": bob.user.id, "token": b_token.id}
    for method, path, body in WORKSPACE_B_ENDPOINTS:
        response = client.request(method, path.format(**ids), json=body, headers=headers)
        assert response.status_code == 404, (method, path, response.text)
        assert "workspace 'beta' not found" in response.json()["detail"]
    assert [item["slug"] for item in client.get("/api/v1/workspaces", headers=headers).json()] == ["alpha"]
    owner_headers = _token(db, alice, "beta", Role.OWNER)[1]
    db.commit()
    members = client.get("/api/v1/workspaces/beta/members", headers=owner_headers).json()
    assert {item["email"] for item in members} == {"alice@example.com", "bob@example.com"}
    assert client.get("/api/v1/workspaces/beta", headers=owner_headers).json()["name"] == "Beta"


def test_a_viewer_can_neither_create_tokens_above_their_role_nor_invite(
    client: TestClient, db: Session, settings: Settings
) -> None:
    alice = _owner(db, "alice@example.com", "alpha")
    viewer = _add(db, alice, "alpha", "viewer@example.com", Role.VIEWER)
    issued = sessions.start(db, settings, viewer.user)
    db.commit()
    client.cookies.set("dunops_session", issued.cookie_value)
    csrf = {"X-CSRF-Token": issued.record.csrf_token}
    token = client.post("/api/v1/workspaces/alpha/tokens", json={"role": "editor"}, headers=csrf)
    assert token.status_code == 403
    invite = client.post(
        "/api/v1/workspaces/alpha/invitations",
        json={"email": "x@example.com", "role": "viewer"},
        headers=csrf,
    )
    assert invite.status_code == 403


def test_an_editor_cannot_raise_their_own_role(client: TestClient, db: Session) -> None:
    alice = _owner(db, "alice@example.com", "alpha")
    editor = _add(db, alice, "alpha", "editor@example.com", Role.EDITOR)
    _, headers = _token(db, editor, "alpha", Role.EDITOR)
    db.commit()
    for role in ("admin", "owner"):
        response = client.patch(
            f"/api/v1/workspaces/alpha/members/{editor.user.id}", json={"role": role}, headers=headers
        )
        assert response.status_code == 403
    roles = {
        item["email"]: item["role"]
        for item in client.get("/api/v1/workspaces/alpha/members", headers=headers).json()
    }
    assert roles["editor@example.com"] == "editor"


def test_a_token_never_acts_above_its_creator(client: TestClient, db: Session, settings: Settings) -> None:
    alice = _owner(db, "alice@example.com", "alpha")
    admin = _add(db, alice, "alpha", "admin@example.com", Role.ADMIN)
    issued = sessions.start(db, settings, admin.user)
    _, admin_token = _token(db, admin, "alpha", Role.ADMIN)
    db.commit()
    client.cookies.set("dunops_session", issued.cookie_value)
    higher = client.post(
        "/api/v1/workspaces/alpha/tokens",
        json={"role": "owner"},
        headers={"X-CSRF-Token": issued.record.csrf_token},
    )
    assert higher.status_code == 403
    assert "higher role" in higher.json()["detail"]
    client.cookies.clear()
    assert (
        client.patch("/api/v1/workspaces/alpha", json={"name": "Renamed"}, headers=admin_token).status_code
        == 200
    )
    memberships.change_role(
        db, access.resolve(db, alice, "alpha", Permission.MEMBERS_MANAGE), admin.user.id, Role.EDITOR
    )
    db.commit()
    demoted = client.patch("/api/v1/workspaces/alpha", json={"name": "Again"}, headers=admin_token)
    assert demoted.status_code == 403
    assert client.get("/api/v1/workspaces", headers=admin_token).json()[0]["role"] == "editor"


def test_a_cookie_session_needs_the_csrf_token_to_change_anything(
    client: TestClient, db: Session, settings: Settings
) -> None:
    alice = _owner(db, "alice@example.com", "alpha")
    issued = sessions.start(db, settings, alice.user)
    db.commit()
    client.cookies.set("dunops_session", issued.cookie_value)
    assert client.get("/api/v1/workspaces").status_code == 200
    forged = client.post("/api/v1/workspaces", json={"name": "Forged"})
    assert forged.status_code == 403
    assert "CSRF" in forged.json()["detail"]
    wrong = client.patch(
        "/api/v1/workspaces/alpha", json={"name": "Forged"}, headers={"X-CSRF-Token": "guess"}
    )
    assert wrong.status_code == 403
    names = [item["name"] for item in client.get("/api/v1/workspaces").json()]
    assert names == ["Alpha"]
    good = client.post(
        "/api/v1/workspaces", json={"name": "Real"}, headers={"X-CSRF-Token": issued.record.csrf_token}
    )
    assert good.status_code == 201


@pytest.mark.parametrize("how", ["revoked", "expired", "suspended", "removed"])
def test_dead_tokens_are_refused_at_once(client: TestClient, db: Session, how: str) -> None:
    alice = _owner(db, "alice@example.com", "alpha")
    bob = _add(db, alice, "alpha", "bob@example.com", Role.EDITOR)
    record, headers = _token(db, bob, "alpha", Role.EDITOR)
    db.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    if how == "revoked":
        tokens.revoke(db, access.resolve(db, bob, "alpha", Permission.TOKENS_MANAGE), record.id)
    elif how == "expired":
        record.expires_at = utcnow() - timedelta(seconds=1)
    elif how == "suspended":
        users.suspend(db, bob.user)
    else:
        memberships.remove(db, access.resolve(db, alice, "alpha", Permission.MEMBERS_MANAGE), bob.user.id)
    db.commit()
    for path in ("/api/v1/me", "/api/v1/workspaces", "/api/v1/workspaces/alpha"):
        response = client.get(path, headers=headers)
        if how == "suspended":  # the suspension is named, so its holder knows whom to ask
            assert response.status_code == 403, (how, path)
            assert response.json()["detail"].startswith("the account bob@example.com is suspended")
            continue
        assert response.status_code == 401, (how, path)
        assert response.json()["detail"] == "invalid, expired or revoked API token"


def test_strangers_cannot_be_added_directly_and_cannot_be_told_from_unknown_addresses(
    client: TestClient, db: Session
) -> None:
    mallory = _owner(db, "mallory@example.com", "trap")
    victim = users.create(db, "victim@corp.example", "Victoria Secret-Name")
    alice = _owner(db, "alice@example.com", "shared")
    _add(db, alice, "shared", "mallory@example.com", Role.VIEWER)
    _, headers = _token(db, mallory, "trap", Role.OWNER)
    db.commit()
    url = "/api/v1/workspaces/trap/members"
    stranger = client.post(url, json={"email": victim.email, "role": "owner"}, headers=headers)
    unknown = client.post(url, json={"email": "nobody@corp.example", "role": "owner"}, headers=headers)
    assert stranger.status_code == unknown.status_code == 422
    assert stranger.json() == unknown.json()
    assert "Victoria" not in stranger.text
    # Someone Mallory already works with may be added directly.
    colleague = client.post(url, json={"email": "alice@example.com", "role": "viewer"}, headers=headers)
    assert colleague.status_code == 201, colleague.text


def test_a_token_cannot_make_its_creator_leave(client: TestClient, db: Session) -> None:
    alice = _owner(db, "alice@example.com", "alpha")
    bob = _add(db, alice, "alpha", "bob@example.com", Role.EDITOR)
    _, viewer_token = _token(db, bob, "alpha", Role.VIEWER)
    db.commit()
    left = client.delete(f"/api/v1/workspaces/alpha/members/{bob.user.id}", headers=viewer_token)
    assert left.status_code == 403
    assert client.get("/api/v1/workspaces/alpha", headers=viewer_token).status_code == 200


def test_bad_addresses_and_ids_are_refused_not_crashed(client: TestClient, db: Session) -> None:
    alice = _owner(db, "alice@example.com", "alpha")
    _, headers = _token(db, alice, "alpha", Role.OWNER)
    db.commit()
    invited = client.post(
        "/api/v1/workspaces/alpha/invitations",
        json={"email": "a\x00@example.com", "role": "viewer"},
        headers=headers,
    )
    assert invited.status_code == 422
    assert [error["field"] for error in invited.json()["errors"]] == ["email"]
    for path in ("members/99999999999", "tokens/99999999999"):
        assert client.delete(f"/api/v1/workspaces/alpha/{path}", headers=headers).status_code == 422
    assert client.get("/api/v1/workspaces/alpha/audit?cursor=99999999999", headers=headers).status_code == 422


def test_pages_cannot_be_framed_or_leak_links_through_the_referer(client: TestClient) -> None:
    page = client.get("/sign-in")
    assert page.headers["x-frame-options"] == "DENY"
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert page.headers["referrer-policy"] == "no-referrer"
