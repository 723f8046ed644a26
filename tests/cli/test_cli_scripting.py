"""The CLI holds the API's rules and gives a script what it needs: suspension refused on every command,
approvals that can never leave a request stuck, ``apply --wait`` exit codes that say what happened, and
the commands to revise, comment, cancel, manage members and tokens, and read a zone's history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.cli import context
from dunops.jobs import queue_for
from dunops.storage.models import Approval, Role
from tests.cli.conftest import Invoke
from tests.workflow.support import empty_dns_server  # noqa: F401
from tests.zones.helpers import ZONE_TEXT, member, zone_directory

OWNER = ["--email", "owner@example.com", "--workspace", "acme"]
AUTHOR = ["--email", "author@example.com", "--workspace", "acme"]
REVIEWER = ["--email", "reviewer@example.com", "--workspace", "acme"]
API = {"action": "upsert", "name": "api", "type": "A", "ttl": 300, "values": ["192.0.2.7"]}


def _team(cli: Invoke, db: Session, tmp_path: Path, *config: str) -> Path:
    """Members of ``acme`` and the zone ``example.test`` imported from a zone-file connection."""
    for email, role in [
        ("owner@example.com", Role.OWNER),
        ("author@example.com", Role.EDITOR),
        ("reviewer@example.com", Role.EDITOR),
        ("viewer@example.com", Role.VIEWER),
    ]:
        member(db, "acme", email, role)
    db.commit()
    directory = zone_directory(tmp_path)
    settings = [f"--config=directory={directory}", *(f"--config={item}" for item in config)]
    added = cli("connections", "add", *OWNER, "--kind", "zonefile", "--name", "files", *settings)
    assert added.exit_code == 0, added.output
    imported = cli("zones", "import", *OWNER, "example.test", "--connection", added.stdout.split()[1])
    assert imported.exit_code == 0, imported.output
    return directory


@pytest.fixture
def zone_files(cli: Invoke, db: Session, tmp_path: Path) -> Path:
    return _team(cli, db, tmp_path)


def _show(cli: Invoke, change_id: int) -> dict[str, Any]:
    shown = cli("changes", "show", *OWNER, change_id, "--json")
    assert shown.exit_code == 0, shown.output
    data: dict[str, Any] = json.loads(shown.stdout)
    return data


def _edits(tmp_path: Path, *edits: dict[str, Any]) -> Path:
    path = tmp_path / "edits.json"
    path.write_text(json.dumps(list(edits)))
    return path


def _create(cli: Invoke, tmp_path: Path, *edits: dict[str, Any]) -> tuple[int, str]:
    """A change request by the author, submitted for review; its number and plan hash."""
    path = _edits(tmp_path, *(edits or [API]))
    created = cli(
        "changes", "create", *AUTHOR, "example.test", "--title", "Add api", "--edits", path, "--submit"
    )
    assert created.exit_code == 0, created.output
    change_id = int(created.stdout.split("\t")[0].removeprefix("#"))
    return change_id, _show(cli, change_id)["current_revision"]["plan_hash"]


def _approve(cli: Invoke, who: list[str], change_id: int, plan_hash: str) -> Result:
    return cli("changes", "approve", *who, change_id, "--plan-hash", plan_hash)


def _one_line(result: Result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- suspension and approvals ----------------------------------------------------------------------


def test_a_suspended_member_is_refused_and_no_approval_is_recorded(
    cli: Invoke, db: Session, zone_files: Path, tmp_path: Path
) -> None:
    change_id, plan_hash = _create(cli, tmp_path)
    assert cli("users", "suspend", "reviewer@example.com").exit_code == 0

    refused = _approve(cli, REVIEWER, change_id, plan_hash)
    assert refused.exit_code == 1
    assert "reviewer@example.com is suspended" in _one_line(refused)
    assert refused.stdout == ""
    assert cli("changes", "list", *REVIEWER).exit_code == 1
    assert "reviewer@example.com is suspended" in cli("changes", "reject", *REVIEWER, change_id).stderr
    assert cli("tokens", "create", *REVIEWER, "--role", "viewer").exit_code == 1
    shown = _show(cli, change_id)
    assert (shown["state"], shown["approvals"], shown["valid_approvals"]) == ("pending_review", [], 0)
    assert db.scalars(select(Approval)).all() == []
    db.rollback()  # end the read so that the CLI can write (SQLite has one writer)

    # back from suspension, the same member approves once and the request moves on at once
    assert cli("users", "unsuspend", "reviewer@example.com").exit_code == 0
    approved = _approve(cli, REVIEWER, change_id, plan_hash)
    assert approved.exit_code == 0, approved.output
    assert approved.stdout.startswith(f"#{change_id}\tapproved\texample.test\tr1 plan {plan_hash}")
    applied = cli("changes", "apply", *AUTHOR, change_id, "--wait")
    assert applied.exit_code == 0, applied.output
    assert "192.0.2.7" in (zone_files / "example.test.zone").read_text()


def test_an_approval_that_lapsed_and_came_back_does_not_leave_the_request_stuck(
    cli: Invoke, zone_files: Path, tmp_path: Path
) -> None:
    change_id, plan_hash = _create(cli, tmp_path)
    assert "\tapproved\t" in _approve(cli, REVIEWER, change_id, plan_hash).stdout
    assert cli("users", "suspend", "reviewer@example.com").exit_code == 0
    lapsed = cli("changes", "apply", *AUTHOR, change_id, "--wait")
    assert lapsed.exit_code == 1
    assert "back in review" in lapsed.stderr
    assert cli("users", "unsuspend", "reviewer@example.com").exit_code == 0
    shown = _show(cli, change_id)
    assert (shown["state"], shown["valid_approvals"], shown["approvals_required"]) == ("pending_review", 1, 1)

    # the approver confirms: the request is approved (not "already reviewed") and applies
    confirmed = _approve(cli, REVIEWER, change_id, plan_hash)
    assert confirmed.exit_code == 0, confirmed.output
    assert "\tapproved\t" in confirmed.stdout
    assert len(_show(cli, change_id)["approvals"]) == 1
    applied = cli("changes", "apply", *AUTHOR, change_id, "--wait")
    assert applied.exit_code == 0, applied.output
    assert "192.0.2.7" in (zone_files / "example.test.zone").read_text()


def test_a_second_approval_that_does_not_settle_the_request_is_still_refused(
    cli: Invoke, zone_files: Path, tmp_path: Path
) -> None:
    change_id, plan_hash = _create(cli, tmp_path)
    assert "\tapproved\t" in _approve(cli, REVIEWER, change_id, plan_hash).stdout
    again = _approve(cli, REVIEWER, change_id, plan_hash)
    assert again.exit_code == 1
    assert "only a request pending review can be approved" in _one_line(again)


def test_review_commands_print_the_zone_name(cli: Invoke, zone_files: Path, tmp_path: Path) -> None:
    draft = cli(
        "changes", "create", *AUTHOR, "example.test", "--title", "Draft", "--edits", _edits(tmp_path, API)
    )
    submitted = cli("changes", "submit", *AUTHOR, draft.stdout.split("\t")[0].removeprefix("#"))
    assert submitted.stdout.startswith("#1\tpending_review\texample.test\t"), submitted.output
    approved = _approve(cli, REVIEWER, 1, _show(cli, 1)["current_revision"]["plan_hash"])
    assert approved.stdout.startswith("#1\tapproved\texample.test\t"), approved.output
    second, _ = _create(cli, tmp_path, {**API, "name": "other"})
    rejected = cli("changes", "reject", *REVIEWER, second)
    assert rejected.stdout.startswith(f"#{second}\trejected\texample.test\t"), rejected.output


# -- apply --wait ----------------------------------------------------------------------------------


def test_apply_wait_exits_non_zero_with_the_reason_when_the_request_went_stale(
    cli: Invoke, zone_files: Path, tmp_path: Path
) -> None:
    change_id, plan_hash = _create(cli, tmp_path)
    _approve(cli, REVIEWER, change_id, plan_hash)
    zone_file = zone_files / "example.test.zone"
    zone_file.write_text(ZONE_TEXT + "api 300 IN A 192.0.2.50\n")  # changed outside DunOps meanwhile

    applied = cli("changes", "apply", *AUTHOR, change_id, "--wait")
    assert applied.exit_code == 1
    reason = _one_line(applied)
    assert reason.startswith(f"error: deployment 1 of change request #{change_id} went stale")
    assert "api.example.test" in reason
    assert applied.stdout.startswith("deployment 1\tstale\t")
    assert "192.0.2.7" not in zone_file.read_text()
    assert _show(cli, change_id)["state"] == "stale"


def test_apply_wait_exits_non_zero_with_the_reason_when_the_deployment_failed(
    cli: Invoke, zone_files: Path, tmp_path: Path
) -> None:
    change_id, plan_hash = _create(cli, tmp_path)
    _approve(cli, REVIEWER, change_id, plan_hash)
    zone_file = zone_files / "example.test.zone"
    zone_file.write_text(ZONE_TEXT + "broken 300 IN A not-an-address\n")

    applied = cli("changes", "apply", *AUTHOR, change_id, "--wait", "--json")
    assert applied.exit_code == 1
    reason = _one_line(applied)
    assert reason.startswith(f"error: deployment 1 of change request #{change_id} failed: ")
    assert "reading the zone file" in reason
    assert "nothing was written" in reason
    assert json.loads(applied.stdout)["state"] == "failed"
    assert _show(cli, change_id)["state"] == "approved"  # applied again once the file is repaired


def test_apply_wait_exits_3_still_verifying_when_the_servers_do_not_serve_it_yet(
    cli: Invoke,
    db: Session,
    tmp_path: Path,
    empty_dns_server: int,  # noqa: F811
) -> None:
    directory = _team(cli, db, tmp_path, f"server_address=127.0.0.1:{empty_dns_server}")
    change_id, plan_hash = _create(cli, tmp_path)
    _approve(cli, REVIEWER, change_id, plan_hash)
    queued = cli("changes", "apply", *AUTHOR, change_id)
    assert queued.exit_code == 0, queued.output
    assert queued.stdout.startswith("deployment 1\tqueued\t")
    queue = queue_for(context.settings())
    queue.huey.flush()  # run it with a short verification window instead of the default one
    queue.enqueue("workflow.apply", deployment_id=1, verify_attempts=2, verify_interval=0.05)

    waited = cli("changes", "apply", *AUTHOR, change_id, "--wait")
    assert waited.exit_code == 3
    assert "is applied, still verifying: not yet served" in _one_line(waited)
    assert waited.stdout.startswith("deployment 1\tunverified\t")
    assert "192.0.2.7" in (directory / "example.test.zone").read_text()


def test_apply_wait_exits_0_for_a_plan_only_zone_which_nothing_serves(
    cli: Invoke, db: Session, tmp_path: Path
) -> None:
    for email in ("owner@example.com", "author@example.com", "reviewer@example.com"):
        member(db, "acme", email, Role.OWNER if email.startswith("owner") else Role.EDITOR)
    db.commit()
    upload = tmp_path / "example.test.zone"
    upload.write_text(ZONE_TEXT)
    imported = cli("zones", "import", *OWNER, "example.test", "--file", upload)
    assert imported.exit_code == 0, imported.output
    change_id, plan_hash = _create(cli, tmp_path)
    _approve(cli, REVIEWER, change_id, plan_hash)

    waited = cli("changes", "apply", *AUTHOR, change_id, "--wait", "--timeout", "30")
    assert waited.exit_code == 0, waited.output
    assert waited.stdout.startswith("deployment 1\tapplied\t")
    assert "plan-only" in waited.stdout


def test_apply_wait_exits_3_still_applying_when_another_worker_holds_the_job(
    cli: Invoke, zone_files: Path, tmp_path: Path
) -> None:
    change_id, plan_hash = _create(cli, tmp_path)
    _approve(cli, REVIEWER, change_id, plan_hash)
    assert cli("changes", "apply", *AUTHOR, change_id).exit_code == 0
    queue_for(context.settings()).huey.flush()  # taken by a worker that has not run it yet

    waited = cli("changes", "apply", *AUTHOR, change_id, "--wait", "--timeout", "0.2")
    assert waited.exit_code == 3
    assert "is queued, still applying" in _one_line(waited)


# -- revise, comment, cancel -----------------------------------------------------------------------


def test_revise_comment_and_cancel(cli: Invoke, zone_files: Path, tmp_path: Path) -> None:
    change_id, first_hash = _create(cli, tmp_path)
    _approve(cli, REVIEWER, change_id, first_hash)

    revised = cli(
        "changes", "revise", *AUTHOR, change_id, "--edits", _edits(tmp_path, {**API, "values": ["192.0.2.8"]})
    )
    assert revised.exit_code == 0, revised.output
    assert revised.stdout.startswith(f"#{change_id}\tpending_review\texample.test\tr2 plan ")
    assert "+api.example.test. 300 IN A 192.0.2.8" in revised.stdout
    assert "approvals 0/1" in revised.stdout  # the approval of revision 1 no longer counts
    shown = _show(cli, change_id)
    assert shown["current_revision"]["number"] == 2
    assert shown["current_revision"]["plan_hash"] != first_hash
    retitled = cli("changes", "revise", *AUTHOR, change_id, "--title", "Point api at .8")
    assert retitled.exit_code == 0, retitled.output
    assert retitled.stdout.startswith(f"#{change_id}\tpending_review\texample.test\tr3 plan ")
    assert retitled.stdout.splitlines()[0].endswith("\tPoint api at .8")
    both = cli("changes", "revise", *AUTHOR, change_id, "--edits", "a.json", "--desired", "b.zone")
    assert both.exit_code == 2
    assert cli("changes", "revise", *REVIEWER, change_id, "--title", "Mine").exit_code == 1

    commented = cli("changes", "comment", *REVIEWER, change_id, "Why .8?")
    assert commented.exit_code == 0, commented.output
    assert commented.stdout == f"comment 1 on change request #{change_id} by reviewer@example.com\n"
    as_json = json.loads(cli("changes", "comment", *AUTHOR, change_id, "Moved", "--json").stdout)
    assert (as_json["id"], as_json["author"], as_json["body"]) == (2, "author@example.com", "Moved")
    assert cli("changes", "comment", *AUTHOR, change_id, "").exit_code == 1

    assert "only the author" in cli("changes", "cancel", *REVIEWER, change_id).stderr
    cancelled = cli("changes", "cancel", *AUTHOR, change_id)
    assert cancelled.exit_code == 0, cancelled.output
    assert cancelled.stdout.startswith(f"#{change_id}\tcancelled\texample.test\t")
    again = cli("changes", "cancel", *AUTHOR, change_id)
    assert again.exit_code == 1
    assert "'cancelled' cannot move to 'cancelled'" in _one_line(again)
    assert cli("changes", "cancel", *AUTHOR, 99).exit_code == 1


# -- members and tokens ----------------------------------------------------------------------------


def test_members_list_set_role_and_remove(
    cli: Invoke, zone_files: Path, tmp_path: Path, client: TestClient
) -> None:
    listed = cli("members", "list", "--workspace", "acme")
    assert listed.exit_code == 0, listed.output
    assert [line.split("\t")[1:3] for line in listed.stdout.splitlines()] == [
        ["author@example.com", "editor"],
        ["owner@example.com", "owner"],
        ["reviewer@example.com", "editor"],
        ["viewer@example.com", "viewer"],
    ]
    rows = json.loads(cli("members", "list", "--workspace", "acme", "--json").stdout)
    assert {row["email"]: row["role"] for row in rows}["viewer@example.com"] == "viewer"

    demoted = cli(
        "members", "set-role", "--workspace", "acme", "--email", "reviewer@example.com", "--role", "viewer"
    )
    assert demoted.exit_code == 0, demoted.output
    assert demoted.stdout == "reviewer@example.com is viewer in acme\n"
    change_id, plan_hash = _create(cli, tmp_path)
    refused = _approve(cli, REVIEWER, change_id, plan_hash)
    assert refused.exit_code == 1
    assert "viewer" in _one_line(refused)
    last_owner = cli(
        "members", "set-role", "--workspace", "acme", "--email", "owner@example.com", "--role", "admin"
    )
    assert last_owner.exit_code == 1
    assert "last owner" in _one_line(last_owner)
    assert (
        cli(
            "members", "set-role", "--workspace", "acme", "--email", "x@example.com", "--role", "viewer"
        ).exit_code
        == 1
    )
    assert (
        cli(
            "members", "set-role", "--workspace", "acme", "--email", "a@example.com", "--role", "king"
        ).exit_code
        == 2
    )

    token = cli("tokens", "create", *AUTHOR, "--role", "editor").stdout.strip()
    assert (
        client.get("/api/v1/workspaces/acme", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    removed = cli("members", "remove", "--workspace", "acme", "--email", "author@example.com")
    assert removed.exit_code == 0, removed.output
    assert removed.stdout == "removed author@example.com from acme\n"
    assert "author@example.com" not in cli("members", "list", "--workspace", "acme").stdout
    assert (
        client.get("/api/v1/workspaces/acme", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    assert cli("changes", "list", *AUTHOR).exit_code == 1
    again = cli("members", "remove", "--workspace", "acme", "--email", "author@example.com")
    assert again.exit_code == 1
    assert "not a member" in _one_line(again)
    assert (
        "last owner" in cli("members", "remove", "--workspace", "acme", "--email", "owner@example.com").stderr
    )


def test_tokens_list_and_revoke(cli: Invoke, zone_files: Path, client: TestClient) -> None:
    author_token = cli("tokens", "create", *AUTHOR, "--role", "viewer", "--name", "ci").stdout.strip()
    owner_token = cli("tokens", "create", *OWNER, "--role", "admin").stdout.strip()

    mine = cli("tokens", "list", *AUTHOR)
    assert mine.exit_code == 0, mine.output
    assert len(mine.stdout.splitlines()) == 1  # an editor sees only their own tokens
    token_id, prefix, role, status = mine.stdout.split("\t")[:4]
    assert (role, status) == ("viewer", "live")
    assert author_token.startswith(prefix)
    assert author_token not in mine.stdout
    assert len(json.loads(cli("tokens", "list", *OWNER, "--json").stdout)) == 2  # an owner sees every one

    owner_id = next(
        row["id"]
        for row in json.loads(cli("tokens", "list", *OWNER, "--json").stdout)
        if row["role"] == "admin"
    )
    assert cli("tokens", "revoke", *AUTHOR, owner_id).exit_code == 1  # an editor revokes only their own
    headers = {"Authorization": f"Bearer {author_token}"}
    assert client.get("/api/v1/workspaces/acme", headers=headers).status_code == 200
    revoked = cli("tokens", "revoke", *AUTHOR, token_id)
    assert revoked.exit_code == 0, revoked.output
    assert "\trevoked\t" in revoked.stdout
    assert client.get("/api/v1/workspaces/acme", headers=headers).status_code == 401
    listed = json.loads(cli("tokens", "list", *AUTHOR, "--json").stdout)
    assert listed[0]["revoked_at"] is not None
    assert "token" not in listed[0]
    assert (
        client.get("/api/v1/workspaces/acme", headers={"Authorization": f"Bearer {owner_token}"}).status_code
        == 200
    )
    assert cli("tokens", "list", "--email", "author@example.com", "--workspace", "other").exit_code == 1
    assert cli("tokens", "revoke", *AUTHOR, "0").exit_code == 2


# -- zone history and plans ------------------------------------------------------------------------


def test_zones_versions_diff_and_plan(cli: Invoke, zone_files: Path, tmp_path: Path) -> None:
    change_id, plan_hash = _create(cli, tmp_path)
    _approve(cli, REVIEWER, change_id, plan_hash)
    assert cli("changes", "apply", *AUTHOR, change_id, "--wait").exit_code == 0

    listed = cli("zones", "versions", *OWNER, "example.test")
    assert listed.exit_code == 0, listed.output
    assert [line.split("\t")[:3] for line in listed.stdout.splitlines()] == [
        ["v2", "apply", "6 RRsets"],
        ["v1", "import", "5 RRsets"],
    ]
    assert listed.stdout.splitlines()[0].split("\t")[5] == "deployment 1"
    versions = json.loads(cli("zones", "versions", *OWNER, "example.test", "--json").stdout)
    assert [(v["number"], v["cause"]) for v in versions] == [(2, "deployment 1"), (1, "import")]

    diff = cli("zones", "diff", *OWNER, "example.test", "1", "2")
    assert diff.exit_code == 0, diff.output
    assert "+api.example.test. 300 IN A 192.0.2.7" in diff.stdout
    backwards = json.loads(cli("zones", "diff", *OWNER, "example.test", "2", "1", "--json").stdout)
    assert [change["kind"] for change in backwards["changes"]["changes"]] == ["delete"]
    missing = cli("zones", "diff", *OWNER, "example.test", "1", "9")
    assert missing.exit_code == 1
    assert "has no version 9" in _one_line(missing)
    assert cli("zones", "diff", *OWNER, "example.test", "0", "1").exit_code == 2

    planned = cli(
        "zones",
        "plan",
        *AUTHOR,
        "example.test",
        "--edits",
        _edits(tmp_path, {**API, "values": ["192.0.2.9"]}),
    )
    assert planned.exit_code == 0, planned.output
    assert "-api.example.test. 300 IN A 192.0.2.7" in planned.stdout
    assert "+api.example.test. 300 IN A 192.0.2.9" in planned.stdout
    assert planned.stdout.splitlines()[-1].startswith("plan hash ")
    desired = tmp_path / "desired.zone"
    desired.write_text(ZONE_TEXT.replace("192.0.2.25", "192.0.2.26"))
    as_json = json.loads(cli("zones", "plan", *AUTHOR, "example.test", "--desired", desired, "--json").stdout)
    kinds = sorted((c["kind"], c["name"]) for c in as_json["plan"]["changes"])
    assert kinds == [("delete", "api.example.test."), ("update", "mail.example.test.")]
    assert len(json.loads(cli("zones", "versions", *OWNER, "example.test", "--json").stdout)) == 2
    assert "no change requests" not in cli("changes", "list", *OWNER).stdout
    assert len(cli("changes", "list", *OWNER).stdout.splitlines()) == 1  # planning stored nothing
    assert cli("zones", "plan", *AUTHOR, "example.test").exit_code == 2
    viewer = cli("zones", "plan", "--email", "viewer@example.com", "--workspace", "acme", "example.test",
                 "--desired", desired)  # fmt: skip
    assert viewer.exit_code == 1


# -- a workspace of one --------------------------------------------------------------------------------


def test_a_member_alone_follows_the_refusal_to_set_the_policy_and_applies_by_confirming_the_plan(
    cli: Invoke, db: Session, tmp_path: Path
) -> None:
    member(db, "solo", "solo@example.com", Role.OWNER)
    db.commit()
    solo = ["--email", "solo@example.com", "--workspace", "solo"]
    directory = zone_directory(tmp_path)
    added = cli(
        "connections",
        "add",
        *solo,
        "--kind",
        "zonefile",
        "--name",
        "files",
        f"--config=directory={directory}",
    )
    assert added.exit_code == 0, added.output
    assert (
        cli("zones", "import", *solo, "example.test", "--connection", added.stdout.split()[1]).exit_code == 0
    )
    created = cli(
        "changes",
        "create",
        *solo,
        "example.test",
        "--title",
        "Add api",
        "--edits",
        _edits(tmp_path, API),
        "--submit",
    )
    change_id = created.stdout.split("\t")[0].removeprefix("#")
    shown = json.loads(cli("changes", "show", *solo, change_id, "--json").stdout)
    plan_hash = shown["current_revision"]["plan_hash"]

    refused = cli("changes", "apply", *solo, change_id)
    assert refused.exit_code == 1
    assert "`dunops policy set --approvals-required 0`" in _one_line(refused)

    changed = cli("policy", "set", *solo, "--approvals-required", "0")
    assert changed.exit_code == 0, changed.output
    assert changed.stdout.startswith("(default)\tapprovals 0\tmin role editor")
    unconfirmed = cli("changes", "apply", *solo, change_id)
    assert unconfirmed.exit_code == 1
    assert "plan_hash: is required" in _one_line(unconfirmed)
    wrong = cli("changes", "apply", *solo, change_id, "--plan-hash", "0" * 64)
    assert wrong.exit_code == 1
    assert "192.0.2.7" not in (directory / "example.test.zone").read_text()

    applied = cli("changes", "apply", *solo, change_id, "--plan-hash", plan_hash, "--wait")
    assert applied.exit_code == 0, applied.output
    assert "192.0.2.7" in (directory / "example.test.zone").read_text()
    assert json.loads(cli("policy", "show", *solo, "--json").stdout)["default"]["approvals_required"] == 0


def test_policy_set_needs_an_admin_and_names_a_bad_value(cli: Invoke, zone_files: Path) -> None:
    refused = cli("policy", "set", *AUTHOR, "--approvals-required", "0")
    assert refused.exit_code == 1
    assert _one_line(refused) == "error: An editor may not change the approval policy."
    bad = cli("policy", "set", *OWNER, "--approvals-required", "11")
    assert bad.exit_code == 1
    assert "approvals_required" in bad.stderr
    assert "0 to 10" in bad.stderr
