"""One harness per backend so the contract suite runs the same scenarios against all six.

A :class:`Backend` makes providers (good, with bad credentials, pointed at a port where nothing or a
silent listener waits), creates fresh zones and writes behind the provider's back
(:meth:`Backend.out_of_band`) through each server's own interface.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import dns.query
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update
import httpx

from dunops.dns.formats.bind import read_bind, write_bind
from dunops.dns.rrset import RRset
from dunops.providers import Provider, build
from dunops.providers.zonefile import ZoneFileProvider
from tests.fakes.cloudflare import BASE_URL, CloudflareFake
from tests.servers.moto import MotoServer
from tests.servers.powerdns import PowerDNSServer
from tests.servers.rfc2136 import Rfc2136Server

CONNECTION = "team-dns"
TIMEOUT = 2.0


def silent_listener() -> Iterator[int]:
    """A port that accepts TCP connections (through the backlog) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def closed_port() -> int:
    """A loopback port where nothing listens (connections are refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Backend:
    """What the contract suite needs from each backend."""

    name: str
    has_credentials = True
    has_network = True
    atomic = True

    def provider(self) -> Provider:
        raise NotImplementedError

    def bad_credentials(self) -> Provider:
        raise NotImplementedError

    def unreachable(self, port: int) -> Provider:
        """A provider whose server is at ``port`` on loopback."""
        raise NotImplementedError

    def new_zone(self) -> str:
        raise NotImplementedError

    def out_of_band(self, origin: str, rrset: RRset) -> None:
        """Replace (name, type) with ``rrset`` without going through the provider under test."""
        raise NotImplementedError


class ZoneFileBackend(Backend):
    name = "zonefile"
    has_credentials = False
    has_network = False

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0

    def provider(self) -> Provider:
        return build("zonefile", {"directory": str(self.directory)}, {}, name=CONNECTION, timeout=TIMEOUT)

    def unreachable(self, port: int) -> Provider:
        return build("zonefile", {"directory": str(self.directory / "missing")}, {}, name=CONNECTION)

    def new_zone(self) -> str:
        self.count += 1
        origin = f"files{self.count}.test."
        provider = self.provider()
        assert isinstance(provider, ZoneFileProvider)
        provider.create_zone(origin, [f"ns1.{origin}", f"ns2.{origin}"])
        return origin

    def out_of_band(self, origin: str, rrset: RRset) -> None:
        path = self.directory / f"{origin.rstrip('.')}.zone"
        zone = read_bind(path.read_text(), origin)
        zone.add(rrset, replace=True)
        path.write_text(write_bind(zone))


class PowerDNSBackend(Backend):
    name = "powerdns"

    def __init__(self, server: PowerDNSServer) -> None:
        self.server = server

    def _config(self, url: str) -> dict[str, Any]:
        return {"url": url, "dns_address": f"127.0.0.1:{self.server.dns_port}"}

    def provider(self) -> Provider:
        return build(
            "powerdns",
            self._config(self.server.api_url),
            {"api_key": self.server.api_key},
            name=CONNECTION,
            timeout=TIMEOUT,
        )

    def bad_credentials(self) -> Provider:
        return build("powerdns", self._config(self.server.api_url), {"api_key": "wrong"}, name=CONNECTION)

    def unreachable(self, port: int) -> Provider:
        return build(
            "powerdns",
            self._config(f"http://127.0.0.1:{port}"),
            {"api_key": "x"},
            name=CONNECTION,
            timeout=TIMEOUT,
        )

    def new_zone(self) -> str:
        return self.server.create_zone(self.server.new_zone_name())

    def out_of_band(self, origin: str, rrset: RRset) -> None:
        body = {
            "rrsets": [
                {
                    "name": rrset.key,
                    "type": rrset.rtype,
                    "ttl": rrset.ttl,
                    "changetype": "REPLACE",
                    "records": [{"content": v, "disabled": False} for v in rrset.values],
                }
            ]
        }
        response = httpx.patch(
            f"{self.server.api_url}/api/v1/servers/localhost/zones/{origin}",
            json=body,
            headers={"X-API-Key": self.server.api_key},
        )
        assert response.status_code == 204, response.text


class Rfc2136Backend(Backend):
    def __init__(self, server: Rfc2136Server) -> None:
        self.server = server
        self.name = server.name.lower()
        self.zones: list[str] = []

    def _build(self, secret: str, port: int) -> Provider:
        config = {
            "server": self.server.host,
            "port": port,
            "zones": self.zones,
            "tsig_name": self.server.key_name,
            "tsig_algorithm": self.server.key_algorithm,
        }
        return build("rfc2136", config, {"tsig_secret": secret}, name=CONNECTION, timeout=TIMEOUT)

    def provider(self) -> Provider:
        return self._build(self.server.key_secret, self.server.port)

    def bad_credentials(self) -> Provider:
        return self._build("c2VjcmV0LXRoYXQtaXMtd3Jvbmc=", self.server.port)

    def unreachable(self, port: int) -> Provider:
        return self._build(self.server.key_secret, port)

    def new_zone(self) -> str:
        zone = self.server.take_zone()
        self.zones.append(zone)
        return zone

    def out_of_band(self, origin: str, rrset: RRset) -> None:
        keyring = dns.tsigkeyring.from_text({self.server.key_name: self.server.key_secret})
        update = dns.update.UpdateMessage(origin, keyring=keyring, keyalgorithm=dns.tsig.HMAC_SHA256)
        rdtype = dns.rdatatype.from_text(rrset.rtype)
        rdatas = [dns.rdata.from_text(dns.rdataclass.IN, rdtype, value) for value in rrset.values]
        update.replace(rrset.name, dns.rdataset.from_rdata_list(rrset.ttl, rdatas))
        response = dns.query.tcp(update, self.server.host, port=self.server.port, timeout=5)
        assert response.rcode() == 0, response


class Route53Backend(Backend):
    name = "route53"
    has_credentials = False  # moto does not check credentials
    atomic = (
        False  # AWS is atomic per change batch; moto is not (TEST_INFRA.md), so results are checked instead
    )

    def __init__(self, moto: MotoServer) -> None:
        self.moto = moto
        self.count = 0
        self.client = boto3.client(
            "route53",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
            endpoint_url=moto.endpoint_url,
        )

    def _build(self, endpoint: str) -> Provider:
        return build(
            "route53",
            {"endpoint_url": endpoint},
            {"access_key_id": "test", "secret_access_key": "test"},
            name=CONNECTION,
            timeout=TIMEOUT,
        )

    def provider(self) -> Provider:
        return self._build(self.moto.endpoint_url)

    def unreachable(self, port: int) -> Provider:
        return self._build(f"http://127.0.0.1:{port}")

    def new_zone(self) -> str:
        self.count += 1
        origin = f"aws{self.count}.test."
        self.client.create_hosted_zone(Name=origin, CallerReference=origin)
        return origin

    def zone_id(self, origin: str) -> str:
        found = self.client.list_hosted_zones_by_name(DNSName=origin)["HostedZones"][0]
        return str(found["Id"]).rsplit("/", 1)[-1]

    def out_of_band(self, origin: str, rrset: RRset) -> None:
        records = [{"Value": value} for value in rrset.values]
        change = {
            "Action": "UPSERT",
            "ResourceRecordSet": {
                "Name": rrset.key,
                "Type": rrset.rtype,
                "TTL": rrset.ttl,
                "ResourceRecords": records,
            },
        }
        self.client.change_resource_record_sets(
            HostedZoneId=self.zone_id(origin), ChangeBatch={"Changes": [change]}
        )


class CloudflareBackend(Backend):
    name = "cloudflare"
    atomic = False

    def __init__(self) -> None:
        self.fake = CloudflareFake()
        self.count = 0

    def _build(self, token: str, base_url: str = BASE_URL, **options: Any) -> Provider:
        transport = self.fake.transport if base_url == BASE_URL else None
        return build(
            "cloudflare",
            {"base_url": base_url},
            {"api_token": token},
            name=CONNECTION,
            timeout=TIMEOUT,
            transport=transport,
            **options,
        )

    def provider(self, **options: Any) -> Provider:
        return self._build(self.fake.token, **options)

    def bad_credentials(self) -> Provider:
        return self._build("revoked-token")

    def unreachable(self, port: int) -> Provider:
        return self._build(self.fake.token, f"http://127.0.0.1:{port}/client/v4")

    def new_zone(self) -> str:
        self.count += 1
        origin = f"cf{self.count}.test."
        self.fake.add_zone(origin)
        return origin

    def out_of_band(self, origin: str, rrset: RRset) -> None:
        from dunops.providers.cloudflare import record_body

        zone = self.fake.zone_named(origin)
        for record_id in [
            r["id"]
            for r in zone.records.values()
            if r["name"] == rrset.key.rstrip(".") and r["type"] == rrset.rtype
        ]:
            del zone.records[record_id]
        for value in rrset.values:
            self.fake.add_record(zone, **record_body(rrset, value))
