"""The workspace the current request acts in, for its log line and its workspace's usage counts.

The web layer opens a :class:`RequestScope` for each request (:func:`opened`); :func:`note_workspace`,
called where a workspace is resolved for a caller, fills it in. A handler running in a worker thread
sees the same scope object, so what it notes is seen by the middleware once the response is sent.
Outside a request (the CLI, jobs) nothing is noted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(slots=True)
class RequestScope:
    workspace_id: int | None = None


_CURRENT: ContextVar[RequestScope | None] = ContextVar("dunops_request_scope", default=None)


@contextmanager
def opened() -> Iterator[RequestScope]:
    """A fresh scope for one request, current until the ``with`` block ends."""
    scope = RequestScope()
    token = _CURRENT.set(scope)
    try:
        yield scope
    finally:
        _CURRENT.reset(token)


def note_workspace(workspace_id: int) -> None:
    """Say that the current request acts in ``workspace_id`` (nothing outside a request)."""
    scope = _CURRENT.get()
    if scope is not None:
        scope.workspace_id = workspace_id
