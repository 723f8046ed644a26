"""``dunops audit verify`` and ``export``: check the signed chains (in the database or an exported file)
and name every problem; write one chain to a file that checks on its own."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from dunops import audit
from dunops.accounts import workspaces
from dunops.audit import ChainBreak
from dunops.audit.digest import ChainKey
from dunops.cli import context
from dunops.cli.output import EXIT_REFUSED, EXIT_USAGE, fail, handled
from dunops.errors import InvalidInput
from dunops.security.master_key import load_master_key
from dunops.storage.database import make_read_factory, reading

app = typer.Typer(help="The audit trail.", no_args_is_help=True)

INSTANCE = "(instance)"


def _report(label: str, count: int, breaks: list[ChainBreak]) -> int:
    for item in breaks:
        typer.echo(f"{label}: {item}", err=True)
    state = "ok" if not breaks else f"{len(breaks)} problem(s)"
    typer.echo(f"{label}: {count} events verified, {state}")
    return len(breaks)


def _verify_file(path: Path) -> int:
    key = ChainKey.of(load_master_key(context.settings()))
    try:
        with path.open(encoding="utf-8") as lines:
            found = audit.check_export(lines, key)
    except UnicodeDecodeError as exc:
        raise InvalidInput.single(f"not UTF-8 text (byte {exc.start})", str(path)) from exc
    except OSError as exc:
        raise fail(f"{path}: {exc.strerror}", EXIT_USAGE) from exc
    return _report(f"{found.chain} ({path.name})", found.count, found.breaks)


@app.command("verify")
@handled
def verify(
    workspace: Annotated[
        str | None,
        typer.Option("--workspace", help="Workspace slug; every chain (and the instance chain) if omitted."),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Check this exported file instead of the database.")
    ] = None,
) -> None:
    """Exit 0 when every chain is whole; 1 naming each problem (rewritten, missing, truncated) otherwise."""
    if file is not None:
        problems = _verify_file(file)
    else:
        problems = 0
        with reading(make_read_factory(context.engine())) as session:
            chains: list[tuple[str, int | None]]
            if workspace is not None:
                chains = [(workspace, workspaces.by_slug(session, workspace).id)]
            else:
                chains = [(INSTANCE, None)]
                chains += [(found.slug, found.id) for found in workspaces.every(session)]
            for label, workspace_id in chains:
                problems += _report(label, *audit.verify(session, workspace_id))
    if problems:
        raise typer.Exit(EXIT_REFUSED)


@app.command("export")
@handled
def export(
    workspace: Annotated[
        str | None, typer.Option("--workspace", help="Workspace slug; the instance chain if omitted.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (standard output if omitted).")
    ] = None,
) -> None:
    """Write one chain with its signed head as JSON lines; ``verify --file`` checks such a file."""
    with reading(make_read_factory(context.engine())) as session:
        workspace_id = None if workspace is None else workspaces.by_slug(session, workspace).id
        lines = audit.export(session, workspace_id, workspace or INSTANCE)
        if output is None:
            for line in lines:
                typer.echo(line, nl=False)
            return
        _write(output, lines)
    typer.echo(f"wrote the audit chain of {workspace or 'the instance'} to {output}")


def _write(output: Path, lines: Iterable[str]) -> None:
    """Write the file whole or not at all: an export that fails half-way leaves no partial file."""
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as handle:
            handle.writelines(lines)
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise fail(f"{output}: {exc.strerror}", EXIT_USAGE) from exc
