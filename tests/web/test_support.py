"""In-app support: members open tickets about their workspace (optionally about a zone or a change),
operators answer from /admin or the CLI, both sides are emailed, tickets stay inside their workspace,
and a data request is due in 30 days and handed to the privacy hook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts import sessions, support, users
from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.notify.outbox import recent_mails
from dunops.storage.base import utcnow
from dunops.storage.models import AuditEvent, DataRequest, SupportTicket
from dunops.web.deps import SESSION_COOKIE
from tests.cli.conftest import Invoke, cli  # noqa: F401
from tests.zones.helpers import ZONE_TEXT, api_token, bearer, member

TICKETS = "/api/v1/workspaces/acme/support/tickets"


@pytest.fixture
def mail_now(settings: Settings) -> Iterator[None]:
    queue = queue_for(settings)
    queue.immediate = True
    yield
    queue.immediate = False


@pytest.fixture
def people(db: Session, mail_now: None) -> dict[str, dict[str, str]]:
    owner, workspace = member(db, "acme", "owner@example.com")
    stranger, elsewhere = member(db, "other", "stranger@example.com")
    ops = users.create(db, "ops@example.com")
    ops.platform_admin = True
    headers = {
        "owner": bearer(api_token(db, owner, workspace)),
        "stranger": bearer(api_token(db, stranger, elsewhere)),
    }
    db.commit()
    return headers


def mails(settings: Settings, to: str) -> list[str]:
    return [f"{mail.subject}\n{mail.body}" for mail in recent_mails(settings, limit=100) if mail.to == to]


def test_a_member_opens_a_ticket_and_an_operator_answers_from_admin(
    app: FastAPI, client: TestClient, db: Session, settings: Settings, people: dict[str, dict[str, str]]
) -> None:
    zone = {"name": "example.test", "content": ZONE_TEXT}
    assert client.post("/api/v1/workspaces/acme/zones", json=zone, headers=people["owner"]).status_code == 201
    opened = client.post(
        TICKETS,
        json={
            "subject": "Why is <www> slow?",
            "message": "It times out.\nSince Monday.",
            "zone": "Example.Test.",
        },
        headers=people["owner"],
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert (ticket["status"], ticket["kind"], ticket["zone"], ticket["due_at"]) == (
        "open",
        "question",
        "example.test",
        None,
    )
    assert [m["body"] for m in ticket["messages"]] == ["It times out.\nSince Monday."]
    assert any("We received: Why is <www> slow?" in mail for mail in mails(settings, "owner@example.com"))
    assert any("New ticket: Why is <www> slow?" in mail for mail in mails(settings, "ops@example.com"))

    # another workspace's member can neither read nor list it
    assert client.get(f"{TICKETS}/{ticket['id']}", headers=people["stranger"]).status_code == 404
    assert client.get("/api/v1/workspaces/other/support/tickets", headers=people["stranger"]).json() == []

    ops = users.require_by_email(db, "ops@example.com")
    issued = sessions.start(db, settings, ops)
    db.commit()
    admin = TestClient(app, follow_redirects=False)
    admin.cookies.set(SESSION_COOKIE, issued.cookie_value)
    page = admin.get(f"/admin/tickets/{ticket['id']}")
    assert page.status_code == 200
    assert "Why is &lt;www&gt; slow?" in page.text
    assert "<www>" not in page.text
    assert "Why is &lt;www&gt; slow?" in admin.get("/admin/tickets?status=open").text
    forged = admin.post(f"/admin/tickets/{ticket['id']}/answer", data={"message": "x", "csrf_token": "no"})
    assert forged.status_code == 403
    answered = admin.post(
        f"/admin/tickets/{ticket['id']}/answer",
        data={"message": "Your TTL is 5 s; raise it.", "csrf_token": issued.record.csrf_token},
    )
    assert answered.status_code == 303

    seen = client.get(f"{TICKETS}/{ticket['id']}", headers=people["owner"]).json()
    assert seen["status"] == "answered"
    assert seen["messages"][-1] == {**seen["messages"][-1], "author": "DunOps support", "from_operator": True}
    assert any("Your TTL is 5 s; raise it." in mail for mail in mails(settings, "owner@example.com"))
    reply = client.post(
        f"{TICKETS}/{ticket['id']}/messages", json={"message": "Thanks!"}, headers=people["owner"]
    )
    assert reply.json()["status"] == "open"
    db.rollback()
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("support.%"))).all()
    db.rollback()
    assert sorted(actions) == ["support.answer", "support.open", "support.reply"]


def test_bad_tickets_are_refused_naming_each_field(
    client: TestClient, people: dict[str, dict[str, str]]
) -> None:
    refused = client.post(
        TICKETS,
        json={
            "subject": "two\nlines",
            "message": " ",
            "kind": "complaint",
            "zone": "nope.test",
            "change_id": 99,
        },
        headers=people["owner"],
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == [
        "subject",
        "message",
        "kind",
        "zone",
        "change_id",
    ]


def test_a_data_request_is_due_in_30_days_and_is_tracked_as_a_request_under_the_policy(
    client: TestClient, db: Session, people: dict[str, dict[str, str]]
) -> None:
    opened = client.post(
        TICKETS,
        json={"subject": "Export my data", "message": "Everything you hold on me.", "kind": "data_request"},
        headers=people["owner"],
    ).json()
    ticket = db.get(SupportTicket, opened["id"])
    assert ticket is not None
    tracked = db.scalars(select(DataRequest)).one()
    assert (tracked.channel, tracked.state, tracked.workspace_id) == ("support", "open", ticket.workspace_id)
    assert tracked.details == f"support ticket #{opened['id']}: Export my data"
    assert abs(tracked.due_at - (tracked.received_at + timedelta(days=30))) < timedelta(seconds=1)
    db.rollback()
    ticket = db.get(SupportTicket, opened["id"])
    assert ticket is not None
    assert ticket.due_at is not None
    assert abs(ticket.due_at - (ticket.created_at + timedelta(days=30))) < timedelta(seconds=1)
    assert [t.id for t in support.data_requests_due(db, utcnow() + timedelta(days=31))] == [opened["id"]]
    assert support.data_requests_due(db, utcnow() + timedelta(days=29)) == []
    assert support.export(db, ticket.workspace_id)[0]["messages"][0]["body"] == "Everything you hold on me."
    db.rollback()


def test_operators_list_show_and_answer_from_the_cli(
    client: TestClient,
    cli: Invoke,  # noqa: F811
    settings: Settings,
    people: dict[str, dict[str, str]],
) -> None:
    opened = client.post(
        TICKETS, json={"subject": "Help", "message": "Please."}, headers=people["owner"]
    ).json()
    listed = cli("support", "list", "--status", "open")
    assert listed.exit_code == 0, listed.output
    assert f"{opened['id']}\tacme\tquestion\topen\t-\tHelp" in listed.stdout
    assert "Please." in cli("support", "show", opened["id"]).stdout
    answered = cli("support", "answer", opened["id"], "--message", "Done.", "--close")
    assert answered.exit_code == 0, answered.output
    assert "closed" in answered.stdout
    assert client.get(f"{TICKETS}/{opened['id']}", headers=people["owner"]).json()["status"] == "closed"
    assert cli("support", "answer", 9999, "--message", "x").exit_code == 1


def test_a_member_opens_a_ticket_from_the_page(
    app: FastAPI, db: Session, settings: Settings, people: dict[str, dict[str, str]]
) -> None:
    owner = users.require_by_email(db, "owner@example.com")
    issued = sessions.start(db, settings, owner)
    db.commit()
    browser = TestClient(app, follow_redirects=False)
    browser.cookies.set(SESSION_COOKIE, issued.cookie_value)
    assert (
        browser.post("/support/acme", data={"subject": "x", "message": "y", "csrf_token": "no"}).status_code
        == 403
    )
    opened = browser.post(
        "/support/acme",
        data={"subject": "<b>Help</b>", "message": "Please.", "csrf_token": issued.record.csrf_token},
    )
    assert opened.status_code == 303
    page = browser.get(opened.headers["location"]).text
    assert "&lt;b&gt;Help&lt;/b&gt;" in page
    assert "<b>Help</b>" not in page
    assert "is open; we sent you a copy" in page
    assert browser.get("/support/other").status_code == 404
    assert any("We received: <b>Help</b>" in mail for mail in mails(settings, "owner@example.com"))
