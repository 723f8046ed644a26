"""A load driver for a running DunOps: many clients mixing reads and writes against one workspace.

Used by the CI load tests (a few seconds) and by ``make bench --suite service`` (a minute). Each client
is a thread with its own keep-alive HTTP connection that loops over the mix until time is up; every
request's latency and outcome is kept, so a run reports errors, throughput and percentiles per kind.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

READS = ("records", "zones", "changes")


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int
    error: str = ""


@dataclass
class LoadResult:
    clients: int
    seconds: float
    rate: float | None = None
    samples: list[Sample] = field(default_factory=list)

    def of(self, *kinds: str) -> list[Sample]:
        return [s for s in self.samples if s.kind in kinds]

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.error]

    def percentile(self, kinds: tuple[str, ...], fraction: float) -> float:
        """The latency (seconds) under which ``fraction`` of the requests of ``kinds`` finished."""
        latencies = sorted(s.seconds for s in self.of(*kinds))
        if not latencies:
            return 0.0
        index = min(len(latencies) - 1, max(0, round(fraction * len(latencies)) - 1))
        return latencies[index]

    def throughput(self, *kinds: str) -> float:
        return len(self.of(*kinds)) / self.seconds if self.seconds else 0.0

    def describe(self) -> str:
        paced = f" at {self.rate:g} requests/s each" if self.rate else " (no pause)"
        lines = [f"{self.clients} clients{paced}, {self.seconds:.1f} s, {len(self.samples)} requests, "
                 f"{len(self.errors)} errors"]  # fmt: skip
        for kinds in ((k,) for k in (*READS, "write")):
            found = self.of(*kinds)
            if found:
                lines.append(
                    f"  {kinds[0]}: {len(found)} ({self.throughput(*kinds):.0f}/s), "
                    f"p50 {self.percentile(kinds, 0.5) * 1000:.0f} ms, "
                    f"p95 {self.percentile(kinds, 0.95) * 1000:.0f} ms, "
                    f"p99 {self.percentile(kinds, 0.99) * 1000:.0f} ms, "
                    f"mean {statistics.fmean(s.seconds for s in found) * 1000:.0f} ms"
                )
        for sample in self.errors[:5]:
            lines.append(f"  error: {sample.kind} {sample.status} {sample.error[:200]}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    """Where the load goes: the server, a token, the workspace and a zone with ``names`` A records."""

    base_url: str
    token: str
    workspace: str
    zone: str
    names: int


def _mix(target: Target, client: httpx.Client, number: int, rng: random.Random) -> Callable[[], Sample]:
    """The next request of client ``number``: four reads, then one write on a name of its own."""
    counter = {"done": 0}
    api = f"/api/v1/workspaces/{target.workspace}"

    def timed(kind: str, method: str, path: str, expected: int, **kwargs: object) -> Sample:
        started = time.perf_counter()
        try:
            response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            return Sample(kind, time.perf_counter() - started, 0, f"{type(exc).__name__}: {exc}")
        elapsed = time.perf_counter() - started
        error = "" if response.status_code == expected else response.text[:300]
        return Sample(kind, elapsed, response.status_code, error)

    def step() -> Sample:
        counter["done"] += 1
        turn = counter["done"] % 5
        if turn in (1, 3):
            name = f"h{rng.randrange(target.names)}"
            return timed("records", "GET", f"{api}/zones/{target.zone}/records", 200,
                         params={"name": name, "type": "A"})  # fmt: skip
        if turn == 2:
            return timed("zones", "GET", f"{api}/zones", 200)
        if turn == 4:
            return timed("changes", "GET", f"{api}/changes", 200, params={"limit": 20})
        edit = {"action": "upsert", "name": f"load-{number}-{counter['done']}", "type": "A",
                "values": [f"198.51.100.{rng.randrange(1, 255)}"]}  # fmt: skip
        body = {"zone": target.zone, "title": f"load {number}", "edits": [edit]}
        return timed("write", "POST", f"{api}/changes", 201, json=body)

    return step


def run_load(
    target: Target, *, clients: int, seconds: float, rate: float | None = None, seed: int = 7
) -> LoadResult:
    """``clients`` threads looping over the mix for ``seconds``; every request is sampled.

    Without ``rate`` each client sends its next request as soon as the last one is answered (the
    server's saturation); with ``rate`` each client starts at most ``rate`` requests a second, on a
    fixed schedule, as people and scripts do (a late answer delays nothing but itself).
    """
    result = LoadResult(clients, seconds, rate)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline: list[float] = []

    def client_loop(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        headers = {"Authorization": f"Bearer {target.token}"}
        with httpx.Client(base_url=target.base_url, headers=headers, timeout=60) as client:
            step = _mix(target, client, number, rng)
            start.wait()
            local = []
            began = time.monotonic() + (rng.random() / rate if rate else 0.0)
            sent = 0
            while time.monotonic() < deadline[0]:
                if rate:
                    due = began + sent / rate
                    if due > time.monotonic():
                        time.sleep(due - time.monotonic())
                    if time.monotonic() >= deadline[0]:
                        break
                local.append(step())
                sent += 1
        with lock:
            result.samples.extend(local)

    threads = [threading.Thread(target=client_loop, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    deadline.append(time.monotonic() + seconds)
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - began
    return result
