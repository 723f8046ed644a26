"""What the HTTP providers share: one httpx client per provider and error translation.

Connection failures and timeouts become a ProviderError naming host:port within the configured
timeout; 401/403 become a ProviderError saying the credentials were refused.
"""

from __future__ import annotations

import ssl
from functools import cache
from typing import Any

import httpx

from dunops.errors import ProviderError


@cache
def _tls_context() -> ssl.SSLContext:
    """Built once per process: loading the CA bundle costs tens of milliseconds, more than most calls."""
    return httpx.create_ssl_context()


def make_client(
    base_url: str, headers: dict[str, str], timeout: float, transport: httpx.BaseTransport | None
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        headers=headers,
        timeout=httpx.Timeout(timeout),
        transport=transport,
        follow_redirects=False,
        verify=_tls_context(),
    )


def host_port(url: httpx.URL) -> str:
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.host}:{port}"


def send(client: httpx.Client, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """Send one request; network failures become ProviderError naming ``who`` and host:port."""
    try:
        return client.request(method, path, **kwargs)
    except httpx.TimeoutException as exc:
        where = host_port(client.base_url)
        raise ProviderError(f"{who}: {where} did not answer within {client.timeout.read} s") from exc
    except httpx.TransportError as exc:
        where = host_port(client.base_url)
        raise ProviderError(f"{who}: cannot reach {where}: {exc or type(exc).__name__}") from exc


def refuse_credentials(who: str, response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        where = host_port(response.request.url)
        raise ProviderError(
            f"{who}: the credentials were refused by {where} (HTTP {response.status_code}); "
            "check the API key or token of this connection"
        )
