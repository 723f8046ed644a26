"""``dunops audit verify`` and ``export``: 0 for whole chains, 1 naming each problem in one line; an exported
file checks on its own; rotating the master key re-signs the chains."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from dunops.security.master_key import new_master_key_text
from tests.cli.conftest import Invoke


def _workspace(cli: Invoke) -> None:
    for email in ("owner@example.com", "bob@example.com"):
        assert cli("users", "create", "--email", email).exit_code == 0
    assert cli("workspaces", "create", "--name", "Acme", "--owner", "owner@example.com").exit_code == 0
    assert (
        cli(
            "members", "add", "--workspace", "acme", "--email", "bob@example.com", "--role", "viewer"
        ).exit_code
        == 0
    )
    assert (
        cli(
            "tokens", "create", "--email", "owner@example.com", "--workspace", "acme", "--role", "viewer"
        ).exit_code
        == 0
    )


def test_an_intact_chain_verifies(cli: Invoke) -> None:
    _workspace(cli)
    verified = cli("audit", "verify", "--workspace", "acme")
    assert verified.exit_code == 0, verified.output
    assert verified.stdout == "acme: 3 events verified, ok\n"
    everything = cli("audit", "verify")
    assert everything.exit_code == 0
    assert everything.stdout.splitlines() == [
        "(instance): 2 events verified, ok",
        "acme: 3 events verified, ok",
    ]


def test_an_edited_event_is_named_and_exits_1(cli: Invoke, db: Session) -> None:
    _workspace(cli)
    event_id = db.scalar(text("SELECT id FROM audit_events WHERE action = 'member.add'"))
    db.execute(
        text('UPDATE audit_events SET details = \'{"role": "owner"}\' WHERE id = :id'), {"id": event_id}
    )
    db.commit()
    verified = cli("audit", "verify", "--workspace", "acme")
    assert verified.exit_code == 1
    assert verified.stderr == (
        f"acme: event #2 (id {event_id}) was rewritten: its content does not match its hash\n"
    )
    assert verified.stdout == "acme: 3 events verified, 1 problem(s)\n"
    assert cli("audit", "verify", "--workspace", "nope").exit_code == 1


def test_an_exported_file_checks_on_its_own_and_names_what_was_cut_from_it(
    cli: Invoke, tmp_path: Path
) -> None:
    _workspace(cli)
    exported = tmp_path / "acme.audit.jsonl"
    written = cli("audit", "export", "--workspace", "acme", "--output", exported)
    assert written.exit_code == 0, written.output
    verified = cli("audit", "verify", "--file", exported)
    assert verified.exit_code == 0, verified.output
    assert verified.stdout == "acme (acme.audit.jsonl): 3 events verified, ok\n"

    exported.write_text("".join(exported.read_text().splitlines(keepends=True)[:-1]))
    cut = cli("audit", "verify", "--file", exported)
    assert cut.exit_code == 1
    assert cut.stderr == (
        "acme (acme.audit.jsonl): the chain was truncated: its head says it ends at #3, but it ends at #2\n"
    )


def test_the_instance_chain_exports_to_standard_output(cli: Invoke) -> None:
    _workspace(cli)
    exported = cli("audit", "export")
    assert exported.exit_code == 0
    assert '"chain": "(instance)"' in exported.stdout.splitlines()[0]
    assert len(exported.stdout.splitlines()) == 3


def test_a_file_that_is_not_an_export_or_not_there_is_refused(cli: Invoke, tmp_path: Path) -> None:
    _workspace(cli)
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_bytes(b"\xff\xfe not text")
    refused = cli("audit", "verify", "--file", garbage)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"error: {garbage}: not UTF-8 text")
    missing = cli("audit", "verify", "--file", tmp_path / "missing.jsonl")
    assert missing.exit_code == 2
    assert "missing.jsonl: No such file or directory" in missing.stderr


def test_rotating_the_master_key_re_signs_every_chain(cli: Invoke, tmp_path: Path) -> None:
    _workspace(cli)
    new_key = tmp_path / "new.key"
    new_key.write_text(new_master_key_text())
    rotated = cli("keys", "rotate", "--new-master-key-file", new_key)
    assert rotated.exit_code == 0, rotated.output
    assert "re-signed 2 audit chain(s) under master key mk_" in rotated.stdout
    verified = cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.splitlines() == [
        "(instance): 2 events verified, ok",
        "acme: 3 events verified, ok",
    ]
    assert cli("users", "create", "--email", "carol@example.com").exit_code == 0
    assert cli("audit", "verify").exit_code == 0
