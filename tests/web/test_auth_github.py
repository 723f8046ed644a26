"""GitHub sign-in (OAuth2 + /user + /user/emails) against a stateful fake of GitHub's documented endpoints.

GitHub has no local server; ``FakeGitHub`` implements the token endpoint (single-use codes, client
secret, PKCE S256 check, errors as HTTP 200 with an ``error`` field, as GitHub does) and the two API calls.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts import sessions, users
from dunops.config import OidcProviderSettings, Settings
from dunops.security.master_key import create_key_file
from dunops.storage.models import Identity, User
from dunops.web.deps import SESSION_COOKIE
from tests.oidc_server import OPERATOR_EMAIL, return_to_app, set_up_instance, start_sign_in


@dataclass
class GitHubUser:
    id: int
    login: str
    emails: list[dict[str, Any]]
    name: str = ""


@dataclass
class FakeGitHub:
    client_id: str = "gh-client"
    client_secret: str = "gh-secret"
    users: dict[str, GitHubUser] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def authorize(self, authorization_url: str, login: str) -> str:
        """What github.com/login/oauth/authorize does once the person clicks "Authorize"."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        assert query["client_id"] == self.client_id
        assert query["code_challenge_method"] == "S256"
        assert "user:email" in query["scope"]
        code = f"gh-code-{len(self.codes) + 1}"
        self.codes[code] = {**query, "login": login}
        return f"{query['redirect_uri']}?code={code}&state={query['state']}"

    def _handle(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.host == "github.com" and url.path == "/login/oauth/access_token":
            return self._token(request)
        if url.host == "api.github.com" and url.path in ("/user", "/user/emails"):
            login = self.tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))
            if login is None:
                return httpx.Response(401, json={"message": "Bad credentials"})
            user = self.users[login]
            if url.path == "/user":
                return httpx.Response(200, json={"id": user.id, "login": user.login, "name": user.name})
            return httpx.Response(200, json=user.emails)
        return httpx.Response(404, json={"message": "Not Found"})

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return httpx.Response(200, json={"error": "incorrect_client_credentials"})
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return httpx.Response(200, json={"error": "bad_verification_code"})
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["code_challenge"]:
            return httpx.Response(200, json={"error": "bad_verification_code"})
        token = f"gho_{len(self.tokens) + 1}"
        self.tokens[token] = grant["login"]
        return httpx.Response(
            200, json={"access_token": token, "token_type": "bearer", "scope": "user:email"}
        )


@pytest.fixture
def github() -> FakeGitHub:
    fake = FakeGitHub()
    fake.users["octocat"] = GitHubUser(
        id=583231,
        login="octocat",
        name="Mona Lisa Octocat",
        emails=[
            {"email": "old@example.com", "primary": False, "verified": True, "visibility": None},
            {"email": "octocat@example.com", "primary": True, "verified": True, "visibility": "public"},
        ],
    )
    fake.users["unverified"] = GitHubUser(
        id=99, login="unverified", emails=[{"email": "new@example.com", "primary": True, "verified": False}]
    )
    return fake


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    configured = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url="http://testserver",
        oidc_providers=[
            OidcProviderSettings(
                name="github", kind="github", client_id="gh-client", client_secret="gh-secret"
            )
        ],
    )
    configured.prepare_data_dir()
    create_key_file(configured.master_key_file)
    return configured


@pytest.fixture
def browser(app: FastAPI, github: FakeGitHub, db: Session) -> Iterator[TestClient]:
    set_up_instance(db)
    app.state.signin_transport = github.transport()
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def sign_in(browser: TestClient, github: FakeGitHub, login: str, next_path: str = "/") -> Any:
    return return_to_app(browser, github.authorize(start_sign_in(browser, "github", next_path), login))


def rows(db: Session, statement: Any) -> list[Any]:
    found = list(db.scalars(statement))
    db.expunge_all()
    db.rollback()
    return found


def test_first_github_sign_in_creates_the_user_from_the_primary_verified_email(
    browser: TestClient, github: FakeGitHub, db: Session
) -> None:
    assert "Continue with Github" in browser.get("/sign-in").text
    response = sign_in(browser, github, "octocat")

    assert response.status_code == 303
    assert "octocat@example.com" in browser.get("/").text
    (user,) = rows(db, select(User).where(User.email != OPERATOR_EMAIL))
    assert (user.email, user.name) == ("octocat@example.com", "Mona Lisa Octocat")
    (identity,) = rows(db, select(Identity))
    assert (identity.provider, identity.issuer, identity.subject) == (
        "github",
        "https://github.com",
        "583231",
    )


def test_a_github_account_without_a_verified_primary_email_cannot_sign_up(
    browser: TestClient, github: FakeGitHub, db: Session
) -> None:
    response = sign_in(browser, github, "unverified")
    assert response.status_code == 401
    assert "did not confirm an email address" in response.text
    assert rows(db, select(User).where(User.email != OPERATOR_EMAIL)) == []


def test_a_replayed_github_code_is_refused(browser: TestClient, github: FakeGitHub) -> None:
    location = github.authorize(start_sign_in(browser, "github"), "octocat")
    assert return_to_app(browser, location).status_code == 303
    browser.cookies.clear()
    code = parse_qs(urlsplit(location).query)["code"][0]
    state = parse_qs(urlsplit(start_sign_in(browser, "github")).query)["state"][0]

    response = browser.get("/auth/github/callback", params={"code": code, "state": state})

    assert response.status_code == 401
    assert "bad_verification_code" in response.text
    assert SESSION_COOKIE not in browser.cookies


def test_github_with_an_existing_email_links_only_once_the_account_owner_confirms(
    browser: TestClient, github: FakeGitHub, db: Session, settings: Settings
) -> None:
    owner = users.create(db, "octocat@example.com", "Existing")
    issued = sessions.start(db, settings, owner)
    db.commit()

    pending = sign_in(browser, github, "octocat")

    assert pending.status_code == 303
    link_path = pending.headers["location"]
    assert link_path.startswith("/auth/link/")
    assert SESSION_COOKIE not in browser.cookies
    assert rows(db, select(Identity)) == []

    browser.cookies.set(SESSION_COOKIE, issued.cookie_value, domain="testserver.local", path="/")
    page = browser.get(link_path)
    assert "octocat@example.com" in page.text
    assert browser.post(link_path, data={"csrf_token": "wrong"}).status_code == 403
    assert browser.post(link_path, data={"csrf_token": issued.record.csrf_token}).status_code == 200
    (identity,) = rows(db, select(Identity))
    assert identity.user_id == owner.id

    browser.cookies.clear()
    assert sign_in(browser, github, "octocat").headers["location"] == "/"
    assert "octocat@example.com" in browser.get("/").text
