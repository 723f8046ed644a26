"""Migration 0005 signs the chains a database already holds: chains written with unkeyed hashes verify after
the upgrade, a chain broken before stays broken in the same place, and going down restores unkeyed hashes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from dunops import audit
from dunops.audit import Finding
from dunops.config import Settings
from dunops.errors import ConfigurationError
from dunops.security.master_key import new_master_key_text
from dunops.storage.database import downgrade, make_engine, upgrade

BEFORE = "0004"
START = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def _old_hash(event: dict[str, Any]) -> str:
    """How the previous schema's code hashed an event: SHA-256 of its canonical JSON, no key."""
    body = {**event, "created_at": event["created_at"].isoformat(timespec="microseconds")}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


def _old_chain(workspace_id: int | None, actions: list[str]) -> list[dict[str, Any]]:
    previous, events = "0" * 64, []
    for sequence, action in enumerate(actions, start=1):
        event = {
            "workspace_id": workspace_id,
            "sequence": sequence,
            "actor_user_id": None,
            "actor_token_id": None,
            "actor": "owner@example.com",
            "action": action,
            "target": f"thing:{sequence}",
            "details": {"step": sequence, "note": "café"},
            "client_address": "192.0.2.7",
            "created_at": START + timedelta(seconds=sequence),
            "previous_hash": previous,
        }
        previous = event["hash"] = _old_hash(event)
        events.append(event)
    return events


def _insert(engine: Engine, events: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        for event in events:
            connection.execute(
                text(
                    "INSERT INTO audit_events (workspace_id, sequence, actor_user_id, actor_token_id, "
                    "actor, action, target, details, client_address, created_at, previous_hash, hash) "
                    "VALUES (:ws, :sequence, NULL, NULL, :actor, :action, :target, :details, "
                    ":client_address, :created_at, :previous_hash, :hash)"
                ),
                {
                    **event,
                    "ws": event["workspace_id"],
                    "details": json.dumps(event["details"]),
                    "created_at": event["created_at"].replace(tzinfo=None),
                },
            )


def _hashes(engine: Engine) -> list[tuple[int | None, int, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT workspace_id, sequence, previous_hash, hash FROM audit_events ORDER BY id")
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.fixture
def old_database(tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    """A database at the schema before 0005 with one workspace's chain (4 events) and the instance's (2)."""
    path = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, BEFORE)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO workspaces (id, name, slug, status, plan, created_at) "
                "VALUES (7, 'Acme', 'acme', 'active', 'free', CURRENT_TIMESTAMP)"
            )
        )
    _insert(engine, _old_chain(7, ["workspace.create", "member.add", "member.add", "workspace.rename"]))
    _insert(engine, _old_chain(None, ["user.create", "user.create"]))
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{path}")
    yield engine, settings
    engine.dispose()


def _with_key(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    key = new_master_key_text()
    monkeypatch.setenv("DUNOPS_MASTER_KEY", key)
    keyed = settings.model_copy(update={"master_key": SecretStr(key)})
    audit.configure(keyed)
    return keyed


def _verified(engine: Engine, workspace_id: int | None) -> tuple[int, list[tuple[Finding, int]]]:
    with Session(engine) as session:
        count, breaks = audit.verify(session, workspace_id)
    return count, [(item.kind, item.sequence) for item in breaks]


def test_chains_written_before_are_signed_in_order_and_verify_after_the_upgrade(
    old_database: tuple[Engine, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, settings = old_database
    unkeyed = _hashes(engine)
    _with_key(monkeypatch, settings)

    upgrade(engine)

    assert _verified(engine, 7) == (4, [])
    assert _verified(engine, None) == (2, [])
    signed = _hashes(engine)
    assert [row[:2] for row in signed] == [row[:2] for row in unkeyed]
    assert all(new[3] != old[3] for new, old in zip(signed, unkeyed, strict=True))
    with engine.connect() as connection:
        heads = connection.execute(
            text("SELECT workspace_id, sequence, hash FROM audit_heads ORDER BY 2")
        ).all()
    assert [tuple(head) for head in heads] == [(None, 2, signed[-1][3]), (7, 4, signed[3][3])]


def test_a_chain_broken_before_the_upgrade_shows_the_same_breaks_after_it(
    old_database: tuple[Engine, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, settings = old_database
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_events SET target = 'forged' WHERE workspace_id = 7 AND sequence = 2")
        )
        connection.execute(text("DELETE FROM audit_events WHERE workspace_id = 7 AND sequence = 3"))
    _with_key(monkeypatch, settings)

    upgrade(engine)

    assert _verified(engine, 7) == (3, [(Finding.REWRITTEN, 2), (Finding.MISSING, 3)])
    assert _verified(engine, None) == (2, [])


def test_without_the_master_key_the_upgrade_stops_and_changes_nothing(
    old_database: tuple[Engine, Settings], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engine, _settings = old_database
    unkeyed = _hashes(engine)
    monkeypatch.delenv("DUNOPS_MASTER_KEY", raising=False)
    monkeypatch.setenv("DUNOPS_DATA_DIR", str(tmp_path / "no-key-here"))

    with pytest.raises(ConfigurationError, match="signing the audit chains needs the master key"):
        upgrade(engine)

    assert _hashes(engine) == unkeyed
    assert "audit_heads" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == BEFORE


def test_going_down_drops_the_heads_and_hashes_every_event_unkeyed_again(
    old_database: tuple[Engine, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, settings = old_database
    unkeyed = _hashes(engine)
    _with_key(monkeypatch, settings)
    upgrade(engine)

    downgrade(engine, BEFORE)

    assert "audit_heads" not in inspect(engine).get_table_names()
    assert _hashes(engine) == unkeyed
