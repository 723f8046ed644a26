"""How events and heads are hashed: canonical JSON under HMAC-SHA256 with the audit-chain key.

The audit-chain key is derived from the master key, so someone who can write the database but does not
hold the master key cannot recompute a chain after editing it, nor sign a head for a shortened one.
:func:`legacy_hash` is the unkeyed SHA-256 that chains were built with before they were keyed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from dunops.security.master_key import MasterKey, derive_key

GENESIS = "0" * 64
KEY_PURPOSE = "audit-chain/v1"
CONTENT_FIELDS = (
    "workspace_id",
    "sequence",
    "actor_user_id",
    "actor_token_id",
    "actor",
    "action",
    "target",
    "details",
    "client_address",
    "created_at",
    "previous_hash",
)


class EventFields(Protocol):
    """What an event's hash covers, as an ORM event or a database row carries it."""

    @property
    def workspace_id(self) -> int | None: ...
    @property
    def sequence(self) -> int: ...
    @property
    def actor_user_id(self) -> int | None: ...
    @property
    def actor_token_id(self) -> int | None: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def details(self) -> dict[str, Any]: ...
    @property
    def client_address(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def previous_hash(self) -> str: ...


def content(event: EventFields) -> dict[str, Any]:
    """The hashed content of an event, as plain JSON values (the form an export file carries)."""
    return {
        "workspace_id": event.workspace_id,
        "sequence": event.sequence,
        "actor_user_id": event.actor_user_id,
        "actor_token_id": event.actor_token_id,
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "details": event.details,
        "client_address": event.client_address,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "previous_hash": event.previous_hash,
    }


def canonical(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def legacy_hash(event_content: Mapping[str, Any]) -> str:
    """The unkeyed hash of the chains before they were keyed: anyone could recompute it."""
    return hashlib.sha256(canonical(event_content)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainKey:
    """The audit-chain key and the id of the master key it was derived from."""

    key: bytes = field(repr=False)
    master_key_id: str

    @classmethod
    def of(cls, master: MasterKey) -> ChainKey:
        return cls(derive_key(master, KEY_PURPOSE), master.key_id)

    def hash(self, event_content: Mapping[str, Any]) -> str:
        return hmac.new(self.key, canonical(event_content), hashlib.sha256).hexdigest()

    def head_mac(self, workspace_id: int | None, sequence: int, last_hash: str) -> str:
        message = {
            "head": workspace_id,
            "sequence": sequence,
            "hash": last_hash,
            "master_key_id": self.master_key_id,
        }
        return hmac.new(self.key, canonical(message), hashlib.sha256).hexdigest()

    def signs(self, event_content: Mapping[str, Any], stored_hash: str) -> bool:
        return hmac.compare_digest(self.hash(event_content).encode(), stored_hash.encode())

    def signs_head(self, workspace_id: int | None, sequence: int, last_hash: str, mac: str) -> bool:
        return hmac.compare_digest(self.head_mac(workspace_id, sequence, last_hash).encode(), mac.encode())
