"""``dunops admin``: workspaces with usage, suspension of workspaces and users; ``users create
--platform-admin``."""

from __future__ import annotations

import json

from tests.cli.conftest import Invoke


def test_operators_list_suspend_and_unsuspend_workspaces_and_users(cli: Invoke) -> None:
    created = cli("users", "create", "--email", "ops@example.com", "--platform-admin")
    assert created.exit_code == 0, created.output
    assert "(platform admin)" in created.stdout
    assert cli("users", "create", "--email", "owner@example.com").exit_code == 0
    assert cli("workspaces", "create", "--name", "Acme", "--owner", "owner@example.com").exit_code == 0

    listed = json.loads(cli("admin", "workspaces", "list", "--json").stdout)
    assert listed == [
        {
            "slug": "acme",
            "name": "Acme",
            "plan": "free",
            "status": "active",
            "members": 1,
            "zones": 0,
            "rrsets": 0,
            "connections": 0,
            "changes": 0,
            "open_tickets": 0,
        }
    ]
    suspended = cli("admin", "workspaces", "suspend", "acme", "--reason", "unpaid")
    assert suspended.exit_code == 0, suspended.output
    assert "acme\tfree\tsuspended" in cli("admin", "workspaces", "list").stdout
    again = cli("admin", "workspaces", "suspend", "acme")
    assert again.exit_code == 1
    assert "already suspended" in again.stderr
    assert cli("admin", "workspaces", "unsuspend", "acme").exit_code == 0
    assert "acme\tfree\tactive" in cli("admin", "workspaces", "list").stdout

    assert cli("admin", "users", "suspend", "owner@example.com", "--reason", "abuse").exit_code == 0
    users = cli("admin", "users", "list").stdout
    assert "owner@example.com\tsuspended\t-" in users
    assert "ops@example.com\tactive\tplatform-admin" in users
    assert cli("admin", "users", "unsuspend", "owner@example.com").exit_code == 0
    assert cli("admin", "workspaces", "suspend", "nope").exit_code == 1
    assert "owner@example.com" in cli("users", "platform-admin", "owner@example.com").stdout
    revoked = cli("users", "platform-admin", "ops@example.com", "--revoke")
    assert "ops@example.com is no longer" in revoked.stdout
