"""``python -m bench [--sizes 10000,100000,1000000]``: DunOps against octoDNS 1.22 and dnspython.

Zones are generated deterministically under ``bench/.work/``; every measurement runs in its own
process (peak RSS is that process's own) with a time limit. Prints a Markdown table with ratios.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.zonegen import ORIGIN, generate, variant
from dunops.dns import write_bind, write_json, write_octodns

WORK = Path(__file__).parent / ".work"
OCTODNS_LIMIT = 180.0
OCTODNS_MAX_SIZE = 300_000  # octoDNS does not finish 300k RRsets in 180 s on this machine


def _files(size: int) -> dict[str, Path]:
    base = WORK / str(size)
    paths = {
        "current_yaml": base / "current" / f"{ORIGIN}yaml",
        "desired_yaml": base / "desired" / f"{ORIGIN}yaml",
        "bind": base / "current.zone",
        "json": base / "current.json",
    }
    if all(path.exists() for path in paths.values()):
        return paths
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    zone = generate(size)
    paths["current_yaml"].write_text(write_octodns(zone), encoding="utf-8")
    paths["desired_yaml"].write_text(write_octodns(variant(zone)), encoding="utf-8")
    paths["bind"].write_text(write_bind(zone), encoding="utf-8")
    paths["json"].write_text(write_json(zone), encoding="utf-8")
    return paths


def _run(*args: str, limit: float | None = None) -> dict[str, Any] | None:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.worker", *args],
            capture_output=True,
            text=True,
            timeout=limit,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as exc:
        print(exc.stderr, file=sys.stderr)
        raise
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _ratio(theirs: dict[str, Any] | None, ours: dict[str, Any] | None, key: str = "seconds") -> str:
    if theirs is None or ours is None:
        return "n/a"
    return f"{theirs[key] / ours[key]:.1f}×"


def _cell(result: dict[str, Any] | None, missing: str) -> str:
    return missing if result is None else f"{result['seconds']:.2f} s / {result['rss_mb']:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    rows = []
    for size in sizes:
        paths = _files(size)
        current, desired = str(paths["current_yaml"]), str(paths["desired_yaml"])
        ours = _run("dunops-yaml", current, desired, ORIGIN)
        theirs = None
        octodns_note = f"skipped (does not finish 300k in {OCTODNS_LIMIT:.0f} s)"
        if size < OCTODNS_MAX_SIZE:
            theirs = _run("octodns-yaml", current, desired, ORIGIN, limit=OCTODNS_LIMIT)
            octodns_note = f"timed out after {OCTODNS_LIMIT:.0f} s"
        bind = _run("dunops-parse", str(paths["bind"]), "bind", ORIGIN)
        yaml_parse = _run("dunops-parse", current, "octodns", ORIGIN)
        json_parse = _run("dunops-parse", str(paths["json"]), "json", ORIGIN)
        dnspython = _run("dnspython-bind", str(paths["bind"]), ORIGIN, limit=600)
        assert ours is not None
        rows.append(
            f"| {size:,} | {_cell(ours, '-')} (load {ours['load']:.2f}, validate {ours['validate']:.2f}, "
            f"plan {ours['plan']:.2f}) | {_cell(theirs, octodns_note)} | **{_ratio(theirs, ours)}** "
            f"| {_cell(bind, '-')} | {_cell(dnspython, 'timed out')} | **{_ratio(dnspython, bind)}** "
            f"| {_cell(yaml_parse, '-')} | {_cell(json_parse, '-')} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    print(
        "| RRsets | DunOps: 2 octoDNS YAML zones → validate → plan | octoDNS 1.22 YamlProvider → plan | speed-up "
        "| DunOps BIND parse | dnspython `dns.zone.from_file` | speed-up | DunOps YAML parse (1 zone) "
        "| DunOps JSON parse |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    print("\nTimes are wall-clock seconds / peak RSS of the measuring process.")


if __name__ == "__main__":
    main()
