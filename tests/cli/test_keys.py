"""``dunops keys``: rotation re-wraps data keys under a new master key without touching ciphertexts, and
``check`` proves every secret still decrypts or names the ones that do not."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dunops.cli.main import app
from dunops.config import Settings
from dunops.security.master_key import load_master_key, new_master_key_text
from dunops.security.vault import destroy_workspace_key
from dunops.storage.models import ProviderConnection, WorkspaceKey
from dunops.zones import connections
from tests.zones.helpers import directories_for, grant_for, member, vault_for

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("cli")


@pytest.fixture
def stored(db: Session, settings: Settings) -> dict[str, int]:
    """Two workspaces with one PowerDNS connection each (a secret each)."""
    ids = {}
    for slug in ("acme", "beta"):
        user, _ = member(db, slug, f"owner@{slug}.test")
        grant = grant_for(db, user, slug)
        connection = connections.create(
            db,
            grant,
            vault_for(settings),
            directories=directories_for(settings, grant),
            kind="powerdns",
            name=f"{slug}-pdns",
            config={"url": "http://127.0.0.1:1"},
            secrets={"api_key": f"key-of-{slug}"},
        )
        ids[slug] = connection.id
    db.commit()
    return ids


def test_check_passes_when_every_secret_decrypts(stored: dict[str, int]) -> None:
    result = runner.invoke(app, ["keys", "check"])
    assert result.exit_code == 0, result.output
    assert "2 secret(s) checked, 0 do not decrypt" in result.output


def test_rotate_rewraps_without_touching_ciphertexts(
    stored: dict[str, int], db: Session, settings: Settings, tmp_path: Path
) -> None:
    before = {c.id: (c.secret_ciphertext, c.secret_nonce) for c in db.scalars(select(ProviderConnection))}
    db.rollback()  # end the read transaction: SQLite lets one writer in at a time
    old_id = load_master_key(settings).key_id
    new_file = tmp_path / "new.key"
    new_file.write_text(new_master_key_text())

    result = runner.invoke(app, ["keys", "rotate", "--new-master-key-file", str(new_file)])
    assert result.exit_code == 0, result.output
    assert "re-wrapped 2 data key(s)" in result.output

    assert {
        c.id: (c.secret_ciphertext, c.secret_nonce) for c in db.scalars(select(ProviderConnection))
    } == before
    new_id = load_master_key(settings).key_id  # the embedded key file now holds the new key
    assert new_id != old_id
    assert {k.master_key_id for k in db.scalars(select(WorkspaceKey))} == {new_id}
    db.rollback()
    assert runner.invoke(app, ["keys", "check"]).exit_code == 0
    # repeating with the key already in use is refused as a usage error
    assert runner.invoke(app, ["keys", "rotate", "--new-master-key-file", str(new_file)]).exit_code == 2


def test_rotate_reads_the_new_key_from_the_environment(
    stored: dict[str, int], monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    assert runner.invoke(app, ["keys", "rotate"]).exit_code == 2
    monkeypatch.setenv("DUNOPS_NEW_MASTER_KEY", new_master_key_text())
    assert runner.invoke(app, ["keys", "rotate"]).exit_code == 0
    assert runner.invoke(app, ["keys", "check"]).exit_code == 0


def test_check_names_every_secret_that_does_not_decrypt(stored: dict[str, int], db: Session) -> None:
    acme = db.get(ProviderConnection, stored["acme"])
    beta = db.get(ProviderConnection, stored["beta"])
    assert acme is not None
    assert beta is not None
    # beta's ciphertext copied over acme's: it must not decrypt as acme's
    acme.secret_ciphertext, acme.secret_nonce, acme.secret_key_id = (
        beta.secret_ciphertext,
        beta.secret_nonce,
        beta.secret_key_id,
    )
    db.commit()
    result = runner.invoke(app, ["keys", "check"])
    assert result.exit_code == 1
    assert f"acme connection {stored['acme']} 'acme-pdns'" in result.output
    assert "beta connection" not in result.output.replace("0 do not", "")
    assert "key-of-" not in result.output


def test_a_deleted_workspace_secret_no_longer_decrypts(stored: dict[str, int], db: Session) -> None:
    beta = db.get(ProviderConnection, stored["beta"])
    assert beta is not None
    destroy_workspace_key(db, beta.workspace_id)
    db.commit()
    result = runner.invoke(app, ["keys", "check"])
    assert result.exit_code == 1
    assert f"beta connection {stored['beta']} 'beta-pdns'" in result.output
    assert "destroyed" in result.output
