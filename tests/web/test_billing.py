"""Billing: Stripe Checkout and the portal against a stateful fake of Stripe's API, and the webhook with
payloads signed exactly as Stripe signs them: it sets the plan, refuses forged signatures and replays,
and takes each event once. A downgrade blocks new zones but keeps every one."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts import plans
from dunops.config import DEFAULT_PLANS, Settings
from dunops.storage.models import AuditEvent, Role, Workspace
from tests.fakes.stripe import SECRET_KEY, FakeStripe, sign
from tests.zones.helpers import ZONE_TEXT, api_token, bearer, member

WEBHOOK_SECRET = "whsec_test_secret"
BASE = "/api/v1/workspaces/acme"
PRICES = {"price_team": "Team", "price_business": "Business"}


@pytest.fixture
def stripe_api() -> Iterator[FakeStripe]:
    with FakeStripe(PRICES) as fake:
        yield fake


@pytest.fixture
def settings(settings: Settings, stripe_api: FakeStripe) -> Iterator[Settings]:
    sold = {
        "free": DEFAULT_PLANS["free"].model_copy(update={"zones": 1}),
        "team": DEFAULT_PLANS["team"].model_copy(update={"stripe_price": "price_team"}),
        "business": DEFAULT_PLANS["business"].model_copy(update={"stripe_price": "price_business"}),
    }
    yield settings.model_copy(
        update={
            "stripe_secret_key": SecretStr(SECRET_KEY),
            "stripe_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "stripe_api_base": stripe_api.url,
            "plans": sold,
            "enforce_plans": True,
        }
    )
    plans.configure(settings)


@pytest.fixture
def team(db: Session) -> dict[str, dict[str, str]]:
    owner, workspace = member(db, "acme", "owner@example.com")
    editor, _ = member(db, "acme", "editor@example.com", Role.EDITOR)
    headers = {
        "owner": bearer(api_token(db, owner, workspace)),
        "editor": bearer(api_token(db, editor, workspace, Role.EDITOR)),
    }
    db.commit()
    return headers


def deliver(
    client: TestClient, event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, at: int | None = None
) -> Any:
    payload = json.dumps(event).encode()
    return client.post(
        "/billing/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": sign(payload, secret, at), "Content-Type": "application/json"},
    )


def plan_of(db: Session) -> str:
    db.rollback()
    plan = db.scalars(select(Workspace.plan).where(Workspace.slug == "acme")).one()
    db.rollback()
    return plan


def test_an_owner_upgrades_through_checkout_and_the_webhook_sets_the_plan(
    client: TestClient, db: Session, stripe_api: FakeStripe, team: dict[str, dict[str, str]]
) -> None:
    refused = client.post(f"{BASE}/billing/checkout", json={"plan": "team"}, headers=team["editor"])
    assert refused.status_code == 403
    assert (
        client.post(f"{BASE}/billing/checkout", json={"plan": "gold"}, headers=team["owner"]).status_code
        == 422
    )

    started = client.post(f"{BASE}/billing/checkout", json={"plan": "team"}, headers=team["owner"])
    assert started.status_code == 200, started.text
    [session] = stripe_api.sessions.values()
    assert started.json()["url"] == session["url"]
    assert session["mode"] == "subscription"
    assert session["line_items"] == [{"price": "price_team", "quantity": "1"}]
    assert session["metadata"]["plan"] == "team"
    assert session["success_url"] == "http://testserver/billing/acme?checkout=done"
    assert plan_of(db) == "free"  # nothing changes until Stripe says it was paid

    taken = deliver(client, stripe_api.complete(session["id"]))
    assert taken.status_code == 200, taken.text
    assert taken.json() == {"received": True, "duplicate": False}
    assert plan_of(db) == "team"
    billing = client.get(f"{BASE}/billing", headers=team["owner"]).json()
    assert billing["plan"] == "team"
    assert billing["limits"]["zones"] == DEFAULT_PLANS["team"].zones
    assert billing["subscribed"] is True

    portal = client.post(f"{BASE}/billing/portal", headers=team["owner"])
    assert portal.status_code == 200, portal.text
    assert portal.json()["url"] == stripe_api.portal_sessions[0]["url"]
    assert stripe_api.portal_sessions[0]["return_url"] == "http://testserver/billing/acme"

    changes = db.scalars(select(AuditEvent.details).where(AuditEvent.action == "workspace.plan")).all()
    db.rollback()
    assert [(c["from"], c["to"]) for c in changes] == [("free", "team")]


def test_forged_signatures_and_stale_timestamps_are_refused(
    client: TestClient, db: Session, stripe_api: FakeStripe, team: dict[str, dict[str, str]]
) -> None:
    client.post(f"{BASE}/billing/checkout", json={"plan": "business"}, headers=team["owner"])
    [session] = stripe_api.sessions.values()
    event = stripe_api.complete(session["id"])

    forged = deliver(client, event, secret="whsec_guessed")
    assert forged.status_code == 401
    assert forged.json()["detail"] == "the Stripe signature does not match this payload"
    payload = json.dumps(event).encode()
    tampered = client.post(
        "/billing/stripe/webhook",
        content=payload.replace(b'"business"', b'"team"'),
        headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET)},
    )
    assert tampered.status_code == 401
    unsigned = client.post("/billing/stripe/webhook", content=payload)
    assert unsigned.status_code == 401
    captured = deliver(client, event, at=int(time.time()) - 3600)  # a request captured an hour ago
    assert captured.status_code == 401
    assert "refused as a replay" in captured.json()["detail"]
    assert plan_of(db) == "free"


def test_a_replayed_event_changes_nothing_twice(
    client: TestClient, db: Session, stripe_api: FakeStripe, team: dict[str, dict[str, str]]
) -> None:
    client.post(f"{BASE}/billing/checkout", json={"plan": "team"}, headers=team["owner"])
    [session] = stripe_api.sessions.values()
    event = stripe_api.complete(session["id"])
    assert deliver(client, event).json()["duplicate"] is False
    subscription = session["subscription"]
    cancelled = stripe_api.subscription_event(
        "customer.subscription.deleted", subscription, status="canceled"
    )
    assert deliver(client, cancelled).json()["duplicate"] is False
    assert plan_of(db) == "free"

    again = deliver(client, event)  # the same event, freshly signed: taken once already
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert plan_of(db) == "free"
    plan_changes = db.scalars(select(AuditEvent.id).where(AuditEvent.action == "workspace.plan")).all()
    db.rollback()
    assert len(plan_changes) == 2


def test_a_downgrade_keeps_every_zone_and_blocks_new_ones(
    client: TestClient, db: Session, stripe_api: FakeStripe, team: dict[str, dict[str, str]]
) -> None:
    client.post(f"{BASE}/billing/checkout", json={"plan": "team"}, headers=team["owner"])
    [session] = stripe_api.sessions.values()
    deliver(client, stripe_api.complete(session["id"]))
    for name in ("one.test", "two.test"):
        body = {"name": name, "content": ZONE_TEXT.replace("example.test", name)}
        assert client.post(f"{BASE}/zones", json=body, headers=team["owner"]).status_code == 201

    downgraded = stripe_api.subscription_event(
        "customer.subscription.updated", session["subscription"], status="unpaid"
    )
    assert deliver(client, downgraded).status_code == 200
    assert plan_of(db) == "free"
    zones = client.get(f"{BASE}/zones", headers=team["owner"]).json()
    assert [zone["name"] for zone in zones] == ["one.test", "two.test"]
    third = {"name": "three.test", "content": ZONE_TEXT.replace("example.test", "three.test")}
    refused = client.post(f"{BASE}/zones", json=third, headers=team["owner"])
    assert refused.status_code == 409
    assert "allows 1 zones; it has 2. Nothing was removed" in refused.json()["detail"]


def test_billing_is_off_without_stripe_keys(
    client: TestClient, settings: Settings, team: dict[str, dict[str, str]]
) -> None:
    off = settings.model_copy(
        update={"stripe_secret_key": SecretStr(""), "stripe_webhook_secret": SecretStr("")}
    )
    client.app.state.settings = off  # type: ignore[attr-defined]
    checkout = client.post(f"{BASE}/billing/checkout", json={"plan": "team"}, headers=team["owner"])
    assert checkout.status_code == 404
    assert checkout.json()["detail"] == "billing is not enabled on this instance"
    assert client.post("/billing/stripe/webhook", content=b"{}").status_code == 404
    assert client.get(f"{BASE}/billing", headers=team["owner"]).json()["stripe"] is False
