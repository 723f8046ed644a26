"""``dunops workspaces``: create a workspace for an owner and list them."""

from __future__ import annotations

from tests.cli.conftest import Invoke


def test_create_and_list(cli: Invoke) -> None:
    assert cli("users", "create", "--email", "owner@example.com").exit_code == 0
    created = cli("workspaces", "create", "--name", "Acme Corp", "--owner", "owner@example.com")
    assert created.exit_code == 0, created.output
    assert created.stdout == "acme-corp\n"
    explicit = cli("workspaces", "create", "--name", "Other", "--owner", "owner@example.com", "--slug", "oth")
    assert explicit.stdout == "oth\n"
    listed = cli("workspaces", "list").stdout.splitlines()
    assert listed == [
        "acme-corp\tactive\towner@example.com\tAcme Corp",
        "oth\tactive\towner@example.com\tOther",
    ]


def test_refusals(cli: Invoke) -> None:
    assert cli("workspaces", "create", "--name", "Acme", "--owner", "ghost@example.com").exit_code == 1
    assert cli("users", "create", "--email", "owner@example.com").exit_code == 0
    bad_slug = cli("workspaces", "create", "--name", "Acme", "--owner", "owner@example.com", "--slug", "No!")
    assert bad_slug.exit_code == 1
    assert "slug" in bad_slug.stderr
    assert cli("workspaces", "create", "--owner", "owner@example.com").exit_code == 2
