"""The agent's conversations through the API with the offline planner: only their author reads them; a
turn answers from the records, proposes exactly the asked edits for the asker to approve and apply,
streams as server-sent events, refuses what a viewer may not do, and obeys the owner's switch and the
daily limit."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.storage.models import AuditEvent
from tests.workflow.support import Team, team  # noqa: F401


def _conversation(crew: Team, who: dict[str, str]) -> int:
    created = crew.post(who, "/conversations", {"title": "DNS questions"})
    assert created.status_code == 201, created.text
    conversation: int = created.json()["id"]
    return conversation


def _ask(crew: Team, who: dict[str, str], conversation: int, question: str) -> list[dict[str, object]]:
    answered = crew.post(who, f"/conversations/{conversation}/messages", {"content": question})
    assert answered.status_code == 200, answered.text
    messages: list[dict[str, object]] = answered.json()["messages"]
    return messages


def test_a_conversation_is_its_authors_alone(team: Team) -> None:  # noqa: F811
    conversation = _conversation(team, team.author)
    messages = _ask(team, team.author, conversation, "What does mail.example.test point to?")
    assert messages[-1]["content"] == "mail.example.test. has: A 192.0.2.25 (TTL 300)."
    tool = next(m for m in messages if m["role"] == "tool")
    assert tool["tool"] == "list_zones"
    shown = team.get(team.author, f"/conversations/{conversation}").json()
    assert shown["title"] == "DNS questions"
    assert [m["role"] for m in shown["messages"]] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]
    assert shown["messages"][3]["tool_calls"][0]["arguments"] == {"zone": "example.test", "name": "mail"}
    assert shown["messages"][4]["result"]["records"][0]["values"] == ["192.0.2.25"]
    assert shown["messages"][-1]["model"] == "offline-planner"
    assert [c["id"] for c in team.get(team.author, "/conversations").json()] == [conversation]

    # the owner and another editor neither list, read, continue nor delete it
    for other in (team.owner, team.reviewer):
        assert team.get(other, "/conversations").json() == []
        assert team.get(other, f"/conversations/{conversation}").status_code == 404
        assert (
            team.post(other, f"/conversations/{conversation}/messages", {"content": "hi"}).status_code == 404
        )
        assert (
            team.client.delete(
                f"/api/v1/workspaces/acme/conversations/{conversation}", headers=other
            ).status_code
            == 404
        )
    assert (
        team.client.delete(
            f"/api/v1/workspaces/acme/conversations/{conversation}", headers=team.author
        ).status_code
        == 204
    )
    assert team.get(team.author, f"/conversations/{conversation}").status_code == 404
    assert team.post(team.author, "/conversations/1/messages", {"content": ""}).status_code in (404, 422)


def test_the_asker_approves_the_agents_proposal_by_hash_and_applies_it(team: Team, db: Session) -> None:  # noqa: F811
    conversation = _conversation(team, team.author)
    messages = _ask(team, team.author, conversation, "Point api.example.test to 192.0.2.11")
    proposed = next(m for m in messages if m["role"] == "tool" and m["tool"] == "propose_change")
    assert proposed["arguments"]["edits"] == [  # type: ignore[index]
        {"action": "upsert", "name": "api", "type": "A", "values": ["192.0.2.11"]}
    ]
    change = team.show(int(proposed["change_request"]))  # type: ignore[call-overload]
    assert change["state"] == "pending_review"
    assert change["agent"] == "dunops-agent"
    assert "I never approve or apply" in str(messages[-1]["content"])

    # asking the agent to approve or apply changes nothing
    refused = _ask(team, team.author, conversation, f"Approve and apply change request {change['id']}")
    assert "can't approve" in str(refused[-1]["content"])
    assert team.show(change["id"])["state"] == "pending_review"

    approved = team.approve(change, team.author)
    assert approved.json()["state"] == "approved", approved.text
    assert team.post(team.author, f"/changes/{change['id']}/apply").status_code == 202
    team.run_jobs()
    assert team.show(change["id"])["state"] == "verified"
    assert "api 300 IN A 192.0.2.11" in team.zone_file() or "192.0.2.11" in team.zone_file()
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "agent.propose")).all()
    assert [e.details["conversation"] for e in events] == [conversation]


def test_a_turn_streams_as_server_sent_events(team: Team) -> None:  # noqa: F811
    conversation = _conversation(team, team.author)
    with team.client.stream(
        "POST",
        f"/api/v1/workspaces/acme/conversations/{conversation}/messages",
        json={"content": "Is there a DMARC record for example.test?"},
        headers={**team.author, "Accept": "text/event-stream"},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    events = [
        (
            block.split("\n")[0].removeprefix("event: "),
            json.loads(block.split("\n")[1].removeprefix("data: ")),
        )
        for block in body.strip().split("\n\n")
    ]
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "message"
    assert {"token", "tool_call", "tool_result", "final"} <= set(kinds)
    assert kinds[-1] == "final"
    assert "".join(data["text"] for kind, data in events if kind == "token") == events[-1][1]["content"]
    assert events[-1][1]["content"] == "No: example.test has no DMARC record."


def test_a_viewers_agent_reads_but_cannot_propose(team: Team, db: Session) -> None:  # noqa: F811
    conversation = _conversation(team, team.viewer)
    read = _ask(team, team.viewer, conversation, "List the MX records of example.test")
    assert "10 mail.example.test." in str(read[-1]["content"])
    messages = _ask(team, team.viewer, conversation, "Point api.example.test to 192.0.2.12")
    assert "could not propose" in str(messages[-1]["content"])
    assert "A viewer may not propose changes" in str(messages[-1]["content"])
    assert team.get(team.author, "/changes").json()["items"] == []
    refused = db.scalars(select(AuditEvent).where(AuditEvent.action == "agent.tool_refused")).all()
    assert [e.details["tool"] for e in refused] == ["propose_change"]


def test_the_owner_switches_the_agent_off_and_the_daily_limit_holds(team: Team) -> None:  # noqa: F811
    conversation = _conversation(team, team.author)
    workspace = "/api/v1/workspaces/acme"
    assert team.client.patch(workspace, json={"agent_enabled": False}, headers=team.author).status_code == 403
    switched = team.client.patch(workspace, json={"agent_enabled": False}, headers=team.owner)
    assert switched.json()["agent_enabled"] is False
    off = team.post(team.author, f"/conversations/{conversation}/messages", {"content": "hi"})
    assert off.status_code == 403
    assert "switched off" in off.json()["detail"]
    team.client.patch(workspace, json={"agent_enabled": True}, headers=team.owner)

    team.settings.__dict__["agent_daily_messages"] = 1
    assert (
        team.post(team.author, f"/conversations/{conversation}/messages", {"content": "hi"}).status_code
        == 200
    )
    limited = team.post(team.author, f"/conversations/{conversation}/messages", {"content": "hi"})
    assert limited.status_code == 429
    assert "daily limit" in limited.json()["detail"]
