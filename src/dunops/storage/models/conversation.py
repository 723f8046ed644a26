"""The agent's chat: a conversation belongs to one member of one workspace; its messages are workspace data.

A message is the member's question (``user``), the model's answer with the tool calls it asked for
(``assistant``), or one tool call's result (``tool``, with the call's arguments and result). Deleting a
conversation deletes its messages; deleting the workspace or the user deletes both.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dunops.storage.base import Base, utcnow


class MessageRole(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    """One message; ``tool_calls`` (assistant) lists ``{"id", "name", "arguments"}``; a tool message
    carries its call's ``tool_call_id``, ``tool_name``, ``arguments`` and ``result``."""

    __tablename__ = "conversation_messages"
    __table_args__ = (
        Index("ix_conversation_messages_workspace_id_created_at", "workspace_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    role: Mapped[MessageRole]
    content: Mapped[str] = mapped_column(Text, default="")
    tool_calls: Mapped[list[Any]] = mapped_column(JSON, default=list)
    tool_call_id: Mapped[str] = mapped_column(String(100), default="")
    tool_name: Mapped[str] = mapped_column(String(100), default="")
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model: Mapped[str] = mapped_column(String(200), default="")
    input_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    change_request_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
