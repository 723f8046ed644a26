"""``dunops users``: create, list, suspend and unsuspend through the CLI."""

from __future__ import annotations

from tests.cli.conftest import Invoke


def test_create_list_suspend_unsuspend(cli: Invoke) -> None:
    created = cli("users", "create", "--email", "Alice@Example.com", "--name", "Alice")
    assert created.exit_code == 0, created.output
    assert "alice@example.com" in created.output
    listed = cli("users", "list")
    assert listed.exit_code == 0
    assert "alice@example.com\tactive\tAlice" in listed.stdout
    assert cli("users", "suspend", "alice@example.com").exit_code == 0
    assert "alice@example.com\tsuspended" in cli("users", "list").stdout
    assert cli("users", "unsuspend", "ALICE@example.com").exit_code == 0
    assert "alice@example.com\tactive" in cli("users", "list").stdout


def test_refusals_exit_1_and_usage_errors_exit_2(cli: Invoke) -> None:
    assert cli("users", "create", "--email", "alice@example.com").exit_code == 0
    duplicate = cli("users", "create", "--email", "alice@example.com")
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.stderr
    bad = cli("users", "create", "--email", "not an email")
    assert bad.exit_code == 1
    assert "not an email address" in bad.stderr
    assert cli("users", "suspend", "ghost@example.com").exit_code == 1
    assert cli("users", "create").exit_code == 2
