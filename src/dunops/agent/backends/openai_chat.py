"""The OpenAI-compatible chat-completions protocol with tool calls (OpenAI, Azure OpenAI, vLLM, Ollama,
llama.cpp's server), streamed through the official ``openai`` SDK: its timeout, and its retries with
backoff on connection errors, 429 and 5xx (before the first chunk)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai

from dunops.agent.backends import ModelReply, Stream, ToolCall, Transcript, unavailable
from dunops.agent.tools import ToolSpec
from dunops.config import Settings


def _messages(system: str, transcript: Transcript) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for item in transcript:
        if item["role"] == "user":
            messages.append({"role": "user", "content": item["content"]})
        elif item["role"] == "assistant":
            message: dict[str, Any] = {"role": "assistant", "content": item.get("content") or None}
            calls = item.get("tool_calls") or []
            if calls:
                message["tool_calls"] = [
                    {
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
                    }
                    for call in calls
                ]
            messages.append(message)
        else:
            messages.append(
                {"role": "tool", "tool_call_id": item["tool_call_id"], "content": item["content"]}
            )
    return messages


def _arguments(text: str | None) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return text


@dataclass
class _CallParts:
    """A tool call as its deltas arrive: the id and name come first, the arguments in pieces."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class OpenAIChat:
    name = "openai"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = openai.OpenAI(
            api_key=settings.agent_api_key.get_secret_value() or "none",
            base_url=settings.agent_base_url or None,
            timeout=settings.agent_timeout_seconds,
            max_retries=settings.agent_max_retries,
        )

    def stream(self, system: str, transcript: Transcript, tools: Sequence[ToolSpec]) -> Stream:
        """Stream the completion (``stream: true``): content deltas are passed on as they arrive, tool
        calls are assembled from their deltas by index, and the usage comes in the last chunk."""
        texts: list[str] = []
        parts: dict[int, _CallParts] = {}
        model, input_tokens, output_tokens = self.settings.agent_model, 0, 0
        try:
            # The messages and tools are plain dicts in the protocol's shape, not the SDK's TypedDicts.
            chunks = self.client.chat.completions.create(  # type: ignore[call-overload]
                model=self.settings.agent_model,
                messages=_messages(system, transcript),
                tools=[
                    {
                        "type": "function",
                        "function": {
                            "name": t.name,
                            "description": t.description,
                            "parameters": t.parameters,
                        },
                    }
                    for t in tools
                ],
                stream=True,
                stream_options={"include_usage": True},
            )
            with chunks:
                for chunk in chunks:
                    model = chunk.model or model
                    if chunk.usage:
                        input_tokens = chunk.usage.prompt_tokens
                        output_tokens = chunk.usage.completion_tokens
                    if not chunk.choices:
                        continue
                    delta = chunk.choices[0].delta
                    if delta.content:
                        texts.append(delta.content)
                        yield delta.content
                    for call in delta.tool_calls or []:
                        part = parts.setdefault(call.index, _CallParts())
                        part.id = call.id or part.id
                        if call.function is not None:
                            part.name = call.function.name or part.name
                            part.arguments.append(call.function.arguments or "")
        except openai.APITimeoutError:
            raise unavailable(self.settings, "did not answer in time") from None
        except openai.APIConnectionError:
            raise unavailable(self.settings, "could not be reached") from None
        except openai.APIStatusError as error:
            raise unavailable(self.settings, f"refused the request (HTTP {error.status_code})") from None
        except openai.APIError:
            raise unavailable(self.settings, "reported an error while answering") from None
        except httpx.TransportError:
            raise unavailable(self.settings, "broke off its answer") from None
        yield ModelReply(
            text="".join(texts),
            model=model,
            tool_calls=[
                ToolCall(part.id, part.name, _arguments("".join(part.arguments)))
                for _, part in sorted(parts.items())
                if part.name
            ],
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )
