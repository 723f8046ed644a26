"""Request logging and Prometheus metrics: one log line per request and ``/metrics``.

The log line carries the method, the path with secret-looking segments masked, the route template, the
status, the duration, the workspace the request acted in and a request id (``X-Request-ID``, echoed
back). It never carries headers, cookies, query strings or bodies, so tokens in sign-in links,
Authorization headers and forms stay out of logs. The same request, without its path, goes to the
request log files (:mod:`dunops.web.request_log`), which also count each workspace's API calls.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dunops.accounts import request_scope
from dunops.web.request_log import RequestLog

log = structlog.get_logger("dunops.web.requests")

REQUESTS = Counter(
    "dunops_http_requests",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "dunops_http_request_duration_seconds",
    "HTTP request latency by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

UNMATCHED_ROUTE = "<unmatched>"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SECRET_PARAM = re.compile(r"token|secret|key|code|password|session|link", re.IGNORECASE)
# A path segment that looks like a credential: long and random, or one of our own token prefixes.
_SECRET_SEGMENT = re.compile(r"^(dnp_.*|[A-Za-z0-9_\-.~%]{24,})$")

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics: request counts and latency, background job counts."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


class RequestObservability:
    """ASGI middleware: request id, one structured log line and the metrics for every HTTP request."""

    def __init__(self, app: ASGIApp, request_log: RequestLog | None = None) -> None:
        self.app = app
        self.request_log = request_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        state = scope.setdefault("state", {})
        with structlog.contextvars.bound_contextvars(request_id=request_id), request_scope.opened() as acting:
            # The error handler runs outside this middleware: it finds the request's id and scope here.
            state["request_id"], state["request_scope"] = request_id, acting
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                duration = time.perf_counter() - started
                route = route_template(scope)
                method = str(scope.get("method", ""))
                duration_ms = round(duration * 1000, 1)
                REQUESTS.labels(method=method, route=route, status=str(status)).inc()
                LATENCY.labels(method=method, route=route, status=str(status)).observe(duration)
                log.info(
                    "request",
                    method=method,
                    path=safe_path(scope),
                    route=route,
                    status=status,
                    duration_ms=duration_ms,
                    request_id=request_id,
                    workspace_id=acting.workspace_id,
                )
                if self.request_log is not None:
                    self.request_log.record(
                        request_id=request_id,
                        method=method,
                        route=route,
                        status=status,
                        duration_ms=duration_ms,
                        workspace_id=acting.workspace_id,
                    )


def install(app: FastAPI, request_log: RequestLog | None = None) -> None:
    """Add the request middleware to ``app`` (the ``/metrics`` route is mounted with the other routers)."""
    app.add_middleware(RequestObservability, request_log=request_log)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = bytes(value).decode("latin-1")
            if _REQUEST_ID.match(candidate):
                return candidate
    return secrets.token_hex(8)


def route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else UNMATCHED_ROUTE


def safe_path(scope: Scope) -> str:
    """The path without its query string; secret path parameters and token-like segments are masked."""
    path = str(scope.get("path", ""))
    params: dict[str, Any] = scope.get("path_params") or {}
    for name, value in params.items():
        if _SECRET_PARAM.search(name) and str(value):
            path = path.replace(str(value), f"{{{name}}}")
    return "/".join("{redacted}" if _SECRET_SEGMENT.match(part) else part for part in path.split("/"))
