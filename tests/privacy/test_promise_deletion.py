"""Promise: "Delete your workspace and most of it goes within 30 days" — access ends at once, its provider
credentials are destroyed at once, and the purge leaves no row and no file of it; an account deletion
ends sessions and tokens at once and leaves what the person wrote as "deleted user #N"."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from dunops.accounts import sessions
from dunops.config import Settings
from dunops.errors import SecretUnreadable
from dunops.security.vault import Binding, Purpose, Sealed, Vault
from dunops.storage.base import utcnow
from dunops.storage.models import (
    ChangeRequest,
    DeletionTombstone,
    Membership,
    ProviderConnection,
    User,
    Workspace,
    WorkspaceKey,
)
from tests.cli.conftest import Invoke
from tests.notify.conftest import SmtpServer
from tests.privacy.conftest import (
    MARK,
    SECRET,
    Doomed,
    database_files,
    files_mentioning,
    rows_mentioning,
    workspace_ids,
)


def test_promise_deleting_a_workspace_purges_every_row_and_file(
    doomed: Doomed, db: Session, engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    client = doomed.client
    assert rows_mentioning(engine, [MARK]), "the arrangement planted nothing"
    assert files_mentioning([settings.data_dir], [MARK]), "the zone file holds the marker"

    deleted = client.delete(f"/api/v1/workspaces/{doomed.slug}", headers=doomed.owner)
    assert deleted.status_code == 202, deleted.text
    assert deleted.json()["status"] == "deleting"
    # Access ends at once, for every member and token.
    assert client.get(f"/api/v1/workspaces/{doomed.slug}", headers=doomed.owner).status_code == 401
    assert client.get(f"/api/v1/workspaces/{doomed.slug}/zones", headers=doomed.editor).status_code == 401

    doomed.run_jobs()  # the purge (no grace period here) and the receipt

    assert doomed.workspace_id not in workspace_ids(db)
    assert rows_mentioning(engine, [MARK, SECRET]) == []
    assert files_mentioning([settings.data_dir, *database_files(settings)], [MARK, SECRET]) == []
    for table_name, column in _workspace_columns():
        count = db.execute(select(column).where(column == doomed.workspace_id)).all()
        assert count == [], f"{table_name} still holds rows of the workspace"
    tombstone = db.scalars(select(DeletionTombstone)).one()
    assert (tombstone.kind, tombstone.subject_id, tombstone.purged_at is not None) == (
        "workspace",
        doomed.workspace_id,
        True,
    )
    # The other workspace is untouched.
    assert client.get("/api/v1/workspaces/kept", headers=doomed.kept).status_code == 200

    receipts = [
        email.message_from_bytes(mail.data, policy=email.policy.default)
        for mail in smtp_server.handler.received
        if "Deletion receipt" in mail.data.decode("utf-8", "replace")
    ]
    assert [m["To"] for m in receipts] == ["owner@example.com"]
    body = receipts[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for removed in ("1 zones", "2 provider connections", "1 change requests", "1 comments", "files"):
        assert removed in body


def _workspace_columns() -> list[tuple[str, object]]:
    from dunops.storage.base import Base

    return [(t.name, t.c.workspace_id) for t in Base.metadata.sorted_tables if "workspace_id" in t.c]


def test_promise_deletion_destroys_credentials_at_once_and_waits_out_a_cancellable_grace_period(
    doomed: Doomed,
    db: Session,
    engine: Engine,
    settings: Settings,
    cli: Invoke,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = doomed.client
    graced = settings.model_copy(update={"deletion_grace_days": 7})
    client.app.state.settings = graced  # type: ignore[attr-defined]
    monkeypatch.setenv("DUNOPS_DELETION_GRACE_DAYS", "7")
    invoke = cli
    connection = db.scalars(select(ProviderConnection).where(ProviderConnection.name == "pdns")).one()
    sealed = Sealed(connection.secret_ciphertext, connection.secret_nonce, connection.secret_key_id)
    binding = Binding(doomed.workspace_id, connection.id, Purpose.CONNECTION_SECRETS)
    vault = Vault.from_settings(settings)
    assert SECRET.encode() in vault.open(db, binding, sealed)
    db.rollback()

    deleted = client.delete(f"/api/v1/workspaces/{doomed.slug}", headers=doomed.owner)
    assert deleted.status_code == 202
    # Crypto-shredding: the data key is gone now, so even a copy of the old ciphertext is unreadable.
    with pytest.raises(SecretUnreadable):
        vault.open(db, binding, sealed)
    db.rollback()
    keys = select(WorkspaceKey.wrapped_key).where(WorkspaceKey.workspace_id == doomed.workspace_id)
    assert db.scalars(keys).all() == [None]
    db.rollback()

    # Within the grace period nothing is purged, and an owner may take it back (credentials stay shredded).
    purged = invoke("purge")
    assert purged.exit_code == 0, purged.output
    assert "nothing to purge" in purged.output
    restored = invoke("workspaces", "restore", doomed.slug, "--as", "owner@example.com")
    assert restored.exit_code == 0, restored.output
    assert f"{doomed.slug}\tactive" in restored.output
    db.expire_all()
    assert db.get(Workspace, doomed.workspace_id).status == "active"  # type: ignore[union-attr]
    db.rollback()

    # Deleted again from the CLI, and purged by `dunops purge` once the grace period is over.
    again = invoke("workspaces", "delete", doomed.slug, "--yes")
    assert again.exit_code == 0, again.output
    assert "purge after" in again.output
    db.execute(
        update(Workspace)
        .where(Workspace.id == doomed.workspace_id)
        .values(purge_after=utcnow() - timedelta(minutes=1))
    )
    db.commit()
    purged = invoke("purge")
    assert purged.exit_code == 0, purged.output
    assert f"workspace {doomed.workspace_id}\tpurged" in purged.output
    db.expire_all()
    assert db.get(Workspace, doomed.workspace_id) is None
    assert rows_mentioning(engine, [MARK]) == []


def test_promise_deleting_an_account_ends_access_at_once_and_keeps_authored_work_as_deleted_user(
    doomed: Doomed, db: Session, settings: Settings
) -> None:
    client = doomed.client
    editor = db.scalars(select(User).where(User.email == "editor@example.com")).one()
    issued = sessions.start(db, settings, editor)
    db.commit()
    browser = TestClient(client.app)
    browser.cookies.set("dunops_session", issued.cookie_value)
    csrf = {"X-CSRF-Token": issued.record.csrf_token}

    # An API token cannot delete its person's account.
    assert client.delete("/api/v1/me", headers=doomed.editor).status_code == 403
    deleted = browser.delete("/api/v1/me", headers=csrf)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["shown_as"] == f"deleted user #{editor.id}"
    assert deleted.json()["memberships_ended"] == 1

    # Sessions and tokens end at once.
    browser.cookies.set("dunops_session", issued.cookie_value)
    assert browser.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=doomed.editor).status_code == 401
    db.expire_all()
    assert db.scalars(select(Membership).where(Membership.user_id == editor.id)).all() == []
    gone = db.get(User, editor.id)
    assert gone is not None
    assert "editor@example.com" not in (gone.email, gone.name)
    # What they wrote stays, attributed to "deleted user #N".
    change = client.get(f"/api/v1/workspaces/{doomed.slug}/changes/{doomed.change_id}", headers=doomed.owner)
    assert change.status_code == 200
    assert change.json()["created_by"] == f"deleted user #{editor.id}"
    assert db.get(ChangeRequest, doomed.change_id).created_by == f"deleted user #{editor.id}"  # type: ignore[union-attr]


def test_promise_the_last_owner_hands_over_before_deleting_their_account(
    doomed: Doomed, db: Session, settings: Settings
) -> None:
    owner = db.scalars(select(User).where(User.email == "owner@example.com")).one()
    issued = sessions.start(db, settings, owner)
    db.commit()
    browser = TestClient(doomed.client.app)
    browser.cookies.set("dunops_session", issued.cookie_value)
    refused = browser.delete("/api/v1/me", headers={"X-CSRF-Token": issued.record.csrf_token})
    assert refused.status_code == 409
    assert doomed.slug in refused.json()["detail"]
    assert browser.get("/api/v1/me").status_code == 200
