"""One measurement in its own process: the parent starts a worker module and reads one JSON line back.

Each worker runs alone in a fresh interpreter, so its peak RSS (``VmHWM``) is its own and a crash or a
time-out costs one table cell, not the run.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

Result = dict[str, Any] | None


def run(module: str, *args: str, limit: float | None = None) -> Result:
    """The worker's result, or None when it timed out or failed (its error output is shown)."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=limit, check=True
        )
    except subprocess.TimeoutExpired:
        print(f"timed out after {limit:.0f} s: {module} {args[0]}", file=sys.stderr)
        return None
    except subprocess.CalledProcessError as exc:
        print(exc.stderr[-4000:], file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def best(module: str, *args: str, repeat: int) -> Result:
    """The fastest of ``repeat`` runs (the least disturbed by other work), with the highest peak RSS."""
    runs = [found for found in (run(module, *args) for _ in range(repeat)) if found is not None]
    if not runs:
        return None
    fastest = min(runs, key=lambda found: found["seconds"])
    return {**fastest, "rss_mb": max(found["rss_mb"] for found in runs)}


def rss_mb() -> float:
    """This process's own peak RSS; ru_maxrss would include the parent's peak inherited at fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(result: dict[str, Any]) -> None:
    """Print a worker's result as the one JSON line the parent reads."""
    print(json.dumps({**result, "rss_mb": rss_mb()}))
