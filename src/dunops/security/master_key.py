"""The master key: where it comes from (``DUNOPS_MASTER_KEY`` or the 0600 key file) and its key id.

The master key only wraps the per-workspace data keys (see :mod:`dunops.security.vault`); it never
encrypts a secret directly. Its key id is a digest, so the id can be stored beside each wrapped data key
without revealing anything about the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dunops.config import Settings
from dunops.errors import ConfigurationError

KEY_BYTES = 32
MIN_PASSPHRASE_CHARS = 32
NEW_MASTER_KEY_ENV = "DUNOPS_NEW_MASTER_KEY"


@dataclass(frozen=True, slots=True)
class MasterKey:
    """A 256-bit key-encryption key and its public id."""

    key: bytes = field(repr=False)
    key_id: str

    @classmethod
    def from_bytes(cls, key: bytes) -> MasterKey:
        if len(key) != KEY_BYTES:
            raise ConfigurationError(f"a master key must be {KEY_BYTES} bytes")
        key_id = "mk_" + hashlib.sha256(b"dunops master key id\x00" + key).hexdigest()[:16]
        return cls(key=key, key_id=key_id)


def parse_master_key(text: str, source: str) -> MasterKey:
    """A master key from its text: URL-safe base64 or hex of 32 bytes, or a passphrase of >= 32 chars.

    ``source`` names where the text came from, for the error message (never the text itself).
    """
    value = text.strip()
    if not value:
        raise ConfigurationError(f"{source}: the master key is empty")
    decoded = _decode(value)
    if decoded is not None:
        return MasterKey.from_bytes(decoded)
    if len(value) < MIN_PASSPHRASE_CHARS:
        raise ConfigurationError(
            f"{source}: a master key must be 32 bytes in base64 or hex, or at least "
            f"{MIN_PASSPHRASE_CHARS} random characters"
        )
    derived = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=b"dunops master key", info=b"v1").derive(
        value.encode()
    )
    return MasterKey.from_bytes(derived)


def _decode(value: str) -> bytes | None:
    if len(value) == 2 * KEY_BYTES:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    try:
        decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    return decoded if len(decoded) == KEY_BYTES else None


def read_key_file(path: Path) -> MasterKey:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigurationError(f"cannot read the master key file {path}: {exc.strerror}") from exc
    return parse_master_key(text, str(path))


def load_master_key(settings: Settings) -> MasterKey:
    """The configured master key: ``DUNOPS_MASTER_KEY`` when set, else the data dir's key file."""
    if settings.master_key.get_secret_value():
        return parse_master_key(settings.master_key.get_secret_value(), "DUNOPS_MASTER_KEY")
    if not settings.master_key_file.exists():
        raise ConfigurationError(
            f"DUNOPS_MASTER_KEY is not set and there is no key file at {settings.master_key_file}"
        )
    return read_key_file(settings.master_key_file)


def derive_key(master: MasterKey, purpose: str) -> bytes:
    """A 256-bit key for one purpose (HKDF-SHA256 with the purpose as info): a different key per purpose,
    none of which reveals the master key or another purpose's key."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=f"dunops/{purpose}".encode()
    ).derive(master.key)


def new_master_key_text() -> str:
    """Text of a fresh random master key, in the format the key file uses."""
    return secrets.token_urlsafe(KEY_BYTES)


def create_key_file(path: Path) -> None:
    """Make a new 0600 key file at ``path`` unless one exists (another process may have just made it)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(new_master_key_text() + "\n")


def write_key_file(path: Path, text: str) -> None:
    """Replace ``path`` atomically with a 0600 file holding ``text``."""
    temporary = path.with_name(path.name + ".new")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text.strip() + "\n")
    os.replace(temporary, path)
