"""One agent turn: store the question, then let the model call tools until it answers.

No database transaction stays open while the model thinks: the question, each assistant message, each
tool call and each tool result are stored in short units of work of their own, so a turn that fails half
way keeps what happened. A turn yields events as they happen (for server-sent events); the JSON answer
is the list of messages the turn stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.agent import conversations
from dunops.agent.backends import Backend, ModelReply, ModelUnavailable, ToolCall
from dunops.agent.prompt import SYSTEM_PROMPT
from dunops.agent.tools import SPECS, Toolbox, ToolOutcome
from dunops.config import Settings
from dunops.security.vault import Vault
from dunops.storage import usage
from dunops.storage.base import utcnow
from dunops.storage.database import transaction
from dunops.storage.models import Conversation, Message, MessageRole

MAX_STEPS = 40
STORED = frozenset({"message", "tool_result"})
"""The kinds of event whose data is a message the turn stored."""


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened in a turn: ``message`` (a stored message), ``token`` (answer text, as
    the model produces it), ``tool_call``, ``tool_result``, ``error`` or ``final`` (the turn's answer)."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Agent:
    """What a turn needs: where to store, the settings, the vault (for live lookups), the model."""

    factory: sessionmaker[Session]
    settings: Settings
    vault: Vault
    backend: Backend


def _store(factory: sessionmaker[Session], message: Message) -> dict[str, Any]:
    with transaction(factory) as session:
        session.add(message)
        conversation = session.get(Conversation, message.conversation_id)
        if conversation is not None:
            conversation.updated_at = utcnow()
        session.flush()
        return conversations.message_data(message)


def run(agent: Agent, principal: Principal, slug: str, conversation_id: int, content: Any) -> Iterator[Event]:
    """Run one turn for ``principal`` in ``conversation_id``; raises before the first event when the
    question is refused (not the author, agent switched off, daily limit, bad input)."""
    with transaction(agent.factory) as session:
        grant = access.resolve(session, principal, slug, Permission.ZONES_READ)
        question = conversations.ask(session, agent.settings, grant, conversation_id, content)
        conversation = conversations.get(session, grant, conversation_id)
        history = conversations.transcript(conversations.messages(session, conversation))
        first = conversations.message_data(question)
        workspace_id = grant.workspace.id
        usage.count(session, workspace_id, agent_messages=1)
    return _turn(agent, principal, slug, conversation_id, workspace_id, history, first)


def _turn(
    agent: Agent,
    principal: Principal,
    slug: str,
    conversation_id: int,
    workspace_id: int,
    history: list[dict[str, Any]],
    first: dict[str, Any],
) -> Iterator[Event]:
    yield Event("message", first)
    toolbox = Toolbox(agent.factory, agent.settings, agent.vault, principal, slug, conversation_id)
    limit = agent.settings.agent_max_tool_calls
    calls_made = 0

    def message(**values: Any) -> Message:
        return Message(conversation_id=conversation_id, workspace_id=workspace_id, **values)

    for _ in range(MAX_STEPS):
        reply: ModelReply | None = None
        try:
            for piece in agent.backend.stream(SYSTEM_PROMPT, history, SPECS):
                if isinstance(piece, ModelReply):
                    reply = piece
                elif piece:
                    yield Event("token", {"text": piece})
            if reply is None:
                raise ModelUnavailable("The agent's language model ended its answer without a reply.")
        except ModelUnavailable as error:
            stored = _store(agent.factory, message(role=MessageRole.ASSISTANT, content=error.detail))
            yield Event("error", {"detail": error.detail})
            yield Event("message", stored)
            yield Event("final", stored)
            return
        calls = [
            {"id": call.id or f"call-{calls_made + n}", "name": call.name, "arguments": call.arguments}
            for n, call in enumerate(reply.tool_calls)
        ]
        stored = _store(
            agent.factory,
            message(
                role=MessageRole.ASSISTANT,
                content=reply.text,
                tool_calls=calls,
                model=reply.model,
                input_tokens=reply.input_tokens,
                output_tokens=reply.output_tokens,
            ),
        )
        yield Event("message", stored)
        history.append({"role": "assistant", "content": reply.text, "tool_calls": calls})
        if not calls:
            yield Event("final", stored)
            return
        for call in calls:
            yield Event("tool_call", call)
            if calls_made >= limit:
                outcome = ToolOutcome(
                    {"error": f"refused: at most {limit} tool calls in one turn"}, refused=True
                )
            else:
                outcome = toolbox.run(call["name"], call["arguments"])
            calls_made += 1
            arguments = (
                call["arguments"]
                if isinstance(call["arguments"], dict)
                else {"unparsed": str(call["arguments"])[:2000]}
            )
            result = message(
                role=MessageRole.TOOL,
                tool_call_id=str(call["id"])[:100],
                tool_name=str(call["name"])[:100],
                arguments=arguments,
                result=outcome.result,
                change_request_id=outcome.change_request_id,
            )
            stored_result = _store(agent.factory, result)
            yield Event("tool_result", stored_result)
            history.append(
                {
                    "role": "tool",
                    "tool_call_id": call["id"],
                    "name": call["name"],
                    "arguments": arguments,
                    "content": json.dumps({"data": outcome.result}, sort_keys=True),
                }
            )
        if calls_made > limit:
            text = f"I stopped: a turn may make at most {limit} tool calls. Ask again, more narrowly."
            stored = _store(
                agent.factory, message(role=MessageRole.ASSISTANT, content=text, model=reply.model)
            )
            yield Event("token", {"text": text})
            yield Event("message", stored)
            yield Event("final", stored)
            return
    text = "I stopped: this turn took too many steps."
    stored = _store(agent.factory, message(role=MessageRole.ASSISTANT, content=text))
    yield Event("message", stored)
    yield Event("final", stored)


def collect(events: Iterator[Event]) -> list[dict[str, Any]]:
    """The messages a turn stored, in order (the JSON answer)."""
    return [event.data for event in events if event.kind in STORED]


__all__ = ["Agent", "Event", "ToolCall", "collect", "run"]
