"""Conversations and their messages: workspace data that only their author reads.

A conversation belongs to the member who started it; another member (an admin or owner included) gets
``NotFound`` as for a conversation that does not exist. Every query is scoped by workspace and user.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import plans
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.config import Settings
from dunops.errors import InvalidInput, NotFound, PermissionDenied, RateLimited
from dunops.storage.base import utcnow
from dunops.storage.models import Conversation, Message, MessageRole

TITLE_MAX = 200
CONTENT_MAX = 8000


def _title(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput.single("must be text", "title")
    text = " ".join(value.split())
    if len(text) > TITLE_MAX:
        raise InvalidInput.single(f"at most {TITLE_MAX} characters", "title")
    return text


def create(session: Session, grant: Access, title: Any = None) -> Conversation:
    grant.require(Permission.ZONES_READ)
    conversation = Conversation(
        workspace_id=grant.workspace.id, user_id=grant.principal.user.id, title=_title(title)
    )
    session.add(conversation)
    session.flush()
    return conversation


def listing(session: Session, grant: Access, *, limit: int = 100) -> list[Conversation]:
    """The caller's own conversations in the workspace, most recently active first."""
    grant.require(Permission.ZONES_READ)
    return list(
        session.scalars(
            select(Conversation)
            .where(
                Conversation.workspace_id == grant.workspace.id,
                Conversation.user_id == grant.principal.user.id,
            )
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .limit(limit)
        )
    )


def get(session: Session, grant: Access, conversation_id: int) -> Conversation:
    """One of the caller's conversations; anyone else's is ``NotFound`` like a missing one."""
    grant.require(Permission.ZONES_READ)
    conversation = session.scalars(
        select(Conversation).where(
            Conversation.id == conversation_id,
            Conversation.workspace_id == grant.workspace.id,
            Conversation.user_id == grant.principal.user.id,
        )
    ).first()
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} not found")
    return conversation


def messages(session: Session, conversation: Conversation, *, after: int = 0) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.id > after)
            .order_by(Message.id)
        )
    )


def remove(session: Session, grant: Access, conversation_id: int) -> None:
    """Delete a conversation and every message in it."""
    conversation = get(session, grant, conversation_id)
    session.execute(delete(Message).where(Message.conversation_id == conversation.id))
    session.delete(conversation)
    session.flush()
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="conversation.delete",
        target=f"conversation:{conversation_id}",
    )


def check_question(content: Any) -> str:
    if not isinstance(content, str) or not content.strip():
        raise InvalidInput.single("is required: your question", "content")
    if len(content) > CONTENT_MAX:
        raise InvalidInput.single(f"at most {CONTENT_MAX} characters", "content")
    return content.strip()


def start_of_day(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def ask(session: Session, settings: Settings, grant: Access, conversation_id: int, content: Any) -> Message:
    """Store the member's question, once the agent is on for the workspace and under its daily limit."""
    question = check_question(content)
    conversation = get(session, grant, conversation_id)
    if not grant.workspace.agent_enabled:
        raise PermissionDenied(
            f"the agent is switched off for workspace '{grant.workspace.slug}' by its owner"
        )
    now = utcnow()
    since = start_of_day(now)
    asked = session.scalar(
        select(func.count(Message.id)).where(
            Message.workspace_id == grant.workspace.id,
            Message.role == MessageRole.USER,
            Message.created_at >= since,
        )
    )
    allowed, limit = plans.agent_questions_a_day(grant.workspace, settings.agent_daily_messages)
    if (asked or 0) >= allowed:
        retry = int((since + timedelta(days=1) - now).total_seconds()) + 1
        raise RateLimited(
            f"workspace '{grant.workspace.slug}' has asked the agent {allowed} question(s) today, "
            f"{limit}; ask again tomorrow (UTC)",
            retry_after=retry,
        )
    if not conversation.title:
        conversation.title = question[:80]
    message = Message(
        conversation_id=conversation.id,
        workspace_id=grant.workspace.id,
        role=MessageRole.USER,
        content=question,
    )
    session.add(message)
    conversation.updated_at = now
    session.flush()
    return message


def transcript(history: list[Message]) -> list[dict[str, Any]]:
    """Messages as the backends read them (see :mod:`dunops.agent.backends`)."""
    import json

    items: list[dict[str, Any]] = []
    for message in history:
        if message.role is MessageRole.USER:
            items.append({"role": "user", "content": message.content})
        elif message.role is MessageRole.ASSISTANT:
            items.append(
                {"role": "assistant", "content": message.content, "tool_calls": list(message.tool_calls)}
            )
        else:
            items.append(
                {
                    "role": "tool",
                    "tool_call_id": message.tool_call_id,
                    "name": message.tool_name,
                    "arguments": message.arguments,
                    "content": json.dumps({"data": message.result}, sort_keys=True),
                }
            )
    return items


def message_data(message: Message) -> dict[str, Any]:
    """A message as the API and CLI show it."""
    data: dict[str, Any] = {
        "id": message.id,
        "role": message.role.value,
        "content": message.content,
        "created_at": message.created_at.isoformat(),
    }
    if message.role is MessageRole.ASSISTANT:
        data |= {
            "tool_calls": list(message.tool_calls),
            "model": message.model,
            "input_tokens": message.input_tokens,
            "output_tokens": message.output_tokens,
        }
    if message.role is MessageRole.TOOL:
        data |= {
            "tool_call_id": message.tool_call_id,
            "tool": message.tool_name,
            "arguments": message.arguments,
            "result": message.result,
            "change_request": message.change_request_id,
        }
    return data
