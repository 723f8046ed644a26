"""The policy's independent review, the account page (profile, new email, mail settings, export, data
requests, deletion), the policy-notice banner on every page, and deleting a workspace: from forms."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.privacy import legal
from dunops.security.tokens import digest
from dunops.storage.base import utcnow
from dunops.storage.models import ApprovalPolicy, EmailChange, NotificationMute, User, Workspace
from tests.web.pages_support import Browser, browser_for, text_of
from tests.workflow.support import SLUG, ZONE, Team, team  # noqa: F401

BASE = f"/w/{SLUG}"


@pytest.fixture
def owner(team: Team, app: FastAPI, db: Session, settings: Settings) -> Browser:  # noqa: F811
    return browser_for(app, db, settings, "owner@example.com")


@pytest.fixture
def viewer(team: Team, app: FastAPI, db: Session, settings: Settings) -> Browser:  # noqa: F811
    return browser_for(app, db, settings, "viewer@example.com")


def test_independent_review_is_shown_and_saved_and_a_zone_is_edited_from_its_own_policy(
    owner: Browser, db: Session
) -> None:
    page = owner.get(f"{BASE}/policy")
    assert "always independent" not in page.text
    assert 'name="independent_review"' in page.text
    saved = owner.post(
        f"{BASE}/policy", {"approvals_required": "1", "min_role": "editor", "independent_review": "1"}
    )
    assert saved.status_code == 200
    assert re.search(r"every zone \(default\).*?<td>yes</td>", saved.text, re.S)
    zone = owner.post(
        f"{BASE}/policy",
        {"zone": ZONE, "approvals_required": "3", "min_role": "admin", "protected_names": "www"},
    )
    assert zone.status_code == 200
    rows = db.scalars(select(ApprovalPolicy).order_by(ApprovalPolicy.id)).all()
    assert [row.independent_review for row in rows] == [True, False]  # unchecked: off for the zone
    db.rollback()
    editing = owner.get(f"{BASE}/policy", params={"zone": ZONE})
    assert f'name="zone" type="text" autocomplete="off"\n    value="{ZONE}"' in editing.text
    assert 'name="approvals_required" type="text" autocomplete="off"\n    value="3"' in editing.text
    assert "<option selected>admin</option>" in editing.text
    assert ">www</textarea>" in editing.text
    assert re.search(r'name="independent_review" value="1">', editing.text)  # not checked
    default = owner.get(f"{BASE}/policy")
    assert re.search(r'name="independent_review" value="1" checked>', default.text)


def test_a_viewer_sees_the_policy_without_its_form(viewer: Browser) -> None:
    page = viewer.get(f"{BASE}/policy")
    assert page.status_code == 200
    assert 'name="independent_review"' not in page.text
    assert viewer.post(f"{BASE}/policy", {"independent_review": "1"}).status_code == 403


def test_profile_name_and_a_new_email_confirmed_from_its_page(
    owner: Browser, app: FastAPI, db: Session
) -> None:
    renamed = owner.post("/account/profile", {"name": "Olga <b>Owner</b>", "email": ""})
    assert renamed.status_code == 200
    assert "Olga &lt;b&gt;Owner&lt;/b&gt;" in renamed.text
    taken = owner.post("/account/profile", {"name": "Olga", "email": "viewer@example.com"})
    assert taken.status_code == 422
    assert re.search(r'id="f-email-error" class="error" role="alert">is taken', taken.text)
    asked = owner.post("/account/profile", {"name": "Olga", "email": "olga@example.net"})
    assert asked.status_code == 200
    assert "Waiting for confirmation" in asked.text
    assert "olga@example.net" in asked.text
    assert "owner@example.com" in text_of(asked.text)  # not changed before the link is followed

    # the mailed link: only its digest is stored, so put in one whose token the test knows
    user = db.scalars(select(User).where(User.email == "owner@example.com")).one()
    db.add(
        EmailChange(
            token_hash=digest("t" * 40),
            user_id=user.id,
            new_email="olga@example.net",
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    db.commit()
    stranger = TestClient(app, follow_redirects=False)  # the link works in any browser
    form = stranger.get("/account/email/confirm/" + "t" * 40)
    assert form.status_code == 200
    assert "olga@example.net" not in form.text
    form_token = re.search(r'name="form_token" value="([^"]+)"', form.text)
    assert form_token is not None
    refused = stranger.post("/account/email/confirm/" + "t" * 40, data={"form_token": "forged"})
    assert refused.status_code == 403
    done = stranger.post("/account/email/confirm/" + "t" * 40, data={"form_token": form_token.group(1)})
    assert done.status_code == 200, done.text
    assert "olga@example.net" in done.text
    assert "<dt>Email</dt><dd>olga@example.net</dd>" in owner.get("/account").text
    again = stranger.post("/account/email/confirm/" + "t" * 40, data={"form_token": form_token.group(1)})
    assert again.status_code == 404


def test_muting_change_mail_per_workspace(owner: Browser, db: Session) -> None:
    page = owner.get("/account")
    assert f'action="/account/notifications/{SLUG}/mute"' in page.text
    assert owner.post(f"/account/notifications/{SLUG}/mute").status_code == 303
    assert db.scalars(select(NotificationMute)).all()
    db.rollback()
    page = owner.get("/account")
    assert f'action="/account/notifications/{SLUG}/unmute"' in page.text
    assert owner.post(f"/account/notifications/{SLUG}/unmute").status_code == 303
    assert not db.scalars(select(NotificationMute)).all()
    db.rollback()
    assert owner.post("/account/notifications/nowhere/mute").status_code == 404


def test_exporting_my_data_shows_its_state_then_a_download(owner: Browser, settings: Settings) -> None:
    assert owner.post("/account/exports").status_code == 303
    page = owner.get("/account")
    assert re.search(r"Export \d+, asked", page.text)
    assert "Download" not in page.text or "state-ready" in page.text
    queue_for(settings).run_pending(wait=5)
    ready = owner.get("/account")
    link = re.search(r'href="(/api/v1/me/exports/\d+/download)">Download', ready.text)
    assert link is not None, ready.text
    download = owner.get(link.group(1))
    assert download.status_code == 200
    assert download.content[:2] == b"PK"


def test_data_requests_are_filed_and_listed(owner: Browser) -> None:
    bad = owner.post("/account/requests", {"kind": "everything", "details": ""})
    assert bad.status_code == 422
    assert 'class="error" role="alert"' in bad.text
    filed = owner.post("/account/requests", {"kind": "access", "details": "what logs do you keep?"})
    assert filed.status_code == 200
    assert "we answer within 30 days" in filed.text
    assert re.search(r"<td>access</td><td><span class=\"state state-open\">open</span>", filed.text)


def test_deleting_my_account_needs_my_email_and_refuses_the_last_owner(
    owner: Browser, viewer: Browser
) -> None:
    wrong = owner.post("/account/delete", {"confirm_email": "someone@example.com"})
    assert wrong.status_code == 422
    assert 'id="f-confirm_email-error"' in wrong.text
    refused = owner.post("/account/delete", {"confirm_email": "OWNER@example.com"})
    assert refused.status_code == 409
    assert "last owner of &#39;acme&#39;" in refused.text
    assert owner.get("/account").status_code == 200
    gone = viewer.post("/account/delete", {"confirm_email": "viewer@example.com"})
    assert gone.status_code == 200
    assert "Account deleted" in gone.text
    assert viewer.get("/account").status_code == 303  # signed out


def test_a_policy_notice_shows_on_every_page_until_acknowledged(
    owner: Browser, db: Session, settings: Settings
) -> None:
    legal.publish(db, settings, "privacy", summary="We keep <logs> for 30 days.", material=True)
    db.commit()
    for path in ("/", "/account", f"{BASE}/members", f"{BASE}/policy"):
        page = owner.get(path)
        assert "We keep &lt;logs&gt; for 30 days." in page.text, path
    notice = re.search(r'action="/legal/notices/(\d+)/acknowledge"', page.text)
    assert notice is not None
    back = owner.post(f"/legal/notices/{notice.group(1)}/acknowledge", {"next": f"{BASE}/policy"})
    assert back.status_code == 303
    assert back.headers["location"] == f"{BASE}/policy"
    assert "We keep" not in owner.get(f"{BASE}/members").text
    elsewhere = owner.post(f"/legal/notices/{notice.group(1)}/acknowledge", {"next": "//evil.example"})
    assert elsewhere.headers["location"] == "/"


def test_support_link_and_deleting_a_workspace_by_typing_its_slug(
    owner: Browser, viewer: Browser, db: Session
) -> None:
    page = owner.get(BASE)
    assert f'href="/support/{SLUG}"' in page.text
    assert f'href="{BASE}/settings"' in page.text
    seen = viewer.get(BASE)
    assert f'href="/support/{SLUG}"' in seen.text
    assert f'href="{BASE}/settings"' not in seen.text
    assert viewer.get(f"{BASE}/settings").status_code == 403
    assert viewer.post(f"{BASE}/delete", {"confirm_slug": SLUG}).status_code == 403
    settings_page = owner.get(f"{BASE}/settings")
    assert 'label for="f-confirm_slug"' in settings_page.text
    wrong = owner.post(f"{BASE}/delete", {"confirm_slug": "acme-typo"})
    assert wrong.status_code == 422
    assert 'id="f-confirm_slug-error"' in wrong.text
    deleted = owner.post(f"{BASE}/delete", {"confirm_slug": SLUG})
    assert deleted.status_code == 200
    assert "Workspace deleted" in deleted.text
    assert db.scalars(select(Workspace.status).where(Workspace.slug == SLUG)).one() != "active"
    db.rollback()
    assert owner.get(BASE).status_code in (403, 404)
