"""The credentials vault: envelope encryption with AES-256-GCM.

Each workspace has one data key, stored only wrapped by the master key. A secret is sealed under its
workspace's data key with associated data naming the workspace, the connection and the purpose, so a
ciphertext copied to another workspace, connection or purpose fails authentication instead of decrypting.
Rotating the master key re-wraps the data keys and leaves every ciphertext untouched; destroying a
workspace's data key (crypto-shredding) makes every secret of that workspace unreadable at once.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.errors import ConfigurationError, Problem, SecretUnreadable
from dunops.security.master_key import KEY_BYTES, MasterKey, create_key_file, load_master_key
from dunops.storage.base import utcnow
from dunops.storage.models import WorkspaceKey

NONCE_BYTES = 12
FORMAT_VERSION = 1


class Purpose(StrEnum):
    """What a sealed secret is for; part of its associated data."""

    CONNECTION_SECRETS = "connection-secrets"


@dataclass(frozen=True, slots=True)
class Sealed:
    """A sealed secret as stored: ciphertext (with the GCM tag), its nonce, and the data key's id."""

    ciphertext: bytes = field(repr=False)
    nonce: bytes
    key_id: str


@dataclass(frozen=True, slots=True)
class Binding:
    """What a ciphertext is bound to through the associated data."""

    workspace_id: int
    connection_id: int
    purpose: Purpose

    def associated_data(self, key_id: str) -> bytes:
        body = {
            "v": FORMAT_VERSION,
            "workspace": self.workspace_id,
            "connection": self.connection_id,
            "purpose": self.purpose.value,
            "key": key_id,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _wrap_ad(workspace_id: int, key_id: str) -> bytes:
    return f"dunops/workspace-key/v{FORMAT_VERSION}/{workspace_id}/{key_id}".encode()


class Vault:
    """Seals and opens secrets for one master key; every method works inside the caller's transaction."""

    def __init__(self, master: MasterKey) -> None:
        self.master = master

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        """The vault under the configured master key (``DUNOPS_MASTER_KEY`` or the data dir's key file)."""
        return cls(load_master_key(settings))

    # data keys ---------------------------------------------------------------------------------------

    def _unwrap(self, row: WorkspaceKey, master: MasterKey | None = None) -> bytes:
        master = master or self.master
        if row.wrapped_key is None or row.destroyed_at is not None:
            raise SecretUnreadable(f"the data key {row.key_id} of this workspace was destroyed")
        if row.master_key_id != master.key_id:
            raise ConfigurationError(
                f"data key {row.key_id} is wrapped by master key {row.master_key_id}, "
                f"but the configured master key is {master.key_id}"
            )
        nonce, wrapped = row.wrapped_key[:NONCE_BYTES], row.wrapped_key[NONCE_BYTES:]
        try:
            return AESGCM(master.key).decrypt(nonce, wrapped, _wrap_ad(row.workspace_id, row.key_id))
        except InvalidTag as exc:
            raise SecretUnreadable(f"data key {row.key_id} does not unwrap under the master key") from exc

    def _wrap(self, workspace_id: int, key_id: str, data_key: bytes, master: MasterKey) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(master.key).encrypt(nonce, data_key, _wrap_ad(workspace_id, key_id))

    def _active_key(self, session: Session, workspace_id: int, *, create: bool) -> WorkspaceKey:
        rows = list(
            session.scalars(
                select(WorkspaceKey)
                .where(WorkspaceKey.workspace_id == workspace_id)
                .order_by(WorkspaceKey.id)
            )
        )
        live = [row for row in rows if row.destroyed_at is None]
        if live:
            return live[-1]
        if rows:
            raise SecretUnreadable("the data key of this workspace was destroyed")
        if not create:
            raise SecretUnreadable("this workspace has no data key")
        key_id = "wk_" + secrets.token_hex(8)
        row = WorkspaceKey(
            workspace_id=workspace_id,
            key_id=key_id,
            master_key_id=self.master.key_id,
            wrapped_key=self._wrap(workspace_id, key_id, AESGCM.generate_key(KEY_BYTES * 8), self.master),
        )
        session.add(row)
        session.flush()
        return row

    # secrets -----------------------------------------------------------------------------------------

    def seal(self, session: Session, binding: Binding, plaintext: bytes) -> Sealed:
        """Encrypt ``plaintext`` under the workspace's data key (created on first use)."""
        row = self._active_key(session, binding.workspace_id, create=True)
        data_key = self._unwrap(row)
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, binding.associated_data(row.key_id))
        return Sealed(ciphertext=ciphertext, nonce=nonce, key_id=row.key_id)

    def open(self, session: Session, binding: Binding, sealed: Sealed) -> bytes:
        """Decrypt a sealed secret; ``SecretUnreadable`` when its key is gone or the binding differs."""
        row = session.scalars(select(WorkspaceKey).where(WorkspaceKey.key_id == sealed.key_id)).first()
        if row is None or row.workspace_id != binding.workspace_id:
            raise SecretUnreadable("the secret's data key does not belong to this workspace")
        data_key = self._unwrap(row)
        try:
            return AESGCM(data_key).decrypt(
                sealed.nonce, sealed.ciphertext, binding.associated_data(sealed.key_id)
            )
        except (InvalidTag, ValueError) as exc:
            raise SecretUnreadable(
                "the secret does not decrypt for this workspace and connection (moved or tampered with)"
            ) from exc

    # lifecycle ---------------------------------------------------------------------------------------

    def destroy_workspace_key(self, session: Session, workspace_id: int) -> int:
        """Crypto-shredding: forget every data key of the workspace; returns how many were destroyed."""
        return destroy_workspace_key(session, workspace_id)

    def rotate(self, session: Session, new_master: MasterKey) -> int:
        """Re-wrap every live data key under ``new_master``; ciphertexts are not touched.

        Keys already wrapped by ``new_master`` are left alone, so a rotation can be repeated. Every key
        must unwrap under the current master key first, or nothing changes and each failure is named.
        """
        rows = list(
            session.scalars(
                select(WorkspaceKey).where(WorkspaceKey.destroyed_at.is_(None)).order_by(WorkspaceKey.id)
            )
        )
        problems: list[Problem] = []
        plain: dict[int, bytes] = {}
        for row in rows:
            if row.master_key_id == new_master.key_id:
                continue
            try:
                plain[row.id] = self._unwrap(row)
            except (SecretUnreadable, ConfigurationError) as error:
                problems.append(Problem(error.detail, f"workspace {row.workspace_id} key {row.key_id}"))
        if problems:
            raise ConfigurationError(
                f"{len(problems)} data key(s) do not unwrap under the current master key; nothing rotated",
                problems,
            )
        now = utcnow()
        for row in rows:
            if row.id in plain:
                row.wrapped_key = self._wrap(row.workspace_id, row.key_id, plain[row.id], new_master)
                row.master_key_id = new_master.key_id
                row.rewrapped_at = now
        session.flush()
        return len(plain)


def destroy_workspace_key(session: Session, workspace_id: int) -> int:
    """Crypto-shredding: overwrite the wrapped data keys of a workspace; its secrets become unreadable."""
    now = utcnow()
    count = 0
    for row in session.scalars(
        select(WorkspaceKey).where(
            WorkspaceKey.workspace_id == workspace_id, WorkspaceKey.destroyed_at.is_(None)
        )
    ):
        row.wrapped_key = None
        row.destroyed_at = now
        count += 1
    session.flush()
    return count


def ensure_master_key(session: Session, settings: Settings) -> MasterKey:
    """The master key, checked at start-up against the data keys already sealed in the database.

    On a fresh embedded install without a configured key, a new 0600 key file is made. A key that is
    missing while data keys exist, or one that did not wrap them, stops start-up with one line: making a
    new key would leave every stored secret unreadable.
    """
    sealed = dict(
        session.execute(
            select(WorkspaceKey.master_key_id, func.count())
            .where(WorkspaceKey.destroyed_at.is_(None))
            .group_by(WorkspaceKey.master_key_id)
        ).all()
    )
    configured = bool(settings.master_key.get_secret_value()) or settings.master_key_file.exists()
    if not configured:
        if sealed:
            raise ConfigurationError(
                f"the master key file {settings.master_key_file} is missing, but {sum(sealed.values())} "
                f"workspace key(s) are sealed under {', '.join(sorted(sealed))}: restore the file or set "
                "DUNOPS_MASTER_KEY"
            )
        if not settings.is_embedded_database:
            raise ConfigurationError(
                "DUNOPS_MASTER_KEY is not set: every process of a shared database needs the same master key"
            )
        create_key_file(settings.master_key_file)
    master = load_master_key(settings)
    foreign = {key_id: count for key_id, count in sealed.items() if key_id != master.key_id}
    if foreign:
        source = (
            "DUNOPS_MASTER_KEY" if settings.master_key.get_secret_value() else str(settings.master_key_file)
        )
        raise ConfigurationError(
            f"{source} is master key {master.key_id}, but {sum(foreign.values())} workspace key(s) are "
            f"sealed under {', '.join(sorted(foreign))}: configure the key they were sealed under"
        )
    return master
