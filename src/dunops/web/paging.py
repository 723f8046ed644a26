"""Pages of a list answer: ``{"items": [...], "next": link or null}``, the next link carrying a cursor."""

from __future__ import annotations

from typing import Generic, TypeVar

from fastapi import Request
from pydantic import BaseModel, Field

Item = TypeVar("Item")

DEFAULT_PAGE = 100
MAX_PAGE = 1000


class Page(BaseModel, Generic[Item]):
    """One page of a list; follow ``next`` (same filters, the cursor added) until it is null."""

    items: list[Item]
    next: str | None = Field(description="the path and query of the next page, or null on the last one")

    @classmethod
    def of(cls, items: list[Item], request: Request, cursor: str | None) -> Page[Item]:
        return cls(items=items, next=next_link(request, cursor))


def next_link(request: Request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = [(key, value) for key, value in request.query_params.multi_items() if key != "cursor"]
    url = request.url.replace_query_params(**dict(params), cursor=cursor)
    return f"{url.path}?{url.query}"
