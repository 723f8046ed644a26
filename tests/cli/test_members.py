"""``dunops members add``: the operator adds an existing user to a workspace."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.accounts.users import require_by_email
from tests.cli.conftest import Invoke


def test_add_a_member(cli: Invoke, db: Session) -> None:
    for email in ("owner@example.com", "bob@example.com"):
        assert cli("users", "create", "--email", email).exit_code == 0
    assert cli("workspaces", "create", "--name", "Acme", "--owner", "owner@example.com").exit_code == 0
    added = cli("members", "add", "--workspace", "acme", "--email", "bob@example.com", "--role", "admin")
    assert added.exit_code == 0, added.output
    bob = Principal(user=require_by_email(db, "bob@example.com"))
    assert access.resolve(db, bob, "acme", Permission.MEMBERS_MANAGE).role == "admin"
    db.rollback()  # end the read so that the CLI can write (SQLite has one writer)
    again = cli("members", "add", "--workspace", "acme", "--email", "bob@example.com", "--role", "viewer")
    assert again.exit_code == 1
    assert "already a member" in again.stderr
    assert (
        cli(
            "members", "add", "--workspace", "nope", "--email", "bob@example.com", "--role", "viewer"
        ).exit_code
        == 1
    )
    assert (
        cli("members", "add", "--workspace", "acme", "--email", "bob@example.com", "--role", "king").exit_code
        == 2
    )
