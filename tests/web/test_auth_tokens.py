"""ID token verification at the callback: tokens with a wrong nonce, issuer, audience, signature or expiry.

The issuer is ``FakeIssuer`` (an ``httpx.MockTransport`` with a key the test owns), injected through
``app.state.signin_transport``, so the app's real discovery, JWKS and verification code runs.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dunops.config import OidcProviderSettings, Settings
from dunops.security.master_key import create_key_file
from dunops.storage.models import User
from dunops.web.deps import SESSION_COOKIE
from tests.oidc_server import (
    OPERATOR_EMAIL,
    FakeIssuer,
    query_of,
    return_to_app,
    set_up_instance,
    signing_key,
    start_sign_in,
)


@pytest.fixture
def issuer() -> FakeIssuer:
    fake = FakeIssuer()
    fake.claims = {"email": "grace@example.com", "email_verified": True, "name": "Grace Hopper"}
    return fake


@pytest.fixture
def settings(tmp_path: Path, database_url: str, issuer: FakeIssuer) -> Settings:
    configured = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url="https://dunops.example",
        oidc_providers=[
            OidcProviderSettings(
                name="google",
                discovery_url=issuer.discovery_url,
                client_id="dunops-client",
                client_secret="x",
            )
        ],
    )
    configured.prepare_data_dir()
    create_key_file(configured.master_key_file)
    return configured


@pytest.fixture
def browser(app: FastAPI, issuer: FakeIssuer, db: Session) -> Iterator[TestClient]:
    set_up_instance(db)
    app.state.signin_transport = issuer.transport()
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as test_client:
        yield test_client


def sign_in(browser: TestClient, issuer: FakeIssuer) -> Any:
    location = issuer.authorize(start_sign_in(browser, "google"), "grace-1")
    return return_to_app(browser, location.replace("https://dunops.example", "https://testserver"))


def user_count(db: Session) -> int:
    """People other than the operator."""
    count = db.scalar(select(func.count()).select_from(User).where(User.email != OPERATOR_EMAIL)) or 0
    db.rollback()
    return count


def test_a_valid_token_signs_in_with_a_secure_cookie(
    browser: TestClient, issuer: FakeIssuer, db: Session
) -> None:
    authorization_url = start_sign_in(browser, "google")
    params = query_of(authorization_url)
    assert params["code_challenge_method"] == "S256"
    assert params["redirect_uri"] == "https://dunops.example/auth/google/callback"
    location = issuer.authorize(authorization_url, "grace-1")
    response = return_to_app(browser, location.replace("https://dunops.example", "https://testserver"))

    assert response.status_code == 303
    cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith(SESSION_COOKIE))
    assert "Secure" in cookie
    (token_request,) = issuer.token_requests
    assert token_request["code_verifier"]
    assert token_request["redirect_uri"] == "https://dunops.example/auth/google/callback"
    assert user_count(db) == 1


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"nonce": "a-nonce-from-another-attempt"}, "'nonce'"),
        ({"iss": "https://evil.example"}, "'iss'"),
        ({"aud": "some-other-client"}, "'aud'"),
        ({"aud": ["some-other-client", "dunops-client"], "azp": "some-other-client"}, "'azp'"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
    ],
    ids=["nonce", "issuer", "audience", "authorized-party", "expired"],
)
def test_a_token_with_a_wrong_claim_is_refused(
    browser: TestClient, issuer: FakeIssuer, db: Session, overrides: dict[str, Any], reason: str
) -> None:
    issuer.overrides = overrides
    response = sign_in(browser, issuer)
    assert response.status_code == 401
    assert reason in html.unescape(response.text)
    assert SESSION_COOKIE not in browser.cookies
    assert user_count(db) == 0


def test_a_token_signed_with_a_key_not_in_the_issuers_jwks_is_refused(
    browser: TestClient, issuer: FakeIssuer, db: Session
) -> None:
    forged = RSAKey.import_key(signing_key("forger").as_dict(private=True) | {"kid": "k1"})
    issuer.sign_with = forged
    response = sign_in(browser, issuer)
    assert response.status_code == 401
    assert "signature does not verify" in response.text
    assert user_count(db) == 0


def test_an_issuer_that_denies_the_request_shows_a_readable_page(browser: TestClient) -> None:
    state = query_of(start_sign_in(browser, "google"))["state"]
    response = browser.get("/auth/google/callback", params={"state": state, "error": "access_denied"})
    assert response.status_code == 401
    assert "did not sign you in (access_denied)" in response.text


def test_an_unreachable_issuer_is_a_readable_502(app: FastAPI, browser: TestClient) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    app.state.signin_transport = httpx.MockTransport(refuse)
    response = browser.get("/auth/google/start")
    assert response.status_code == 502
    assert "could not be read" in response.text
