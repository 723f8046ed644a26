"""``python -m bench [--suite commands|dns|providers|all] [--sizes 10000,100000,1000000]``: benchmarks.

The ``commands`` suite (:mod:`bench.commands`) times whole ``dunops zone`` processes as a user does,
beside octoDNS 1.22, dnspython and PyYAML's own import. The ``dns`` suite times the engine against
octoDNS 1.22 and dnspython (below); the ``providers`` suite (:mod:`bench.providers`) times imports
and applies against real PowerDNS, BIND and moto servers.

Zones are generated deterministically under ``bench/.work/``; every measurement runs in its own
process, which reports its own peak RSS (VmHWM), with a time limit. Prints a Markdown table with
the ratios, the hardware line and the date.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import sys
from pathlib import Path

from bench import measurement
from bench.zonegen import ORIGIN, generate, variant
from dunops.dns import write_bind, write_json, write_octodns

WORK = Path(__file__).parent / ".work"
OCTODNS_LIMIT = 300.0
DNSPYTHON_LIMIT = 900.0
OCTODNS_MAX_SIZE = 300_000
OCTODNS_SKIPPED = (
    "skipped: octoDNS needs over a minute per 100k RRsets (see the 100k row), "
    "so 1M would far exceed the time limit"
)
TIMES = "\N{MULTIPLICATION SIGN}"
REPEAT = 3  # DunOps runs per measurement below 300k RRsets; the fastest counts

Result = measurement.Result


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


def _best(*args: str, repeat: int) -> Result:
    return measurement.best("bench.worker", *args, repeat=repeat)


def _run(*args: str, limit: float | None = None) -> Result:
    return measurement.run("bench.worker", *args, limit=limit)


def _seconds(result: Result, key: str = "seconds") -> str:
    return "-" if result is None else f"{result[key]:.2f} s"


def _rss(result: Result) -> str:
    return "-" if result is None else f"{result['rss_mb']:.0f} MB"


def _ratio(theirs: Result, ours: Result) -> str:
    if theirs is None or ours is None:
        return "n/a"
    return f"**{theirs['seconds'] / ours['seconds']:.1f}{TIMES}**"


def _measure(size: int) -> str:
    paths = _files(size)
    current, desired = str(paths["current_yaml"]), str(paths["desired_yaml"])
    repeat = REPEAT if size < OCTODNS_MAX_SIZE else 1
    ours = _best("dunops-yaml", current, desired, ORIGIN, repeat=repeat)
    bind = _best("dunops-parse", str(paths["bind"]), "bind", ORIGIN, repeat=repeat)
    yaml_parse = _best("dunops-parse", current, "octodns", ORIGIN, repeat=repeat)
    json_parse = _best("dunops-parse", str(paths["json"]), "json", ORIGIN, repeat=repeat)
    dnspython = _run("dnspython-bind", str(paths["bind"]), ORIGIN, limit=DNSPYTHON_LIMIT)
    if repeat > 1 and dnspython is not None:
        again = _run("dnspython-bind", str(paths["bind"]), ORIGIN, limit=DNSPYTHON_LIMIT)
        if again is not None and again["seconds"] < dnspython["seconds"]:
            dnspython = {**again, "rss_mb": max(again["rss_mb"], dnspython["rss_mb"])}
    theirs: Result = None
    octodns_cell = OCTODNS_SKIPPED
    if size < OCTODNS_MAX_SIZE:
        theirs = _run("octodns-yaml", current, desired, ORIGIN, limit=OCTODNS_LIMIT)
        octodns_cell = f"timed out after {OCTODNS_LIMIT:.0f} s"
        if theirs is not None:
            octodns_cell = f"{_seconds(theirs)} / {_rss(theirs)}"
    else:
        print(f"{size:,} RRsets: octoDNS {OCTODNS_SKIPPED}", file=sys.stderr)
    assert ours is not None
    dnspython_cell = f"timed out after {DNSPYTHON_LIMIT:.0f} s"
    if dnspython is not None:
        dnspython_cell = f"{_seconds(dnspython)} / {_rss(dnspython)}"
    return (
        f"| {size:,} | {_seconds(bind)} / {_rss(bind)} | {_seconds(yaml_parse)} / {_rss(yaml_parse)} "
        f"| {_seconds(json_parse)} / {_rss(json_parse)} | {_seconds(ours, 'validate')} "
        f"| {_seconds(ours, 'plan')} | {_seconds(ours)} | {_rss(ours)} | {octodns_cell} "
        f"| {_ratio(theirs, ours)} | {dnspython_cell} | {_ratio(dnspython, bind)} |"
    )


def _hardware() -> str:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}" for name in ("octodns", "dnspython", "pyyaml")
    )
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()} on {platform.system()}, "
        f"{versions}; {datetime.date.today().isoformat()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--suite", choices=("commands", "dns", "providers", "service", "hostile", "all"), default="all"
    )
    parser.add_argument("--commands-size", type=int, default=100_000, help="RRsets for the commands suite")
    arguments = parser.parse_args()
    if arguments.suite in ("commands", "all"):
        from bench import commands

        commands.main(arguments.commands_size)
    if arguments.suite in ("dns", "all"):
        _dns_suite([int(size) for size in arguments.sizes.split(",")])
    if arguments.suite in ("providers", "all"):
        from bench import providers

        providers.main()
    if arguments.suite in ("service", "all"):
        from bench import service

        service.main()
    if arguments.suite in ("hostile", "all"):
        from bench import hostile

        hostile.main()


def _dns_suite(sizes: list[int]) -> None:
    rows = []
    for size in sizes:
        rows.append(_measure(size))
        print(rows[-1], file=sys.stderr, flush=True)
    print(
        "| RRsets | BIND parse | octoDNS YAML parse (1 zone) | JSON parse | validate | plan "
        "| end to end: 2 YAML zones → validate → plan | peak RSS (end to end) "
        "| octoDNS 1.22 YamlProvider → plan | speed-up vs octoDNS | dnspython `dns.zone.from_file` "
        "| BIND speed-up vs dnspython |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row)
    print(f"\n{_hardware()}.")
    print(
        "Wall-clock seconds / peak RSS (VmHWM) of the process that made the measurement. Below 300k "
        f"RRsets DunOps figures are the fastest of {REPEAT} runs and dnspython's of 2, with the "
        "highest peak RSS; octoDNS and everything at 1M run once."
    )


if __name__ == "__main__":
    main()
