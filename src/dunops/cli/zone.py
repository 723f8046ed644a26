"""``dunops zone``: validate, convert and diff zone files offline, with no server and no database.

Exit codes: 0 ok, 1 invalid (or changes found with ``--exit-code``), 2 usage error or unreadable file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dunops.dns import (
    ZoneFormat,
    analyse,
    check_zone,
    detect_format,
    plan_changes,
    read_zone,
    validate,
    write_zone,
)
from dunops.dns.zone import RRsetKey, Zone
from dunops.errors import InvalidInput

app = typer.Typer(help="Validate, convert and diff zone files (BIND, octoDNS YAML, JSON) offline.")

OriginOption = Annotated[
    str | None, typer.Option("--origin", help="Zone name, for files that do not name it.")
]
FormatOption = Annotated[
    ZoneFormat | None, typer.Option("--format", help="Input format; by default from the file extension.")
]
IncludeDirOption = Annotated[
    Path | None,
    typer.Option(
        "--include-dir",
        help="Allow $INCLUDE in zone files, for files inside this directory only (refused otherwise).",
        exists=True,
        file_okay=False,
        dir_okay=True,
    ),
]


def _say(line: str) -> None:
    typer.echo(line, err=True)


def _load(
    path: Path, origin: str | None, zone_format: ZoneFormat | None, include_dir: Path | None = None
) -> tuple[Zone, dict[RRsetKey, str]]:
    """Read a zone file; exits 2 when the file cannot be read and 1 when it is invalid.

    ``$INCLUDE`` names are read relative to ``include_dir`` and only files inside it are read.
    """
    try:
        chosen = zone_format or detect_format(path)
    except InvalidInput as exc:
        _say(f"error: {exc}")
        raise typer.Exit(2) from exc
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _say(f"error: cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
        raise typer.Exit(2) from exc
    positions: dict[RRsetKey, str] = {}
    notes: list[str] = []
    try:
        zone = read_zone(
            text,
            chosen,
            origin,
            filename=str(path),
            include_dir=include_dir,
            positions=positions,
            notes=notes,
        )
    except InvalidInput as exc:
        _report(exc)
        raise typer.Exit(1 if exc.problems and exc.problems[0].code != "no-origin" else 2) from exc
    for note in notes:
        _say(f"warning: {note}")
    return zone, positions


def _report(exc: InvalidInput) -> None:
    _say(f"error: {exc.detail}")
    for problem in exc.problems:
        _say(f"{problem}" + (f" [{problem.code}]" if problem.code else ""))


@app.command("validate")
def validate_command(
    file: Annotated[Path, typer.Argument(help="Zone file to check.")],
    origin: OriginOption = None,
    zone_format: FormatOption = None,
    lenient: Annotated[bool, typer.Option(help="Report errors as warnings.")] = False,
    disable: Annotated[list[str] | None, typer.Option(help="Check id to switch off (repeatable).")] = None,
    include_dir: IncludeDirOption = None,
) -> None:
    """Read a zone file and run every check; print each reason on its own line."""
    zone, positions = _load(file, origin, zone_format, include_dir)
    try:
        findings = check_zone(zone, disabled=disable or (), lenient=lenient, positions=positions)
    except InvalidInput as exc:
        for finding in validate(zone, disabled=disable or (), lenient=lenient, positions=positions):
            _say(str(finding))
        raise typer.Exit(1 if exc.problems[0].code != "unknown-check" else 2) from exc
    for finding in findings:
        _say(str(finding))
    typer.echo(f"{file}: {zone.origin} is valid ({len(zone)} RRsets, {len(findings)} warning(s))")


@app.command("convert")
def convert_command(
    file: Annotated[Path, typer.Argument(help="Zone file to convert.")],
    to: Annotated[ZoneFormat, typer.Option("--to", help="Output format.")],
    origin: OriginOption = None,
    zone_format: FormatOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    include_dir: IncludeDirOption = None,
) -> None:
    """Convert a zone file to another format; say exactly what the target format cannot hold."""
    zone, _ = _load(file, origin, zone_format, include_dir)
    text, report = write_zone(zone, to)
    for item in report.dropped:
        _say(f"dropped: {item}")
    for item in report.notes:
        _say(f"note: {item}")
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@app.command("diff")
def diff_command(
    current: Annotated[Path, typer.Argument(help="The zone as it is.")],
    desired: Annotated[Path, typer.Argument(help="The zone as it should be.")],
    origin: OriginOption = None,
    zone_format: FormatOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when there are changes.")] = False,
    include_dir: IncludeDirOption = None,
) -> None:
    """Plan the changes from CURRENT to DESIRED and show them with their safety reasons."""
    before, _ = _load(current, origin, zone_format, include_dir)
    after, _ = _load(desired, origin or before.origin, zone_format, include_dir)
    if before.origin != after.origin:
        _say(f"error: the files are different zones: {before.origin} and {after.origin}")
        raise typer.Exit(2)
    plan = plan_changes(before, after)
    reasons = analyse(plan)
    if as_json:
        typer.echo(plan.to_json(indent=2))
    else:
        typer.echo(plan.render(), nl=False)
    for reason in reasons:
        _say(f"needs acknowledgement: {reason}")
    if exit_code and plan:
        raise typer.Exit(1)
