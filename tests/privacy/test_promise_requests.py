"""Promise: "You can ask to see, fix, export, or delete your data. We'll respond within 30 days" — data
requests are recorded with their due date, listed for operators (overdue ones flagged), operators are
mailed 7 days before one is due, and what people do themselves is recorded as completed."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from dunops.accounts import sessions
from dunops.config import Settings
from dunops.jobs import JobContext, queue_for
from dunops.privacy import requests
from dunops.storage.base import utcnow
from dunops.storage.models import DataRequest, Role
from tests.cli.conftest import Invoke
from tests.notify.conftest import SmtpServer
from tests.zones.helpers import api_token, bearer, member


def test_promise_data_requests_are_answered_within_30_days(
    client: TestClient, db: Session, settings: Settings, cli: Invoke, smtp_server: SmtpServer
) -> None:
    owner, workspace = member(db, "acme", "owner@example.com", Role.OWNER)
    editor, _ = member(db, "acme", "editor@example.com", Role.EDITOR)
    owner_headers = bearer(api_token(db, owner, workspace))
    editor_headers = bearer(api_token(db, editor, workspace, Role.EDITOR))
    issued = sessions.start(db, settings, editor)
    db.commit()

    # Filed through in-app support by the person, and by a workspace admin for a member.
    own = client.post(
        "/api/v1/me/requests", json={"kind": "access", "details": "What do you hold?"}, headers=editor_headers
    )
    assert own.status_code == 201, own.text
    body = own.json()
    assert (body["kind"], body["state"], body["channel"]) == ("access", "open", "support")
    assert body["due_at"][:10] == (utcnow() + timedelta(days=30)).date().isoformat()
    for_member = client.post(
        "/api/v1/workspaces/acme/requests",
        json={"kind": "deletion", "email": "editor@example.com"},
        headers=owner_headers,
    )
    assert for_member.status_code == 201, for_member.text
    assert for_member.json()["channel"] == "workspace-admin"
    # Only admins file for others, only for members, only for the four kinds.
    refused = client.post(
        "/api/v1/workspaces/acme/requests",
        json={"kind": "access", "email": "owner@example.com"},
        headers=editor_headers,
    )
    assert refused.status_code == 403
    stranger = client.post(
        "/api/v1/workspaces/acme/requests",
        json={"kind": "access", "email": "nobody@example.com"},
        headers=owner_headers,
    )
    assert stranger.status_code == 404
    wrong = client.post("/api/v1/me/requests", json={"kind": "gossip"}, headers=editor_headers)
    assert wrong.status_code == 422
    assert "kind" in wrong.text

    # What the person does themselves is recorded as completed at once.
    browser = TestClient(client.app)
    browser.cookies.set("dunops_session", issued.cookie_value)
    csrf = {"X-CSRF-Token": issued.record.csrf_token}
    assert browser.patch("/api/v1/me", json={"name": "Ed"}, headers=csrf).status_code == 200
    assert browser.post("/api/v1/me/exports", headers=csrf).status_code == 202
    mine = client.get("/api/v1/me/requests", headers=editor_headers).json()
    assert {(r["kind"], r["state"], r["channel"]) for r in mine} == {
        ("access", "open", "support"),
        ("deletion", "open", "workspace-admin"),
        ("correction", "completed", "self-service"),
        ("export", "completed", "self-service"),
    }
    assert all(r["completed_at"] for r in mine if r["state"] == "completed")

    # Operators see the open ones; none is overdue yet.
    listed = cli("requests", "list")
    assert listed.exit_code == 0, listed.output
    assert [line.split("\t")[1] for line in listed.output.splitlines()] == ["access", "deletion"]
    assert cli("requests", "list", "--overdue").output == "no overdue requests\n"
    db.execute(
        update(DataRequest).where(DataRequest.id == body["id"]).values(due_at=utcnow() - timedelta(days=1))
    )
    db.commit()
    overdue = cli("requests", "list", "--overdue")
    assert overdue.output.startswith(f"{body['id']}\taccess\tsupport\tuser {editor.id}")
    assert "OVERDUE" in overdue.output

    # The daily job mails the operators once about requests due within 7 days.
    db.execute(
        update(DataRequest)
        .where(DataRequest.id == for_member.json()["id"])
        .values(due_at=utcnow() + timedelta(days=6))
    )
    db.commit()
    operated = settings.model_copy(update={"operator_emails": ["privacy@example.com"]})
    requests.remind_requests(JobContext(operated))
    requests.remind_requests(JobContext(operated))
    queue_for(settings).run_pending(wait=5)
    reminders = [m for m in smtp_server.handler.received if m.recipients == ["privacy@example.com"]]
    assert len(reminders) == 1
    text = reminders[0].data.decode()
    assert f"request {body['id']}: access" in text
    assert f"request {for_member.json()['id']}: deletion" in text

    completed = cli("requests", "complete", body["id"])
    assert completed.exit_code == 0, completed.output
    assert cli("requests", "list", "--overdue").output == "no overdue requests\n"
