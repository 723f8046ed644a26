"""Routes whose unit of work ends when the handler returns, before its answer is serialised.

FastAPI ends a dependency (here: commits the request's transaction) only after it has validated and
serialised the answer, which for a plain ``def`` handler takes another threadpool thread. A request
that still held its transaction (its connection, a lock) while it waited for that thread could wait
forever once every thread was taken by requests waiting for that very lock. :class:`UnitOfWorkRoute`
commits every session the handler was given the moment it returns (rolls back when it raises), so a
request holds nothing while its answer is built; the dependency's own exit then has nothing left to do.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session


def _ending_units_of_work(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    def handler(*args: Any, **kwargs: Any) -> Any:
        sessions = [value for value in kwargs.values() if isinstance(value, Session)]
        try:
            result = endpoint(*args, **kwargs)
        except BaseException:
            for session in sessions:
                session.rollback()
            raise
        for session in sessions:
            session.commit()
        return result

    return handler


class UnitOfWorkRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _ending_units_of_work(endpoint), **kwargs)


def api_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose routes are :class:`UnitOfWorkRoute`."""
    return APIRouter(route_class=UnitOfWorkRoute, **kwargs)
