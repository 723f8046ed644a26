"""Model backends: the offline planner (the default, no network), any OpenAI-compatible chat-completions
server, and Anthropic's Messages API, chosen by ``DUNOPS_AGENT_BACKEND``.

A backend gets the system prompt, the conversation as provider-neutral items and the tool specs, and
streams its answer: the text in pieces as the model produces them, then the whole reply (its text and the
tool calls it wants run, assembled from the stream). Transcript items are dicts: ``{"role": "user",
"content"}``, ``{"role": "assistant", "content", "tool_calls": [{"id", "name", "arguments"}]}`` and
``{"role": "tool", "tool_call_id", "name", "arguments", "content"}`` (the result as JSON text).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from dunops.agent.tools import ToolSpec
from dunops.config import Settings
from dunops.errors import ProviderError

Transcript = Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One call the model asked for; ``arguments`` is what it sent (a dict unless it sent bad JSON)."""

    id: str
    name: str
    arguments: Any


@dataclass(frozen=True, slots=True)
class ModelReply:
    text: str
    model: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0


class ModelUnavailable(ProviderError):
    """The language model could not be reached or refused the request; nothing was changed."""

    title = "Model unavailable"


Stream = Iterator["str | ModelReply"]
"""Text pieces as they arrive, then one :class:`ModelReply` (always the last item)."""


class Backend(Protocol):
    name: str

    def stream(self, system: str, transcript: Transcript, tools: Sequence[ToolSpec]) -> Stream: ...


def endpoint_label(settings: Settings) -> str:
    """Where the model lives, without credentials or path (for messages to the user)."""
    if not settings.agent_base_url:
        return f"the {settings.agent_backend} API"
    parts = urlsplit(settings.agent_base_url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def unavailable(settings: Settings, why: str) -> ModelUnavailable:
    """The message a member sees when the model cannot answer: what, where, and that nothing changed."""
    text = (
        f"The agent's language model ({settings.agent_model} at {endpoint_label(settings)}) {why}. "
        "Nothing was changed; try again later, or ask an administrator to check the agent's settings."
    )
    secret = settings.agent_api_key.get_secret_value()
    if secret:
        text = text.replace(secret, "[redacted]")
    return ModelUnavailable(text)


def backend_for(settings: Settings) -> Backend:
    """The backend the settings choose."""
    if settings.agent_backend == "openai":
        from dunops.agent.backends.openai_chat import OpenAIChat

        return OpenAIChat(settings)
    if settings.agent_backend == "anthropic":
        from dunops.agent.backends.anthropic_messages import AnthropicMessages

        return AnthropicMessages(settings)
    from dunops.agent.backends.offline import OfflinePlanner

    return OfflinePlanner()


__all__ = [
    "Backend",
    "ModelReply",
    "ModelUnavailable",
    "Stream",
    "ToolCall",
    "Transcript",
    "backend_for",
    "unavailable",
]
