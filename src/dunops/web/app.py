"""The FastAPI application factory: settings, database, routes, error mapping, OpenAPI at /api/docs.

The docs page loads Swagger UI from files shipped in the ``fastapi_offline`` package, so it works
without internet access, and its Content-Security-Policy lets it load nothing from elsewhere. Every
request body passes :class:`RequestBodyLimit` before the app reads it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dunops import audit
from dunops.accounts import plans
from dunops.config import Settings, load_settings
from dunops.dns.formats.json import MAX_NESTING, NestedTooDeeply, load_json
from dunops.errors import ContentTooLarge, DunopsError, InvalidInput
from dunops.storage.database import make_engine, make_read_factory, make_session_factory
from dunops.web import observability, problems, rate_limits
from dunops.web.request_log import RequestLog
from dunops.web.routes import ROUTERS

WEB_DIR = Path(__file__).parent
DOCS_URL = "/api/docs"
DOCS_ASSETS_URL = "/api/docs/assets"
MAX_BODY_BYTES = 32 * 1024 * 1024
"""The largest request body the app reads, but for the :data:`STREAMED_PATHS`."""
STREAMED_PATHS = [re.compile(r"/api/v1/workspaces/[^/]+/imports/upload")]
"""Routes that stream their body to a file under a limit of their own: zone uploads, up to
``DUNOPS_MAX_UPLOAD_MB``."""


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the app; the caller (``dunops serve``, a test) has prepared and migrated the database."""
    settings = settings or load_settings()
    app = FastAPIOffline(
        title="DunOps",
        version="0.1.0",
        description="DNS operations for teams. JSON API under /api/v1.",
        docs_url=DOCS_URL,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        swagger_ui_oauth2_redirect_url=f"{DOCS_URL}/oauth2-redirect",
        static_url=DOCS_ASSETS_URL,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    audit.configure(settings)
    plans.configure(settings)
    app.state.engine = engine or make_engine(settings.sqlalchemy_url, settings.database_options)
    app.state.session_factory = make_session_factory(app.state.engine)
    app.state.read_factory = make_read_factory(app.state.engine)
    app.state.templates = Jinja2Templates(directory=WEB_DIR / "templates")
    app.state.request_log = RequestLog(settings.logs_dir, app.state.session_factory)
    problems.install(app)
    app.add_middleware(RequestBodyLimit, limit=MAX_BODY_BYTES, streamed=STREAMED_PATHS)
    rate_limits.install(app, settings)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    observability.install(app, app.state.request_log)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """When the app stops, the last request lines are written and the last usage counts stored."""
    yield
    request_log: RequestLog = app.state.request_log
    await run_in_threadpool(request_log.close)


# No page may be framed (one-button confirmations would be clickjackable), sniffed into another type, or
# leak a one-time link through the Referer header.
HSTS = b"max-age=31536000; includeSubDomains"
SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
# Pages load scripts and styles from this server alone, and nothing inline: text a person typed can never run.
CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    b"form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
# The docs page runs Swagger UI from this server alone: its script and styles (inline ones included,
# as FastAPI writes the page), its icons as data: images, and the OpenAPI document.
DOCS_CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; frame-ancestors 'none'"
)


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` and a Content-Security-Policy (the docs page's own
    on :data:`DOCS_URL`) to every answer that does not set them itself; with ``hsts`` (the public URL is
    https), Strict-Transport-Security too, so that browsers come back over HTTPS only."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.extra = [(b"strict-transport-security", HSTS)] if hsts else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        policy = DOCS_CONTENT_SECURITY_POLICY if scope["path"] == DOCS_URL else CONTENT_SECURITY_POLICY
        defaults = [(b"content-security-policy", policy), *SECURITY_HEADERS, *self.extra]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in defaults if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestBodyLimit:
    """ASGI middleware that reads a request's body before the app does, and hands the app what it read.

    A declared Content-Length over ``limit`` bytes is answered 413 at once, before a byte is read; a
    body sent without one (chunked) is counted as it arrives and answered 413 as soon as the count
    passes ``limit``. A JSON body nested deeper than ``MAX_NESTING`` levels is answered 422. Requests
    to ``streamed`` paths (routes that stream their body under a limit of their own) pass untouched.
    """

    def __init__(self, app: ASGIApp, limit: int, streamed: Sequence[re.Pattern[str]] = ()) -> None:
        self.app = app
        self.limit = limit
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(path.fullmatch(scope["path"]) for path in self.streamed):
            await self.app(scope, receive, send)
            return
        try:
            first = await self._read(Headers(scope=scope), receive)
        except DunopsError as error:
            await problems.error_response(error)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return first

        await self.app(scope, replay, send)

    async def _read(self, headers: Headers, receive: Receive) -> Message:
        """The whole body as one message, or the disconnect that cut it short."""
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            raise ContentTooLarge(
                f"the request body is {int(declared):,} bytes; at most {self.limit:,} are taken"
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                raise ContentTooLarge(f"the request body is larger than {self.limit:,} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _is_json(headers) and body.count(b"[") + body.count(b"{") > MAX_NESTING:
            _refuse_deep_nesting(body)
        return {"type": "http.request", "body": body, "more_body": False}


def _is_json(headers: Headers) -> bool:
    """Whether FastAPI would read the body as JSON: a JSON media type, or none."""
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return not media_type or media_type == "application/json" or media_type.endswith("+json")


def _refuse_deep_nesting(body: bytes) -> None:
    """Refuse a body nested too deeply; any other fault is left for the route to report as it does."""
    try:
        load_json(body)
    except NestedTooDeeply as exc:
        raise InvalidInput.single(str(exc), "body", "json-depth") from exc
    except ValueError:
        return
