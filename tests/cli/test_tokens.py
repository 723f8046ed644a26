"""``dunops tokens create``: prints only the token, and that token works against the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.cli.conftest import Invoke


def _workspace(cli: Invoke) -> None:
    for email in ("owner@example.com", "viewer@example.com"):
        assert cli("users", "create", "--email", email).exit_code == 0
    assert cli("workspaces", "create", "--name", "Acme", "--owner", "owner@example.com").exit_code == 0
    assert (
        cli(
            "members", "add", "--workspace", "acme", "--email", "viewer@example.com", "--role", "viewer"
        ).exit_code
        == 0
    )


def test_the_printed_token_works_for_me_and_workspaces(cli: Invoke, client: TestClient) -> None:
    _workspace(cli)
    created = cli(
        "tokens",
        "create",
        "--email",
        "owner@example.com",
        "--workspace",
        "acme",
        "--role",
        "editor",
        "--expires-days",
        "7",
        "--name",
        "ci",
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert created.stdout == token + "\n"
    assert token.startswith("dnp_")
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == "owner@example.com"
    assert me.json()["token"]["role"] == "editor"
    listed = client.get("/api/v1/workspaces", headers=headers)
    assert listed.status_code == 200
    assert [(item["slug"], item["role"]) for item in listed.json()] == [("acme", "editor")]


def test_refusals(cli: Invoke) -> None:
    _workspace(cli)
    viewer = cli(
        "tokens", "create", "--email", "viewer@example.com", "--workspace", "acme", "--role", "editor"
    )
    assert viewer.exit_code == 1
    assert viewer.stdout == ""
    assert "A token cannot have a higher role than yours: you are a viewer" in viewer.stderr
    outsider = cli(
        "tokens", "create", "--email", "owner@example.com", "--workspace", "other", "--role", "viewer"
    )
    assert outsider.exit_code == 1
    assert (
        cli(
            "tokens", "create", "--email", "owner@example.com", "--workspace", "acme", "--role", "x"
        ).exit_code
        == 2
    )
