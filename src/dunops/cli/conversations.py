"""``dunops ask`` (one agent turn) and ``dunops conversations``: list, show and delete your chats."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.agent import Agent, backend_for, conversations, turns
from dunops.cli import context
from dunops.cli.output import emit_json, fail, handled
from dunops.storage.database import transaction

app = typer.Typer(help="Your conversations with the agent.", no_args_is_help=True)

Email = Annotated[str, typer.Option("--email", help="The member asking.")]
Slug = Annotated[str, typer.Option("--workspace", help="The workspace slug.")]
ConversationId = Annotated[int, typer.Argument(min=1, max=context.MAX_ID, help="The conversation's number.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _lines(message: dict[str, Any]) -> list[str]:
    role = message["role"]
    if role == "user":
        return [f"> {message['content']}"]
    if role == "assistant":
        return [message["content"]] if message["content"] else []
    lines = [f"[{message['tool']}] {_brief(message['arguments'])}"]
    if message.get("change_request"):
        result = message["result"]
        lines.append(f"proposed change request #{message['change_request']} plan {result.get('plan_hash')}")
        lines.append(str(result.get("plan", "")).rstrip())
    elif "error" in message["result"]:
        lines.append(f"  {message['result']['error']}")
    return lines


def _brief(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in arguments.items() if key != "edits")


def register(main: typer.Typer) -> None:
    """Add ``dunops ask`` and ``dunops conversations`` to the main app."""
    main.command("ask")(ask)
    main.add_typer(app, name="conversations")


@handled
def ask(
    email: Email,
    workspace: Slug,
    question: Annotated[str, typer.Argument(help="Your question or request, in plain language.")],
    conversation: Annotated[
        int | None, typer.Option("--conversation", min=1, max=context.MAX_ID, help="Continue this one.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Ask the agent one question: prints its answer and any change request it proposed with its plan."""
    settings = context.settings()
    with context.unit_of_work() as session:
        principal = context.member(session, email)
        grant = access.resolve(session, principal, workspace, Permission.ZONES_READ)
        chosen = conversation or conversations.create(session, grant).id
    agent = Agent(context.writer(), settings, context.vault(), backend_for(settings))
    messages, failure = [], None
    for event in turns.run(agent, principal, workspace, chosen, question):
        if event.kind in turns.STORED:
            messages.append(event.data)
        elif event.kind == "error":
            failure = str(event.data.get("detail", ""))
    if as_json:
        emit_json({"conversation": chosen, "messages": messages})
    else:
        typer.echo(f"conversation {chosen}")
        for message in messages[1:]:
            for line in _lines(message):
                typer.echo(line)
    if failure is not None:
        raise fail(failure)


@app.command("list")
@handled
def listing(email: Email, workspace: Slug, as_json: AsJson = False) -> None:
    """Your conversations in the workspace, most recent first."""
    with transaction(context.writer()) as session:
        found = conversations.listing(
            session, context.grant(session, email, workspace, Permission.ZONES_READ)
        )
        rows = [{"id": c.id, "title": c.title, "updated_at": c.updated_at.isoformat()} for c in found]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['id']}\t{row['updated_at']}\t{row['title']}")


@app.command("show")
@handled
def show(email: Email, workspace: Slug, conversation_id: ConversationId, as_json: AsJson = False) -> None:
    """Every message of one of your conversations, with the tool calls and their results."""
    with transaction(context.writer()) as session:
        grant = context.grant(session, email, workspace, Permission.ZONES_READ)
        found = conversations.get(session, grant, conversation_id)
        messages = [conversations.message_data(m) for m in conversations.messages(session, found)]
        title = found.title
    if as_json:
        emit_json({"id": conversation_id, "title": title, "messages": messages})
        return
    typer.echo(f"conversation {conversation_id}: {title}")
    for message in messages:
        for line in _lines(message):
            typer.echo(line)


@app.command("delete")
@handled
def delete(email: Email, workspace: Slug, conversation_id: ConversationId) -> None:
    """Delete one of your conversations and its messages."""
    with context.unit_of_work() as session:
        conversations.remove(
            session, context.grant(session, email, workspace, Permission.ZONES_READ), conversation_id
        )
    typer.echo(f"deleted conversation {conversation_id}")
