"""What every page shares: its route class (refusals as pages in the app's layout, sign-in as a redirect),
the caller's workspace access, rendering with the layout's context, and problems placed by form field.

Pages call the same services the API does. A page's forms post with the session's CSRF token in the
``csrf_token`` field; :data:`dunops.web.deps.CurrentPrincipal` refuses a post without it (403).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from dunops.accounts import access
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.errors import DunopsError, InvalidInput, NotAuthenticated, NotFound, Problem
from dunops.privacy import legal
from dunops.storage.database import reading
from dunops.web.deps import reader_of
from dunops.web.problems import status_for
from dunops.web.routing import UnitOfWorkRoute

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(UnitOfWorkRoute):
    """A page: a caller who is not signed in is sent to sign in (and back); any other refusal is a page
    in the layout with the status the error tree gives it."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except NotAuthenticated:
                back = request.url.path if request.method == "GET" else "/"
                return RedirectResponse(f"/sign-in?next={quote(back, safe='/')}", status_code=303)
            except RequestValidationError:
                return error_page(request, NotFound("no such page: check the address"))
            except DunopsError as error:
                return error_page(request, error)

        return page_handler


def page_router() -> APIRouter:
    return APIRouter(route_class=PageRoute, include_in_schema=False)


async def posted_form(request: Request) -> FormData:
    """The posted form, for a form whose fields depend on what it describes (a provider kind's)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def csrf_of(request: Request) -> str:
    """The session's CSRF token, set on the request by the principal dependency ("" for a bearer)."""
    return str(getattr(request.state, "csrf_token", ""))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from ``web/templates`` (autoescaped) with the layout's context: the session's CSRF token
    and, for a person signed in, the policy notices they have not acknowledged (a banner on every page)."""
    context.setdefault("csrf_token", csrf_of(request))
    user_id = getattr(request.state, "user_id", None)
    if context["csrf_token"] and user_id is not None and "notices" not in context:
        with reading(reader_of(request)) as session:
            context["notices"] = legal.pending(session, user_id)
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: Request, error: DunopsError) -> HTMLResponse:
    return render(
        request,
        "error.html",
        status_for(error),
        status=status_for(error),
        title=error.title,
        message=error.detail,
        problems=error.problems,
    )


def not_found_page(request: Request) -> HTMLResponse:
    return error_page(request, NotFound("no such page: check the address"))


@dataclass(frozen=True, slots=True)
class Workspace:
    """The caller in one workspace: what the layout's navigation and the buttons need to know."""

    grant: Access

    @property
    def slug(self) -> str:
        return self.grant.workspace.slug

    def may(self, permission: str) -> bool:
        return self.grant.allows(Permission(permission))


def workspace(db: Session, principal: Principal, slug: str, permission: Permission) -> Workspace:
    return Workspace(access.resolve(db, principal, slug, permission))


@dataclass
class FormProblems:
    """A refusal's problems placed next to their form fields; the rest shown above the form."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, error: InvalidInput, fields: Mapping[str, str]) -> FormProblems:
        """``fields`` maps a problem location's prefix (``edits[0].values``) to a form field's name."""
        placed = cls()
        for problem in error.problems or [Problem(error.detail)]:
            name = _field_for(problem.location, fields)
            if name is None:
                placed.general.append(str(problem))
            else:
                placed.fields.setdefault(name, problem.message)
        if not error.problems:
            return placed
        if not placed.fields and not placed.general:
            placed.general.append(error.detail)
        return placed


def _field_for(location: str, fields: Mapping[str, str]) -> str | None:
    for prefix in sorted(fields, key=len, reverse=True):
        if location == prefix or location.startswith((prefix + ".", prefix + "[")):
            return fields[prefix]
    return None


def lines(text: str) -> list[str]:
    """The non-blank lines of a textarea, each stripped."""
    return [line.strip() for line in text.splitlines() if line.strip()]
