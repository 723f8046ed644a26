"""Promise: "Encrypted in transit and at rest" — `dunops serve --tls-cert/--tls-key` answers over HTTPS;
with an https public URL every answer carries HSTS and the session cookie is Secure; at rest, provider
credentials and backups are encrypted (see the vault's and the backups' tests), while the database file
itself is not (it relies on the disk's encryption), as the README says."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import subprocess
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from dunops.config import Settings
from dunops.security.master_key import new_master_key_text
from dunops.web.app import create_app
from tests.privacy.conftest import SECRET, Doomed, database_files, files_mentioning
from tests.servers.dunops import DUNOPS, start_dunops


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_promise_dunops_serves_https_with_its_own_certificate(tmp_path: Path, database_url: str) -> None:
    cert, key = _self_signed(tmp_path)
    server = start_dunops(
        tmp_path / "server",
        database_url=database_url,
        migrate=True,
        tls=(cert, key),
        master_key=new_master_key_text(),
    )
    try:
        assert server.url.startswith("https://")
        answer = httpx.get(f"{server.url}/legal/privacy", verify=ssl.create_default_context(cafile=cert))
        assert answer.status_code == 200
        assert answer.headers["strict-transport-security"].startswith("max-age=")
        # Plain HTTP on the same port is not answered, and an untrusted certificate is refused.
        try:
            httpx.get(server.url.replace("https://", "http://") + "/healthz", timeout=3)
            raise AssertionError("plain HTTP was answered")
        except httpx.TransportError:
            pass
        try:
            httpx.get(f"{server.url}/healthz", verify=ssl.create_default_context())
            raise AssertionError("a self-signed certificate was trusted")
        except httpx.ConnectError:
            pass
    finally:
        server.stop()
    assert "--tls-key" in _refused(tmp_path, database_url, ["--tls-cert", str(cert)])


def _refused(tmp_path: Path, database_url: str, arguments: list[str]) -> str:
    done = subprocess.run(
        [str(DUNOPS), "serve", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **{name: value for name, value in os.environ.items() if not name.startswith("DUNOPS_")},
            "DUNOPS_DATABASE_URL": database_url,
            "DUNOPS_DATA_DIR": str(tmp_path / "refused"),
        },
        check=False,
    )
    assert done.returncode == 2
    return done.stderr


def test_promise_an_https_public_url_brings_hsts_and_secure_cookies(
    settings: Settings, engine: Engine
) -> None:
    plain = TestClient(create_app(settings, engine=engine))
    assert "strict-transport-security" not in plain.get("/healthz").headers
    secure = settings.model_copy(update={"base_url": "https://dns.example.com"})
    with TestClient(create_app(secure, engine=engine), base_url="https://dns.example.com") as client:
        answer = client.get("/healthz")
        assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        cookies = client.get("/sign-in").headers.get_list("set-cookie")
        assert cookies
        assert all("; secure" in cookie.lower() for cookie in cookies), cookies
    with TestClient(create_app(settings, engine=engine)) as client:
        cookies = client.get("/sign-in").headers.get_list("set-cookie")
        assert not any("; secure" in cookie.lower() for cookie in cookies), cookies


def test_promise_credentials_are_encrypted_at_rest_but_the_database_file_relies_on_the_disk(
    doomed: Doomed, settings: Settings
) -> None:
    # The provider credential is sealed: it appears in no file, the database's included.
    assert files_mentioning([settings.data_dir, *database_files(settings)], [SECRET]) == []
    if database_files(settings):
        # The database file itself is not encrypted: its page header is SQLite's plain one.
        assert database_files(settings)[0].read_bytes().startswith(b"SQLite format 3\x00")
