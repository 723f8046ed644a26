"""Optional error reports to Sentry (``DUNOPS_SENTRY_DSN``), beside the logs every error already has.

What is logged as an error (an unhandled error of a request, with its stack) is reported, and so is
every failed run of a background job.

Reports carry the error, its stack and the request's method and route, never cookies, headers, query
strings, bodies or local variables: record contents, tokens and secrets stay on this side.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk

from dunops.config import Settings


def _scrubbed(event: Any, _hint: Any) -> Any:
    request = event.get("request")
    if isinstance(request, dict):
        event["request"] = {key: request[key] for key in ("method",) if key in request}
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    return event


def start(settings: Settings, component: str) -> bool:
    """Report errors of this process (``web`` or ``worker``) to Sentry when a DSN is set."""
    dsn = settings.sentry_dsn.get_secret_value()
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=settings.environment,
        server_name=component,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
        auto_enabling_integrations=False,  # errors come from our logs, never from request bodies
        before_send=_scrubbed,
    )
    sentry_sdk.set_tag("component", component)
    return True
