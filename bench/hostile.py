"""``python -m bench --suite hostile``: small hostile requests that would expand, against ``dunops serve``.

Each request is sent to a running server (SQLite, the embedded default) and timed whole; the table gives
the answer's status and size, and how much the server's peak resident memory (VmHWM) grew while
answering it, after a warm-up request of the same kind:

- an octoDNS YAML alias bomb (about 400 bytes; 9**9 strings once expanded);
- 32 ``$GENERATE`` lines of 65,536 records each (about a kilobyte; 2.1 million RRsets);
- a request body declared as 1 GB (Content-Length) and one streamed without a length past the limit;
- JSON nested 100,000 levels deep.
"""

from __future__ import annotations

import itertools
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine
from tests.servers.dunops import DunopsServer, start_dunops
from tests.zones.helpers import api_token, member

from dunops.storage.database import make_session_factory
from dunops.storage.models import Role

SLUG = "hostile"
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass
class Row:
    case: str
    sent: int
    status: int
    answer: int
    seconds: float
    memory_mb: float


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in itertools.pairwise("abcdefghij"[:levels]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _generate_bomb(lines: int = 32) -> str:
    generate = "".join(f"$GENERATE 0-65535 l{n}-$ A 192.0.2.1\n" for n in range(lines))
    return "$ORIGIN bomb.test.\n$TTL 300\n" + generate


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _streamed(size: int) -> Iterator[bytes]:
    chunk = b"x" * (1 << 20)
    for _ in range(size // len(chunk)):
        yield chunk


def _measure(server: DunopsServer, case: str, sent: int, send: httpx.Client, request: httpx.Request) -> Row:
    before = _peak_mb(server.process.pid)
    started = time.perf_counter()
    response = send.send(request)
    seconds = time.perf_counter() - started
    return Row(
        case,
        sent,
        response.status_code,
        len(response.content),
        seconds,
        _peak_mb(server.process.pid) - before,
    )


def _declared(server: DunopsServer, token: str, path: str, size: int) -> Row:
    """Headers declaring a body of ``size`` bytes, and no body: the answer must come before one is sent."""
    url = httpx.URL(server.url)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {url.host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    )
    before = _peak_mb(server.process.pid)
    started = time.perf_counter()
    with socket.create_connection((url.host, url.port or 80), timeout=30) as connection:
        connection.sendall(head.encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    seconds = time.perf_counter() - started
    status = int(answer.split(b" ", 2)[1])
    body = answer.split(b"\r\n\r\n", 1)[1]
    return Row(
        "body declared as 1 GB, none sent",
        size,
        status,
        len(body),
        seconds,
        _peak_mb(server.process.pid) - before,
    )


def run(server: DunopsServer, token: str) -> list[Row]:
    api = f"/api/v1/workspaces/{SLUG}"
    rows = []
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as client:
        # warm up: a valid import of each format, so that code paths are loaded before memory is read
        for zone_format, content in (
            ("octodns", "www:\n  type: A\n  value: 192.0.2.1\n"),
            ("bind", "$TTL 300\n"),
        ):
            client.post(
                f"{api}/zones",
                json={"name": f"warm-{zone_format}.test", "format": zone_format, "content": content},
            )
        for case, zone_format, content in (
            ("YAML alias bomb", "octodns", _alias_bomb()),
            ("$GENERATE bomb (32 lines)", "bind", _generate_bomb()),
        ):
            body = {"name": "bomb.test", "format": zone_format, "content": content}
            request = client.build_request("POST", f"{api}/zones", json=body)
            rows.append(_measure(server, case, len(content), client, request))
        rows.append(_declared(server, token, f"{api}/changes", 1 << 30))
        streamed = client.build_request(
            "POST",
            f"{api}/changes",
            content=_streamed(64 << 20),
            headers={"Content-Type": "application/json"},
        )
        rows.append(_measure(server, "64 MB body streamed without a length", 64 << 20, client, streamed))
        deep = b"[" * 100_000 + b"]" * 100_000
        nested = client.build_request(
            "POST", f"{api}/changes", content=deep, headers={"Content-Type": "application/json"}
        )
        rows.append(_measure(server, "JSON nested 100,000 deep", len(deep), client, nested))
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dunops-hostile-") as temp:
        directory = Path(temp)
        database = directory / "data" / "dunops.sqlite3"
        server = start_dunops(directory, database_url=f"sqlite:///{database}")
        try:
            engine = create_engine(f"sqlite:///{database}")
            with make_session_factory(engine)() as session:
                user, workspace = member(session, SLUG, "owner@hostile.test", Role.OWNER)
                token = api_token(session, user, workspace)
                session.commit()
            engine.dispose()
            rows = run(server, token)
        finally:
            server.stop()
    print("| request | sent | status | answer | time | server peak RSS growth |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row.case} | {row.sent:,} B | {row.status} | {row.answer:,} B | {row.seconds * 1000:.0f} ms "
            f"| {row.memory_mb:.1f} MB |"
        )
