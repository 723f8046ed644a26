"""Scripted model servers on loopback: real HTTP speaking the OpenAI chat-completions protocol and
Anthropic's Messages API, replaying a script of turns (tool calls, then an answer) as streamed responses
in each vendor's documented wire format, and keeping every request they received, so a test sees
exactly what the SDK clients sent.

OpenAI (``stream: true``): ``data:`` lines of ``chat.completion.chunk`` objects (content deltas, tool
call deltas by index with the arguments in pieces, the finish reason, then a usage chunk with no choices)
and ``data: [DONE]``. Anthropic: ``message_start``, per block ``content_block_start`` /
``content_block_delta`` (``text_delta`` or ``input_json_delta``) / ``content_block_stop``, a ``ping``,
``message_delta`` with the stop reason and usage, and ``message_stop``.

A test can hold a stream just before its last text delta (``hold``) to see what reached the client
while the model was still answering; ``finished`` is set once the latest stream was written to its end.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOLD_SECONDS = 10


@dataclass
class Step:
    """One scripted answer: tool calls ``(name, arguments)`` and/or text; or an HTTP error status."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    text: str = ""
    status: int = 200


@dataclass
class Event:
    """One server-sent event of a stream; ``last_text`` marks the answer's last text delta."""

    data: dict[str, Any] | str
    name: str = ""
    last_text: bool = False

    def wire(self) -> bytes:
        data = self.data if isinstance(self.data, str) else json.dumps(self.data)
        return ((f"event: {self.name}\n" if self.name else "") + f"data: {data}\n\n").encode()


def _pieces(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text)


def _halves(text: str) -> list[str]:
    middle = len(text) // 2
    return [text[:middle], text[middle:]]


def _mark_last_text(events: list[Event], is_text: Any) -> list[Event]:
    texts = [n for n, event in enumerate(events) if is_text(event)]
    if texts:
        events[texts[-1]].last_text = True
    return events


@dataclass
class ScriptedModel:
    protocol: str  # "openai" or "anthropic"
    script: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    port: int = 0
    hold: threading.Event | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}" + ("/v1" if self.protocol == "openai" else "")

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any] | list[Event]]:
        """An error document, or the events of a streamed answer."""
        if body.get("stream") is not True:
            return 400, {"error": {"type": "invalid_request_error", "message": "this server only streams"}}
        step = self.script.pop(0) if self.script else Step(text="(script ended)")
        if step.status != 200:
            return step.status, {"error": {"type": "overloaded_error", "message": "try again"}}
        number = len(self.requests)
        if self.protocol == "openai":
            return 200, self._openai(body, step, number)
        return 200, self._anthropic(body, step, number)

    def _openai(self, body: dict[str, Any], step: Step, number: int) -> list[Event]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> Event:
            return Event({
                "id": f"chatcmpl-{number}", "object": "chat.completion.chunk", "created": 1_700_000_000,
                "model": body.get("model", "scripted"),
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            })  # fmt: skip

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in _pieces(step.text)]
        for index, (name, arguments) in enumerate(step.calls):
            events.append(chunk({"tool_calls": [{
                "index": index, "id": f"call_{number}_{index}", "type": "function",
                "function": {"name": name, "arguments": ""},
            }]}))  # fmt: skip
            events += [
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                for piece in _halves(json.dumps(arguments))
            ]
        events.append(chunk({}, "tool_calls" if step.calls else "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {"prompt_tokens": 100 + number, "completion_tokens": 10, "total_tokens": 110 + number}
            last = chunk({})
            assert isinstance(last.data, dict)
            events.append(Event({**last.data, "choices": [], "usage": usage}))
        events.append(Event("[DONE]"))
        return _mark_last_text(events, lambda e: isinstance(e.data, dict) and _openai_text(e.data))

    def _anthropic(self, body: dict[str, Any], step: Step, number: int) -> list[Event]:
        def event(name: str, **data: Any) -> Event:
            return Event({"type": name, **data}, name)

        events = [
            event("message_start", message={
                "id": f"msg_{number}", "type": "message", "role": "assistant",
                "model": body.get("model", "scripted"), "content": [], "stop_reason": None,
                "stop_sequence": None, "usage": {"input_tokens": 200 + number, "output_tokens": 1},
            }),
            event("ping"),
        ]  # fmt: skip
        index = 0
        if step.text:
            events.append(
                event("content_block_start", index=index, content_block={"type": "text", "text": ""})
            )
            events += [
                event("content_block_delta", index=index, delta={"type": "text_delta", "text": piece})
                for piece in _pieces(step.text)
            ]
            events.append(event("content_block_stop", index=index))
            index += 1
        for n, (name, arguments) in enumerate(step.calls):
            block = {"type": "tool_use", "id": f"toolu_{number}_{n}", "name": name, "input": {}}
            events.append(event("content_block_start", index=index, content_block=block))
            events += [
                event(
                    "content_block_delta",
                    index=index,
                    delta={"type": "input_json_delta", "partial_json": piece},
                )
                for piece in _halves(json.dumps(arguments))
            ]
            events.append(event("content_block_stop", index=index))
            index += 1
        events.append(
            event(
                "message_delta",
                delta={"stop_reason": "tool_use" if step.calls else "end_turn", "stop_sequence": None},
                usage={"output_tokens": 20},
            )
        )
        events.append(event("message_stop"))
        return _mark_last_text(
            events,
            lambda e: isinstance(e.data, dict) and (e.data.get("delta") or {}).get("type") == "text_delta",
        )


def _openai_text(data: dict[str, Any]) -> bool:
    return any(choice["delta"].get("content") for choice in data.get("choices", []))


def serve(model: ScriptedModel) -> Iterator[ScriptedModel]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            expected = "/v1/chat/completions" if model.protocol == "openai" else "/v1/messages"
            if self.path != expected:
                self.send_response(404)
                self.end_headers()
                return
            model.requests.append(body)
            model.headers.append({k.lower(): v for k, v in self.headers.items()})
            status, answer = model.answer(body)
            if isinstance(answer, dict):
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)
                return
            model.finished.clear()
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()  # HTTP/1.0: the stream ends when the connection closes
            for event in answer:
                if event.last_text and model.hold is not None:
                    model.hold.wait(HOLD_SECONDS)
                self.wfile.write(event.wire())
            model.finished.set()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    model.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield model
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
