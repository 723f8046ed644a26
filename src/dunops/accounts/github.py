"""GitHub sign-in: plain OAuth2 (GitHub is not an OIDC issuer) plus its ``/user`` and ``/user/emails`` API.

The identity is GitHub's numeric user id (a login can be renamed); only a primary, verified address
counts as a verified email.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from dunops.accounts.identities import ExternalIdentity
from dunops.config import OidcProviderSettings
from dunops.errors import NotAuthenticated, ProviderError

_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def issuer(provider: OidcProviderSettings) -> str:
    """The identity namespace: the authorize URL's origin (``https://github.com`` or an Enterprise host)."""
    parts = urlsplit(provider.authorize_url)
    return f"{parts.scheme}://{parts.netloc}"


def _api(http: httpx.Client, provider: OidcProviderSettings, path: str, access_token: str) -> Any:
    url = provider.api_url.rstrip("/") + path
    try:
        response = http.get(url, headers={**_HEADERS, "Authorization": f"Bearer {access_token}"})
    except httpx.HTTPError as exc:
        raise ProviderError(f"GitHub could not be reached ({type(exc).__name__})") from exc
    if response.status_code in (401, 403):
        raise NotAuthenticated("GitHub refused the access token; sign in again")
    if response.status_code != 200:
        raise ProviderError(f"GitHub answered {path} with HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError(f"GitHub answered {path} with something that is not JSON") from exc


def fetch_identity(http: httpx.Client, provider: OidcProviderSettings, access_token: str) -> ExternalIdentity:
    user = _api(http, provider, "/user", access_token)
    emails = _api(http, provider, "/user/emails", access_token)
    if not isinstance(user, dict) or "id" not in user or not isinstance(emails, list):
        raise ProviderError("GitHub's /user or /user/emails answer has an unexpected shape")
    primary = next(
        (entry for entry in emails if isinstance(entry, dict) and entry.get("primary") is True), None
    )
    verified = primary is not None and primary.get("verified") is True
    return ExternalIdentity(
        provider=provider.name,
        issuer=issuer(provider),
        subject=str(user["id"]),
        email=str(primary.get("email") or "") if primary else "",
        email_verified=verified,
        name=str(user.get("name") or user.get("login") or ""),
    )
