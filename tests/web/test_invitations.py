"""Invitations over HTTP: the admin's API call, the invitee's page and its CSRF-protected form."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.accounts import access, sessions, tokens, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.notify import outbox
from dunops.storage.models import Role


@pytest.fixture
def mail_now(settings: Settings) -> Iterator[Settings]:
    queue = queue_for(settings)
    queue.immediate = True
    yield settings
    queue.immediate = False


def _owner_token(db: Session) -> dict[str, str]:
    owner = Principal(user=users.create(db, "owner@example.com"))
    workspaces.create(db, owner, "Acme <b>Team</b>", "acme")
    secret = tokens.create(
        db, access.resolve(db, owner, "acme", Permission.TOKENS_MANAGE), role=Role.OWNER
    ).secret
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


def _sign_in(db: Session, settings: Settings, client: TestClient, email: str) -> str:
    """A browser session for ``email`` (created if needed); returns its CSRF token."""
    user = users.by_email(db, email) or users.create(db, email)
    issued = sessions.start(db, settings, user)
    db.commit()
    client.cookies.set("dunops_session", issued.cookie_value)
    return issued.record.csrf_token


def _invite(client: TestClient, settings: Settings, headers: dict[str, str], email: str) -> str:
    response = client.post(
        "/api/v1/workspaces/acme/invitations", json={"email": email, "role": "editor"}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert "token" not in response.json()
    mail = outbox.recent_mails(settings, limit=1)[0]
    found = re.search(r"/invitations/([A-Za-z0-9_-]+)", mail.body)
    assert found is not None
    return found.group(1)


def test_accept_through_the_api(client: TestClient, db: Session, mail_now: Settings) -> None:
    token = _invite(client, mail_now, _owner_token(db), "invitee@example.com")
    csrf = _sign_in(db, mail_now, client, "Invitee@example.com")
    accepted = client.post(f"/api/v1/invitations/{token}/accept", headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 200
    assert accepted.json() == {"workspace": "acme", "name": "Acme <b>Team</b>", "role": "editor"}
    again = client.post(f"/api/v1/invitations/{token}/accept", headers={"X-CSRF-Token": csrf})
    assert again.status_code == 404
    assert "already been used" in again.json()["detail"]


def test_the_wrong_account_gets_403_with_a_clear_message(
    client: TestClient, db: Session, mail_now: Settings
) -> None:
    token = _invite(client, mail_now, _owner_token(db), "invitee@example.com")
    csrf = _sign_in(db, mail_now, client, "someone@example.com")
    page = client.get(f"/invitations/{token}")
    assert "sign in as the invited address" in page.text
    assert "Accept and join" not in page.text
    refused = client.post(f"/api/v1/invitations/{token}/accept", headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    assert "sign in with the invited address" in refused.json()["detail"]


def test_the_invitation_page_and_form(client: TestClient, db: Session, mail_now: Settings) -> None:
    token = _invite(client, mail_now, _owner_token(db), "invitee@example.com")
    anonymous = client.get(f"/invitations/{token}")
    assert anonymous.status_code == 200
    assert "Acme &lt;b&gt;Team&lt;/b&gt;" in anonymous.text
    assert "Sign in to accept" in anonymous.text
    assert f'href="/sign-in?next=/invitations/{token}"' in anonymous.text
    csrf = _sign_in(db, mail_now, client, "invitee@example.com")
    page = client.get(f"/invitations/{token}")
    assert f'name="csrf_token" value="{csrf}"' in page.text
    assert "Accept and join as invitee@example.com" in page.text
    forged = client.post(f"/invitations/{token}", data={})
    assert forged.status_code == 403
    joined = client.post(f"/invitations/{token}", data={"csrf_token": csrf})
    assert joined.status_code == 200
    assert "You joined" in joined.text
    used = client.get(f"/invitations/{token}")
    assert used.status_code == 404
    assert "already been used" in used.text


def test_an_unknown_link_shows_a_404_page(client: TestClient) -> None:
    response = client.get("/invitations/not-a-real-token")
    assert response.status_code == 404
    assert "not valid" in response.text


def test_invite_input_errors_name_the_field(client: TestClient, db: Session, mail_now: Settings) -> None:
    headers = _owner_token(db)
    bad = client.post(
        "/api/v1/workspaces/acme/invitations",
        json={"email": "not-an-email", "role": "owner"},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "email"
    missing = client.post(
        "/api/v1/workspaces/acme/invitations", json={"email": "a@b.example"}, headers=headers
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.role"
