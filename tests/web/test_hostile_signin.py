"""Hostile sign-in: flooding someone's address, telling accounts apart by time, tokens above the caller's
role, and where a sign-in leads afterwards. Mail is real: it lands in the outbox."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dunops.accounts import access, memberships, sessions, tokens, users, workspaces
from dunops.accounts.permissions import ACTIONS, Permission, allows, refusal
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.notify.outbox import recent_mails
from dunops.storage.models import Role
from dunops.web.app import create_app
from dunops.web.deps import SESSION_COOKIE

PER_HOUR = 2
LINK = re.compile(r"http://testserver(/auth/magic/[A-Za-z0-9_-]+)")
OWNER_CLIENT = "203.0.113.7"
ATTACKER_CLIENTS = [f"198.51.100.{n}" for n in range(1, 6)]
PAIRS = 60


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Two links an hour per client and address; so ten per client, and mail stops at six per address.
    The request rate limit is out of the way: these tests are about the link limits beneath it."""
    return settings.model_copy(
        update={"magic_link_per_hour": PER_HOUR, "rate_limit_sign_in": "100000/minute"}
    )


@pytest.fixture
def mail_now(settings: Settings) -> Iterator[None]:
    queue = queue_for(settings)
    queue.immediate = True  # mail lands in the outbox as the request commits
    yield
    queue.immediate = False


def browser_at(app: FastAPI, client_address: str) -> TestClient:
    return TestClient(app, client=(client_address, 50000), follow_redirects=False)


def hidden(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def ask_for_link(browser: TestClient, email: str) -> httpx.Response:
    page = browser.get("/sign-in")
    form = {"email": email, "form_token": hidden(page, "form_token"), "next": hidden(page, "next")}
    return browser.post("/auth/magic", data=form)


def mails_to(settings: Settings, email: str) -> list[str]:
    """The sign-in link paths mailed to ``email``, newest first."""
    found = [LINK.search(mail.body) for mail in recent_mails(settings, limit=500) if mail.to == email]
    return [match.group(1) for match in found if match]


def open_link(browser: TestClient, path: str) -> httpx.Response:
    page = browser.get(path)
    assert page.status_code == 200, page.text
    return browser.post(path, data={"form_token": hidden(page, "form_token")})


def sign_in_by_mail(browser: TestClient, settings: Settings, email: str) -> httpx.Response:
    assert ask_for_link(browser, email).status_code == 200
    return open_link(browser, mails_to(settings, email)[0])


@pytest.mark.usefixtures("mail_now")
def test_a_flood_for_someones_address_does_not_lock_them_out(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    users.create(db, "ada@example.com", "Ada")
    db.commit()
    owner = browser_at(app, OWNER_CLIENT)
    assert sign_in_by_mail(owner, settings, "ada@example.com").status_code == 303
    owner.cookies.clear()

    for address in ATTACKER_CLIENTS:
        attacker = browser_at(app, address)
        for _ in range(PER_HOUR):
            assert ask_for_link(attacker, "ada@example.com").status_code == 200
        refused = ask_for_link(attacker, "ada@example.com")
        assert refused.status_code == 429
        assert 0 < int(refused.headers["retry-after"]) <= 3600
        assert "Too many sign-in links were asked for this address from your network." in refused.text
    # Ten more requests from five places: mail stopped at the ceiling of six an hour.
    assert len(mails_to(settings, "ada@example.com")) == 3 * PER_HOUR

    # A place Ada never signed in from gets the same answer, and no mail while the flood lasts.
    stranger = browser_at(app, "192.0.2.200")
    assert ask_for_link(stranger, "ada@example.com").status_code == 200
    assert len(mails_to(settings, "ada@example.com")) == 3 * PER_HOUR

    # Ada's own client still gets its link, and it signs her in.
    signed_in = sign_in_by_mail(owner, settings, "ada@example.com")
    assert signed_in.status_code == 303
    assert "ada@example.com" in owner.get("/").text


@pytest.mark.usefixtures("mail_now")
def test_one_client_cannot_ask_for_links_without_end(app: FastAPI, settings: Settings) -> None:
    flooder = browser_at(app, ATTACKER_CLIENTS[0])
    for number in range(10 * PER_HOUR):
        assert ask_for_link(flooder, f"person{number}@example.com").status_code == 200
    refused = ask_for_link(flooder, "one-more@example.com")
    assert refused.status_code == 429
    assert "Too many sign-in links were asked from your network." in refused.text
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert ask_for_link(browser_at(app, OWNER_CLIENT), "one-more@example.com").status_code == 200


def test_known_and_unknown_addresses_get_the_same_answer_in_the_same_time(
    db: Session, settings: Settings, engine: Engine
) -> None:
    """Requests go in pairs, in alternating order, and the typical difference within a pair is compared:
    load on the machine slows both of a pair alike, so it cancels out instead of failing the test."""
    users.create(db, "ada@example.com", "Ada")
    db.commit()
    roomy = settings.model_copy(update={"magic_link_per_hour": 10 * PAIRS})
    browser = browser_at(create_app(roomy, engine=engine), OWNER_CLIENT)
    form_token = hidden(browser.get("/sign-in"), "form_token")
    answers: dict[str, set[str]] = {"ada@example.com": set(), "nobody@example.com": set()}

    def seconds_for(email: str) -> float:
        started = time.perf_counter()
        answer = browser.post("/auth/magic", data={"email": email, "form_token": form_token})
        elapsed = time.perf_counter() - started
        assert answer.status_code == 200
        answers[email].add(answer.text.replace(email, "ADDRESS"))
        return elapsed

    for _ in range(3):  # warm up both paths
        seconds_for("ada@example.com")
        seconds_for("nobody@example.com")
    differences = []
    for pair in range(PAIRS):
        if pair % 2:
            unknown = seconds_for("nobody@example.com")
            known = seconds_for("ada@example.com")
        else:
            known = seconds_for("ada@example.com")
            unknown = seconds_for("nobody@example.com")
        differences.append(known - unknown)

    assert answers["ada@example.com"] == answers["nobody@example.com"]
    typical = statistics.median(differences)
    assert abs(typical) < 0.003, f"a known address answers {typical * 1000:+.1f} ms later than an unknown one"
    queue_for(roomy).run_pending()
    assert {mail.to for mail in recent_mails(roomy, limit=200)} == {"ada@example.com"}


def _member(db: Session, owner: Principal, email: str, role: Role) -> Principal:
    user = users.create(db, email)
    memberships.add(db, access.resolve(db, owner, "acme", Permission.MEMBERS_MANAGE), email, role)
    return Principal(user=user)


def _session(db: Session, settings: Settings, client: TestClient, principal: Principal) -> dict[str, str]:
    issued = sessions.start(db, settings, principal.user)
    db.commit()
    client.cookies.set(SESSION_COOKIE, issued.cookie_value)
    return {"X-CSRF-Token": issued.record.csrf_token}


def _token(db: Session, principal: Principal, role: Role) -> tuple[int, dict[str, str]]:
    issued = tokens.create(db, access.resolve(db, principal, "acme", Permission.TOKENS_MANAGE), role=role)
    db.commit()
    return issued.record.id, {"Authorization": f"Bearer {issued.secret}"}


@pytest.fixture
def owner(db: Session) -> Principal:
    principal = Principal(user=users.create(db, "owner@example.com"))
    workspaces.create(db, principal, "Acme")
    db.commit()
    return principal


def test_an_admin_cannot_revoke_the_owners_token(
    client: TestClient, db: Session, settings: Settings, owner: Principal
) -> None:
    admin = _member(db, owner, "admin@example.com", Role.ADMIN)
    editor = _member(db, owner, "editor@example.com", Role.EDITOR)
    owners_token, owner_bearer = _token(db, owner, Role.OWNER)
    editors_token, editor_bearer = _token(db, editor, Role.EDITOR)
    csrf = _session(db, settings, client, admin)

    refused = client.delete(f"/api/v1/workspaces/acme/tokens/{owners_token}", headers=csrf)

    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "This token belongs to an owner of the workspace, whose role is above yours; "
        "an admin may not manage their tokens."
    )
    bearer = TestClient(client.app)
    assert bearer.get("/api/v1/workspaces/acme", headers=owner_bearer).status_code == 200
    listed = {item["id"] for item in client.get("/api/v1/workspaces/acme/tokens").json()}
    assert listed == {editors_token}
    assert client.delete(f"/api/v1/workspaces/acme/tokens/{editors_token}", headers=csrf).status_code == 204
    assert bearer.get("/api/v1/workspaces/acme", headers=editor_bearer).status_code == 401


def test_a_viewer_creates_and_revokes_a_read_only_token_for_themselves(
    client: TestClient, db: Session, settings: Settings, owner: Principal
) -> None:
    viewer = _member(db, owner, "viewer@example.com", Role.VIEWER)
    csrf = _session(db, settings, client, viewer)

    created = client.post(
        "/api/v1/workspaces/acme/tokens", json={"name": "laptop", "role": "viewer"}, headers=csrf
    )

    assert created.status_code == 201, created.text
    bearer = TestClient(client.app)
    headers = {"Authorization": f"Bearer {created.json()['token']}"}
    assert bearer.get("/api/v1/workspaces/acme", headers=headers).status_code == 200
    renamed = bearer.patch("/api/v1/workspaces/acme", json={"name": "Mine"}, headers=headers)
    assert renamed.status_code == 403
    assert renamed.json()["detail"] == "A viewer may not change the workspace's settings."
    assert [item["name"] for item in client.get("/api/v1/workspaces/acme/tokens").json()] == ["laptop"]
    revoked = client.delete(f"/api/v1/workspaces/acme/tokens/{created.json()['id']}", headers=csrf)
    assert revoked.status_code == 204
    assert bearer.get("/api/v1/workspaces/acme", headers=headers).status_code == 401


def test_a_viewer_cannot_create_an_editor_token_nor_touch_others_tokens(
    client: TestClient, db: Session, settings: Settings, owner: Principal
) -> None:
    viewer = _member(db, owner, "viewer@example.com", Role.VIEWER)
    owners_token, owner_bearer = _token(db, owner, Role.VIEWER)
    csrf = _session(db, settings, client, viewer)

    higher = client.post("/api/v1/workspaces/acme/tokens", json={"role": "editor"}, headers=csrf)
    assert higher.status_code == 403
    assert higher.json()["detail"] == (
        "A token cannot have a higher role than yours: you are a viewer, the token asks for editor."
    )
    others = client.delete(f"/api/v1/workspaces/acme/tokens/{owners_token}", headers=csrf)
    assert others.status_code == 403
    assert others.json()["detail"] == "A viewer may not manage other members' tokens."
    assert client.get("/api/v1/workspaces/acme/tokens").json() == []
    assert TestClient(client.app).get("/api/v1/me", headers=owner_bearer).status_code == 200


def test_every_permission_refusal_is_a_sentence() -> None:
    refused = [
        (role, permission) for role in Role for permission in Permission if not allows(role, permission)
    ]
    assert {role for role, _ in refused} == {Role.ADMIN, Role.EDITOR, Role.VIEWER}
    for role, permission in refused:
        sentence = refusal(role, permission)
        assert re.fullmatch(rf"An? {role} may not [a-z][a-z ,']+\.", sentence), sentence
        assert sentence.startswith(
            {Role.ADMIN: "An admin", Role.EDITOR: "An editor", Role.VIEWER: "A viewer"}[role]
        )
        assert ACTIONS[permission] in sentence


@pytest.mark.usefixtures("mail_now")
def test_an_invitation_survives_signing_in_by_email(
    app: FastAPI, db: Session, settings: Settings, owner: Principal
) -> None:
    owner_bearer = _token(db, owner, Role.OWNER)[1]
    browser = browser_at(app, OWNER_CLIENT)
    invited = browser.post(
        "/api/v1/workspaces/acme/invitations",
        json={"email": "new.person@example.com", "role": "editor"},
        headers=owner_bearer,
    )
    assert invited.status_code == 201, invited.text
    invitation_mail = recent_mails(settings)[0]
    found = re.search(r"http://testserver(/invitations/[A-Za-z0-9_-]+)", invitation_mail.body)
    assert found is not None
    invitation = found.group(1)

    landing = browser.get(invitation)
    sign_in_link = re.search(r'href="(/sign-in\?next=[^"]+)"', landing.text)
    assert sign_in_link is not None
    page = browser.get(sign_in_link.group(1))
    assert hidden(page, "next") == invitation
    asked = browser.post(
        "/auth/magic",
        data={
            "email": "new.person@example.com",
            "form_token": hidden(page, "form_token"),
            "next": hidden(page, "next"),
        },
    )
    assert asked.status_code == 200
    signed_in = open_link(browser, mails_to(settings, "new.person@example.com")[0])

    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == invitation
    offer = browser.get(invitation)
    assert "Accept and join as new.person@example.com" in offer.text
    joined = browser.post(invitation, data={"csrf_token": hidden(offer, "csrf_token")})
    assert joined.status_code == 200
    assert "You joined" in joined.text
    listed = browser.get("/api/v1/workspaces/acme/members", headers=owner_bearer).json()
    assert {item["email"]: item["role"] for item in listed}["new.person@example.com"] == "editor"


@pytest.mark.usefixtures("mail_now")
@pytest.mark.parametrize("elsewhere", ["https://evil.example", "//evil.example/x", "/\\evil.example"])
def test_a_next_address_on_another_site_is_ignored(
    app: FastAPI, db: Session, settings: Settings, elsewhere: str
) -> None:
    users.create(db, "ada@example.com")
    db.commit()
    browser = browser_at(app, OWNER_CLIENT)
    page = browser.get(f"/sign-in?next={quote(elsewhere, safe='')}")
    assert hidden(page, "next") == "/"
    asked = browser.post(
        "/auth/magic",
        data={"email": "ada@example.com", "form_token": hidden(page, "form_token"), "next": elsewhere},
    )
    assert asked.status_code == 200
    signed_in = open_link(browser, mails_to(settings, "ada@example.com")[0])
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/"


def test_the_sign_in_page_says_where_mail_goes_in_development(
    settings: Settings, engine: Engine, client: TestClient
) -> None:
    hint = "In development, mail is written to the outbox: run <code>dunops outbox</code>"
    assert hint in client.get("/sign-in").text
    with_smtp = settings.model_copy(update={"smtp_host": "mail.example.com"})
    assert hint not in TestClient(create_app(with_smtp, engine=engine)).get("/sign-in").text
    production = settings.model_copy(update={"environment": "production"})
    assert hint not in TestClient(create_app(production, engine=engine)).get("/sign-in").text
