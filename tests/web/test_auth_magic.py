"""Email sign-in links and the first-owner setup link, driven through the pages like a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dunops.accounts import magic_links, users
from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.notify.outbox import recent_mails
from dunops.storage.base import utcnow
from dunops.storage.models import AuditEvent, MagicLink, Membership, User, WebSession, Workspace
from dunops.web.deps import SESSION_COOKIE

LINK = re.compile(r"http://testserver(/auth/magic/[A-Za-z0-9_-]+)")


@pytest.fixture
def browser(app: FastAPI, settings: Settings) -> Iterator[TestClient]:
    queue_for(settings).immediate = True  # mail lands in the outbox as the request commits
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def rows(db: Session, statement: Any) -> list[Any]:
    found = list(db.scalars(statement))
    db.expunge_all()
    db.rollback()
    return found


def add_user(db: Session, email: str) -> User:
    user = users.create(db, email, "Ada")
    db.commit()
    return user


def form_token(page: Any) -> str:
    return str(re.search(r'name="form_token" value="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]


def request_link(browser: TestClient, email: str) -> Any:
    page = browser.get("/sign-in")
    return browser.post("/auth/magic", data={"email": email, "form_token": form_token(page)})


def mailed_link(settings: Settings, email: str) -> str:
    mails = [mail for mail in recent_mails(settings) if mail.to == email]
    assert mails, f"no mail to {email}"
    match = LINK.search(mails[0].body)
    assert match, mails[0].body
    return match.group(1)


def test_a_magic_link_signs_in_once(browser: TestClient, db: Session, settings: Settings) -> None:
    add_user(db, "ada@example.com")

    answer = request_link(browser, "ada@example.com")

    assert answer.status_code == 200
    assert "If an account exists for ada@example.com" in answer.text
    path = mailed_link(settings, "ada@example.com")
    (stored,) = rows(db, select(MagicLink))
    assert path.rsplit("/", 1)[1] not in stored.token_hash
    # Opening the link (as a mail scanner would) does not use it.
    for _ in range(2):
        page = browser.get(path)
        assert page.status_code == 200
        assert "Sign in" in page.text
    signed_in = browser.post(path, data={"form_token": form_token(page)})
    assert signed_in.status_code == 303
    assert "ada@example.com" in browser.get("/").text
    assert "auth.sign_in" in rows(db, select(AuditEvent.action))

    browser.cookies.delete(SESSION_COOKIE)
    again = browser.post(path, data={"form_token": form_token(page)})
    assert again.status_code == 401
    assert "already used" in again.text
    assert browser.get(path).status_code == 401


def test_an_expired_magic_link_is_refused(browser: TestClient, db: Session, settings: Settings) -> None:
    add_user(db, "ada@example.com")
    request_link(browser, "ada@example.com")
    path = mailed_link(settings, "ada@example.com")
    db.execute(update(MagicLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()

    page = browser.get(path)
    assert page.status_code == 401
    assert "expired" in page.text
    response = browser.post(path, data={"form_token": browser.cookies.get("dunops_form") or ""})
    assert response.status_code == 401
    assert SESSION_COOKIE not in browser.cookies


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    browser: TestClient, db: Session, settings: Settings
) -> None:
    add_user(db, "ada@example.com")
    known = request_link(browser, "ada@example.com")
    unknown = request_link(browser, "nobody@example.com")

    assert unknown.status_code == known.status_code == 200
    assert unknown.text.replace("nobody@example.com", "X") == known.text.replace("ada@example.com", "X")
    assert [mail.to for mail in recent_mails(settings)] == ["ada@example.com"]


def test_requests_per_address_are_rate_limited_whether_or_not_it_has_an_account(
    browser: TestClient, db: Session, settings: Settings
) -> None:
    add_user(db, "ada@example.com")
    for address in ("ada@example.com", "nobody@example.com"):
        for _ in range(settings.magic_link_per_hour):
            assert request_link(browser, address).status_code == 200
        limited = request_link(browser, address)
        assert limited.status_code == 429
        assert 3590 <= int(limited.headers["retry-after"]) <= 3600
        assert "Too many sign-in links were asked for this address from your network." in limited.text
        assert "Try again in 60 minutes." in limited.text
    assert request_link(browser, "other@example.com").status_code == 200


def test_a_suspended_user_gets_no_link_and_an_earlier_link_stops_working(
    browser: TestClient, db: Session, settings: Settings
) -> None:
    user = add_user(db, "ada@example.com")
    request_link(browser, "ada@example.com")
    path = mailed_link(settings, "ada@example.com")
    users.suspend(db, db.get(User, user.id))  # type: ignore[arg-type]
    db.commit()

    request_link(browser, "ada@example.com")
    assert len(recent_mails(settings)) == 1
    page = browser.get(path)
    response = browser.post(path, data={"form_token": form_token(page)})
    assert response.status_code == 401
    assert SESSION_COOKIE not in browser.cookies


def test_anonymous_forms_need_their_form_token(browser: TestClient, db: Session, settings: Settings) -> None:
    add_user(db, "ada@example.com")
    refused = browser.post("/auth/magic", data={"email": "ada@example.com"})
    assert refused.status_code == 403
    assert recent_mails(settings) == []

    request_link(browser, "ada@example.com")
    path = mailed_link(settings, "ada@example.com")
    browser.cookies.delete("dunops_form")  # a cross-site post carries no SameSite=Lax cookie
    assert browser.post(path, data={"form_token": "guessed"}).status_code == 403
    assert SESSION_COOKIE not in browser.cookies


def test_a_bad_address_is_a_422_naming_the_field(browser: TestClient) -> None:
    response = request_link(browser, "not an address")
    assert response.status_code == 422
    assert "is not an email address" in response.text
    assert 'aria-invalid="true"' in response.text


def test_a_magic_link_replaces_a_session_cookie_the_browser_brought(
    browser: TestClient, db: Session, settings: Settings
) -> None:
    add_user(db, "ada@example.com")
    browser.cookies.set(SESSION_COOKIE, "attacker-chosen", domain="testserver.local", path="/")
    request_link(browser, "ada@example.com")
    path = mailed_link(settings, "ada@example.com")
    browser.post(path, data={"form_token": form_token(browser.get(path))})
    assert browser.cookies.get(SESSION_COOKIE) not in (None, "attacker-chosen")
    assert len(rows(db, select(WebSession))) == 1


def first_owner_path(db: Session, settings: Settings) -> str:
    url = magic_links.issue_first_owner_link(db, settings)
    db.commit()
    assert url is not None
    return url.removeprefix(settings.public_url)


def test_the_first_owner_link_sets_up_the_account_and_a_workspace(
    browser: TestClient, db: Session, settings: Settings
) -> None:
    path = first_owner_path(db, settings)
    assert path.startswith("/auth/first-owner/")
    assert "Set up DunOps" in browser.get(path).text

    invalid = browser.post(path, data={"email": "nope", "name": "Ada", "workspace_name": ""})
    assert invalid.status_code == 422
    assert 'id="email-error"' in invalid.text
    assert 'id="workspace_name-error"' in invalid.text
    assert rows(db, select(User)) == []

    done = browser.post(
        path, data={"email": "Ada@Example.com", "name": "Ada", "workspace_name": "Ops <Team>"}
    )

    assert done.status_code == 303
    home = browser.get("/")
    assert "ada@example.com" in home.text
    assert "Ops &lt;Team&gt;" in home.text
    (workspace,) = rows(db, select(Workspace))
    (membership,) = rows(db, select(Membership))
    assert membership.role == "owner"
    assert membership.workspace_id == workspace.id

    browser.cookies.clear()
    assert browser.get(path).status_code == 401
    again = browser.post(path, data={"email": "eve@example.com", "name": "Eve", "workspace_name": "Evil"})
    assert again.status_code == 401
    assert len(rows(db, select(User))) == 1
    assert magic_links.issue_first_owner_link(db, settings) is None


def test_a_new_first_owner_link_invalidates_the_older_one(
    browser: TestClient, db: Session, settings: Settings
) -> None:
    older = first_owner_path(db, settings)
    newer = first_owner_path(db, settings)
    assert browser.get(older).status_code == 401
    assert browser.get(newer).status_code == 200
    db.execute(update(MagicLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert browser.get(newer).status_code == 401


def test_an_invited_person_without_an_account_signs_in_by_email_and_accepts(
    browser: TestClient, db: Session, settings: Settings
) -> None:
    from dunops.accounts import access, invitations, workspaces
    from dunops.accounts.permissions import Permission
    from dunops.accounts.principal import Principal
    from dunops.storage.models import Role

    owner = add_user(db, "owner@example.com")
    workspace = workspaces.create(db, Principal(user=owner), name="Platform")
    grant = access.resolve(db, Principal(user=owner), workspace.slug, Permission.MEMBERS_MANAGE)
    invitations.invite(db, settings, grant, "New.Person@Example.com", Role.EDITOR)
    db.commit()

    assert request_link(browser, "new.person@example.com").status_code in {200, 303}
    page = browser.get(mailed_link(settings, "new.person@example.com"))
    signed_in = browser.post(page.url.path, data={"form_token": form_token(page)})
    assert signed_in.status_code == 303
    assert [u.email for u in rows(db, select(User).where(User.email == "new.person@example.com"))] == [
        "new.person@example.com"
    ]

    # An address nobody invited still gets nothing, and no account appears for it.
    magic_links.request_sign_in(db, settings, "stranger@example.com")
    db.commit()
    assert not [mail for mail in recent_mails(settings) if mail.to == "stranger@example.com"]
    assert rows(db, select(User).where(User.email == "stranger@example.com")) == []
