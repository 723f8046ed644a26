"""OpenID Connect issuers for sign-in tests.

``oidc_mock`` runs the real oidc-provider-mock server on 127.0.0.1 (a subprocess, stopped by PID); in CI a
mock that cannot start fails the test. ``FakeIssuer`` is a small issuer behind an ``httpx.MockTransport``
that signs ID tokens with a key the test controls, so tests can hand the app tokens with a wrong nonce,
issuer, audience or signature and watch its verification refuse them.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from dunops.config import OidcProviderSettings, Settings
from dunops.security.master_key import create_key_file
from tests.support import free_port, missing_server


@dataclass
class OidcMock:
    """A running oidc-provider-mock: its issuer URL and helpers for what a person would do there."""

    issuer: str
    http: httpx.Client

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def set_user(self, sub: str, **claims: Any) -> None:
        self.http.put(f"{self.issuer}/users/{sub}", json=claims).raise_for_status()

    def log_in(self, authorization_url: str, sub: str) -> str:
        """Submit the mock's login form as ``sub``; returns the redirect back to the app."""
        response = self.http.post(authorization_url, data={"sub": sub})
        assert response.status_code == 302, response.text
        return response.headers["location"]


@pytest.fixture(scope="session")
def oidc_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcMock]:
    if importlib.util.find_spec("oidc_provider_mock") is None:
        missing_server("oidc-provider-mock (pip install oidc-provider-mock)")
    port = free_port()
    log_path = tmp_path_factory.mktemp("oidc") / "mock.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "-p", str(port), "-H", "127.0.0.1"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    issuer = f"http://127.0.0.1:{port}"
    http = httpx.Client(timeout=5)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if http.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                missing_server(f"oidc-provider-mock on port {port}: {log_path.read_text()[-500:]}")
            time.sleep(0.05)
        yield OidcMock(issuer, http)
    finally:
        http.close()
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@functools.cache
def signing_key(kid: str) -> RSAKey:
    """An RSA key per kid, generated once per test run (each one takes a noticeable fraction of a second)."""
    return RSAKey.generate_key(2048, parameters={"kid": kid})


@dataclass
class FakeIssuer:
    """A stateful OIDC issuer served through ``httpx.MockTransport`` with a signing key the test owns.

    ``overrides`` replaces claims in the next ID tokens; ``sign_with`` swaps the signing key (one that is
    not in the JWKS, for a forged token). Codes are single use, like a real issuer's.
    """

    issuer: str = "https://issuer.test"
    key: RSAKey = field(default_factory=lambda: signing_key("k1"))
    overrides: dict[str, Any] = field(default_factory=dict)
    sign_with: RSAKey | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def authorize(self, authorization_url: str, sub: str) -> str:
        """What the issuer's login page does: remember the request, redirect back with a code."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        code = f"code-{len(self.codes) + 1}"
        self.codes[code] = {**query, "sub": sub}
        return f"{query['redirect_uri']}?code={code}&state={query['state']}"

    def _handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                },
            )
        if path == "/jwks":
            return httpx.Response(200, json=KeySet([self.key]).as_dict(private=False))
        if path == "/token" and request.method == "POST":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            self.token_requests.append(form)
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None:
                return httpx.Response(400, json={"error": "invalid_grant"})
            now = int(time.time())
            claims = {
                "iss": self.issuer,
                "sub": grant["sub"],
                "aud": grant["client_id"],
                "iat": now,
                "exp": now + 300,
                "nonce": grant.get("nonce", ""),
                **self.claims,
                **self.overrides,
            }
            signer = self.sign_with or self.key
            id_token = jwt.encode({"alg": "RS256", "kid": signer.kid}, claims, signer)
            return httpx.Response(
                200, json={"access_token": "at", "token_type": "Bearer", "id_token": id_token}
            )
        return httpx.Response(404, json={"error": "not_found"})


OPERATOR_EMAIL = "operator@example.org"


def set_up_instance(db: Any) -> None:
    """Give the instance its first owner: until then, sign-in by a provider creates nobody."""
    from dunops.accounts import users

    users.create(db, OPERATOR_EMAIL, "Operator")
    db.commit()


def start_sign_in(client: Any, provider: str, next_path: str = "/") -> str:
    """Press the provider's button on the sign-in page; returns the authorization URL the app sent us to."""
    response = client.get(f"/auth/{provider}/start", params={"next": next_path})
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def return_to_app(client: Any, location: str) -> Any:
    """Follow the provider's redirect back to the app's callback."""
    parts = urlsplit(location)
    assert parts.netloc == "testserver", location
    return client.get(f"{parts.path}?{parts.query}")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def two_provider_settings(data_dir: Path, database_url: str, mock: OidcMock) -> Settings:
    """Settings naming two OIDC providers of ``mock`` ("corp" and "partner"), with a prepared data dir."""
    providers = [
        OidcProviderSettings(
            name=name,
            label=label,
            discovery_url=mock.discovery_url,
            client_id=f"dunops-{name}",
            client_secret="shh",
        )
        for name, label in (("corp", "Corp SSO"), ("partner", "Partner SSO"))
    ]
    configured = Settings(
        data_dir=data_dir, database_url=database_url, base_url="http://testserver", oidc_providers=providers
    )
    configured.prepare_data_dir()
    create_key_file(configured.master_key_file)
    return configured
