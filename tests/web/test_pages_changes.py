"""Editing and reviewing in the browser: an RRset edit or an uploaded zone becomes a change request; its
page shows the plan, the risks to acknowledge, approvals and comments, and only the buttons the caller
may press; a viewer's forged posts are refused; whatever a person typed renders as text."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from dunops.config import Settings
from tests.web.pages_support import Browser, browser_for, text_of
from tests.workflow.support import SLUG, ZONE, Team, team  # noqa: F401

ZONE_PAGE = f"/w/{SLUG}/zones/{ZONE}"


@pytest.fixture
def people(team: Team, app: FastAPI, db: Session, settings: Settings) -> dict[str, Browser]:  # noqa: F811
    return {
        name: browser_for(app, db, settings, f"{name}@example.com")
        for name in ("owner", "author", "reviewer", "viewer")
    }


def _change_id(answer_location: str) -> int:
    found = re.fullmatch(rf"/w/{SLUG}/changes/(\d+)", answer_location)
    assert found, answer_location
    return int(found.group(1))


def test_an_edit_becomes_a_request_that_is_reviewed_applied_and_rolled_back(
    team: Team,  # noqa: F811
    people: dict[str, Browser],
) -> None:
    author, reviewer = people["author"], people["reviewer"]
    form = author.get(f"{ZONE_PAGE}/edit", params={"name": "mail", "type": "A"})
    assert form.status_code == 200
    assert "192.0.2.25" in form.text  # the RRset's values, ready to change
    proposed = author.post(
        f"{ZONE_PAGE}/changes", {"name": "mail", "type": "A", "values": "192.0.2.26\n", "submit": "1"}
    )
    assert proposed.status_code == 303
    change_id = _change_id(proposed.headers["location"])
    page = f"/w/{SLUG}/changes/{change_id}"

    mine = author.get(page).text
    assert "192.0.2.25" in mine
    assert "192.0.2.26" in mine
    assert "Approve this plan" not in mine  # an author never reviews their own request
    theirs = reviewer.get(page).text
    assert "Approve this plan" in theirs
    plan_hash = re.search(r'name="plan_hash" value="([0-9a-f]+)"', theirs)
    assert plan_hash
    approved = reviewer.post(f"{page}/approve", {"plan_hash": plan_hash.group(1), "comment": "fine"})
    assert approved.status_code == 303
    shown = text_of(author.get(page).text)
    assert "approved" in shown
    assert "reviewer@example.com" in shown
    assert plan_hash.group(1)[:12] in shown

    assert author.post(f"{page}/comments", {"body": "shipping it"}).status_code == 303
    assert "Apply to the provider" in author.get(page).text
    assert author.post(f"{page}/apply").status_code == 303
    polled = author.get(f"{page}/deployments")
    assert 'hx-trigger="every 2s"' in polled.text  # still moving: the page polls
    team.run_jobs()
    done = author.get(page).text
    assert "verified" in done
    assert "shipping it" in done
    assert 'hx-trigger="every 2s"' not in done
    assert "192.0.2.26" in team.zone_file()

    deployment = re.search(rf'action="/w/{SLUG}/deployments/(\d+)/rollback"', done)
    assert deployment
    rolled = author.post(f"/w/{SLUG}/deployments/{deployment.group(1)}/rollback")
    assert rolled.status_code == 303
    rollback_page = text_of(author.get(rolled.headers["location"]).text)
    assert f"rolls back deployment {deployment.group(1)}" in rollback_page
    assert "192.0.2.25" in rollback_page


def test_a_risk_must_be_acknowledged_and_the_problem_shows(team: Team, people: dict[str, Browser]) -> None:  # noqa: F811
    author, reviewer = people["author"], people["reviewer"]
    proposed = author.post(
        f"{ZONE_PAGE}/changes", {"name": "@", "type": "MX", "values": "20 mail", "submit": "1"}
    )
    page = proposed.headers["location"]
    theirs = reviewer.get(page).text
    assert 'name="acknowledge" value="mx:example.test."' in theirs
    plan_hash = re.search(r'name="plan_hash" value="([0-9a-f]+)"', theirs)
    assert plan_hash
    refused = reviewer.post(f"{page}/approve", {"plan_hash": plan_hash.group(1)})
    assert refused.status_code in {409, 422}
    assert "mx:example.test." in refused.text
    accepted = reviewer.post(
        f"{page}/approve", {"plan_hash": plan_hash.group(1), "acknowledge": "mx:example.test."}
    )
    assert accepted.status_code == 303


def test_a_bad_edit_is_shown_next_to_its_field(team: Team, people: dict[str, Browser]) -> None:  # noqa: F811
    answer = people["author"].post(
        f"{ZONE_PAGE}/changes", {"name": "web", "type": "A", "values": "not-an-ip"}
    )
    assert answer.status_code == 422
    assert 'id="f-values-error"' in answer.text
    assert 'value="web"' in answer.text  # what was typed is kept
    ttl = people["author"].post(
        f"{ZONE_PAGE}/changes", {"name": "web", "type": "A", "ttl": "soon", "values": "192.0.2.1"}
    )
    assert 'id="f-ttl-error"' in ttl.text


def test_an_uploaded_zone_becomes_a_draft(team: Team, people: dict[str, Browser]) -> None:  # noqa: F811
    desired = team.zone_file().replace("192.0.2.25", "192.0.2.27")
    answer = people["author"].post(
        f"/w/{SLUG}/upload",
        {"zone": ZONE, "format": "bind", "title": "From a file"},
        files={"file": ("example.test.zone", desired.encode(), "text/plain")},
    )
    assert answer.status_code == 303, answer.text
    page = text_of(people["author"].get(answer.headers["location"]).text)
    assert "From a file" in page
    assert "draft" in page
    assert "192.0.2.27" in page
    empty = people["author"].post(
        f"/w/{SLUG}/upload", {"zone": ZONE, "format": "bind"}, files={"file": ("x", b"", "text/plain")}
    )
    assert empty.status_code == 422
    assert 'id="f-file-error"' in empty.text


def test_a_viewer_sees_no_buttons_and_forged_posts_are_refused(
    team: Team,  # noqa: F811
    people: dict[str, Browser],
) -> None:
    change = team.create([{"action": "upsert", "name": "api", "type": "A", "values": ["192.0.2.9"]}])
    viewer = people["viewer"]
    zone_page = viewer.get(ZONE_PAGE).text
    assert "Add an RRset" not in zone_page
    assert "Sync from provider" not in zone_page
    assert ">Edit<" not in zone_page
    page = f"/w/{SLUG}/changes/{change['id']}"
    shown = viewer.get(page).text
    for button in ("Approve this plan", "Reject", "Apply to the provider", "Cancel this request", "Comment"):
        assert f">{button}</button>" not in shown
    plan_hash = change["current_revision"]["plan_hash"]
    for path, data in [
        (f"{page}/approve", {"plan_hash": plan_hash}),
        (f"{page}/reject", {}),
        (f"{page}/apply", {}),
        (f"{page}/cancel", {}),
        (f"{page}/comments", {"body": "hi"}),
        (f"{ZONE_PAGE}/changes", {"name": "x", "type": "A", "values": "192.0.2.1"}),
        (f"{ZONE_PAGE}/sync", {}),
    ]:
        refused = viewer.post(path, data)
        assert refused.status_code == 403, path
        assert "viewer may not" in refused.text
    assert viewer.get(f"{ZONE_PAGE}/edit").status_code == 403
    # without the session's CSRF token even the author's post is refused
    forged = people["author"].client.post(f"{page}/cancel", data={"csrf_token": "guess"})
    assert forged.status_code == 403
    assert team.show(change["id"])["state"] == "pending_review"


def test_names_and_values_render_as_text(team: Team, people: dict[str, Browser], db: Session) -> None:  # noqa: F811
    from dunops.storage.models import Workspace

    workspace = db.query(Workspace).filter_by(slug=SLUG).one()
    workspace.name = "<img src=x onerror=alert(1)>"
    db.commit()
    script = '"<script>alert(1)</script>"'
    proposed = people["author"].post(
        f"{ZONE_PAGE}/changes", {"name": "xss", "type": "TXT", "values": script, "title": "<b>bold</b>"}
    )
    assert proposed.status_code == 303, proposed.text
    page = people["reviewer"].get(proposed.headers["location"]).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in people["owner"].get(f"/w/{SLUG}").text
