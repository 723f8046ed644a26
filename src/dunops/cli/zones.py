"""``dunops zones``: import (from a connection or a file), list, show, sync with drift, export, the
history of versions and the diff between two, and a plan against the zone as served now."""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path
from typing import Annotated, Any

import typer

from dunops.accounts.permissions import Permission
from dunops.cli import context
from dunops.cli.output import EXIT_REFUSED, EXIT_USAGE, emit_json, fail, handled
from dunops.dns.formats import detect_format, read_zone
from dunops.dns.safety import analyse
from dunops.dns.zone import Zone as ZoneContent
from dunops.storage.models import ImportState, ZoneImport
from dunops.sync import planning
from dunops.sync import sync as zone_sync
from dunops.zones import imports, versions, zones

app = typer.Typer(help="Zones: import, list, show, sync, export, versions, diff, plan.", no_args_is_help=True)

Email = Annotated[str, typer.Option("--email", help="The member acting.")]
Slug = Annotated[str, typer.Option("--workspace", help="The workspace slug.")]
ZoneName = Annotated[str, typer.Argument(help="The zone, e.g. example.com")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
VersionNumber = Annotated[int, typer.Argument(min=1, max=context.MAX_ID, help="A version number.")]


def _describe(view: zones.ZoneView) -> str:
    zone, version = view.zone, view.version
    where = f"connection {zone.connection_id}" if zone.connection_id else "plan-only"
    current = (
        f"v{version.number} ({version.source}, {version.rrset_count} RRsets)" if version else "no version"
    )
    schedule = f"sync every {zone.sync_every_minutes} min" if zone.sync_every_minutes else "sync on demand"
    return f"{zone.fqdn}\t{where}\t{current}\t{schedule}"


@app.command("import")
@handled
def import_zone(
    email: Email,
    workspace: Slug,
    name: ZoneName,
    connection: Annotated[
        int | None,
        typer.Option("--connection", min=1, max=context.MAX_ID, help="Read it from this connection."),
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read it from a zone file (plan-only).")] = None,
    format: Annotated[str | None, typer.Option("--format", help="bind, octodns or json")] = None,
) -> None:
    """Import a zone of any size from a connection, or a plan-only zone from a file.

    The import runs here, stored a batch at a time as the server's import jobs are."""
    if (connection is None) == (file is None):
        raise fail("give exactly one of --connection or --file", EXIT_USAGE)
    settings = context.settings()
    settings.imports_dir.mkdir(parents=True, exist_ok=True)
    upload = None
    if file is not None:
        format = format or detect_format(file).value
        upload = settings.imports_dir / f"upload-{secrets.token_hex(12)}"
        try:
            shutil.copyfile(file, upload)
        except OSError as exc:
            raise fail(f"{file}: {exc.strerror}", EXIT_USAGE) from exc
    try:
        with context.unit_of_work() as session:
            grant = context.grant(session, email, workspace, Permission.ZONES_MANAGE)
            if connection is not None:
                record = imports.start_from_connection(
                    session, settings, grant, name=name, connection_id=connection
                )
            else:
                assert upload is not None
                record = imports.start_upload(
                    session,
                    settings,
                    grant,
                    name=name,
                    format=format or "bind",
                    upload=upload,
                    filename=str(file),
                )
    except BaseException:
        if upload is not None:
            upload.unlink(missing_ok=True)
        raise
    imports.run_import(context.writer(), settings, record.id)
    _refuse_failed(imports.finished(context.writer(), record.id))
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.ZONES_READ)
        typer.echo(f"imported {_describe(zones.show(session, grant, name))}")


def _refuse_failed(record: ZoneImport | None) -> None:
    if record is None or record.state is not ImportState.SUCCEEDED:
        message = record.message if record else "the import vanished"
        problems = [f"{p['field']}: {p['message']}" for p in (record.problems if record else [])]
        raise fail("\n  ".join([message, *problems]))


@app.command("list")
@handled
def listing(email: Email, workspace: Slug) -> None:
    """The workspace's zones."""
    with context.unit_of_work() as session:
        lines = [
            _describe(view)
            for view in zones.listing(
                session, context.grant(session, email, workspace, Permission.ZONES_READ)
            )
        ]
    for line in lines:
        typer.echo(line)


@app.command("show")
@handled
def show(email: Email, workspace: Slug, name: ZoneName) -> None:
    """One zone and its records as last stored."""
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.ZONES_READ)
        typer.echo(_describe(zones.show(session, grant, name)))
        cursor: str | None = ""
        while cursor is not None:
            page = zones.record_page(session, grant, name, cursor=cursor or None, limit=1000)
            for rrset in page.rrsets:
                for record in rrset.lines():
                    typer.echo(record)
            cursor = page.next_cursor


@app.command("sync")
@handled
def sync(
    email: Email,
    workspace: Slug,
    name: ZoneName,
    as_json: Annotated[bool, typer.Option("--json", help="Print the drift as JSON.")] = False,
) -> None:
    """Read the zone from its provider now; changes made outside DunOps are stored as drift."""
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.ZONES_MANAGE)
        result = zone_sync.sync(session, context.writer(), grant, context.vault(), name)
        number = result.version.number if result.version else None
    if as_json:
        emit_json({"zone": result.zone.fqdn, "changed": result.changed, "version": number,
                   "drift": result.drift.to_data()})  # fmt: skip
        return
    if not result.changed:
        typer.echo(f"{result.zone.fqdn}: no drift")
        return
    typer.echo(f"{result.zone.fqdn}: drift stored as version {number}")
    typer.echo(result.drift.render(), nl=False)


@app.command("export")
@handled
def export(
    email: Email,
    workspace: Slug,
    name: ZoneName,
    format: Annotated[str, typer.Option("--format", help="bind, octodns or json")] = "bind",
) -> None:
    """Print the zone's records in a zone format."""
    with context.unit_of_work() as session:
        text, report = zones.export(
            session, context.grant(session, email, workspace, Permission.ZONES_READ), name, format
        )
    typer.echo(text, nl=False)
    for dropped in report.dropped:
        typer.echo(f"dropped: {dropped}", err=True)


@app.command("versions")
@handled
def versions_list(email: Email, workspace: Slug, name: ZoneName, as_json: AsJson = False) -> None:
    """The zone's stored versions, newest first: number, source, size, when, by whom, why, content hash."""
    rows: list[dict[str, Any]] = []
    with context.unit_of_work() as session:
        zone = zones.get(session, context.grant(session, email, workspace, Permission.ZONES_READ), name)
        before: int | None = None
        while found := versions.listing(session, zone, before=before, limit=500):
            causes = versions.causes(session, found)
            rows.extend(
                {
                    "number": version.number,
                    "source": str(version.source),
                    "rrsets": version.rrset_count,
                    "created_at": version.created_at.isoformat(timespec="seconds"),
                    "created_by": version.created_by,
                    "cause": causes[version.id],
                    "content_hash": version.content_hash,
                }
                for version in found
            )
            before = found[-1].number
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        typer.echo(
            f"v{row['number']}\t{row['source']}\t{row['rrsets']} RRsets\t{row['created_at']}\t"
            f"{row['created_by']}\t{row['cause']}\t{row['content_hash']}"
        )


@app.command("diff")
@handled
def diff(
    email: Email,
    workspace: Slug,
    name: ZoneName,
    older: VersionNumber,
    newer: VersionNumber,
    as_json: AsJson = False,
) -> None:
    """The RRset changes from version OLDER to version NEWER (either order)."""
    with context.unit_of_work() as session:
        zone = zones.get(session, context.grant(session, email, workspace, Permission.ZONES_READ), name)
        plan = versions.diff(session, zone, older, newer)
    if as_json:
        emit_json(
            {"zone": plan.origin, "older": older, "newer": newer, "summary": plan.summary(),
             "changes": plan.to_data()}
        )  # fmt: skip
        return
    typer.echo(plan.render(), nl=False)


def _desired_zone(path: Path, format: str | None, name: str) -> ZoneContent:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"cannot read {path}: {getattr(error, 'strerror', None) or error}", EXIT_USAGE) from None
    chosen = zones.zone_format(format) if format else detect_format(path)
    return read_zone(text, chosen, zones.clean_fqdn(name, "zone") + ".", filename=str(path))


def _edit_list(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise fail(f"cannot read {path}: {error}", EXIT_USAGE) from None


@app.command("plan")
@handled
def plan(
    email: Email,
    workspace: Slug,
    name: ZoneName,
    edits: Annotated[
        Path | None, typer.Option("--edits", help="A JSON file: a list of upsert/delete edits.")
    ] = None,
    desired: Annotated[Path | None, typer.Option("--desired", help="A desired zone file.")] = None,
    format: Annotated[str | None, typer.Option("--format", help="bind, octodns or json")] = None,
    as_json: AsJson = False,
) -> None:
    """Plan edits or a desired zone against the zone as its provider serves it now; nothing is stored.

    Exits 1 when the provider cannot hold some change of the plan (each is named)."""
    if (edits is None) == (desired is None):
        raise fail("give either --edits or --desired", EXIT_USAGE)
    edit_list = _edit_list(edits) if edits is not None else None
    wanted = _desired_zone(desired, format, name) if desired is not None else None
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.CHANGES_PROPOSE)
        live = planning.plan_against_live(
            session, grant, context.vault(), name, desired=wanted, edits=edit_list
        )
    if as_json:
        emit_json(live.to_data())
    else:
        typer.echo(live.plan.render(), nl=False)
        typer.echo(f"plan hash {live.plan.hash}")
        for reason in analyse(live.plan):
            typer.echo(f"needs acknowledgement: {reason}", err=True)
        for warning in live.warnings:
            typer.echo(f"warning: {warning}", err=True)
    if live.unsupported:
        raise fail(
            "the provider cannot hold every change of this plan: "
            + "; ".join(str(problem) for problem in live.unsupported),
            EXIT_REFUSED,
        )
