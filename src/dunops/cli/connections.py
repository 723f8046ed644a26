"""``dunops connections``: add, list, test, list provider zones, remove; secrets never on the command line.

A secret field named with ``--secret NAME`` is read from the environment variable ``DUNOPS_SECRET_NAME``
when set, else asked for without echo.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from dunops.accounts.permissions import Permission
from dunops.cli import context
from dunops.cli.output import EXIT_REFUSED, EXIT_USAGE, emit_json, fail, handled
from dunops.zones import connections
from dunops.zones.kinds import ZoneDirectories

app = typer.Typer(help="Provider connections.", no_args_is_help=True)

Email = Annotated[str, typer.Option("--email", help="The member acting.")]
Slug = Annotated[str, typer.Option("--workspace", help="The workspace slug.")]


def _pairs(items: list[str], option: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator or not key:
            raise fail(f"{option} expects KEY=VALUE, got {key or item!r}", EXIT_USAGE)
        result[key.strip()] = value
    return result


def _secret(name: str) -> str:
    variable = "DUNOPS_SECRET_" + name.upper()
    value = os.environ.get(variable)
    if value:
        return value
    prompted: str = typer.prompt(f"{name}", hide_input=True)
    return prompted


@app.command("add")
@handled
def add(
    email: Email,
    workspace: Slug,
    kind: Annotated[str, typer.Option("--kind", help="zonefile, powerdns, rfc2136, route53 or cloudflare")],
    name: Annotated[str, typer.Option("--name", help="A name for the connection.")],
    config: Annotated[list[str] | None, typer.Option("--config", help="KEY=VALUE, repeatable.")] = None,
    secret: Annotated[
        list[str] | None,
        typer.Option("--secret", help="A secret field name; value from DUNOPS_SECRET_<NAME>."),
    ] = None,
) -> None:
    """Add a connection; prints its id."""
    config_values = _pairs(config or [], "--config")
    secrets = {field: _secret(field) for field in secret or []}
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.CONNECTIONS_MANAGE)
        created = connections.create(
            session,
            grant,
            context.vault(),
            kind=kind,
            name=name,
            config=config_values,
            secrets=secrets,
            directories=ZoneDirectories.for_workspace(context.settings(), grant.workspace.id),
        )
        connection_id = created.id
    typer.echo(f"connection {connection_id} added")


@app.command("list")
@handled
def listing(
    email: Email,
    workspace: Slug,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """The workspace's connections (config only; secrets are never shown)."""
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.CONNECTIONS_READ)
        rows: list[dict[str, Any]] = [
            {
                "id": c.id,
                "kind": c.kind,
                "name": c.name,
                "config": c.config,
                "zones": connections.zone_count(session, c),
                "last_test": {True: "ok", False: "failing", None: "untested"}[c.last_test_ok],
            }
            for c in connections.listing(session, grant)
        ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['id']}\t{row['kind']}\t{row['name']}\t{row['zones']} zone(s)\t{row['last_test']}")


@app.command("test")
@handled
def test(email: Email, workspace: Slug, connection_id: context.Id) -> None:
    """Try the connection against its provider (exit 1 when it does not work)."""
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.CONNECTIONS_READ)
        result = connections.try_connection(session, grant, context.vault(), connection_id)
    typer.echo(("ok: " if result.ok else "failed: ") + result.message)
    if not result.ok:
        raise typer.Exit(EXIT_REFUSED)


@app.command("zones")
@handled
def zones(email: Email, workspace: Slug, connection_id: context.Id) -> None:
    """The zones the provider holds now."""
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.CONNECTIONS_READ)
        found = connections.provider_zones(session, grant, context.vault(), connection_id)
    for zone in found:
        typer.echo(zone.name)


@app.command("remove")
@handled
def remove(
    email: Email,
    workspace: Slug,
    connection_id: context.Id,
    detach: Annotated[bool, typer.Option("--detach", help="Keep its zones as plan-only zones.")] = False,
) -> None:
    """Delete a connection (refused while zones use it, unless --detach)."""
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.CONNECTIONS_MANAGE)
        detached = connections.remove(session, grant, connection_id, detach=detach)
    typer.echo(
        f"connection {connection_id} removed" + (f"; {detached} zone(s) now plan-only" if detached else "")
    )
