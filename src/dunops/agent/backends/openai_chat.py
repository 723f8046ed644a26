"""The OpenAI-compatible chat-completions protocol with tool calls (OpenAI, Azure OpenAI, vLLM, Ollama,
llama.cpp's server), through the official ``openai`` SDK: its timeout, and its retries with backoff on
connection errors, 429 and 5xx."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import openai

from dunops.agent.backends import ModelReply, ToolCall, Transcript, unavailable
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

    def reply(self, system: str, transcript: Transcript, tools: Sequence[ToolSpec]) -> ModelReply:
        try:
            response = self.client.chat.completions.create(
                model=self.settings.agent_model,
                messages=_messages(system, transcript),  # type: ignore[arg-type]
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
            )
        except openai.APITimeoutError:
            raise unavailable(self.settings, "did not answer in time") from None
        except openai.APIConnectionError:
            raise unavailable(self.settings, "could not be reached") from None
        except openai.APIStatusError as error:
            raise unavailable(self.settings, f"refused the request (HTTP {error.status_code})") from None
        if not response.choices:
            raise unavailable(self.settings, "answered without a message")
        message = response.choices[0].message
        calls = [
            ToolCall(call.id, call.function.name, _arguments(call.function.arguments))
            for call in message.tool_calls or []
            if call.type == "function"
        ]
        usage = response.usage
        return ModelReply(
            text=message.content or "",
            model=response.model or self.settings.agent_model,
            tool_calls=calls,
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
        )
