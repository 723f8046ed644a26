"""Outbound calls under the operator's policy: refused addresses are never contacted, every network
failure reads the same, and a provider's error body is never passed on."""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from ipaddress import ip_address, ip_network

import pytest

from dunops.config import load_settings
from dunops.dns.plan import plan_changes
from dunops.dns.rrset import RRset
from dunops.errors import ConfigurationError, ProviderError
from dunops.providers import OutboundPolicy, Provider, build
from tests.providers.backends import PowerDNSBackend, closed_port
from tests.servers.blackhole import blackhole
from tests.servers.canned_http import canned_http
from tests.servers.powerdns import PowerDNSServer

NETWORK_KINDS = ["powerdns", "cloudflare", "route53", "rfc2136"]
TIMEOUT = 0.5
SECRET = "sk_live_4f9a8b7c6d5e4f3a2b1c"


def provider(kind: str, host: str, port: int, outbound: OutboundPolicy | None = None) -> Provider:
    """A provider of ``kind`` whose server is at host:port."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    config, secrets = {
        "powerdns": ({"url": f"http://{where}"}, {"api_key": "key"}),
        "cloudflare": ({"base_url": f"http://{where}/client/v4"}, {"api_token": "token"}),
        "route53": ({"endpoint_url": f"http://{where}"}, {"access_key_id": "AK", "secret_access_key": "s"}),
        "rfc2136": ({"server": host, "port": port, "tsig_name": "key."}, {"tsig_secret": "c2VjcmV0"}),
    }[kind]
    return build(kind, config, secrets, name="edge", timeout=TIMEOUT, outbound=outbound)


def refusal(kind: str, host: str, port: int, outbound: OutboundPolicy | None = None) -> str:
    with pytest.raises(ProviderError) as refused:
        provider(kind, host, port, outbound).test_connection()
    return str(refused.value)


@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_a_cloud_metadata_address_is_refused_before_anything_is_sent(kind: str) -> None:
    started = time.monotonic()
    message = refusal(kind, "169.254.169.254", 80)
    assert time.monotonic() - started < TIMEOUT  # no connection was even tried
    assert "169.254.169.254 is refused by the operator's outbound policy" in message
    assert "DUNOPS_OUTBOUND_ALLOW" in message
    assert "connection 'edge'" in message


@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_a_name_resolving_to_a_denied_address_is_never_contacted(kind: str) -> None:
    deny_loopback = OutboundPolicy(deny=(ip_network("127.0.0.0/8"),))
    with blackhole() as listener:
        message = refusal(kind, "localhost", listener.port, deny_loopback)
        assert "localhost resolves to an address refused by the operator's outbound policy" in message
        assert "DUNOPS_OUTBOUND_DENY" in message
        assert listener.held == 0

        # The same listener sees the connection once a narrower network allows the address.
        allow_one = OutboundPolicy(deny=deny_loopback.deny, allow=(ip_network("127.0.0.1/32"),))
        assert "could not connect" in refusal(kind, "localhost", listener.port, allow_one)
        assert listener.held == 1


@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_production_refuses_loopback_unless_the_operator_allows_it(kind: str) -> None:
    with blackhole() as listener:
        message = refusal(kind, "127.0.0.1", listener.port, OutboundPolicy(production=True))
        assert "loopback and private addresses are refused in production" in message
        assert listener.held == 0
        allowed = OutboundPolicy(production=True, allow=(ip_network("127.0.0.0/8"),))
        refusal(kind, "127.0.0.1", listener.port, allowed)
        assert listener.held == 1


def test_the_policy_is_read_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNOPS_ENVIRONMENT", "production")
    monkeypatch.setenv("DUNOPS_OUTBOUND_ALLOW", "10.1.0.0/16, 192.0.2.7")
    monkeypatch.setenv("DUNOPS_OUTBOUND_DENY", '["203.0.113.0/24", "2001:db8::/32"]')
    policy = OutboundPolicy.from_environment()
    assert policy.production
    assert policy.allow == (ip_network("10.1.0.0/16"), ip_network("192.0.2.7/32"))
    assert policy.deny == (ip_network("203.0.113.0/24"), ip_network("2001:db8::/32"))
    with pytest.raises(ProviderError, match="DUNOPS_OUTBOUND_DENY"):
        provider("powerdns", "203.0.113.9", 80).test_connection()  # the process's policy, not given
    monkeypatch.setenv("DUNOPS_OUTBOUND_ALLOW", "10.0.0.1/8")
    with pytest.raises(ConfigurationError, match=r"^DUNOPS_OUTBOUND_ALLOW\[0\]: "):
        load_settings()


@pytest.mark.parametrize(
    ("address", "policy", "refused"),
    [
        ("8.8.8.8", OutboundPolicy(production=True), False),
        ("::ffff:169.254.169.254", OutboundPolicy(), True),  # IPv4-mapped
        ("64:ff9b::a9fe:a9fe", OutboundPolicy(), True),  # NAT64 of 169.254.169.254
        ("fd00:ec2::254", OutboundPolicy(), True),
        ("100.100.100.200", OutboundPolicy(), True),
        ("10.0.0.5", OutboundPolicy(), False),
        ("10.0.0.5", OutboundPolicy(production=True), True),
        ("fd12::1", OutboundPolicy(production=True), True),
        ("100.64.1.1", OutboundPolicy(production=True), True),
        ("169.254.169.254", OutboundPolicy(allow=(ip_network("169.254.169.254/32"),)), False),
        ("192.0.2.1", OutboundPolicy(deny=(ip_network("192.0.2.0/24"),)), True),
        (
            "192.0.2.1",
            OutboundPolicy(allow=(ip_network("192.0.2.0/24"),), deny=(ip_network("192.0.2.0/24"),)),
            True,
        ),
        ("10.9.9.9", OutboundPolicy(True, (ip_network("10.9.0.0/16"),), (ip_network("10.0.0.0/8"),)), False),
    ],
)
def test_which_addresses_the_policy_refuses(address: str, policy: OutboundPolicy, refused: bool) -> None:
    assert (policy.refusal(ip_address(address)) is not None) is refused


@contextmanager
def resetting_listener() -> Iterator[int]:
    """A port that accepts each connection and resets it at once."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_closed_reset_and_silent_ports_read_the_same(kind: str) -> None:
    with blackhole() as silent, resetting_listener() as reset:
        messages = {
            re.sub(r":\d+\b", ":PORT", refusal(kind, "127.0.0.1", port))
            for port in (closed_port(), reset, silent.port)
        }
    assert len(messages) == 1, messages
    assert "could not connect to 127.0.0.1:PORT, or it did not answer within 0.5 s" in messages.pop()


def _error_body(kind: str) -> tuple[str, str]:
    if kind == "route53":
        xml = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidInput</Code>"
            f"<Message>database password {SECRET}</Message></Error><RequestId>1</RequestId></ErrorResponse>"
        )
        return xml, "text/xml"
    body = {
        "error": f"database password {SECRET}",
        "success": False,
        "errors": [{"code": 1003, "message": SECRET}],
    }
    return json.dumps(body), "application/json"


@pytest.mark.parametrize("kind", ["powerdns", "cloudflare", "route53"])
@pytest.mark.parametrize("status", [400, 422, 500])
def test_a_refusal_names_its_status_but_never_passes_the_body_on(kind: str, status: int) -> None:
    body, content_type = _error_body(kind)
    with canned_http(status, body, content_type) as server, pytest.raises(ProviderError) as refused:
        provider(kind, "127.0.0.1", server.port).list_zones()
    assert SECRET not in str(refused.value)
    assert "password" not in str(refused.value)
    assert f"refused by the provider with HTTP status {status}" in str(refused.value)
    if kind == "cloudflare":
        assert "(Cloudflare error 1003)" in str(refused.value)
    if kind == "route53":
        assert "(InvalidInput)" in str(refused.value)


@pytest.mark.parametrize("kind", ["powerdns", "cloudflare", "route53"])
def test_an_answer_that_cannot_be_read_is_reported_without_its_content(kind: str) -> None:
    page = f"<html>internal dashboard {SECRET}</html>"
    with canned_http(200, page, "text/html") as server, pytest.raises(ProviderError) as unreadable:
        provider(kind, "127.0.0.1", server.port).list_zones()
    assert "the provider sent an answer DunOps cannot read" in str(unreadable.value)
    assert SECRET not in str(unreadable.value)


@pytest.mark.parametrize("kind", ["powerdns", "cloudflare", "route53"])
def test_a_failed_tls_handshake_is_named_as_such(kind: str) -> None:
    with canned_http(200, "[]") as server:
        url = f"https://127.0.0.1:{server.port}"
        config = {
            "powerdns": {"url": url},
            "cloudflare": {"base_url": url},
            "route53": {"endpoint_url": url},
        }[kind]
        secrets = {"powerdns": {"api_key": "k"}, "cloudflare": {"api_token": "t"}}.get(
            kind, {"access_key_id": "AK", "secret_access_key": "s"}
        )
        with pytest.raises(ProviderError) as failed:
            build(kind, config, secrets, name="edge", timeout=TIMEOUT).list_zones()
    assert f"the TLS handshake with 127.0.0.1:{server.port} failed" in str(failed.value)


def test_verification_asks_only_servers_the_policy_allows(powerdns_server: PowerDNSServer) -> None:
    backend = PowerDNSBackend(powerdns_server)
    origin = backend.new_zone()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.2", 0))
        listener.setblocking(False)
        dns_address = f"127.0.0.2:{listener.getsockname()[1]}"
        policy = OutboundPolicy(deny=(ip_network("127.0.0.2/32"),))
        pdns = build(
            "powerdns",
            {"url": powerdns_server.api_url, "dns_address": dns_address},
            {"api_key": powerdns_server.api_key},
            name="edge",
            outbound=policy,
        )
        current = pdns.fetch(origin)
        desired = current.copy()
        desired.add(RRset(f"www.{origin}", "A", 300, ["192.0.2.1"]))
        plan = plan_changes(current, desired)
        assert pdns.apply(plan).complete  # the API's address is allowed
        with pytest.raises(ProviderError, match=r"127\.0\.0\.2 is refused by the operator's outbound policy"):
            pdns.verify(plan)
        with pytest.raises(BlockingIOError):
            listener.recv(512)  # not one query arrived


def test_a_live_lookup_asks_only_servers_the_policy_allows(powerdns_server: PowerDNSServer) -> None:
    backend = PowerDNSBackend(powerdns_server)
    origin = backend.new_zone()
    served = f"127.0.0.1:{powerdns_server.dns_port}"
    allowed = build(
        "powerdns",
        {"url": powerdns_server.api_url, "dns_address": served},
        {"api_key": powerdns_server.api_key},
        name="edge",
    )
    current = allowed.fetch(origin)
    desired = current.copy()
    desired.add(RRset(f"www.{origin}", "A", 300, ["192.0.2.1"]))
    assert allowed.apply(plan_changes(current, desired)).complete
    assert allowed.lookup(origin, f"www.{origin}", "A", timeout=2) == [(served, (300, ["192.0.2.1"]))]
    assert allowed.lookup(origin, f"none.{origin}", "A", timeout=2) == [(served, (0, []))]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.2", 0))
        listener.setblocking(False)
        refused = build(
            "powerdns",
            {"url": powerdns_server.api_url, "dns_address": f"127.0.0.2:{listener.getsockname()[1]}"},
            {"api_key": powerdns_server.api_key},
            name="edge",
            outbound=OutboundPolicy(deny=(ip_network("127.0.0.2/32"),)),
        )
        with pytest.raises(ProviderError, match=r"127\.0\.0\.2 is refused by the operator's outbound policy"):
            refused.lookup(origin, f"www.{origin}", "A", timeout=2)
        with pytest.raises(BlockingIOError):
            listener.recv(512)  # not one query arrived
