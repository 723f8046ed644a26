"""Exported audit files check on their own, given the master key: a whole file is ok, and a file cut short,
edited or carrying lines that are not events is named."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import access, memberships, users, workspaces
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.audit import Finding
from dunops.audit.digest import CONTENT_FIELDS, ChainKey, legacy_hash
from dunops.config import Settings
from dunops.errors import InvalidInput
from dunops.security.master_key import MasterKey, load_master_key
from dunops.storage.models import Role


def _exported(db: Session) -> list[str]:
    owner = Principal(user=users.create(db, "owner@example.com"))
    workspace = workspaces.create(db, owner, "Acme")
    grant = access.resolve(db, owner, "acme", Permission.MEMBERS_MANAGE)
    for number in range(3):
        users.create(db, f"member{number}@example.com")
        memberships.add(db, grant, f"member{number}@example.com", Role.VIEWER)
    db.commit()
    return list(audit.export(db, workspace.id, "acme"))


@pytest.fixture
def key(settings: Settings) -> ChainKey:
    return ChainKey.of(load_master_key(settings))


def test_an_exported_chain_carries_its_signed_head_and_checks_ok(db: Session, key: ChainKey) -> None:
    lines = _exported(db)
    header = json.loads(lines[0])
    assert header["chain"] == "acme"
    assert header["head"]["sequence"] == 4
    assert header["head"]["master_key_id"] == key.master_key_id
    assert [json.loads(line)["action"] for line in lines[1:]] == ["workspace.create"] + ["member.add"] * 3
    assert audit.check_export(lines, key) == audit.ExportCheck("acme", 4, [])


def test_an_export_keeps_what_the_database_lost_later(db: Session, key: ChainKey) -> None:
    lines = _exported(db)
    db.execute(text("DELETE FROM audit_events WHERE sequence > 2"))
    db.commit()
    assert audit.check_export(lines, key).breaks == []
    workspace_id = json.loads(lines[0])["workspace_id"]
    assert [item.kind for item in audit.verify(db, workspace_id)[1]] == [Finding.TRUNCATED]


def test_a_file_cut_short_is_named_against_its_own_head(db: Session, key: ChainKey) -> None:
    found = audit.check_export(_exported(db)[:-2], key)
    assert found.count == 2
    assert [str(item) for item in found.breaks] == [
        "the chain was truncated: its head says it ends at #4, but it ends at #2"
    ]


def test_an_edited_line_is_named_even_with_its_hash_recomputed(db: Session, key: ChainKey) -> None:
    lines = _exported(db)
    event = json.loads(lines[2])
    event["details"]["role"] = "owner"
    event["hash"] = legacy_hash({name: event[name] for name in CONTENT_FIELDS})
    lines[2] = json.dumps(event)
    found = audit.check_export(lines, key)
    assert [str(item) for item in found.breaks] == [
        "event #2 was rewritten: its content does not match its hash",
        "event #3 does not link to event #2: its previous hash differs (that event was replaced)",
    ]


def test_an_event_moved_in_from_another_chain_is_named(db: Session, key: ChainKey) -> None:
    lines = _exported(db)
    header = json.loads(lines[0])
    header["workspace_id"] = 99
    found = audit.check_export([json.dumps(header), *lines[1:]], key)
    assert [item.kind for item in found.breaks] == [Finding.REWRITTEN, Finding.HEAD]
    assert str(found.breaks[0]).startswith("events #1-#4 were rewritten")


def test_lines_that_are_not_events_are_named_by_line_and_field(db: Session, key: ChainKey) -> None:
    lines = _exported(db)
    event = json.loads(lines[3])
    del event["sequence"]
    event["details"] = "text"
    broken = [lines[0], lines[1], "{not json", json.dumps(event), "[]"]
    with pytest.raises(InvalidInput) as refused:
        audit.check_export(broken, key)
    assert [str(problem) for problem in refused.value.problems] == [
        "line 3: not JSON (Expecting property name enclosed in double quotes)",
        "line 4: sequence: missing",
        "line 4: details: wrong type",
        "line 5: not a JSON object",
    ]


def test_a_file_that_is_not_an_export_is_refused_on_its_first_line(key: ChainKey) -> None:
    with pytest.raises(InvalidInput) as refused:
        audit.check_export(['{"chain": "acme", "workspace_id": 1, "format": "zone"}'], key)
    assert [str(problem) for problem in refused.value.problems] == [
        "line 1: not a dunops-audit export of version 1"
    ]
    with pytest.raises(InvalidInput):
        audit.check_export([], key)


def test_another_master_key_is_named_instead_of_every_event(db: Session, key: ChainKey) -> None:
    lines = _exported(db)
    other = ChainKey.of(MasterKey.from_bytes(b"o" * 32))
    found = audit.check_export(lines, other)
    assert found.count == 4
    assert [str(item) for item in found.breaks] == [
        f"the chain is signed with master key {key.master_key_id}, "
        f"but the configured master key is {other.master_key_id}"
    ]
