"""Files encrypted with AES-256-GCM as a stream, so that a backup of any size never sits in memory.

A sealed file is ``MAGIC``, a 96-bit random nonce, the ciphertext, and the 128-bit GCM tag. Associated
data (for a backup: its id and the part's name) binds the file to where it belongs: a part copied into
another backup fails authentication. Reading checks the tag only at the end, so a caller that must not
act on unauthenticated bytes reads the file through once (:func:`check`) before using it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from dunops.errors import SecretUnreadable

MAGIC = b"DUNOPSE1"
NONCE_BYTES = 12
TAG_BYTES = 16
CHUNK = 1 << 20


class SealingWriter:
    """A write-only binary file object that encrypts into ``path``; :meth:`close` writes the tag."""

    def __init__(self, path: Path, key: bytes, associated_data: bytes) -> None:
        nonce = os.urandom(NONCE_BYTES)
        self._encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
        self._encryptor.authenticate_additional_data(associated_data)
        self._file = open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")  # noqa: SIM115
        self._file.write(MAGIC + nonce)
        self.plain_bytes = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self._file.write(self._encryptor.update(data))
        self.plain_bytes += len(data)
        return len(data)

    def close(self) -> None:
        if self.closed:
            return
        self._file.write(self._encryptor.finalize() + self._encryptor.tag)
        self._file.close()
        self.closed = True

    def __enter__(self) -> SealingWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def seal_stream(source: BinaryIO, path: Path, key: bytes, associated_data: bytes) -> int:
    """Encrypt everything ``source`` yields into ``path``; returns the plaintext's length."""
    with SealingWriter(path, key, associated_data) as writer:
        while chunk := source.read(CHUNK):
            writer.write(chunk)
    return writer.plain_bytes


def open_chunks(path: Path, key: bytes, associated_data: bytes) -> Iterator[bytes]:
    """The plaintext of ``path`` in chunks; raises ``SecretUnreadable`` at the end if the tag fails
    (wrong key, wrong associated data, or a changed byte), so use it after :func:`check`."""
    size = path.stat().st_size
    header = len(MAGIC) + NONCE_BYTES
    if size < header + TAG_BYTES:
        raise SecretUnreadable(f"{path.name} is not an encrypted DunOps file: it is too short")
    with path.open("rb") as handle:
        head = handle.read(header)
        if not head.startswith(MAGIC):
            raise SecretUnreadable(f"{path.name} is not an encrypted DunOps file")
        decryptor = Cipher(algorithms.AES(key), modes.GCM(head[len(MAGIC) :])).decryptor()
        decryptor.authenticate_additional_data(associated_data)
        remaining = size - header - TAG_BYTES
        while remaining:
            chunk = handle.read(min(CHUNK, remaining))
            remaining -= len(chunk)
            yield decryptor.update(chunk)
        tag = handle.read(TAG_BYTES)
        try:
            yield decryptor.finalize_with_tag(tag)
        except InvalidTag:
            raise SecretUnreadable(
                f"{path.name} failed authentication: it was changed, or the key is not the one that sealed it"
            ) from None


def check(path: Path, key: bytes, associated_data: bytes) -> int:
    """Read ``path`` through and verify its tag; returns the plaintext's length."""
    return sum(len(chunk) for chunk in open_chunks(path, key, associated_data))


class OpeningReader:
    """A read-only binary file object over the plaintext of a sealed file (for ``tarfile`` streams)."""

    def __init__(self, path: Path, key: bytes, associated_data: bytes) -> None:
        self._chunks = open_chunks(path, key, associated_data)
        self._buffer = bytearray()
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) - self._offset < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            del self._buffer[: self._offset]
            self._offset = 0
            self._buffer += chunk
        end = len(self._buffer) if size < 0 else min(len(self._buffer), self._offset + size)
        data = bytes(self._buffer[self._offset : end])
        self._offset = end
        return data
