"""Exported audit files: one chain as JSON lines that check on their own, given the master key.

The first line is the header, carrying the chain's signed head; each further line is one event, in
sequence order, with the content its hash covers and the hash::

    {"format": "dunops-audit", "version": 1, "chain": "acme", "workspace_id": 3, "exported_at": "...",
     "head": {"sequence": 2, "hash": "...", "master_key_id": "mk_...", "mac": "..."}}
    {"workspace_id": 3, "sequence": 1, ..., "previous_hash": "000...", "hash": "..."}
    {"workspace_id": 3, "sequence": 2, ..., "previous_hash": "...", "hash": "..."}

A copy kept elsewhere keeps the events and the signed head as they were, whatever happens to the
database later; a file shortened or edited after the export shows against its own head.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from dunops.audit.digest import CONTENT_FIELDS, ChainKey, content
from dunops.audit.verification import ChainBreak, ChainCheck, Head, key_mismatch, stored_events, stored_head
from dunops.errors import InvalidInput, Problem
from dunops.storage.base import utcnow

FORMAT = "dunops-audit"
VERSION = 1
_NUMBER = (int, type(None))
_EVENT_TYPES: dict[str, tuple[type, ...]] = {
    "workspace_id": _NUMBER,
    "sequence": (int,),
    "actor_user_id": _NUMBER,
    "actor_token_id": _NUMBER,
    "actor": (str,),
    "action": (str,),
    "target": (str,),
    "details": (dict,),
    "client_address": (str,),
    "created_at": (str,),
    "previous_hash": (str,),
    "hash": (str,),
}
_HEAD_TYPES: dict[str, tuple[type, ...]] = {
    "sequence": (int,),
    "hash": (str,),
    "master_key_id": (str,),
    "mac": (str,),
}


def _line(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False) + "\n"


def export(session: Session, workspace_id: int | None, chain: str) -> Iterator[str]:
    """The lines of the export of one chain (``chain`` names it for people: a slug, or "(instance)")."""
    head = stored_head(session, workspace_id)
    yield _line(
        {
            "format": FORMAT,
            "version": VERSION,
            "chain": chain,
            "workspace_id": workspace_id,
            "exported_at": utcnow().isoformat(timespec="seconds"),
            "head": None if head is None else asdict(head),
        }
    )
    for row in stored_events(session, workspace_id):
        yield _line({**content(row), "hash": row.hash})


@dataclass(frozen=True, slots=True)
class ExportCheck:
    """What checking an exported file found: which chain, how many events, every problem."""

    chain: str
    count: int
    breaks: list[ChainBreak]


def _wrong_fields(value: Any, types: dict[str, tuple[type, ...]]) -> list[str]:
    if not isinstance(value, dict):
        return ["not a JSON object"]
    wrong = []
    for name, allowed in types.items():
        if name not in value:
            wrong.append(f"{name}: missing")
        elif not isinstance(value[name], allowed) or isinstance(value[name], bool):
            wrong.append(f"{name}: wrong type")
    return wrong


def _parse(text: str, where: str, types: dict[str, tuple[type, ...]]) -> tuple[Any, list[Problem]]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [Problem(f"not JSON ({exc.msg})", where)]
    return value, [Problem(reason, where) for reason in _wrong_fields(value, types)]


def _header(first: str) -> tuple[str, int | None, Head | None]:
    header, problems = _parse(first, "line 1", {"chain": (str,), "workspace_id": _NUMBER})
    if not problems and (header.get("format"), header.get("version")) != (FORMAT, VERSION):
        problems = [Problem(f"not a {FORMAT} export of version {VERSION}", "line 1")]
    if not problems and header.get("head") is not None:
        problems = [
            Problem(f"head: {reason}", "line 1") for reason in _wrong_fields(header["head"], _HEAD_TYPES)
        ]
    if problems:
        raise InvalidInput.collect(problems, "the file is not an audit export")
    head = header["head"]
    if head is None:
        return header["chain"], header["workspace_id"], None
    return (
        header["chain"],
        header["workspace_id"],
        Head(head["sequence"], head["hash"], head["master_key_id"], head["mac"]),
    )


def check_export(lines: Iterable[str], key: ChainKey) -> ExportCheck:
    """Check an exported file on its own: its events against their hashes and links, its end against
    the head it carries. Lines that are not events are named (line number, field) and nothing is judged."""
    numbered = enumerate(lines, start=1)
    chain, workspace_id, head = _header(next(numbered, (1, ""))[1])
    mismatch = None if head is None else key_mismatch(head, key)
    check = ChainCheck(key, workspace_id, head)
    problems: list[Problem] = []
    events = 0
    for number, text in numbered:
        if not text.strip():
            continue
        event, wrong = _parse(text, f"line {number}", _EVENT_TYPES)
        problems += wrong
        events += 1
        if not problems and mismatch is None:
            check.event({name: event[name] for name in CONTENT_FIELDS}, event["hash"])
    if problems:
        raise InvalidInput.collect(problems, f"{len(problems)} problem(s) in the lines of the file")
    if mismatch is not None:
        return ExportCheck(chain, events, [mismatch])
    return ExportCheck(chain, events, check.finish())
