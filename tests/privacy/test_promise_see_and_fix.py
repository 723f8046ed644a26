"""Promise: "You can ask to see, fix ... your data" — GET /api/v1/me shows everything held about you, and
PATCH /api/v1/me corrects your name at once and your email once the new address confirms it."""

from __future__ import annotations

import email
import email.policy
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts import sessions
from dunops.config import Settings
from dunops.storage.models import Identity, User
from tests.notify.conftest import SmtpServer
from tests.privacy.conftest import Doomed


def test_promise_you_can_see_and_fix_everything_held_about_you(
    doomed: Doomed, db: Session, settings: Settings, smtp_server: SmtpServer
) -> None:
    editor = db.scalars(select(User).where(User.email == "editor@example.com")).one()
    db.add(
        Identity(user_id=editor.id, provider="google", issuer="https://accounts.google.com", subject="1234")
    )
    issued = sessions.start(db, settings, editor, client_address="192.0.2.7", user_agent="Firefox")
    db.commit()
    browser = TestClient(doomed.client.app)
    browser.cookies.set("dunops_session", issued.cookie_value)
    csrf = {"X-CSRF-Token": issued.record.csrf_token}

    held = browser.get("/api/v1/me").json()
    assert held["email"] == "editor@example.com"
    assert [(i["provider"], i["subject"]) for i in held["identities"]] == [("google", "1234")]
    assert [(s["client_address"], s["user_agent"]) for s in held["sessions"]] == [("192.0.2.7", "Firefox")]
    assert [(m["workspace"], m["role"]) for m in held["memberships"]] == [(doomed.slug, "editor")]
    assert [(t["workspace"], t["role"]) for t in held["tokens"]] == [(doomed.slug, "editor")]
    shown = str(held)
    assert issued.cookie_value not in shown
    assert issued.record.csrf_token not in shown
    assert "token_hash" not in shown
    assert "id_hash" not in shown

    renamed = browser.patch("/api/v1/me", json={"name": "Eddie Editor"}, headers=csrf)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Eddie Editor"
    bad = browser.patch("/api/v1/me", json={"email": "not an address"}, headers=csrf)
    assert bad.status_code == 422
    taken = browser.patch("/api/v1/me", json={"email": "owner@example.com"}, headers=csrf)
    assert taken.status_code == 409

    asked = browser.patch("/api/v1/me", json={"email": "eddie@example.net"}, headers=csrf)
    assert asked.status_code == 200
    assert asked.json()["email"] == "editor@example.com"  # not before the new address confirms
    assert asked.json()["pending_email"] == "eddie@example.net"
    doomed.run_jobs()
    mails = [
        email.message_from_bytes(m.data, policy=email.policy.default)
        for m in smtp_server.handler.received
        if "eddie@example.net" in m.recipients
    ]
    assert len(mails) == 1
    text = mails[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"http://testserver(/api/v1/me/email/confirm/\S+)", text)
    assert link is not None
    assert browser.post("/api/v1/me/email/confirm/not-the-token").status_code == 404
    confirmed = browser.post(link.group(1))
    assert confirmed.status_code == 200, confirmed.text
    assert browser.get("/api/v1/me").json()["email"] == "eddie@example.net"
    assert browser.post(link.group(1)).status_code == 404  # used once
