"""The agent panel beside the zone pages: a chat with the agent that works as a plain form (the turn runs,
then the page shows the answer) and, with the panel's script, streams the turn as it happens. Tool calls
show as small expandable lines; a proposal as a link to its change request with its plan.

Everything shown is text: record content reaches the page only through autoescaped templates (server) or
``textContent`` (the script).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.agent import Event, conversations, turns
from dunops.errors import DunopsError, InvalidInput, PermissionDenied, RateLimited
from dunops.storage.database import transaction
from dunops.web.deps import MAX_ID, AppSettings, CurrentPrincipal, ReadDB, writer_of
from dunops.web.pages.base import FormProblems, Workspace, page_router, render, workspace
from dunops.web.pages.changes import change_path
from dunops.web.problems import status_for
from dunops.web.routes.conversations import agent_of, streamed

router = page_router()

RESULT_SHOWN = 6000
"""Characters of a tool result shown in its expandable line."""
_REFUSALS = (InvalidInput, PermissionDenied, RateLimited)
_FIELDS = {"content": "content", "conversation": "content"}


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the chat: ``question``, ``answer``, ``tool`` (a call and its result) or ``proposal``
    (a ``propose_change`` call that made a change request)."""

    kind: str
    text: str = ""
    tool: str = ""
    arguments: str = ""
    result: str = ""
    change_request: int | None = None
    title: str = ""
    state: str = ""
    plan: str = ""


def _arguments(arguments: Any) -> str:
    if not isinstance(arguments, Mapping):
        return str(arguments)
    shown = {k: v for k, v in arguments.items() if k != "edits"}
    text = " ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in shown.items())
    edits = arguments.get("edits")
    return text + (f" edits={len(edits)}" if isinstance(edits, list) else "")


def _result(result: Any) -> str:
    text = json.dumps(result, indent=2, sort_keys=True, default=str)
    return text if len(text) <= RESULT_SHOWN else text[:RESULT_SHOWN] + "\n… (cut here)"


def lines_of(messages: list[dict[str, Any]]) -> list[Line]:
    """The stored messages of a conversation as the panel shows them."""
    shown: list[Line] = []
    for message in messages:
        if message["role"] == "user":
            shown.append(Line("question", text=message["content"]))
        elif message["role"] == "assistant":
            if message["content"]:
                shown.append(Line("answer", text=message["content"]))
        else:
            result = message["result"] if isinstance(message["result"], Mapping) else {}
            arguments = message["arguments"] if isinstance(message["arguments"], Mapping) else {}
            line = Line(
                "tool",
                tool=message["tool"],
                arguments=_arguments(message["arguments"]),
                result=_result(message["result"]),
            )
            if message["change_request"]:
                line = Line(
                    "proposal",
                    tool=line.tool,
                    arguments=line.arguments,
                    result=line.result,
                    change_request=message["change_request"],
                    title=str(arguments.get("title") or ""),
                    state=str(result.get("state") or ""),
                    plan=str(result.get("plan") or ""),
                )
            shown.append(line)
    return shown


def panel(
    db: Session,
    ws: Workspace,
    conversation_id: int | None,
    zone: str,
    *,
    problems: FormProblems | None = None,
    question: str = "",
) -> dict[str, Any]:
    """What the panel's template needs: the conversation shown (if any), the zone it sits beside."""
    shown: list[Line] = []
    if conversation_id is not None:
        conversation = conversations.get(db, ws.grant, conversation_id)
        shown = lines_of([conversations.message_data(m) for m in conversations.messages(db, conversation)])
    return {
        "enabled": ws.grant.workspace.agent_enabled,
        "conversation": conversation_id,
        "lines": shown,
        "zone": zone,
        "problems": problems or FormProblems(),
        "question": question,
        "change_path": lambda change_id: change_path(ws.slug, change_id),
    }


def _conversation(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise InvalidInput.single("must be a conversation's number", "conversation")
    return int(value)


def _start(request: Request, principal: Principal, slug: str, conversation: str, content: str) -> int:
    """The conversation to ask in: the one given, or a new one once the question is acceptable."""
    chosen = _conversation(conversation)
    if chosen is not None:
        return chosen
    conversations.check_question(content)
    with transaction(writer_of(request)) as session:
        ws = workspace(session, principal, slug, Permission.ZONES_READ)
        return conversations.create(session, ws.grant).id


def _back(slug: str, zone: str, conversation_id: int) -> str:
    if zone:
        return f"/w/{quote(slug, safe='')}/zones/{quote(zone, safe='')}?conversation={conversation_id}#agent"
    return f"/w/{quote(slug, safe='')}/agent?conversation={conversation_id}#agent"


def _refused(
    request: Request,
    db: Session,
    principal: Principal,
    slug: str,
    template: str,
    error: DunopsError,
    conversation: str,
    zone: str,
    question: str,
) -> Response:
    ws = workspace(db, principal, slug, Permission.ZONES_READ)
    problems = (
        FormProblems.of(error, _FIELDS)
        if isinstance(error, InvalidInput)
        else FormProblems(general=[error.detail])
    )
    try:
        shown = _conversation(conversation)
    except InvalidInput:
        shown = None
    agent = panel(db, ws, shown, zone, problems=problems, question=question)
    return render(request, template, status_for(error), ws=ws, agent=agent)


@router.get("/w/{slug}/agent")
def agent_page(
    slug: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    conversation: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    zone: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """The panel on a page of its own (where a refused question is shown without JavaScript)."""
    ws = workspace(db, principal, slug, Permission.ZONES_READ)
    return render(request, "agent.html", ws=ws, agent=panel(db, ws, conversation, zone))


@router.get("/w/{slug}/agent/panel")
def agent_panel(
    slug: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    conversation: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    zone: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """The panel alone, as the page's script puts it in place once a streamed turn has ended."""
    ws = workspace(db, principal, slug, Permission.ZONES_READ)
    return render(request, "_agent_panel.html", ws=ws, agent=panel(db, ws, conversation, zone))


@router.post("/w/{slug}/agent")
def ask(
    slug: str,
    request: Request,
    db: ReadDB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    content: Annotated[str, Form()] = "",
    conversation: Annotated[str, Form(max_length=20)] = "",
    zone: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Run one turn, then show the page the question was asked on with the answer (no script needed)."""
    try:
        chosen = _start(request, principal, slug, conversation, content)
        turns.collect(turns.run(agent_of(request, settings), principal, slug, chosen, content))
    except _REFUSALS as error:
        return _refused(request, db, principal, slug, "agent.html", error, conversation, zone, content)
    return RedirectResponse(_back(slug, zone, chosen), status_code=303)


@router.post("/w/{slug}/agent/stream")
def ask_streamed(
    slug: str,
    request: Request,
    db: ReadDB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    content: Annotated[str, Form()] = "",
    conversation: Annotated[str, Form(max_length=20)] = "",
    zone: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Run one turn as server-sent events: first ``conversation`` (its id), then the turn's events as the
    API sends them. A refused question answers with the panel showing why, with the refusal's status."""
    try:
        chosen = _start(request, principal, slug, conversation, content)
        events = turns.run(agent_of(request, settings), principal, slug, chosen, content)
    except _REFUSALS as error:
        return _refused(request, db, principal, slug, "_agent_panel.html", error, conversation, zone, content)
    return streamed(_announced(chosen, events))


def _announced(conversation_id: int, events: Iterator[Event]) -> Iterator[Event]:
    yield Event("conversation", {"id": conversation_id})
    yield from events
