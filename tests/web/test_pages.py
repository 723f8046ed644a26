"""The home page: the signed-in person's workspaces (and nobody else's), or the way to the sign-in page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.accounts import sessions, users, workspaces
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.web.deps import SESSION_COOKIE


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def test_an_anonymous_visitor_is_sent_to_sign_in(browser: TestClient) -> None:
    response = browser.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    page = browser.get("/sign-in")
    assert page.status_code == 200
    assert "Email me a sign-in link" in page.text
    assert "Continue with" not in page.text  # no provider configured
    assert "/static/dunops.css" in page.text
    assert browser.get("/static/dunops.css").status_code == 200


def test_home_lists_only_my_workspaces_escaped(browser: TestClient, db: Session, settings: Settings) -> None:
    me = users.create(db, "me@example.com")
    other = users.create(db, "other@example.com")
    workspaces.create(db, Principal(user=me), name="<b>Mine</b>")
    workspaces.create(db, Principal(user=other), name="Theirs")
    issued = sessions.start(db, settings, me)
    db.commit()
    browser.cookies.set(SESSION_COOKIE, issued.cookie_value, domain="testserver.local", path="/")

    page = browser.get("/")

    assert page.status_code == 200
    assert "&lt;b&gt;Mine&lt;/b&gt;" in page.text
    assert "<b>Mine</b>" not in page.text
    assert "<code>b-mine-b</code>" in page.text
    assert "Theirs" not in page.text
    assert issued.record.csrf_token in page.text  # the sign-out forms carry it
    assert browser.get("/sign-in").headers["location"] == "/"


def test_a_signed_in_person_without_workspaces_is_told_what_to_do(
    browser: TestClient, db: Session, settings: Settings
) -> None:
    issued = sessions.start(db, settings, users.create(db, "new@example.com"))
    db.commit()
    browser.cookies.set(SESSION_COOKIE, issued.cookie_value, domain="testserver.local", path="/")
    assert "not a member of any workspace yet" in browser.get("/").text
