"""The one place that turns errors into HTTP responses: RFC 9457 problem details."""

from __future__ import annotations

import secrets
from itertools import chain, islice
from typing import Any

import sentry_sdk
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from dunops.errors import (
    Conflict,
    ContentTooLarge,
    DunopsError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Problem,
    ProviderError,
    RateLimited,
)
from dunops.privacy import error_traces
from dunops.storage.database import transaction
from dunops.web.observability import route_template, safe_path

log = structlog.get_logger(__name__)

_STATUS: list[tuple[type[DunopsError], int]] = [
    (InvalidInput, 422),
    (NotAuthenticated, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (ContentTooLarge, 413),
    (RateLimited, 429),
    (ProviderError, 502),
]

PROBLEM_TYPE_BASE = "https://dunops.dev/problems/"


def status_for(error: DunopsError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 400


def problem(
    status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def error_response(error: DunopsError) -> JSONResponse:
    """The problem details of ``error``: its problems (at most ``MAX_PROBLEMS``) as ``errors``, and how
    many more it found as ``more_errors``."""
    errors = [
        {"field": p.location, "message": p.message, **({"code": p.code} if p.code else {})}
        for p in error.problems
    ]
    extra = {"more_errors": error.more_problems} if error.more_problems else {}
    response = problem(status_for(error), error.title, error.detail, errors, **extra)
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _dunops_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DunopsError)
    return error_response(exc)


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    found = (
        Problem(str(error.get("msg", "invalid")), ".".join(str(part) for part in error.get("loc", ())))
        for error in exc.errors()
    )
    first = list(islice(found, 5))
    detail = "; ".join(f"{p.location}: {p.message}" for p in first)
    return error_response(InvalidInput(detail, chain(first, found)))


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404 and _wants_page(request):
        page: Response = request.app.state.templates.TemplateResponse(
            request,
            "error.html",
            {"status": 404, "title": "Not found", "message": "no such page: check the address"},
            status_code=404,
        )
        return page
    titles = {401: "Not authenticated", 403: "Permission denied", 404: "Not found", 405: "Method not allowed"}
    return problem(exc.status_code, titles.get(exc.status_code, "Request failed"), str(exc.detail))


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API, which always answers problem details, nor a static file)."""
    path = request.url.path
    return not path.startswith(("/api/", "/static/")) and "text/html" in request.headers.get("accept", "")


RETRY_AFTER_SECONDS = 2


def _database_busy(request: Request, exc: Exception) -> Response:
    """The database could not be had within the request's budget (a lock, the pool, an outage): 503,
    as problem details for the API and as a page for a browser."""
    reason = "busy" if isinstance(exc, PoolTimeout) or "locked" in str(exc) else "unavailable"
    log.warning("database " + reason, path=safe_path(request.scope), error_type=type(exc).__name__)
    detail = f"the database is {reason} right now; retry in a moment"
    response: Response
    if _wants_page(request):
        response = request.app.state.templates.TemplateResponse(
            request,
            "message.html",
            {
                "providers": request.app.state.settings.oidc_providers,
                "title": "Back in a moment",
                "message": f"DunOps cannot reach its database right now. Nothing you did was lost; "
                f"reload this page in a few seconds ({detail}).",
                "home_link": True,
            },
            status_code=503,
        )
    else:
        response = problem(503, "Service unavailable", detail)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A 500 whose ``trace_id`` finds the stored error trace (``dunops errors show``)."""
    state = request.scope.get("state", {})
    acting = state.get("request_scope")
    where = error_traces.Where(
        request_id=str(state.get("request_id", "")),
        method=request.method,
        route=route_template(request.scope),
        workspace_id=getattr(acting, "workspace_id", None),
    )
    try:
        with transaction(request.app.state.session_factory) as session:
            trace_id = error_traces.record(session, exc, where).trace_id
    except Exception as failure:  # the database may be what failed: the trace goes to the log alone
        trace_id = secrets.token_hex(8)
        log.warning(
            "error trace not stored",
            trace_id=trace_id,
            error_type=type(failure).__name__,
            traceback=error_traces.scrubbed_traceback(exc),
        )
    sentry_sdk.capture_exception(exc)  # a no-op unless DUNOPS_SENTRY_DSN is set
    log.error(
        "unhandled error",
        path=safe_path(request.scope),
        error_type=type(exc).__name__,
        trace_id=trace_id,
        request_id=where.request_id,
    )
    return problem(
        500,
        "Internal error",
        f"an unexpected error occurred; quote trace id {trace_id} when you report it",
        trace_id=trace_id,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DunopsError, _dunops_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(PoolTimeout, _database_busy)
    app.add_exception_handler(Exception, _unexpected)
