"""Error traces: an unexpected error stored under the trace id its user is shown, for operators to read
(``dunops errors list|show``), removed after ``DUNOPS_ERROR_TRACE_DAYS``.

A trace holds where the error happened (the route template, never the path or query string), the
workspace the request acted in, and the traceback's code locations with each exception's message
scrubbed: parameters of failed SQL statements, token-like and long random strings, values of secret-named
fields and email addresses are replaced. Local variables are never captured.
"""

from __future__ import annotations

import re
import secrets
import traceback
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.errors import NotFound
from dunops.storage.models import ErrorTrace

DEFAULT_LISTED = 50

_SCRUBBERS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\[parameters:[^\n]*"), "[parameters: {redacted}]"),
    (re.compile(r"dnp_[A-Za-z0-9_\-]+"), "dnp_{redacted}"),
    (
        re.compile(
            r"(?i)(\w*(?:password|passwd|secret|token|api[_-]?key|authorization|cookie|session|tsig)\w*"
            r"['\"]?\s*[=:]\s*)(?:bearer\s+)?(['\"]?)[^\s'\",;}\]]+"
        ),
        r"\1\2{redacted}",
    ),
    (re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"), "{email}"),
    # A long run of letters and digits mixed: an API key, a session id, a random token.
    (
        re.compile(r"(?<![\w/.])(?=[A-Za-z_\-+/=]*\d)(?=[0-9_\-+/=]*[A-Za-z])[A-Za-z0-9_\-+/=]{24,}"),
        "{redacted}",
    ),
]


def scrub(message: str) -> str:
    """``message`` with anything that may be a secret or a person's address replaced."""
    for pattern, replacement in _SCRUBBERS:
        message = pattern.sub(replacement, message)
    return message


def scrubbed_traceback(error: BaseException) -> str:
    """The traceback of ``error`` and the errors it was raised from: code locations as Python prints
    them, exception messages scrubbed, no local variables."""
    return "".join(_format(traceback.TracebackException.from_exception(error, capture_locals=False)))


def _format(summary: traceback.TracebackException) -> list[str]:
    lines: list[str] = []
    if summary.__cause__ is not None:
        lines += _format(summary.__cause__)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif summary.__context__ is not None and not summary.__suppress_context__:
        lines += _format(summary.__context__)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    if summary.stack:
        lines.append("Traceback (most recent call last):\n")
        lines += summary.stack.format()
    lines += [scrub(line) for line in summary.format_exception_only()]
    return lines


@dataclass(frozen=True, slots=True)
class Where:
    """Which request failed."""

    request_id: str
    method: str
    route: str
    workspace_id: int | None


def record(session: Session, error: BaseException, where: Where) -> ErrorTrace:
    """Store ``error`` under a new trace id (the caller commits)."""
    trace = ErrorTrace(
        trace_id=secrets.token_hex(8),
        request_id=where.request_id,
        method=where.method,
        route=where.route[:300],
        workspace_id=where.workspace_id,
        error_type=_qualified(type(error))[:200],
        traceback=scrubbed_traceback(error),
    )
    session.add(trace)
    session.flush()
    return trace


def _qualified(kind: type[BaseException]) -> str:
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def recent(session: Session, limit: int = DEFAULT_LISTED) -> list[ErrorTrace]:
    """The latest traces, newest first."""
    query = select(ErrorTrace).order_by(ErrorTrace.occurred_at.desc(), ErrorTrace.id.desc()).limit(limit)
    return list(session.scalars(query))


def get(session: Session, trace_id: str) -> ErrorTrace:
    found = session.scalars(select(ErrorTrace).where(ErrorTrace.trace_id == trace_id.strip().lower())).first()
    if found is None:
        raise NotFound(f"no error trace {trace_id!r}: it never existed or has aged out")
    return found
