"""One measurement in its own process, so that its peak RSS is its own; prints one JSON line."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from bench import measurement


def dunops_yaml(current: Path, desired: Path, origin: str) -> dict[str, Any]:
    from dunops.dns import plan_changes, read_octodns, validate

    start = time.perf_counter()
    before = read_octodns(current.read_text(encoding="utf-8"), origin)
    after = read_octodns(desired.read_text(encoding="utf-8"), origin)
    loaded = time.perf_counter()
    findings = validate(after)
    validated = time.perf_counter()
    plan = plan_changes(before, after)
    planned = time.perf_counter()
    return {
        "seconds": planned - start,
        "load": loaded - start,
        "validate": validated - loaded,
        "plan": planned - validated,
        "changes": len(plan),
        "findings": len(findings),
    }


def dunops_parse(path: Path, fmt: str, origin: str) -> dict[str, Any]:
    from dunops.dns import ZoneFormat, read_zone

    text = path.read_text(encoding="utf-8")
    start = time.perf_counter()
    zone = read_zone(text, ZoneFormat(fmt), origin)
    return {"seconds": time.perf_counter() - start, "rrsets": len(zone)}


def octodns_yaml(current: Path, desired: Path, origin: str) -> dict[str, Any]:
    from octodns.provider.yaml import YamlProvider
    from octodns.zone import Zone

    start = time.perf_counter()
    source = YamlProvider("desired", str(desired.parent), enforce_order=True)
    target = YamlProvider("current", str(current.parent), enforce_order=True)
    zone = Zone(origin, [])
    source.populate(zone)
    plan = target.plan(zone)
    return {"seconds": time.perf_counter() - start, "changes": len(plan.changes) if plan else 0}


def dnspython_bind(path: Path, origin: str) -> dict[str, Any]:
    import dns.zone

    start = time.perf_counter()
    zone = dns.zone.from_file(str(path), origin, relativize=False)
    return {"seconds": time.perf_counter() - start, "nodes": len(zone.nodes)}


def main() -> None:
    task, *args = sys.argv[1:]
    if task == "dunops-yaml":
        result = dunops_yaml(Path(args[0]), Path(args[1]), args[2])
    elif task == "dunops-parse":
        result = dunops_parse(Path(args[0]), args[1], args[2])
    elif task == "octodns-yaml":
        result = octodns_yaml(Path(args[0]), Path(args[1]), args[2])
    elif task == "dnspython-bind":
        result = dnspython_bind(Path(args[0]), args[1])
    else:
        raise SystemExit(f"unknown task {task}")
    measurement.report(result)


if __name__ == "__main__":
    main()
