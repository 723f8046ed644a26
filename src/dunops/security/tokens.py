"""Random secrets and their digests: what the database stores instead of a token, link or session id."""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_TOKEN_PREFIX = "dnp_"


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Hex SHA-256 of a secret; high-entropy secrets need no salt or slow hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
