"""Where a provider sign-in leads afterwards, also when it first has to link a second sign-in method: an
invitation opened before signing in is still there at the end (real issuer: oidc-provider-mock)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.accounts import access, invitations, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.notify.outbox import recent_mails
from dunops.storage.models import Role
from tests.oidc_server import (
    OidcMock,
    oidc_mock,
    return_to_app,
    set_up_instance,
    start_sign_in,
    two_provider_settings,
)

__all__ = ["oidc_mock"]


@pytest.fixture
def settings(tmp_path: Path, database_url: str, oidc_mock: OidcMock) -> Settings:
    return two_provider_settings(tmp_path / "data", database_url, oidc_mock)


@pytest.fixture
def browser(app: FastAPI, db: Session, settings: Settings) -> Iterator[TestClient]:
    set_up_instance(db)
    queue = queue_for(settings)
    queue.immediate = True
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client
    queue.immediate = False


def sign_in(
    browser: TestClient, oidc_mock: OidcMock, sub: str, provider: str, next_path: str
) -> httpx.Response:
    return return_to_app(browser, oidc_mock.log_in(start_sign_in(browser, provider, next_path), sub))


def invitation_path(db: Session, settings: Settings, email: str) -> str:
    owner = Principal(user=users.create(db, "owner@example.com"))
    workspaces.create(db, owner, "Acme")
    invitations.invite(
        db, settings, access.resolve(db, owner, "acme", Permission.MEMBERS_MANAGE), email, Role.EDITOR
    )
    db.commit()
    found = re.search(r"http://testserver(/invitations/[A-Za-z0-9_-]+)", recent_mails(settings)[0].body)
    assert found is not None
    return found.group(1)


def test_an_invitation_survives_linking_a_second_provider(
    browser: TestClient, oidc_mock: OidcMock, db: Session, settings: Settings
) -> None:
    sub, other_sub = f"corp-{uuid.uuid4().hex[:8]}", f"partner-{uuid.uuid4().hex[:8]}"
    email = f"{sub}@example.com"
    oidc_mock.set_user(sub, email=email, email_verified=True)
    oidc_mock.set_user(other_sub, email=email, email_verified=True)
    assert sign_in(browser, oidc_mock, sub, "corp", "/").status_code == 303
    browser.cookies.clear()
    invitation = invitation_path(db, settings, email)

    # Signed out, Ada opens the invitation and signs in with the provider she has not used yet.
    pending = sign_in(browser, oidc_mock, other_sub, "partner", invitation)

    link_page = pending.headers["location"]
    assert link_page.startswith("/auth/link/")
    assert link_page.endswith(f"?next={invitation}")
    page = browser.get(link_page)
    assert f'href="/sign-in?next={quote(link_page, safe="/")}"' in page.text
    back = sign_in(browser, oidc_mock, sub, "corp", link_page)
    assert back.headers["location"] == link_page
    confirm_page = browser.get(link_page)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', confirm_page.text)
    assert csrf is not None
    confirmed = browser.post(link_page.split("?")[0], data={"csrf_token": csrf.group(1), "next": invitation})
    assert confirmed.status_code == 200
    assert f'href="{invitation}">Continue</a>' in confirmed.text

    offer = browser.get(invitation)
    assert f"Accept and join as {email}" in offer.text
    joined = browser.post(invitation, data={"csrf_token": csrf.group(1)})
    assert "You joined" in joined.text
