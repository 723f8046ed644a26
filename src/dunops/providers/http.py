"""What the HTTP providers share: one httpx client per provider, guarded by the outbound policy, and
error messages that tell a user what kind of failure happened without telling an attacker more.

Every connection resolves its host once, checks the addresses against the operator's
:class:`~dunops.providers.outbound.OutboundPolicy` and connects to a checked address (the request keeps
its Host header and TLS server name). A failure to connect, a reset and a silence all read "could not
connect ... or it did not answer": a connection test must not tell closed, filtered and silent ports
apart. A refusal names the HTTP status, never the provider's body, which may echo anything.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterable
from functools import cache
from typing import Any

import httpcore
import httpx

from dunops.errors import ProviderError
from dunops.providers.outbound import OutboundPolicy

_IDENTIFIER = re.compile(r"[A-Za-z0-9_.-]{1,128}")


@cache
def _tls_context() -> ssl.SSLContext:
    """Built once per process: loading the CA bundle costs tens of milliseconds, more than most calls."""
    return httpx.create_ssl_context()


class _GuardedNetwork(httpcore.NetworkBackend):
    """Opens TCP connections only to addresses the outbound policy allows, resolving each host once."""

    def __init__(self, policy: OutboundPolicy, who: str) -> None:
        self._policy = policy
        self._who = who
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self._policy.addresses(self._who, host, port)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        failure: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                return self._sockets.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("providers are reached over TCP only")

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport over a connection pool whose every connection :class:`_GuardedNetwork` opens."""

    def __init__(self, policy: OutboundPolicy, who: str) -> None:
        super().__init__(verify=_tls_context(), trust_env=False)
        # httpx takes no network backend of its own; its pool is where every connection is opened.
        self._pool = httpcore.ConnectionPool(
            ssl_context=_tls_context(), network_backend=_GuardedNetwork(policy, who)
        )


def make_client(
    base_url: str,
    headers: dict[str, str],
    timeout: float,
    transport: httpx.BaseTransport | None,
    *,
    outbound: OutboundPolicy,
    who: str,
) -> httpx.Client:
    """A client for one provider; ``transport`` is a test seam that replaces the guarded network."""
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        headers=headers,
        timeout=httpx.Timeout(timeout),
        transport=transport or GuardedTransport(outbound, who),
        follow_redirects=False,
        trust_env=False,
    )


def host_port(url: httpx.URL) -> str:
    port = url.port or (443 if url.scheme == "https" else 80)
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{port}"


def _tls_failed(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def transport_failure(who: str, where: str, exc: BaseException, timeout: float) -> ProviderError:
    """The one message for any failure below HTTP: refused, reset, filtered and silent read alike."""
    if _tls_failed(exc):
        return ProviderError(
            f"{who}: the TLS handshake with {where} failed; "
            "check the URL's scheme and the server's certificate"
        )
    return ProviderError(f"{who}: could not connect to {where}, or it did not answer within {timeout:g} s")


def send(client: httpx.Client, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """Send one request; a network failure becomes a ProviderError naming ``who`` and host:port."""
    try:
        return client.request(method, path, **kwargs)
    except httpx.TransportError as exc:
        url = client.base_url if client.base_url.host else httpx.URL(path)
        raise transport_failure(who, host_port(url), exc, client.timeout.read or 0) from exc


def refuse_credentials(who: str, response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        where = host_port(response.request.url)
        raise ProviderError(
            f"{who}: the credentials were refused by {where} (HTTP {response.status_code}); "
            "check the API key or token of this connection"
        )


def refused(who: str, what: str, response: httpx.Response, detail: str = "") -> ProviderError:
    """``what`` was refused with the response's status; the body is never shown (it may echo anything)."""
    extra = f" ({detail})" if detail else ""
    return ProviderError(
        f"{who}: {what} was refused by the provider with HTTP status {response.status_code}{extra}"
    )


def bad_answer(who: str, what: str) -> ProviderError:
    return ProviderError(f"{who}: {what}: the provider sent an answer DunOps cannot read")


def json_of(who: str, what: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise bad_answer(who, what) from exc


def is_identifier(text: object) -> bool:
    """True for an id that may go into a URL path: letters, digits, ``_``, ``.`` and ``-``, not only dots."""
    return isinstance(text, str) and bool(_IDENTIFIER.fullmatch(text)) and text.strip(".") != ""
