"""Sign-in with a configured provider (authorization code, PKCE S256, state, nonce) and the sessions it opens.

``begin`` stores the flow's state server-side in a ``LoginAttempt`` (state hash, nonce, PKCE verifier,
~10 minutes, used once) and returns the provider's authorization URL; ``take_attempt`` consumes the
attempt at the callback and ``complete`` exchanges the code and turns the provider's answer into an
``identities.Outcome``. ``open_session``
starts a fresh browser session on every sign-in and ends the one the browser presented (no fixation).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import delete
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import github, identities, oidc, sessions
from dunops.accounts.identities import Outcome
from dunops.accounts.principal import Principal
from dunops.config import OidcProviderSettings, Settings
from dunops.errors import NotAuthenticated, NotFound, ProviderError
from dunops.security.tokens import digest, new_secret, same
from dunops.storage.base import utcnow
from dunops.storage.models import LoginAttempt, User

LOGIN_ATTEMPT_MINUTES = 10
GITHUB_SCOPE = "read:user user:email"
_ATTEMPT_REFUSAL = "this sign-in attempt is unknown, expired or already used; start again"


@dataclass(frozen=True, slots=True)
class Authorization:
    """Where to send the browser, and the state value the browser must bring back (bound in a cookie)."""

    url: str
    state: str


def provider(settings: Settings, name: str) -> OidcProviderSettings:
    for configured in settings.oidc_providers:
        if configured.name == name:
            return configured
    raise NotFound(f"no sign-in provider named '{name}' is configured")


def safe_next_path(value: str | None) -> str:
    """A same-site path to return to after sign-in; anything else (another host, a scheme) becomes '/'."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(char) < 0x20 for char in value):
        return "/"
    return value[:500]


def begin(
    session: Session,
    settings: Settings,
    http: httpx.Client,
    provider_name: str,
    *,
    redirect_uri: str,
    next_path: str = "/",
) -> Authorization:
    """Record a login attempt and return the provider's authorization URL for it."""
    chosen = provider(settings, provider_name)
    state, nonce, verifier = new_secret(), new_secret(), generate_token(64)
    params: dict[str, str] = {
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    # Talk to the provider before touching the database: no write lock is held while it answers.
    if chosen.kind == "github":
        endpoint = chosen.authorize_url
        scope = chosen.scope if "scope" in chosen.model_fields_set else GITHUB_SCOPE
    else:
        endpoint = oidc.discover(http, chosen).authorization_endpoint
        scope = chosen.scope
        params["nonce"] = nonce
    now = utcnow()
    session.execute(delete(LoginAttempt).where(LoginAttempt.expires_at < now))
    session.add(
        LoginAttempt(
            state_hash=digest(state),
            provider=chosen.name,
            nonce=nonce,
            code_verifier=verifier,
            next_path=safe_next_path(next_path),
            created_at=now,
            expires_at=now + timedelta(minutes=LOGIN_ATTEMPT_MINUTES),
        )
    )
    session.flush()
    url = prepare_grant_uri(
        endpoint, chosen.client_id, "code", redirect_uri=redirect_uri, scope=scope, state=state, **params
    )
    return Authorization(url=str(url), state=state)


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt taken out of the database at the callback (it no longer exists there)."""

    provider: str
    nonce: str
    code_verifier: str
    next_path: str


def take_attempt(
    session: Session, settings: Settings, provider_name: str, *, state: str, browser_state: str
) -> Attempt:
    """The attempt for ``state``, deleted on the spot so that a second use of the callback fails.

    The state must also be the one this browser was given at the start (a cookie), so that nobody can
    complete their own sign-in in someone else's browser (login CSRF).
    """
    chosen = provider(settings, provider_name)
    if not state or not browser_state or not same(state, browser_state):
        raise NotAuthenticated(
            "this sign-in did not start in this browser (state mismatch); start again from the sign-in page"
        )
    record = session.get(LoginAttempt, digest(state))
    if record is None:
        raise NotAuthenticated(_ATTEMPT_REFUSAL)
    attempt = Attempt(chosen.name, record.nonce, record.code_verifier, record.next_path)
    usable = record.expires_at > utcnow() and record.provider == chosen.name
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.state_hash == digest(state)))
    if int(result.rowcount or 0) != 1 or not usable:  # type: ignore[attr-defined]
        raise NotAuthenticated(_ATTEMPT_REFUSAL)
    return attempt


def _exchange_code(
    http: httpx.Client,
    chosen: OidcProviderSettings,
    token_endpoint: str,
    *,
    code: str,
    redirect_uri: str,
    verifier: str,
) -> dict[str, Any]:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": chosen.client_id,
    }
    headers = {"Accept": "application/json"}
    client_secret = chosen.client_secret.get_secret_value()
    if client_secret and chosen.kind == "github":
        data["client_secret"] = client_secret
    elif client_secret:
        credentials = f"{quote(chosen.client_id, safe='')}:{quote(client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
    try:
        response = http.post(token_endpoint, data=data, headers=headers)
    except httpx.HTTPError as exc:
        raise ProviderError(f"the sign-in provider could not be reached ({type(exc).__name__})") from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ProviderError(f"the sign-in provider's token endpoint answered HTTP {response.status_code}")
    if "error" in body or response.status_code != 200:
        reason = str(body.get("error") or f"HTTP {response.status_code}")
        raise NotAuthenticated(f"the sign-in provider refused the authorization code ({reason}); start again")
    return body


def complete(
    session: Session,
    settings: Settings,
    http: httpx.Client,
    attempt: Attempt,
    *,
    redirect_uri: str,
    code: str = "",
    error: str = "",
) -> Outcome:
    """Finish a taken attempt: exchange the code, verify what the provider says, resolve the identity.

    Every call to the provider comes before the first database access, so a caller that committed the
    taken attempt holds no database lock while the provider answers.
    """
    chosen = provider(settings, attempt.provider)
    if error:
        raise NotAuthenticated(f"{chosen.display_name} did not sign you in ({error[:80]})")
    if not code:
        raise NotAuthenticated(f"{chosen.display_name} sent no authorization code; start again")
    if chosen.kind == "github":
        token = _exchange_code(
            http,
            chosen,
            chosen.token_url,
            code=code,
            redirect_uri=redirect_uri,
            verifier=attempt.code_verifier,
        )
        external = github.fetch_identity(http, chosen, str(token.get("access_token") or ""))
    else:
        metadata = oidc.discover(http, chosen)
        token = _exchange_code(
            http,
            chosen,
            metadata.token_endpoint,
            code=code,
            redirect_uri=redirect_uri,
            verifier=attempt.code_verifier,
        )
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise NotAuthenticated(f"{chosen.display_name} returned no ID token")
        claims = oidc.verify_id_token(
            id_token,
            keys=oidc.key_set(http, metadata),
            issuer=metadata.issuer,
            client_id=chosen.client_id,
            nonce=attempt.nonce,
        )
        extra = None
        if "email" not in claims:
            extra = oidc.userinfo(http, metadata, str(token.get("access_token") or ""))
        external = oidc.identity_from_claims(chosen, claims, extra)
    return identities.resolve(session, external)


def open_session(
    session: Session,
    settings: Settings,
    user: User,
    *,
    method: str,
    presented_cookie: str = "",
    client_address: str = "",
    user_agent: str = "",
) -> sessions.IssuedSession:
    """Sign ``user`` in: a new session id every time, and the session the browser brought is ended."""
    if not user.is_active:
        raise identities.suspended_refusal()
    if presented_cookie:
        sessions.end(session, presented_cookie)
    issued = sessions.start(session, settings, user, client_address=client_address, user_agent=user_agent)
    audit.record(
        session,
        workspace_id=None,
        actor=Principal(user=user, client_address=client_address),
        action="auth.sign_in",
        target=f"user:{user.id}",
        details={"method": method},
    )
    return issued


def close_session(session: Session, principal: Principal, cookie_value: str) -> None:
    sessions.end(session, cookie_value)
    audit.record(
        session,
        workspace_id=None,
        actor=principal,
        action="auth.sign_out",
        target=f"user:{principal.user.id}",
    )


def close_session_by_id(session: Session, principal: Principal, id_hash: str) -> None:
    """Sign out one of the caller's own sessions (another browser of theirs) by its stored id."""
    if not sessions.end_one(session, principal.user.id, id_hash):
        raise NotFound("no such session of yours: it may have ended already")
    audit.record(
        session,
        workspace_id=None,
        actor=principal,
        action="auth.sign_out",
        target=f"user:{principal.user.id}",
        details={"session": id_hash[:12]},
    )


def close_all_sessions(session: Session, principal: Principal) -> None:
    sessions.end_all(session, principal.user.id)
    audit.record(
        session,
        workspace_id=None,
        actor=principal,
        action="auth.sign_out_everywhere",
        target=f"user:{principal.user.id}",
    )
