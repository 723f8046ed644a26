"""The vault: secrets round-trip, stay bound to their workspace and connection, survive master-key
rotation without their ciphertexts changing, and die with their workspace's data key."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.errors import ConfigurationError, SecretUnreadable
from dunops.security.master_key import MasterKey, new_master_key_text, parse_master_key
from dunops.security.vault import Binding, Purpose, Sealed, Vault, destroy_workspace_key
from dunops.storage.models import Workspace, WorkspaceKey

SECRET = b'{"api_key": "s3cr3t-value"}'


def _master() -> MasterKey:
    return parse_master_key(new_master_key_text(), "test")


def _workspace(db: Session, slug: str) -> Workspace:
    workspace = Workspace(name=slug, slug=slug)
    db.add(workspace)
    db.flush()
    return workspace


def _binding(workspace: Workspace, connection_id: int = 1) -> Binding:
    return Binding(workspace.id, connection_id, Purpose.CONNECTION_SECRETS)


def test_round_trip_and_ciphertext_hides_the_secret(db: Session) -> None:
    vault = Vault(_master())
    workspace = _workspace(db, "acme")
    sealed = vault.seal(db, _binding(workspace), SECRET)
    assert b"s3cr3t" not in sealed.ciphertext
    assert vault.open(db, _binding(workspace), sealed) == SECRET
    # each seal uses a fresh nonce: the same secret never yields the same ciphertext
    assert vault.seal(db, _binding(workspace), SECRET).ciphertext != sealed.ciphertext
    # the data key is stored wrapped, never in the clear
    key = db.scalars(select(WorkspaceKey)).one()
    assert key.workspace_id == workspace.id
    assert key.master_key_id == vault.master.key_id


def test_ciphertext_copied_to_another_workspace_or_connection_does_not_decrypt(db: Session) -> None:
    vault = Vault(_master())
    first, second = _workspace(db, "first"), _workspace(db, "second")
    sealed = vault.seal(db, _binding(first, connection_id=7), SECRET)
    with pytest.raises(SecretUnreadable):
        vault.open(db, _binding(first, connection_id=8), sealed)
    with pytest.raises(SecretUnreadable):
        vault.open(db, _binding(second, connection_id=7), sealed)
    # even re-labelled with the other workspace's own key id, the associated data does not match
    other_key = vault.seal(db, _binding(second, connection_id=7), b"x").key_id
    moved = Sealed(sealed.ciphertext, sealed.nonce, other_key)
    with pytest.raises(SecretUnreadable):
        vault.open(db, _binding(second, connection_id=7), moved)
    tampered = Sealed(
        sealed.ciphertext[:-1] + bytes([sealed.ciphertext[-1] ^ 1]), sealed.nonce, sealed.key_id
    )
    with pytest.raises(SecretUnreadable):
        vault.open(db, _binding(first, connection_id=7), tampered)
    assert vault.open(db, _binding(first, connection_id=7), sealed) == SECRET


def test_rotation_rewraps_data_keys_and_keeps_every_ciphertext(db: Session) -> None:
    old, new = _master(), _master()
    vault = Vault(old)
    workspaces = [_workspace(db, f"w{i}") for i in range(3)]
    sealed = {w.id: vault.seal(db, _binding(w), SECRET + str(w.id).encode()) for w in workspaces}
    wrapped_before = {k.key_id: k.wrapped_key for k in db.scalars(select(WorkspaceKey))}

    assert vault.rotate(db, new) == 3
    assert vault.rotate(db, new) == 0  # repeating a finished rotation changes nothing

    keys = list(db.scalars(select(WorkspaceKey)))
    assert {k.master_key_id for k in keys} == {new.key_id}
    assert all(wrapped_before[k.key_id] != k.wrapped_key for k in keys)
    rotated = Vault(new)
    for w in workspaces:
        assert rotated.open(db, _binding(w), sealed[w.id]) == SECRET + str(w.id).encode()
    with pytest.raises(ConfigurationError, match="configured master key"):
        vault.open(db, _binding(workspaces[0]), sealed[workspaces[0].id])


def test_rotation_with_the_wrong_current_key_changes_nothing(db: Session) -> None:
    real = Vault(_master())
    workspace = _workspace(db, "acme")
    real.seal(db, _binding(workspace), SECRET)
    impostor = Vault(_master())
    with pytest.raises(ConfigurationError) as caught:
        impostor.rotate(db, _master())
    assert caught.value.problems[0].location.startswith(f"workspace {workspace.id} key wk_")
    assert db.scalars(select(WorkspaceKey)).one().master_key_id == real.master.key_id


def test_destroying_the_workspace_key_shreds_its_secrets_only(db: Session) -> None:
    vault = Vault(_master())
    doomed, kept = _workspace(db, "doomed"), _workspace(db, "kept")
    lost = vault.seal(db, _binding(doomed), SECRET)
    safe = vault.seal(db, _binding(kept), SECRET)

    assert destroy_workspace_key(db, doomed.id) == 1
    with pytest.raises(SecretUnreadable, match="destroyed"):
        vault.open(db, _binding(doomed), lost)
    with pytest.raises(SecretUnreadable, match="destroyed"):
        vault.seal(db, _binding(doomed), SECRET)
    assert vault.open(db, _binding(kept), safe) == SECRET
    row = db.scalars(select(WorkspaceKey).where(WorkspaceKey.workspace_id == doomed.id)).one()
    assert row.wrapped_key is None
    assert row.destroyed_at is not None


@pytest.mark.parametrize("text", ["", "short", "!" * 10])
def test_a_weak_or_empty_master_key_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_master_key(text, "DUNOPS_MASTER_KEY")
    assert caught.value.detail.startswith("DUNOPS_MASTER_KEY")
    assert not text or text not in caught.value.detail


def test_master_key_formats_agree_on_the_key() -> None:
    raw = bytes(range(32))
    from base64 import urlsafe_b64encode

    by_b64 = parse_master_key(urlsafe_b64encode(raw).decode().rstrip("="), "x")
    by_hex = parse_master_key(raw.hex(), "x")
    assert by_b64 == by_hex
    assert by_b64.key == raw
    passphrase = parse_master_key("correct horse battery staple, long enough!", "x")
    assert len(passphrase.key) == 32
    assert passphrase.key_id.startswith("mk_")
