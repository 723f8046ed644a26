"""Connections, members, tokens, policy, audit and account pages: each does what its API does, from forms."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from dunops.config import Settings
from tests.web.pages_support import Browser, browser_for, text_of
from tests.workflow.support import SLUG, ZONE, Team, team  # noqa: F401

BASE = f"/w/{SLUG}"


@pytest.fixture
def owner(team: Team, app: FastAPI, db: Session, settings: Settings) -> Browser:  # noqa: F811
    return browser_for(app, db, settings, "owner@example.com")


def test_a_connection_form_is_built_from_its_kind_and_keeps_secrets_back(team: Team, owner: Browser) -> None:  # noqa: F811
    form = owner.get(f"{BASE}/connections/new", params={"kind": "powerdns"})
    assert form.status_code == 200
    assert 'name="config.url"' in form.text
    assert 'name="config.server_id"' in form.text
    assert re.search(r'name="secrets.api_key" type="password"', form.text)
    bad = owner.post(
        f"{BASE}/connections/new",
        {"kind": "powerdns", "name": "pdns", "config.url": "ftp://x", "secrets.api_key": "s3cret-key"},
    )
    assert bad.status_code == 422
    assert 'id="f-config.url-error"' in bad.text
    assert "s3cret-key" not in bad.text  # a secret is never sent back, even into its field
    made = owner.post(
        f"{BASE}/connections/new",
        {
            "kind": "powerdns",
            "name": "pdns",
            "config.url": "http://127.0.0.1:9",
            "secrets.api_key": "s3cret-key",
        },
    )
    assert made.status_code == 303, made.text
    listing = owner.get(f"{BASE}/connections").text
    assert "pdns" in listing
    assert "s3cret-key" not in listing
    connection_id = re.findall(r'id="connection-(\d+)"', listing)[-1]
    tested = owner.post(f"{BASE}/connections/{connection_id}/test")
    assert tested.status_code == 200
    assert "It failed" in tested.text
    assert owner.post(f"{BASE}/connections/{connection_id}/remove").status_code == 303
    assert "pdns" not in text_of(owner.get(f"{BASE}/connections").text).replace("files", "")


def test_discover_and_import_from_a_connection(team: Team, owner: Browser) -> None:  # noqa: F811
    (team.directory / "other.test.zone").write_text(team.zone_file().replace("example.test.", "other.test."))
    listing = owner.get(f"{BASE}/connections").text
    connection_id = re.findall(r'id="connection-(\d+)"', listing)[0]
    found = owner.get(f"{BASE}/connections/{connection_id}/zones")
    assert found.status_code == 200
    assert f'href="{BASE}/zones/{ZONE}">Open' in found.text
    imported = owner.post(f"{BASE}/connections/{connection_id}/import", {"name": "other.test"})
    assert imported.status_code == 303
    assert imported.headers["location"] == f"{BASE}/zones/other.test"
    assert "other.test" in owner.get(f"{BASE}").text


def test_a_plan_only_zone_from_a_file(team: Team, owner: Browser) -> None:  # noqa: F811
    text = team.zone_file().replace("example.test.", "filed.test.")
    made = owner.post(
        f"{BASE}/zones/new",
        {"name": "filed.test", "format": "bind"},
        files={"file": ("z", text.encode(), "text/plain")},
    )
    assert made.status_code == 303, made.text
    assert "plan only" in owner.get(made.headers["location"]).text
    wrong = owner.post(
        f"{BASE}/zones/new",
        {"name": "bad..name", "format": "bind"},
        files={"file": ("z", b"x", "text/plain")},
    )
    assert wrong.status_code == 422
    assert 'id="f-name-error"' in wrong.text


def test_members_tokens_policy_and_audit(team: Team, owner: Browser) -> None:  # noqa: F811
    members = owner.get(f"{BASE}/members")
    assert "viewer@example.com" in members.text
    invited = owner.post(f"{BASE}/members/invite", {"email": "new@example.com", "role": "editor"})
    assert "Invitation sent to new@example.com" in invited.text
    refused = owner.post(f"{BASE}/members/invite", {"email": "nope", "role": "editor"})
    assert refused.status_code == 422
    assert 'id="f-email-error"' in refused.text

    created = owner.post(f"{BASE}/tokens", {"name": "ci", "role": "viewer", "expires_days": "30"})
    secret = re.search(r'id="new-token" type="text" readonly value="([^"]+)"', created.text)
    assert secret
    again = owner.get(f"{BASE}/tokens").text
    assert "ci" in again
    assert secret.group(1) not in again
    token_id = re.findall(rf'action="{BASE}/tokens/(\d+)/revoke"', again)[-1]
    assert owner.post(f"{BASE}/tokens/{token_id}/revoke").status_code == 303
    assert "revoked" in owner.get(f"{BASE}/tokens").text

    saved = owner.post(
        f"{BASE}/policy", {"approvals_required": "2", "min_role": "admin", "protected_names": "@\n*.prod"}
    )
    assert "Policy saved." in saved.text
    assert "*.prod" in saved.text
    bad = owner.post(f"{BASE}/policy", {"approvals_required": "many", "min_role": "admin"})
    assert bad.status_code == 422

    audit = owner.get(f"{BASE}/audit", params={"action": "policy.", "verify": "1"})
    assert audit.status_code == 200
    assert "The chain verifies" in audit.text
    assert "<code>policy.update</code>" in audit.text
    assert "<code>zone.import</code>" not in audit.text


def test_the_account_page_lists_sessions_and_signs_one_out(
    team: Team,  # noqa: F811
    app: FastAPI,
    db: Session,
    settings: Settings,
) -> None:
    first = browser_for(app, db, settings, "author@example.com")
    second = browser_for(app, db, settings, "author@example.com")
    page = first.get("/account")
    assert "author@example.com" in page.text
    assert "(this one)" in page.text
    other = re.search(r'name="session" value="([0-9a-f]{64})"', page.text)
    assert other
    assert first.post("/account/sessions/sign-out", {"session": other.group(1)}).status_code == 303
    assert second.get("/account").status_code == 303  # that browser is signed out
    assert first.get("/account").status_code == 200
