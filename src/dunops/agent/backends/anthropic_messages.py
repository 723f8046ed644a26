"""Anthropic's Messages API with tool use, streamed through the official ``anthropic`` SDK: its timeout,
and its retries with backoff on connection errors, 429 and 5xx (before the first event)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anthropic
import httpx

from dunops.agent.backends import ModelReply, Stream, ToolCall, Transcript, unavailable
from dunops.agent.tools import ToolSpec
from dunops.config import Settings

MAX_TOKENS = 2048


def _messages(transcript: Transcript) -> list[dict[str, Any]]:
    """User and assistant turns alternate; tool results travel as a user turn of ``tool_result`` blocks."""
    messages: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].extend(blocks)
        else:
            messages.append({"role": role, "content": blocks})

    for item in transcript:
        if item["role"] == "user":
            add("user", [{"type": "text", "text": item["content"]}])
        elif item["role"] == "assistant":
            blocks: list[dict[str, Any]] = (
                [{"type": "text", "text": item["content"]}] if item.get("content") else []
            )
            blocks.extend(
                {"type": "tool_use", "id": call["id"], "name": call["name"], "input": call["arguments"]}
                for call in item.get("tool_calls") or []
            )
            add("assistant", blocks or [{"type": "text", "text": "(no answer)"}])
        else:
            add(
                "user",
                [{"type": "tool_result", "tool_use_id": item["tool_call_id"], "content": item["content"]}],
            )
    return messages


class AnthropicMessages:
    name = "anthropic"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = anthropic.Anthropic(
            api_key=settings.agent_api_key.get_secret_value() or "none",
            base_url=settings.agent_base_url or None,
            timeout=settings.agent_timeout_seconds,
            max_retries=settings.agent_max_retries,
        )

    def stream(self, system: str, transcript: Transcript, tools: Sequence[ToolSpec]) -> Stream:
        """Stream the message: text deltas are passed on as they arrive; the SDK assembles the
        ``tool_use`` blocks from their ``input_json_delta`` pieces and the usage from ``message_delta``."""
        try:
            with self.client.messages.stream(
                model=self.settings.agent_model,
                max_tokens=MAX_TOKENS,
                system=system,
                messages=_messages(transcript),  # type: ignore[arg-type]
                tools=[
                    {"name": t.name, "description": t.description, "input_schema": t.parameters}
                    for t in tools
                ],
            ) as events:
                yield from events.text_stream
                response = events.get_final_message()
        except anthropic.APITimeoutError:
            raise unavailable(self.settings, "did not answer in time") from None
        except anthropic.APIConnectionError:
            raise unavailable(self.settings, "could not be reached") from None
        except anthropic.APIStatusError as error:
            raise unavailable(self.settings, f"refused the request (HTTP {error.status_code})") from None
        except anthropic.APIError:
            raise unavailable(self.settings, "reported an error while answering") from None
        except httpx.TransportError:
            raise unavailable(self.settings, "broke off its answer") from None
        texts, calls = [], []
        for block in response.content:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "tool_use":
                calls.append(ToolCall(block.id, block.name, block.input))
        yield ModelReply(
            text="".join(texts),
            model=response.model or self.settings.agent_model,
            tool_calls=calls,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
        )
