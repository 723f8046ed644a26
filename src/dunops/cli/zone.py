"""``dunops zone``: validate, convert and diff zone files offline, with no server and no database.

People run these in CI jobs and pre-commit hooks, many times a day, so the command starts in the time
it takes to import PyYAML: it is read with the standard library's ``argparse`` and loads the DNS engine
and nothing else (no command-line framework, web framework, database or queue); ``dunops`` sends
``zone`` here before it loads the rest of the CLI (:mod:`dunops.cli.entry`).

Exit codes: 0 ok, 1 invalid (or changes found with ``--exit-code``), 2 usage error or unreadable file.
"""

from __future__ import annotations

import argparse
import sys
from os import path as os_path

from dunops.dns.formats import ZoneFormat, detect_format, read_zone
from dunops.errors import InvalidInput

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from dunops.dns.formats.octodns import EntryMemo
    from dunops.dns.zone import RRsetKey, Zone

HELP = "Validate, convert and diff zone files (BIND, octoDNS YAML, JSON) offline."
_FORMATS = [zone_format.value for zone_format in ZoneFormat]


class _Exit(Exception):
    """Stop the command with an exit code; what to say has been said."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _directory(text: str) -> str:
    if not os_path.isdir(text):
        raise argparse.ArgumentTypeError(f"directory {text!r} does not exist")
    return text


def _load(
    path: str,
    origin: str | None,
    zone_format: str | None,
    include_dir: str | None = None,
    memo: EntryMemo | None = None,
) -> tuple[Zone, dict[RRsetKey, str]]:
    """Read a zone file; stops with 2 when the file cannot be read and 1 when it is invalid.

    ``$INCLUDE`` names are read relative to ``include_dir`` and only files inside it are read; an
    octoDNS file read with the ``memo`` of another version of it reads only the entries that changed.
    """
    try:
        chosen = ZoneFormat(zone_format) if zone_format else detect_format(path)
    except InvalidInput as exc:
        _say(f"error: {exc}")
        raise _Exit(2) from exc
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        _say(f"error: cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
        raise _Exit(2) from exc
    positions: dict[RRsetKey, str] = {}
    notes: list[str] = []
    try:
        zone = read_zone(
            text,
            chosen,
            origin,
            filename=path,
            include_dir=include_dir,
            positions=positions,
            notes=notes,
            memo=memo,
        )
    except InvalidInput as exc:
        _report(exc)
        raise _Exit(1 if exc.problems and exc.problems[0].code != "no-origin" else 2) from exc
    for note in notes:
        _say(f"warning: {note}")
    return zone, positions


def _report(exc: InvalidInput) -> None:
    _say(f"error: {exc.detail}")
    for problem in exc.problems:
        _say(f"{problem}" + (f" [{problem.code}]" if problem.code else ""))


def validate_command(arguments: argparse.Namespace) -> int:
    """Read a zone file and run every check; print each reason on its own line."""
    from dunops.dns.validation import check_zone, validate

    zone, positions = _load(arguments.file, arguments.origin, arguments.format, arguments.include_dir)
    disabled = arguments.disable or ()
    try:
        findings = check_zone(zone, disabled=disabled, lenient=arguments.lenient, positions=positions)
    except InvalidInput as exc:
        for finding in validate(zone, disabled=disabled, lenient=arguments.lenient, positions=positions):
            _say(str(finding))
        return 1 if exc.problems[0].code != "unknown-check" else 2
    for finding in findings:
        _say(str(finding))
    print(f"{arguments.file}: {zone.origin} is valid ({len(zone)} RRsets, {len(findings)} warning(s))")
    return 0


def convert_command(arguments: argparse.Namespace) -> int:
    """Convert a zone file to another format; say exactly what the target format cannot hold."""
    from dunops.dns.formats import write_zone

    zone, _ = _load(arguments.file, arguments.origin, arguments.format, arguments.include_dir)
    text, report = write_zone(zone, ZoneFormat(arguments.to))
    for item in report.dropped:
        _say(f"dropped: {item}")
    for item in report.notes:
        _say(f"note: {item}")
    if arguments.output is None:
        sys.stdout.write(text)
    else:
        with open(arguments.output, "w", encoding="utf-8") as file:
            file.write(text)
    return 0


def diff_command(arguments: argparse.Namespace) -> int:
    """Plan the changes from CURRENT to DESIRED and show them with their safety reasons."""
    from dunops.dns.formats.octodns import EntryMemo
    from dunops.dns.plan import plan_changes
    from dunops.dns.safety import analyse

    memo = EntryMemo()  # the desired version reads only the entries that differ from the current one
    before, _ = _load(arguments.current, arguments.origin, arguments.format, arguments.include_dir, memo)
    after, _ = _load(
        arguments.desired, arguments.origin or before.origin, arguments.format, arguments.include_dir, memo
    )
    if before.origin != after.origin:
        _say(f"error: the files are different zones: {before.origin} and {after.origin}")
        return 2
    plan = plan_changes(before, after)
    reasons = analyse(plan)
    if arguments.json:
        print(plan.to_json(indent=2))
    else:
        sys.stdout.write(plan.render())
    for reason in reasons:
        _say(f"needs acknowledgement: {reason}")
    return 1 if arguments.exit_code and plan else 0


def _reading_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--origin", help="Zone name, for files that do not name it.")
    parser.add_argument(
        "--format", choices=_FORMATS, help="Input format; by default from the file extension."
    )
    parser.add_argument(
        "--include-dir",
        type=_directory,
        metavar="DIRECTORY",
        help="Allow $INCLUDE in zone files, for files inside this directory only (refused otherwise).",
    )


def parser(prog: str = "dunops zone") -> argparse.ArgumentParser:
    """The command line of ``dunops zone`` and its three commands."""
    main = argparse.ArgumentParser(prog=prog, description=HELP)
    commands = main.add_subparsers(title="commands", metavar="COMMAND", required=True, prog=prog)

    validate = commands.add_parser(
        "validate", help=validate_command.__doc__, description=validate_command.__doc__
    )
    validate.add_argument("file", metavar="FILE", help="Zone file to check.")
    _reading_options(validate)
    validate.add_argument(
        "--lenient",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="Report errors as warnings.",
    )
    validate.add_argument(
        "--disable", action="append", metavar="CHECK", help="Check id to switch off (repeatable)."
    )
    validate.set_defaults(run=validate_command)

    convert = commands.add_parser(
        "convert", help=convert_command.__doc__, description=convert_command.__doc__
    )
    convert.add_argument("file", metavar="FILE", help="Zone file to convert.")
    convert.add_argument("--to", required=True, choices=_FORMATS, help="Output format.")
    _reading_options(convert)
    convert.add_argument("--output", "-o", metavar="PATH", help="Write here instead of stdout.")
    convert.set_defaults(run=convert_command)

    diff = commands.add_parser("diff", help=diff_command.__doc__, description=diff_command.__doc__)
    diff.add_argument("current", metavar="CURRENT", help="The zone as it is.")
    diff.add_argument("desired", metavar="DESIRED", help="The zone as it should be.")
    _reading_options(diff)
    diff.add_argument("--json", action="store_true", help="Print the plan as JSON.")
    diff.add_argument("--exit-code", action="store_true", help="Exit 1 when there are changes.")
    diff.set_defaults(run=diff_command)
    return main


def main(argv: Sequence[str] | None = None, prog: str = "dunops zone") -> int:
    """Run ``dunops zone`` with ``argv`` (the arguments after ``zone``); the exit code."""
    arguments = parser(prog).parse_args(argv)
    try:
        code: int = arguments.run(arguments)
    except _Exit as stop:
        return stop.code
    return code
