"""OpenID Connect: discovery, the authorization request and ID token verification for any issuer.

The ID token is checked for real: its signature against the issuer's JWKS, then ``iss``, ``aud``
(and ``azp`` when there are several audiences), ``exp``, ``iat`` and the ``nonce`` of this attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from dunops.accounts.identities import ExternalIdentity
from dunops.config import OidcProviderSettings
from dunops.errors import NotAuthenticated, ProviderError

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
# Asymmetric algorithms only: an HS256 token "signed" with a public key must never verify.
SIGNING_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
CLOCK_LEEWAY_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Metadata:
    """The parts of an issuer's discovery document that sign-in uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""


def _get_json(http: httpx.Client, url: str, what: str, **kwargs: Any) -> Any:
    try:
        response = http.get(url, **kwargs)
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderError(
            f"the sign-in provider's {what} could not be read ({type(exc).__name__})"
        ) from exc


def discover(http: httpx.Client, provider: OidcProviderSettings) -> Metadata:
    """Read the discovery document; its issuer must be the URL it was discovered at (OIDC Discovery 4.3)."""
    if not provider.discovery_url:
        raise ProviderError(f"sign-in provider '{provider.name}' has no discovery_url configured")
    document = _get_json(http, provider.discovery_url, "discovery document")
    if not isinstance(document, dict):
        raise ProviderError("the sign-in provider's discovery document is not a JSON object")
    try:
        metadata = Metadata(
            issuer=str(document["issuer"]),
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
            userinfo_endpoint=str(document.get("userinfo_endpoint") or ""),
        )
    except KeyError as exc:
        raise ProviderError(f"the sign-in provider's discovery document lacks {exc.args[0]}") from exc
    if provider.discovery_url.endswith(DISCOVERY_SUFFIX):
        expected = provider.discovery_url.removesuffix(DISCOVERY_SUFFIX)
        if metadata.issuer.rstrip("/") != expected.rstrip("/"):
            raise ProviderError(
                f"the sign-in provider's discovery document names issuer '{metadata.issuer}', "
                f"not '{expected}'"
            )
    return metadata


def key_set(http: httpx.Client, metadata: Metadata) -> KeySet:
    document = _get_json(http, metadata.jwks_uri, "signing keys (JWKS)")
    try:
        return KeySet.import_key_set(document)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ProviderError("the sign-in provider's signing keys (JWKS) are not usable") from exc


def verify_id_token(
    id_token: str, *, keys: KeySet, issuer: str, client_id: str, nonce: str, now: int | None = None
) -> dict[str, Any]:
    """The ID token's claims once signature, issuer, audience, expiry and nonce all check out."""
    try:
        token = jwt.decode(id_token, keys, algorithms=list(SIGNING_ALGORITHMS))
    except JoseError as exc:
        raise NotAuthenticated("the sign-in provider's ID token signature does not verify") from exc
    claims: dict[str, Any] = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        now=now,
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise NotAuthenticated("the sign-in provider's ID token has expired; sign in again") from exc
    except ClaimError as exc:
        raise NotAuthenticated(f"the sign-in provider's ID token has a wrong '{exc.claim}' claim") from exc
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise NotAuthenticated("the sign-in provider's ID token has a wrong 'azp' claim")
    return claims


def _verified(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def identity_from_claims(
    provider: OidcProviderSettings, claims: dict[str, Any], userinfo: dict[str, Any] | None = None
) -> ExternalIdentity:
    """The identity an ID token (and, when the token carries no email, the userinfo answer) vouches for."""
    source = claims
    if "email" not in claims and userinfo is not None:
        if str(userinfo.get("sub")) != str(claims["sub"]):
            raise NotAuthenticated("the sign-in provider's userinfo answer is for another subject")
        source = userinfo
    return ExternalIdentity(
        provider=provider.name,
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        email=str(source.get("email") or ""),
        email_verified=_verified(source.get("email_verified")),
        name=str(source.get("name") or claims.get("name") or ""),
    )


def userinfo(http: httpx.Client, metadata: Metadata, access_token: str) -> dict[str, Any] | None:
    if not metadata.userinfo_endpoint or not access_token:
        return None
    answer = _get_json(
        http, metadata.userinfo_endpoint, "userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )
    return answer if isinstance(answer, dict) else None
