"""Scripted model servers on loopback: real HTTP speaking the OpenAI chat-completions protocol and
Anthropic's Messages API, replaying a script of turns (tool calls, then an answer) and keeping every
request they received, so a test sees exactly what the SDK clients sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Step:
    """One scripted answer: tool calls ``(name, arguments)`` and/or text; or an HTTP error status."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    text: str = ""
    status: int = 200


@dataclass
class ScriptedModel:
    protocol: str  # "openai" or "anthropic"
    script: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}" + ("/v1" if self.protocol == "openai" else "")

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        step = self.script.pop(0) if self.script else Step(text="(script ended)")
        if step.status != 200:
            return step.status, {"error": {"type": "overloaded_error", "message": "try again"}}
        number = len(self.requests)
        if self.protocol == "openai":
            calls = [
                {"id": f"call_{number}_{i}", "type": "function",
                 "function": {"name": name, "arguments": json.dumps(arguments)}}
                for i, (name, arguments) in enumerate(step.calls)
            ]  # fmt: skip
            message: dict[str, Any] = {"role": "assistant", "content": step.text or None}
            if calls:
                message["tool_calls"] = calls
            return 200, {
                "id": f"chatcmpl-{number}",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": body.get("model", "scripted"),
                "choices": [
                    {"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}
                ],
                "usage": {
                    "prompt_tokens": 100 + number,
                    "completion_tokens": 10,
                    "total_tokens": 110 + number,
                },
            }
        content: list[dict[str, Any]] = [{"type": "text", "text": step.text}] if step.text else []
        content += [
            {"type": "tool_use", "id": f"toolu_{number}_{i}", "name": name, "input": arguments}
            for i, (name, arguments) in enumerate(step.calls)
        ]
        return 200, {
            "id": f"msg_{number}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "scripted"),
            "content": content,
            "stop_reason": "tool_use" if step.calls else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 200 + number, "output_tokens": 20},
        }


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
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status != 200:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(data)

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
