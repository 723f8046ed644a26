"""The agent panel beside the zone page: a question posted as a plain form shows its answer, tool calls
as expandable lines, a proposal as a link to its change request with the plan; the streamed variant
sends the turn as server-sent events; record content is text; refusals are shown next to the question."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.config import Settings
from tests.web.pages_support import Browser, browser_for, text_of
from tests.workflow.support import SLUG, ZONE, Team, make_team
from tests.zones.helpers import ZONE_TEXT

ZONE_PAGE = f"/w/{SLUG}/zones/{ZONE}"
ASK = f"/w/{SLUG}/agent"
SCRIPT = "<script>alert('txt')</script>"


@pytest.fixture
def team(client: TestClient, db: Session, settings: Settings, tmp_path: Path) -> Team:
    return make_team(client, db, settings, tmp_path, ZONE_TEXT + f'note 300 IN TXT "{SCRIPT}"\n')


@pytest.fixture
def author(team: Team, app: FastAPI, db: Session, settings: Settings) -> Browser:
    return browser_for(app, db, settings, "author@example.com")


def _ask(browser: Browser, question: str, **fields: str) -> str:
    """Post the panel's form as a browser without JavaScript does; the page it is sent back to."""
    posted = browser.post(ASK, {"content": question, "zone": ZONE, **fields})
    assert posted.status_code == 303, posted.text
    location = posted.headers["location"]
    assert location.startswith(ZONE_PAGE + "?conversation=")
    assert location.endswith("#agent")
    page = browser.get(location.removesuffix("#agent"))
    assert page.status_code == 200, page.text
    return page.text


def _events(body: str) -> list[tuple[str, Any]]:
    return [(kind, json.loads(data)) for kind, data in re.findall(r"event: (\S+)\ndata: (.*)\n\n", body)]


def test_the_zone_page_has_the_panel_and_a_question_gets_its_answer_without_javascript(
    author: Browser,
) -> None:
    page = author.get(ZONE_PAGE)
    assert 'id="agent"' in page.text
    assert 'action="/w/acme/agent"' in page.text
    assert '<script src="/static/agent.js" defer></script>' in page.text

    shown = _ask(author, "What does mail.example.test point to?")
    text = text_of(shown)
    assert "What does mail.example.test point to?" in text
    assert "192.0.2.25" in text
    assert re.search(r"<details>\s*<summary><code>find_records</code>", shown)
    conversation = re.search(r'name="conversation" value="(\d+)"', shown)
    assert conversation is not None

    # The next question continues the same conversation.
    again = _ask(author, "List the MX records of example.test", conversation=conversation.group(1))
    assert "What does mail.example.test point to?" in text_of(again)
    assert "10 mail.example.test." in text_of(again)


def test_a_proposal_links_to_its_change_request_with_the_plan(author: Browser, team: Team) -> None:
    shown = _ask(author, "Point api.example.test to 192.0.2.11")
    link = re.search(r'<a href="(/w/acme/changes/(\d+))">Change request #\d+', shown)
    assert link is not None, text_of(shown)
    plan = re.search(r'<pre class="plan-text"[^>]*>([^<]*)</pre>', shown)
    assert plan is not None
    assert "@@ create api.example.test. A @@\n+api.example.test. 3600 IN A 192.0.2.11" in plan.group(1)
    assert "Nothing changes until a person approves this plan" in shown
    change = team.show(int(link.group(2)))
    assert change["state"] == "pending_review"
    assert change["agent"] == "dunops-agent"
    request_page = author.get(link.group(1))
    assert request_page.status_code == 200
    assert "192.0.2.11" in text_of(request_page.text)


def test_record_content_in_a_tool_result_is_shown_as_text(author: Browser) -> None:
    shown = _ask(author, "List the TXT records of example.test")
    assert SCRIPT not in shown
    assert "&lt;script&gt;alert(" in shown
    assert "<script>alert" not in shown


def test_the_streamed_turn_sends_its_conversation_tokens_and_final_message(author: Browser) -> None:
    answered = author.client.post(
        ASK + "/stream",
        data={"csrf_token": author.csrf, "content": "What does mail.example.test point to?", "zone": ZONE},
        headers={"Accept": "text/event-stream"},
    )
    assert answered.status_code == 200
    assert answered.headers["content-type"].startswith("text/event-stream")
    events = _events(answered.text)
    assert events[0][0] == "conversation"
    kinds = [kind for kind, _ in events]
    assert "tool_call" in kinds
    assert kinds[-1] == "final"
    tokens = "".join(data["text"] for kind, data in events if kind == "token")
    assert tokens.endswith(events[-1][1]["content"])
    panel = author.get(f"{ASK}/panel", params={"conversation": events[0][1]["id"], "zone": ZONE})
    assert panel.status_code == 200
    assert '<aside id="agent"' in panel.text
    assert "<html" not in panel.text
    assert "192.0.2.25" in text_of(panel.text)


def test_refusals_are_shown_in_the_panel(
    author: Browser, team: Team, app: FastAPI, db: Session, settings: Settings
) -> None:
    empty = author.post(ASK, {"content": "  ", "zone": ZONE})
    assert empty.status_code == 422
    assert 'id="f-content-error"' in empty.text
    assert "is required: your question" in empty.text

    streamed = author.client.post(
        ASK + "/stream",
        data={"csrf_token": author.csrf, "content": "", "zone": ZONE},
        headers={"Accept": "text/event-stream"},
    )
    assert streamed.status_code == 422
    assert streamed.headers["content-type"].startswith("text/html")
    assert "is required: your question" in streamed.text

    forged = author.client.post(ASK, data={"content": "What does www point to?", "zone": ZONE})
    assert forged.status_code == 403

    # Another member cannot open the author's conversation.
    shown = _ask(author, "What does mail.example.test point to?")
    conversation = re.search(r'name="conversation" value="(\d+)"', shown)
    assert conversation is not None
    reviewer = browser_for(app, db, settings, "reviewer@example.com")
    other = reviewer.get(ZONE_PAGE, params={"conversation": conversation.group(1)})
    assert other.status_code == 404
    assert "192.0.2.25" not in other.text

    # Switched off by the owner: the panel says so, and a posted question is refused.
    switched = team.client.patch(
        f"/api/v1/workspaces/{SLUG}", json={"agent_enabled": False}, headers=team.owner
    )
    assert switched.status_code == 200
    assert "switched off for this workspace" in author.get(ZONE_PAGE).text
    refused = author.post(
        ASK, {"content": "What does www point to?", "zone": ZONE, "conversation": conversation.group(1)}
    )
    assert refused.status_code == 403
    assert "switched off" in text_of(refused.text)
