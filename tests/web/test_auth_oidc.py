"""Sign-in through a real OpenID Connect issuer (oidc-provider-mock on 127.0.0.1), driven like a browser."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts import users
from dunops.config import Settings
from dunops.storage.models import AuditEvent, Identity, LoginAttempt, User, WebSession
from dunops.web.deps import SESSION_COOKIE
from tests.oidc_server import (
    OidcMock,
    oidc_mock,
    query_of,
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
def browser(app: FastAPI, db: Session) -> Iterator[TestClient]:
    set_up_instance(db)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def rows(db: Session, statement: Any) -> list[Any]:
    """Read, then end the transaction at once: on SQLite an open one would block the app's writes."""
    found = list(db.scalars(statement))
    db.expunge_all()
    db.rollback()
    return found


def user_by_email(db: Session, email: str) -> User | None:
    found = users.by_email(db, email)
    db.expunge_all()
    db.rollback()
    return found


def new_person(oidc_mock: OidcMock, *, verified: bool = True) -> tuple[str, str]:
    sub = f"user-{uuid.uuid4().hex[:10]}"
    email = f"{sub}@example.com"
    oidc_mock.set_user(sub, email=email, email_verified=verified, name="Ada Lovelace")
    return sub, email


def sign_in(browser: TestClient, oidc_mock: OidcMock, sub: str, provider: str = "corp", next_path: str = "/"):
    location = oidc_mock.log_in(start_sign_in(browser, provider, next_path), sub)
    return return_to_app(browser, location)


def test_first_sign_in_creates_the_user_links_the_identity_and_opens_a_session(
    browser: TestClient, oidc_mock: OidcMock, db: Session
) -> None:
    sub, email = new_person(oidc_mock)

    page = browser.get("/sign-in")
    assert "Continue with Corp SSO" in page.text
    authorization_url = start_sign_in(browser, "corp")
    params = query_of(authorization_url)
    assert authorization_url.startswith(f"{oidc_mock.issuer}/oauth2/authorize?")
    assert params["code_challenge_method"] == "S256"
    assert params["response_type"] == "code"
    assert params["client_id"] == "dunops-corp"
    assert params["redirect_uri"] == "http://testserver/auth/corp/callback"
    assert set(params["scope"].split()) == {"openid", "email", "profile"}
    assert len(params["state"]) >= 32
    assert len(params["nonce"]) >= 32
    (attempt,) = rows(db, select(LoginAttempt))
    assert params["state"] not in attempt.state_hash  # only the hash is stored
    assert attempt.nonce == params["nonce"]
    assert create_s256_code_challenge(attempt.code_verifier) == params["code_challenge"]

    callback = return_to_app(browser, oidc_mock.log_in(authorization_url, sub))

    assert callback.status_code == 303
    assert callback.headers["location"] == "/"
    cookie_header = next(
        value for value in callback.headers.get_list("set-cookie") if value.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie_header
    assert "samesite=lax" in cookie_header.lower()
    assert "Path=/" in cookie_header
    assert "Secure" not in cookie_header  # plain-http base URL
    home = browser.get("/")
    assert home.status_code == 200
    assert email in home.text
    (user,) = rows(db, select(User).where(User.email == email))
    assert user.name == "Ada Lovelace"
    (identity,) = rows(db, select(Identity).where(Identity.user_id == user.id))
    assert (identity.issuer, identity.subject, identity.provider) == (oidc_mock.issuer, sub, "corp")
    assert rows(db, select(LoginAttempt)) == []
    actions = rows(db, select(AuditEvent.action).where(AuditEvent.workspace_id.is_(None)))
    assert "auth.sign_in" in actions


def test_signing_in_again_reuses_the_account(browser: TestClient, oidc_mock: OidcMock, db: Session) -> None:
    sub, email = new_person(oidc_mock)
    assert sign_in(browser, oidc_mock, sub).status_code == 303
    browser.cookies.clear()
    assert sign_in(browser, oidc_mock, sub).status_code == 303
    assert len(rows(db, select(User).where(User.email == email))) == 1
    assert browser.get("/").status_code == 200


def test_a_callback_with_a_wrong_state_is_refused(
    browser: TestClient, oidc_mock: OidcMock, db: Session
) -> None:
    sub, email = new_person(oidc_mock)
    location = oidc_mock.log_in(start_sign_in(browser, "corp"), sub)
    params = query_of(location)

    response = browser.get("/auth/corp/callback", params={"code": params["code"], "state": "forged-state"})

    assert response.status_code == 401
    assert "text/html" in response.headers["content-type"]
    assert "did not start in this browser" in response.text
    assert SESSION_COOKIE not in browser.cookies
    assert user_by_email(db, email) is None


def test_a_callback_from_another_browser_is_refused(
    browser: TestClient, app: FastAPI, oidc_mock: OidcMock, db: Session
) -> None:
    sub, email = new_person(oidc_mock)
    location = oidc_mock.log_in(start_sign_in(browser, "corp"), sub)
    with TestClient(app, follow_redirects=False) as victim:
        response = return_to_app(victim, location)
        assert response.status_code == 401
        assert SESSION_COOKIE not in victim.cookies
    assert user_by_email(db, email) is None


def test_the_callback_works_once_and_a_replayed_code_is_refused(
    browser: TestClient, oidc_mock: OidcMock
) -> None:
    sub, _ = new_person(oidc_mock)
    authorization_url = start_sign_in(browser, "corp")
    state_cookie = browser.cookies.get("dunops_signin")
    location = oidc_mock.log_in(authorization_url, sub)
    assert return_to_app(browser, location).status_code == 303

    browser.cookies.clear()
    browser.cookies.set("dunops_signin", state_cookie or "", domain="testserver.local", path="/auth")
    replay = return_to_app(browser, location)
    assert replay.status_code == 401
    assert "already used" in replay.text

    # The same code under a fresh, valid state: the issuer refuses it, and so does the app.
    fresh_state = query_of(start_sign_in(browser, "corp"))["state"]
    reused = browser.get(
        "/auth/corp/callback", params={"code": query_of(location)["code"], "state": fresh_state}
    )
    assert reused.status_code == 401
    assert "refused the authorization code" in reused.text
    assert SESSION_COOKIE not in browser.cookies


def test_an_unverified_email_never_creates_an_account(
    browser: TestClient, oidc_mock: OidcMock, db: Session
) -> None:
    sub, email = new_person(oidc_mock, verified=False)
    response = sign_in(browser, oidc_mock, sub)
    assert response.status_code == 401
    assert "did not confirm an email address" in response.text
    assert user_by_email(db, email) is None


def test_a_suspended_user_is_signed_out_at_once_and_cannot_sign_in(
    browser: TestClient, oidc_mock: OidcMock, db: Session
) -> None:
    sub, email = new_person(oidc_mock)
    assert sign_in(browser, oidc_mock, sub).status_code == 303
    assert browser.get("/").status_code == 200

    users.suspend(db, users.require_by_email(db, email))
    db.commit()

    home = browser.get("/")
    assert home.status_code == 303
    assert home.headers["location"] == "/sign-in"
    again = sign_in(browser, oidc_mock, sub)
    assert again.status_code == 401
    assert "suspended" in again.text


def test_a_session_cookie_set_before_sign_in_is_not_kept(
    browser: TestClient, oidc_mock: OidcMock, db: Session
) -> None:
    sub, _ = new_person(oidc_mock)
    assert sign_in(browser, oidc_mock, sub).status_code == 303
    planted = browser.cookies.get(SESSION_COOKIE)
    assert planted

    response = sign_in(browser, oidc_mock, sub)

    assert response.status_code == 303
    fresh = browser.cookies.get(SESSION_COOKIE)
    assert fresh
    assert fresh != planted
    assert len(rows(db, select(WebSession))) == 1
    browser.cookies.set(SESSION_COOKIE, planted, domain="testserver.local", path="/")
    assert browser.get("/").status_code == 303  # the old id signs nobody in


def test_next_is_kept_only_for_paths_on_this_site(browser: TestClient, oidc_mock: OidcMock) -> None:
    sub, _ = new_person(oidc_mock)
    assert sign_in(browser, oidc_mock, sub, next_path="/w/ops").headers["location"] == "/w/ops"
    browser.cookies.clear()
    assert sign_in(browser, oidc_mock, sub, next_path="//evil.example/").headers["location"] == "/"


def test_sign_out_needs_the_csrf_token(browser: TestClient, oidc_mock: OidcMock, db: Session) -> None:
    sub, _ = new_person(oidc_mock)
    sign_in(browser, oidc_mock, sub)

    refused = browser.post("/auth/sign-out", data={})
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    assert browser.get("/").status_code == 200

    (csrf,) = rows(db, select(WebSession.csrf_token))
    signed_out = browser.post("/auth/sign-out", data={"csrf_token": csrf})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/sign-in"
    assert browser.get("/").status_code == 303
    assert rows(db, select(WebSession)) == []
    assert "auth.sign_out" in rows(db, select(AuditEvent.action))


def test_sign_out_everywhere_ends_every_session(
    browser: TestClient, app: FastAPI, oidc_mock: OidcMock, db: Session
) -> None:
    sub, _ = new_person(oidc_mock)
    sign_in(browser, oidc_mock, sub)
    with TestClient(app, follow_redirects=False) as laptop:
        sign_in(laptop, oidc_mock, sub)
        assert laptop.get("/").status_code == 200
        home = browser.get("/")
        csrf = home.text.split('name="csrf_token" value="')[1].split('"')[0]

        assert browser.post("/auth/sign-out-everywhere", data={"csrf_token": csrf}).status_code == 303

        assert laptop.get("/").status_code == 303
        assert browser.get("/").status_code == 303
    assert "auth.sign_out_everywhere" in rows(db, select(AuditEvent.action))


def test_a_second_provider_with_the_same_email_links_only_after_confirmation(
    browser: TestClient, app: FastAPI, oidc_mock: OidcMock, db: Session
) -> None:
    sub, email = new_person(oidc_mock)
    sign_in(browser, oidc_mock, sub, provider="corp")
    browser.cookies.clear()
    other_sub = f"partner-{uuid.uuid4().hex[:8]}"
    oidc_mock.set_user(other_sub, email=email.upper(), email_verified=True)

    pending = sign_in(browser, oidc_mock, other_sub, provider="partner")

    assert pending.status_code == 303
    link_path = pending.headers["location"]
    assert link_path.startswith("/auth/link/")
    assert SESSION_COOKIE not in browser.cookies  # not signed in by the new provider
    page = browser.get(link_path)
    assert "Sign in to that account" in page.text
    assert browser.post(link_path, data={"csrf_token": "x"}).status_code == 401

    # Sign in to the existing account, coming back to the link page.
    back = sign_in(browser, oidc_mock, sub, provider="corp", next_path=link_path)
    assert back.headers["location"] == link_path
    confirm_page = browser.get(link_path)
    assert "Allow signing in with Partner SSO" in confirm_page.text
    assert browser.post(link_path, data={}).status_code == 403
    csrf = confirm_page.text.split('name="csrf_token" value="')[1].split('"')[0]
    confirmed = browser.post(link_path, data={"csrf_token": csrf})
    assert confirmed.status_code == 200
    assert "Partner SSO" in confirmed.text

    user = user_by_email(db, email)
    assert user is not None
    subjects = set(rows(db, select(Identity.subject).where(Identity.user_id == user.id)))
    assert subjects == {sub, other_sub}
    assert browser.get(link_path).status_code == 404  # used up
    browser.cookies.clear()
    assert sign_in(browser, oidc_mock, other_sub, provider="partner").headers["location"] == "/"
    assert email in browser.get("/").text


def test_a_link_request_cannot_be_confirmed_by_another_account(
    browser: TestClient, app: FastAPI, oidc_mock: OidcMock, db: Session
) -> None:
    sub, email = new_person(oidc_mock)
    sign_in(browser, oidc_mock, sub)
    browser.cookies.clear()
    other_sub = f"partner-{uuid.uuid4().hex[:8]}"
    oidc_mock.set_user(other_sub, email=email, email_verified=True)
    link_path = sign_in(browser, oidc_mock, other_sub, provider="partner").headers["location"]

    with TestClient(app, follow_redirects=False) as intruder:
        stranger, _ = new_person(oidc_mock)
        sign_in(intruder, oidc_mock, stranger)
        page = intruder.get(link_path)
        assert page.status_code == 403
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        assert intruder.post(link_path, data={"csrf_token": csrf}).status_code == 403
    assert rows(db, select(Identity).where(Identity.subject == other_sub)) == []


def test_an_unknown_provider_is_a_readable_404(browser: TestClient) -> None:
    response = browser.get("/auth/nope/start")
    assert response.status_code == 404
    assert "no sign-in provider named" in response.text
    assert "text/html" in response.headers["content-type"]
