"""One provider measurement in its own process (its own peak RSS); prints one JSON line.

``fetch CONNECTION ORIGIN`` times ``Provider.fetch``. ``apply CONNECTION DESIRED_YAML ORIGIN
[--profile PATH]`` times what a user pays to apply a desired zone (read it, fetch,
plan, ``Provider.apply`` with its compare-and-set re-read and read-back), then checks that the
provider serves the desired zone. ``octodns CONFIG ORIGIN`` times octoDNS's ``Manager.sync`` (read,
plan, apply) with the same desired zone.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import measurement

PROVIDER_TIMEOUT = 300.0


def _provider(connection: Path) -> Any:
    from dunops.providers import build

    data = json.loads(connection.read_text(encoding="utf-8"))
    return build(data["kind"], data["config"], data["secrets"], timeout=PROVIDER_TIMEOUT, name="bench")


def fetch(connection: Path, origin: str) -> dict[str, Any]:
    provider = _provider(connection)
    start = time.perf_counter()
    zone = provider.fetch(origin)
    return {"seconds": time.perf_counter() - start, "rrsets": len(zone)}


def _apply(provider: Any, desired_yaml: Path, origin: str) -> dict[str, Any]:
    from dunops.dns import plan_changes, read_octodns

    start = time.perf_counter()
    desired = read_octodns(desired_yaml.read_text(encoding="utf-8"), origin)
    loaded = time.perf_counter()
    current = provider.fetch(origin)
    fetched = time.perf_counter()
    plan = plan_changes(current, desired, provider.capabilities.for_planning())
    planned = time.perf_counter()
    result = provider.apply(plan)
    applied = time.perf_counter()
    return {
        "seconds": applied - start,
        "read_desired": loaded - start,
        "fetch": fetched - loaded,
        "plan": planned - fetched,
        "apply": applied - planned,
        "changes": len(plan),
        "outcomes": dict(Counter(str(outcome.status) for outcome in result.outcomes)),
        "messages": sorted({outcome.message for outcome in result.outcomes if outcome.message})[:3],
        "desired": desired,
    }


def apply(connection: Path, desired_yaml: Path, origin: str, profile: str = "") -> dict[str, Any]:
    from dunops.dns import plan_changes

    provider = _provider(connection)
    if profile:
        profiler = cProfile.Profile()
        result = profiler.runcall(_apply, provider, desired_yaml, origin)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        Path(profile).write_text(out.getvalue(), encoding="utf-8")
    else:
        result = _apply(provider, desired_yaml, origin)
    desired = result.pop("desired")
    result["left_over"] = len(plan_changes(provider.fetch(origin), desired))
    return result


def octodns(config: Path, origin: str) -> dict[str, Any]:
    from octodns.manager import Manager

    manager = Manager(str(config))
    start = time.perf_counter()
    changes = manager.sync(eligible_zones=[origin], dry_run=False)
    return {"seconds": time.perf_counter() - start, "changes": changes}


def main() -> None:
    task, *args = sys.argv[1:]
    if task == "fetch":
        result = fetch(Path(args[0]), args[1])
    elif task == "apply":
        options = dict(zip(args[3::2], args[4::2], strict=True))
        result = apply(Path(args[0]), Path(args[1]), args[2], options.get("--profile", ""))
    elif task == "octodns":
        result = octodns(Path(args[0]), args[1])
    else:
        raise SystemExit(f"unknown task {task}")
    measurement.report(result)


if __name__ == "__main__":
    main()
