"""``python -m bench --suite commands``: whole processes, timed as a user times them (wall clock).

Side by side in one run: ``dunops zone diff`` of two 100k-RRset octoDNS YAML zones against octoDNS 1.22
computing the same plan, in every layout of :mod:`bench.layouts` (octoDNS's own dump among them);
``dunops zone validate`` of a 100k-RRset BIND file against dnspython's ``dns.zone.from_file``; and
``dunops zone validate`` of a tiny zone against ``python -c "import yaml"``. Each command runs in a
fresh process; the fastest of a few runs counts (octoDNS runs once).
"""

from __future__ import annotations

import compileall
import json
import subprocess
import sys
import time
from pathlib import Path

import dunops
from bench.layouts import LAYOUTS, layout
from bench.zonegen import ORIGIN, generate, variant
from dunops.dns import write_bind, write_octodns

WORK = Path(__file__).parent / ".work" / "commands"
SIZE = 100_000
REPEAT = 5
TINY_REPEAT = 30
OCTODNS_LIMIT = 600.0
TIMES = "\N{MULTIPLICATION SIGN}"
TARGETS = {"diff": 30.0, "bind": 10.0}
TINY_WITHIN = 2.0


def _dunops() -> list[str]:
    script = Path(sys.executable).with_name("dunops")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dunops.cli.main"]


def _files(size: int) -> dict[str, Path]:
    base = WORK / str(size)
    paths = {"bind": base / "zone.db", "tiny": base / "tiny" / f"{ORIGIN}yaml"}
    for name in LAYOUTS:
        paths[f"{name}-current"] = base / name / "current" / f"{ORIGIN}yaml"
        paths[f"{name}-desired"] = base / name / "desired" / f"{ORIGIN}yaml"
    missing = {key: path for key, path in paths.items() if not path.exists()}
    if not missing:
        return paths
    zone = generate(size)
    texts = {"current": write_octodns(zone), "desired": write_octodns(variant(zone))}
    for key, path in missing.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if key == "bind":
            path.write_text(write_bind(zone), encoding="utf-8")
        elif key == "tiny":
            path.write_text(write_octodns(generate(10)), encoding="utf-8")
        else:
            name, which = key.split("-")
            print(f"writing the {size:,}-RRset {which} zone, {name} layout", file=sys.stderr, flush=True)
            path.write_text(layout(name, texts[which], ORIGIN), encoding="utf-8")
    return paths


def _wall(argv: list[str], *, repeat: int = REPEAT, limit: float = OCTODNS_LIMIT) -> tuple[float, str] | None:
    """The fastest wall-clock time of ``repeat`` runs of ``argv`` and its output, or None if it failed."""
    best: tuple[float, str] | None = None
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=limit, check=False)
        except subprocess.TimeoutExpired:
            print(f"timed out after {limit:.0f} s: {' '.join(argv)}", file=sys.stderr)
            return None
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            print(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr[-2000:]}", file=sys.stderr)
            return None
        if best is None or elapsed < best[0]:
            best = (elapsed, done.stdout)
    return best


def _side_by_side(ours: list[str], theirs: list[str], repeat: int) -> list[tuple[float, str] | None]:
    """The fastest of ``repeat`` runs of each command, run in turns so that both meet the same load."""
    best: list[tuple[float, str] | None] = [None, None]
    for _ in range(repeat):
        for index, argv in enumerate((ours, theirs)):
            found = _wall(argv, repeat=1)
            if found is None:
                return [None, None]
            kept = best[index]
            if kept is None or found[0] < kept[0]:
                best[index] = found
    return best


def _bytecode() -> None:
    """Write the bytecode of DunOps' modules, as ``pip install`` does for an installed package; an
    editable install leaves it to the first run, which ``PYTHONDONTWRITEBYTECODE`` may forbid."""
    compileall.compile_dir(Path(dunops.__file__).parent, quiet=1)


def _seconds(found: tuple[float, str] | None) -> str:
    if found is None:
        return "failed"
    return f"{found[0]:.2f} s" if found[0] >= 1 else f"{found[0] * 1000:.1f} ms"


def _row(what: str, ours: tuple[float, str] | None, peer: str, theirs: tuple[float, str] | None) -> str:
    ratio = "n/a" if ours is None or theirs is None else f"**{theirs[0] / ours[0]:.1f}{TIMES}**"
    return f"| {what} | {_seconds(ours)} | {peer} | {_seconds(theirs)} | {ratio} |"


def _changes(found: tuple[float, str] | None) -> str:
    if found is None:
        return "?"
    return str(len(json.loads(found[1]).get("changes", [])))


def main(size: int = SIZE) -> None:
    paths = _files(size)
    _bytecode()
    dunops = _dunops()
    rows = []
    for name in LAYOUTS:
        current, desired = str(paths[f"{name}-current"]), str(paths[f"{name}-desired"])
        ours = _wall([*dunops, "zone", "diff", current, desired, "--origin", ORIGIN, "--json"])
        theirs = _wall(
            [sys.executable, "-m", "bench.worker", "octodns-yaml", current, desired, ORIGIN], repeat=1
        )
        octodns_changes = "?" if theirs is None else str(json.loads(theirs[1])["changes"])
        rows.append(
            _row(
                f"`dunops zone diff`, {size:,} RRsets, {name} layout ({_changes(ours)} changes)",
                ours,
                f"octoDNS 1.22 `YamlProvider` plan ({octodns_changes} changes)",
                theirs,
            )
        )
        print(rows[-1], file=sys.stderr, flush=True)
    bind = str(paths["bind"])
    ours = _wall([*dunops, "zone", "validate", bind, "--origin", ORIGIN])
    theirs = _wall(
        [
            sys.executable,
            "-c",
            "import sys, dns.zone; dns.zone.from_file(sys.argv[1], sys.argv[2], relativize=False)",
            bind,
            ORIGIN,
        ],
        repeat=2,
    )
    what = f"`dunops zone validate`, {size:,}-RRset BIND file"
    rows.append(_row(what, ours, "dnspython `from_file`", theirs))
    tiny_ours, tiny_yaml = _side_by_side(
        [*dunops, "zone", "validate", str(paths["tiny"]), "--origin", ORIGIN],
        [sys.executable, "-c", "import yaml"],
        TINY_REPEAT,
    )
    tiny = "n/a"
    if tiny_ours is not None and tiny_yaml is not None:
        tiny = f"**{tiny_ours[0] / tiny_yaml[0]:.1f}{TIMES} as long**"
    rows.append(
        f'| `dunops zone validate`, 10-RRset YAML zone | {_seconds(tiny_ours)} | `python -c "import yaml"` '
        f"| {_seconds(tiny_yaml)} | {tiny} |"
    )
    print("| command (whole process) | DunOps | peer | peer's time | ratio |")
    print("|---|---:|---|---:|---:|")
    for row in rows:
        print(row)
    print(
        f"\nTargets: zone diff ≥ {TARGETS['diff']:.0f}{TIMES} faster than octoDNS on every layout; "
        f"BIND validate ≥ {TARGETS['bind']:.0f}{TIMES} faster than dnspython; a tiny zone's validate "
        f"within {TINY_WITHIN:.0f}{TIMES} of importing PyYAML. Wall-clock time of the whole command, "
        f"fastest of {REPEAT} runs ({TINY_REPEAT} in turns with PyYAML's import for the tiny zone, 2 for "
        f"dnspython, 1 for octoDNS)."
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else SIZE)
