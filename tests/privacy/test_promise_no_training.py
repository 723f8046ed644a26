"""Promise 10: workspace data is never used to train models. The agent's requests to a model provider carry
only the question, the conversation so far and what its tools returned for that question; the policy says
which provider receives what. Nothing is sent anywhere with the offline agent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session

from dunops.config import Settings
from tests.agent.model_servers import ScriptedModel, Step, serve
from tests.workflow.support import Team, make_team
from tests.zones.helpers import ZONE_TEXT

UNASKED = "unasked-marker.example.test"
ASKED = "asked-marker-192-0-2-77"


@pytest.fixture
def model() -> Iterator[ScriptedModel]:
    yield from serve(ScriptedModel("openai"))


@pytest.fixture
def settings(settings: Settings, model: ScriptedModel) -> Settings:
    return settings.model_copy(
        update={
            "agent_backend": "openai",
            "agent_base_url": model.base_url,
            "agent_model": "scripted-model",
            "agent_api_key": SecretStr("sk-promise-10"),
        }
    )


@pytest.fixture
def team(client: TestClient, db: Session, settings: Settings, tmp_path: Path) -> Team:
    zone = ZONE_TEXT + f'asked 300 IN TXT "{ASKED}"\nother 300 IN CNAME {UNASKED}.\n'
    return make_team(client, db, settings, tmp_path / "shared", zone)


def test_promise_the_model_provider_receives_only_the_question_and_what_the_tools_returned(
    team: Team, model: ScriptedModel, client: TestClient
) -> None:
    model.script = [
        Step(calls=[("find_records", {"zone": "example.test", "name": "asked"})]),
        Step(text="It holds one text."),
    ]
    conversation = team.post(team.author, "/conversations", {}).json()["id"]
    answered = team.post(
        team.author, f"/conversations/{conversation}/messages", {"content": "What is at asked?"}
    )
    assert answered.status_code == 200, answered.text

    sent = json.dumps(model.requests)
    assert ASKED in sent  # what the tool returned for this question
    assert UNASKED not in sent  # a record no tool returned is never sent
    assert "author@example.com" not in sent  # nor who asked
    assert "sk-promise-10" not in sent
    for body in model.requests:
        assert {m["role"] for m in body["messages"]} <= {"system", "user", "assistant", "tool"}
        tool_texts = [m["content"] for m in body["messages"] if m["role"] == "tool"]
        assert all(UNASKED not in text for text in tool_texts)

    policy = client.get("/legal/privacy").text
    assert "do not use your workspace data to train AI models" in policy
    assert "only when you ask the agent a question" in policy


def test_promise_the_offline_agent_sends_nothing_anywhere(
    team: Team, model: ScriptedModel, client: TestClient, settings: Settings
) -> None:
    client.app.state.settings = settings.model_copy(update={"agent_backend": "offline"})  # type: ignore[attr-defined]
    conversation = team.post(team.author, "/conversations", {}).json()["id"]
    answered = team.post(
        team.author,
        f"/conversations/{conversation}/messages",
        {"content": "List the MX records of example.test"},
    )
    assert answered.status_code == 200, answered.text
    assert "mail.example.test" in answered.text
    assert model.requests == []
