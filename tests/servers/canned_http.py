"""A tiny HTTP server on loopback that answers every request with one canned status and body.

It stands in for a provider API that refuses, or for an internal service an attacker points a
connection at; it records the path and the Host header of each request it received.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class CannedHTTP:
    port: int = 0
    paths: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def canned_http(status: int, body: str, content_type: str = "application/json") -> Iterator[CannedHTTP]:
    served = CannedHTTP()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            served.paths.append(self.path)
            served.hosts.append(self.headers.get("Host", ""))
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            payload = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
