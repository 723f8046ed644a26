"""The workspace overview and zone pages: records filtered and paged on the server, versions and their
diff, export, sync with drift, and the empty state that says how to start."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.storage.models import Role
from tests.web.pages_support import Browser, browser_for, text_of
from tests.workflow.support import SLUG, ZONE, Team, team  # noqa: F401
from tests.zones.helpers import member

ZONE_PAGE = f"/w/{SLUG}/zones/{ZONE}"


@pytest.fixture
def owner(team: Team, app: FastAPI, db: Session, settings: Settings) -> Browser:  # noqa: F811
    return browser_for(app, db, settings, "owner@example.com")


def test_the_overview_lists_zones_with_counts_sync_and_open_requests(team: Team, owner: Browser) -> None:  # noqa: F811
    team.create([{"action": "upsert", "name": "api", "type": "A", "values": ["192.0.2.9"]}], title="Add api")
    page = owner.get(f"/w/{SLUG}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert ZONE in text
    assert "Add api" in text
    assert "pending review" in text
    assert f'href="/w/{SLUG}/zones/{ZONE}"' in page.text
    assert "Nothing deployed yet." in text
    # the home page links to the workspace
    assert f'href="/w/{SLUG}"' in owner.get("/").text


def test_a_new_workspace_says_how_to_start(app: FastAPI, db: Session, settings: Settings) -> None:
    member(db, "fresh", "new@example.com", Role.OWNER)
    db.commit()
    page = browser_for(app, db, settings, "new@example.com").get("/w/fresh")
    assert "Connect a DNS provider" in page.text
    assert "Upload a zone file" in page.text


def test_records_are_filtered_and_paged_on_the_server(team: Team, owner: Browser) -> None:  # noqa: F811
    page = owner.get(ZONE_PAGE)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "192.0.2.25" in text
    assert "10 mail.example.test." in text
    filtered = text_of(owner.get(ZONE_PAGE, params={"type": "a"}).text)
    assert "192.0.2.25" in filtered
    assert "10 mail.example.test." not in filtered
    by_value = text_of(owner.get(ZONE_PAGE, params={"contains": "mail"}).text)
    assert "10 mail.example.test." in by_value
    assert "192.0.2.1 " not in by_value
    assert "No RRsets match this filter." in owner.get(ZONE_PAGE, params={"name": "nothing"}).text
    bad = owner.get(ZONE_PAGE, params={"name": "a..b"})
    assert bad.status_code == 422
    assert 'id="f-name-error"' in bad.text  # the problem sits next to its field


def test_records_page_through_a_cursor(team: Team, owner: Browser) -> None:  # noqa: F811
    edits = [
        {"action": "upsert", "name": f"h{n:03}", "type": "A", "values": ["192.0.2.7"]} for n in range(120)
    ]
    change = team.create(edits)
    assert team.approve(change).status_code == 200
    assert team.post(team.author, f"/changes/{change['id']}/apply").status_code == 202
    team.run_jobs()
    first = owner.get(ZONE_PAGE)
    assert first.text.count("<tr>") == 1 + 100 + 3  # the head, a page of records, three versions shown
    assert 'rel="next"' in first.text
    next_link = first.text.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = owner.get(next_link)
    assert second.status_code == 200
    assert "First page" in second.text
    assert 'rel="next"' not in second.text


def test_versions_diff_and_export(team: Team, owner: Browser) -> None:  # noqa: F811
    change = team.create([{"action": "upsert", "name": "mail", "type": "A", "values": ["192.0.2.26"]}])
    team.approve(change)
    team.post(team.author, f"/changes/{change['id']}/apply")
    team.run_jobs()
    page = owner.get(ZONE_PAGE)
    assert "deployment" in text_of(page.text)
    assert "import" in text_of(page.text)
    diff = owner.get(f"{ZONE_PAGE}/diff", params={"older": 1, "newer": 2})
    assert diff.status_code == 200
    text = text_of(diff.text)
    assert "update" in text
    assert "192.0.2.25" in text
    assert "192.0.2.26" in text
    exported = owner.get(f"{ZONE_PAGE}/export", params={"format": "octodns"})
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    assert "192.0.2.26" in exported.text
    assert owner.get(f"{ZONE_PAGE}/export", params={"format": "nope"}).status_code == 422


def test_sync_shows_drift_made_outside(team: Team, owner: Browser) -> None:  # noqa: F811
    (team.directory / f"{ZONE}.zone").write_text(team.zone_file() + "extra 300 IN A 192.0.2.99\n")
    synced = owner.post(f"{ZONE_PAGE}/sync")
    assert synced.status_code == 200
    text = text_of(synced.text)
    assert "drift" in text
    assert "extra.example.test." in text
    assert "192.0.2.99" in text
    assert "Drift" in owner.get(ZONE_PAGE).text
    assert "drift" in text_of(owner.get(f"/w/{SLUG}").text)


def test_unknown_pages_and_foreign_zones_answer_in_the_layout(team: Team, owner: Browser) -> None:  # noqa: F811
    missing = owner.get(f"/w/{SLUG}/zones/nowhere.test")
    assert missing.status_code == 404
    assert "Go to your workspaces" in missing.text
    assert "Account" in missing.text
    assert owner.get("/w/someone-else").status_code == 404
    lost = owner.get("/no/such/page")
    assert lost.status_code == 404
    assert "<main" in lost.text
    assert "/static/dunops.css" in lost.text


def test_a_stranger_is_sent_to_sign_in_and_back(app: FastAPI) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app, follow_redirects=False) as anonymous:
        answer = anonymous.get(f"/w/{SLUG}/zones/{ZONE}")
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/sign-in?next=/w/{SLUG}/zones/{ZONE}"
