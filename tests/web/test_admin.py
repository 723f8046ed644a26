"""The operators' pages: only platform admins see them; suspending a workspace or a user from there
ends their sessions and tokens at once, every API call then answers 403 naming the suspension, and
every action is audited."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts import sessions, users, workspaces
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.storage.models import AuditEvent, User
from dunops.web.deps import SESSION_COOKIE
from tests.zones.helpers import api_token, bearer, member


def _browser(app: FastAPI, db: Session, settings: Settings, user: User) -> tuple[TestClient, str]:
    issued = sessions.start(db, settings, user)
    db.commit()
    browser = TestClient(app, follow_redirects=False)
    browser.cookies.set(SESSION_COOKIE, issued.cookie_value)
    return browser, issued.record.csrf_token


@pytest.fixture
def operator(app: FastAPI, db: Session, settings: Settings) -> tuple[TestClient, str]:
    admin = users.create(db, "ops@example.com")
    admin.platform_admin = True
    return _browser(app, db, settings, admin)


def _actions(db: Session, action: str) -> list[int | None]:
    """Who did ``action``, by user id, as the audit trail recorded it."""
    db.rollback()
    found = list(db.scalars(select(AuditEvent.actor_user_id).where(AuditEvent.action == action)))
    db.rollback()  # no transaction left open for the app's writers
    return found


def test_suspending_a_workspace_refuses_every_call_into_it_naming_the_suspension(
    app: FastAPI, db: Session, settings: Settings, operator: tuple[TestClient, str]
) -> None:
    browser, csrf = operator
    owner, workspace = member(db, "acme", "owner@example.com")
    token = bearer(api_token(db, owner, workspace))
    db.commit()
    owner_browser, _ = _browser(app, db, settings, owner)
    assert owner_browser.get("/api/v1/workspaces/acme").status_code == 200

    done = browser.post(
        "/admin/workspaces/acme/suspend", data={"csrf_token": csrf, "reason": "unpaid <invoice>"}
    )
    assert done.status_code == 303

    overview = browser.get("/admin").text
    assert "unpaid &lt;invoice&gt;" in overview
    assert "<invoice>" not in overview
    for response in (
        owner_browser.get("/api/v1/workspaces/acme"),
        owner_browser.get("/api/v1/workspaces/acme/zones"),
        TestClient(app).get("/api/v1/workspaces/acme/zones", headers=token),
        TestClient(app).get("/api/v1/me", headers=token),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["title"] == "Suspended"
        assert "the workspace 'acme' is suspended: unpaid <invoice>" in response.json()["detail"]
    ops = users.require_by_email(db, "ops@example.com").id
    assert _actions(db, "workspace.suspend") == [ops]

    assert browser.post("/admin/workspaces/acme/unsuspend", data={"csrf_token": csrf}).status_code == 303
    assert TestClient(app).get("/api/v1/workspaces/acme/zones", headers=token).status_code == 200
    assert len(_actions(db, "workspace.unsuspend")) == 1


def test_suspending_a_user_ends_their_session_and_their_tokens_answer_403(
    app: FastAPI, db: Session, settings: Settings, operator: tuple[TestClient, str]
) -> None:
    browser, csrf = operator
    owner, workspace = member(db, "acme", "owner@example.com")
    token = bearer(api_token(db, owner, workspace))
    db.commit()
    owner_browser, _ = _browser(app, db, settings, owner)
    owner_id = owner.id

    assert (
        browser.post(
            f"/admin/users/{owner_id}/suspend", data={"csrf_token": csrf, "reason": "abuse"}
        ).status_code
        == 303
    )

    assert owner_browser.get("/api/v1/me").status_code == 401  # the session is gone
    refused = TestClient(app).get("/api/v1/workspaces", headers=token)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("the account owner@example.com is suspended: abuse")
    assert len(_actions(db, "user.suspend")) == 1

    assert browser.post(f"/admin/users/{owner_id}/unsuspend", data={"csrf_token": csrf}).status_code == 303
    assert TestClient(app).get("/api/v1/workspaces", headers=token).status_code == 200


def test_only_platform_admins_see_the_pages_and_every_action_needs_the_csrf_token(
    app: FastAPI, db: Session, settings: Settings, operator: tuple[TestClient, str]
) -> None:
    browser, _ = operator
    owner, _ = member(db, "acme", "owner@example.com")
    db.commit()
    member_browser, member_csrf = _browser(app, db, settings, owner)
    assert member_browser.get("/admin").status_code == 404
    assert (
        member_browser.post("/admin/workspaces/acme/suspend", data={"csrf_token": member_csrf}).status_code
        == 404
    )
    assert TestClient(app, follow_redirects=False).get("/admin").headers["location"] == "/sign-in?next=/admin"
    # nor can a member tell which user ids exist
    probes = [
        member_browser.post(f"/admin/users/{uid}/suspend", data={"csrf_token": member_csrf})
        for uid in (1, 9999)
    ]
    assert [probe.status_code for probe in probes] == [404, 404]
    assert probes[0].json() == probes[1].json()
    forged = browser.post("/admin/workspaces/acme/suspend", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert _actions(db, "workspace.suspend") == []


def test_the_overview_shows_usage_escaped(db: Session, operator: tuple[TestClient, str]) -> None:
    browser, _ = operator
    someone = users.create(db, "eve@example.com", "<i>Eve</i>")
    workspaces.create(db, Principal(user=someone), name="<script>alert(1)</script>")
    db.commit()
    page = browser.get("/admin").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page
    assert "&lt;i&gt;Eve&lt;/i&gt;" in page
