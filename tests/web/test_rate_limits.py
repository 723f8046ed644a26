"""Request rate limits: per client address on sign-in and the API, per token and per session on the API,
answered 429 with Retry-After and a problem document; shared by replicas through Redis."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dunops.accounts import sessions
from dunops.config import Settings
from dunops.storage.models import MagicLink
from dunops.web.app import create_app
from dunops.web.deps import SESSION_COOKIE
from tests.conftest import REDIS_URL
from tests.support import missing_server
from tests.web.test_hostile_signin import ask_for_link, browser_at
from tests.zones.helpers import api_token, bearer, member

SIGN_IN_RATE = 5
API_RATE = 4


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "rate_limit_sign_in": f"{SIGN_IN_RATE}/minute",
            "rate_limit_api": f"{API_RATE}/minute",
            "rate_limit_client": "12/minute",
            "magic_link_per_hour": 1000,  # the link limits stay out of the way: this layer is under test
        }
    )


def _refused(response: Any) -> dict[str, object]:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    body: dict[str, object] = response.json()
    assert body["title"] == "Too many requests"
    return body


def test_a_flood_of_sign_in_attempts_across_many_addresses_is_stopped(app: FastAPI, db: Session) -> None:
    attacker = browser_at(app, "198.51.100.66")
    answers = [ask_for_link(attacker, f"victim{n}@example.com") for n in range(30)]
    accepted = [a for a in answers if a.status_code == 200]
    assert len(accepted) == SIGN_IN_RATE
    body = _refused(answers[-1])
    assert "too many sign-in attempts from your network" in str(body["detail"])
    links = db.scalar(
        select(func.count()).select_from(MagicLink).where(MagicLink.client_address == "198.51.100.66")
    )
    assert links == SIGN_IN_RATE
    db.rollback()

    # someone elsewhere signs in as usual
    assert ask_for_link(browser_at(app, "203.0.113.9"), "owner@example.com").status_code == 200


def test_a_token_past_its_rate_is_refused_and_another_token_is_not(client: TestClient, db: Session) -> None:
    user, workspace = member(db, "acme", "owner@example.com")
    busy, calm = api_token(db, user, workspace), api_token(db, user, workspace)
    db.commit()
    statuses = [
        client.get("/api/v1/workspaces", headers=bearer(busy)).status_code for _ in range(API_RATE + 2)
    ]
    assert statuses == [200] * API_RATE + [429] * 2
    body = _refused(client.get("/api/v1/workspaces", headers=bearer(busy)))
    assert "too many requests with this credential" in str(body["detail"])
    assert client.get("/api/v1/workspaces", headers=bearer(calm)).status_code == 200


def test_a_session_past_its_rate_is_refused(app: FastAPI, db: Session, settings: Settings) -> None:
    user, _ = member(db, "acme", "owner@example.com")
    issued = sessions.start(db, settings, user)
    db.commit()
    browser = TestClient(app)
    browser.cookies.set(SESSION_COOKIE, issued.cookie_value)
    statuses = [browser.get("/api/v1/workspaces").status_code for _ in range(API_RATE + 1)]
    assert statuses == [200] * API_RATE + [429]


def test_a_client_guessing_tokens_is_refused_by_its_address(client: TestClient) -> None:
    statuses = [
        client.get("/api/v1/workspaces", headers=bearer(f"dnp_guess{n}")).status_code for n in range(14)
    ]
    assert statuses[:12] == [401] * 12
    assert statuses[12:] == [429, 429]


def test_replicas_share_their_counts_through_redis(settings: Settings, engine: Engine) -> None:
    if not REDIS_URL:
        missing_server("Redis (set DUNOPS_TEST_REDIS_URL)")
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    replicas = [create_app(shared, engine=engine), create_app(shared, engine=engine)]
    client_address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    browsers = [browser_at(replica, client_address) for replica in replicas]
    answers = [ask_for_link(browsers[n % 2], f"someone{n}@example.com") for n in range(SIGN_IN_RATE + 2)]
    assert [a.status_code for a in answers] == [200] * SIGN_IN_RATE + [429, 429]
