"""``dunops policy``: show and change a workspace's approval policy (its default, or one zone's override).

The member named by ``--email`` acts, with the rules of the API: changing the policy needs the admin
role, and approved requests the new policy no longer admits go back to review.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from dunops.accounts.permissions import Permission
from dunops.cli import context
from dunops.cli.output import emit_json, handled
from dunops.storage.models import Role
from dunops.workflow import policy as policies
from dunops.workflow import review

app = typer.Typer(help="The approval policy: show, set.", no_args_is_help=True)

Email = Annotated[str, typer.Option("--email", help="Email of the member acting.")]
Slug = Annotated[str, typer.Option("--workspace", help="Workspace slug.")]
ZoneOption = Annotated[str | None, typer.Option("--zone", help="A zone's override instead of the default.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _line(policy: policies.Policy) -> str:
    protected = ", ".join(policy.protected_names) or "-"
    return (
        f"{policy.zone or '(default)'}\tapprovals {policy.approvals_required}\t"
        f"min role {policy.min_role}\tprotected {protected}"
    )


def _print(default: policies.Policy, overrides: list[policies.Policy], as_json: bool) -> None:
    if as_json:
        data: dict[str, Any] = {"default": default.to_data(), "zones": [o.to_data() for o in overrides]}
        emit_json(data)
        return
    typer.echo("\n".join(_line(policy) for policy in [default, *overrides]))


@app.command("show")
@handled
def show(email: Email, workspace: Slug, as_json: AsJson = False) -> None:
    """The default policy and every zone's override."""
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.WORKSPACE_READ)
        default, overrides = policies.show(session, grant)
    _print(default, overrides, as_json)


@app.command("set")
@handled
def set_policy(
    email: Email,
    workspace: Slug,
    zone: ZoneOption = None,
    approvals_required: Annotated[
        int | None,
        typer.Option(
            "--approvals-required",
            help="Approvals a change needs; 0 lets its author apply after confirming the plan.",
        ),
    ] = None,
    min_role: Annotated[Role | None, typer.Option("--min-role", help="Lowest role that may approve.")] = None,
    protected: Annotated[
        list[str] | None,
        typer.Option("--protect", help="A protected name pattern (repeat); replaces the list."),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Drop the zone's override.")] = False,
    as_json: AsJson = False,
) -> None:
    """Change the default policy, or a zone's override with --zone."""
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.POLICY_MANAGE)
        reopened = review.update_policy(
            session,
            grant,
            zone=zone,
            approvals_required=approvals_required,
            min_role=min_role.value if min_role else None,
            protected_names=protected,
            clear=clear,
        )
        default, overrides = policies.show(session, grant)
    _print(default, overrides, as_json)
    if reopened and not as_json:
        typer.echo(f"back to review: {', '.join(f'#{number}' for number in reopened)}", err=True)
