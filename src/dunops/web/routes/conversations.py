"""``/api/v1/workspaces/{slug}/conversations``: the caller's chats with the agent, and one turn at a time
(JSON, or server-sent events with ``Accept: text/event-stream``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.agent import Agent, Backend, Event, ModelUnavailable, backend_for, conversations, turns
from dunops.config import Settings
from dunops.storage.models import Conversation
from dunops.web.deps import DB, AppSettings, CurrentPrincipal, ReadDB, RowId, writer_of
from dunops.web.routes.connections import vault_of
from dunops.web.routing import api_router

router = api_router(prefix="/api/v1/workspaces/{slug}", tags=["agent"])


class ConversationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=conversations.TITLE_MAX)


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(description="Your question or request, in plain language.")


class ConversationOut(BaseModel):
    id: int
    title: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationOut:
        return cls(
            id=conversation.id,
            title=conversation.title,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
        )


class ConversationDetail(ConversationOut):
    messages: list[dict[str, Any]] = Field(
        description="role, content; assistant: tool_calls, model, token counts; tool: arguments, result."
    )


class TurnOut(BaseModel):
    conversation: int
    messages: list[dict[str, Any]] = Field(description="The messages this turn stored, in order.")


@router.post("/conversations", status_code=status.HTTP_201_CREATED)
def create_conversation(
    slug: str, db: DB, principal: CurrentPrincipal, body: ConversationIn | None = None
) -> ConversationOut:
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    return ConversationOut.of(conversations.create(db, grant, body.title if body else None))


@router.get("/conversations")
def list_conversations(slug: str, db: ReadDB, principal: CurrentPrincipal) -> list[ConversationOut]:
    """Your own conversations in this workspace (nobody else's, whatever their role)."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    return [ConversationOut.of(c) for c in conversations.listing(db, grant)]


@router.get("/conversations/{conversation_id}")
def get_conversation(
    slug: str, conversation_id: RowId, db: ReadDB, principal: CurrentPrincipal
) -> ConversationDetail:
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    conversation = conversations.get(db, grant, conversation_id)
    messages = [conversations.message_data(m) for m in conversations.messages(db, conversation)]
    return ConversationDetail(**ConversationOut.of(conversation).model_dump(), messages=messages)


@router.delete("/conversations/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_conversation(slug: str, conversation_id: RowId, db: DB, principal: CurrentPrincipal) -> Response:
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    conversations.remove(db, grant, conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def agent_of(request: Request, settings: Settings) -> Agent:
    """The app's agent: its stores, its vault and the backend the settings choose (made once)."""
    backend: Backend | None = getattr(request.app.state, "agent_backend", None)
    if backend is None:
        backend = backend_for(settings)
        request.app.state.agent_backend = backend
    return Agent(writer_of(request), settings, vault_of(request), backend)


def server_sent(events: Iterator[Event]) -> Iterator[str]:
    """A turn's events as server-sent events, each sent as it happens."""
    for event in events:
        yield f"event: {event.kind}\ndata: {json.dumps(event.data, default=str)}\n\n"


def streamed(events: Iterator[Event]) -> StreamingResponse:
    return StreamingResponse(
        server_sent(events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/conversations/{conversation_id}/messages",
    responses={200: {"content": {"text/event-stream": {}}}},
)
def ask(
    slug: str,
    conversation_id: RowId,
    body: MessageIn,
    request: Request,
    settings: AppSettings,
    principal: CurrentPrincipal,
) -> Any:
    """Run one agent turn. The answer lists the messages it stored; with ``Accept: text/event-stream``
    the turn streams as events: ``message``, ``token``, ``tool_call``, ``tool_result``, ``error``,
    ``final``. Nothing is sent to a model provider when the backend is offline."""
    events = turns.run(agent_of(request, settings), principal, slug, conversation_id, body.content)
    if "text/event-stream" in request.headers.get("accept", ""):
        return streamed(events)
    messages, failure = [], None
    for event in events:
        if event.kind in turns.STORED:
            messages.append(event.data)
        elif event.kind == "error":
            failure = str(event.data.get("detail", ""))
    if failure is not None:
        raise ModelUnavailable(failure)
    return TurnOut(conversation=conversation_id, messages=messages)
