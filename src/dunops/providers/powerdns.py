"""PowerDNS Authoritative through its HTTP API: one PATCH per apply, atomic for the zone.

Single RRsets are read with the zone endpoint's ``rrset_name``/``rrset_type`` filter, which answers
from PowerDNS's own data (disabled records left out, as in a whole-zone read) at the cost of one RRset.
The server id and the zone name go into URL paths: the id must be an identifier and the name is
percent-encoded. PowerDNS's error texts are not shown (they may echo anything); their status is.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from dunops.dns.rdata import RECORD_TYPES, InvalidValue, canonical_value
from dunops.dns.rrset import RRset
from dunops.dns.zone import Zone
from dunops.errors import InvalidInput, ProviderError, ZoneMissing
from dunops.providers.base import PlannedChange, Provider, change_rrset, outcomes_for
from dunops.providers.http import (
    bad_answer,
    is_identifier,
    json_of,
    make_client,
    refuse_credentials,
    refused,
    send,
)
from dunops.providers.outbound import OutboundPolicy
from dunops.providers.results import Capabilities, ChangeOutcome, ChangeStatus, ProviderZone


def _zone_id(origin: str) -> str:
    return quote(origin, safe="")


class PowerDNSProvider(Provider):
    kind = "powerdns"
    label = "PowerDNS"
    capabilities = Capabilities(record_types=RECORD_TYPES, root_ns=True, atomic_apply=True)

    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        server_id: str = "localhost",
        dns_address: str = "",
        name: str = "",
        timeout: float = 10.0,
        outbound: OutboundPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(name=name, timeout=timeout, outbound=outbound)
        if not is_identifier(server_id):
            raise InvalidInput.single("must be an identifier such as localhost", "config.server_id")
        self.server_id = server_id
        self.client = make_client(
            url, {"X-API-Key": api_key}, timeout, transport, outbound=self.outbound, who=self.describe()
        )
        self.dns_address = dns_address

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = send(
            self.client, self.describe(), method, f"/api/v1/servers/{self.server_id}{path}", **kwargs
        )
        refuse_credentials(self.describe(), response)
        return response

    def _error(self, response: httpx.Response, what: str) -> ProviderError:
        return refused(self.describe(), what, response)

    def test_connection(self) -> None:
        response = self._request("GET", "")
        if response.status_code == 404:
            raise ProviderError(f"{self.describe()}: no server with id {self.server_id!r}")
        if response.status_code != 200:
            raise self._error(response, "reading the server")

    def _list_zones(self) -> list[ProviderZone]:
        response = self._request("GET", "/zones")
        if response.status_code != 200:
            raise self._error(response, "listing zones")
        try:
            return [
                ProviderZone(
                    item["name"].lower(), provider_id=str(item["id"]), note=str(item.get("kind", ""))
                )
                for item in json_of(self.describe(), "listing zones", response)
            ]
        except (KeyError, TypeError, AttributeError) as exc:
            raise bad_answer(self.describe(), "listing zones") from exc

    def _fetch(self, origin: str) -> Zone:
        zone = Zone(origin)
        for rrset in self._read(origin, {}):
            if rrset.rtype == "SOA":
                zone.soa = rrset
            else:
                zone.add(rrset)
        return zone

    def _read_nodes(self, origin: str, names: Collection[str]) -> list[RRset] | None:
        found: list[RRset] = []
        for name in sorted(names):
            # a server that ignores the filter answers the whole zone: keep only the asked name
            found.extend(
                r for r in self._read(origin, {"rrset_name": name}) if r.key == name and r.rtype != "SOA"
            )
        return found

    def _read(self, origin: str, params: dict[str, str]) -> list[RRset]:
        """The RRsets of the zone endpoint's answer (with ``params`` as its filter), enabled values only."""
        response = self._request("GET", f"/zones/{_zone_id(origin)}", params=params)
        if response.status_code == 404:
            raise ZoneMissing(f"{self.describe()}: PowerDNS has no zone {origin}")
        what = f"reading the zone {origin}"
        if response.status_code != 200:
            raise self._error(response, what)
        rrsets = []
        try:
            for item in json_of(self.describe(), what, response).get("rrsets", []):
                values = [record["content"] for record in item["records"] if not record.get("disabled")]
                if values:
                    name, rtype, ttl = item["name"].lower(), item["type"], int(item["ttl"])
                    rrsets.append(RRset.parse(name, rtype, ttl, values, origin))
        except (InvalidValue, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise bad_answer(self.describe(), what) from exc
        return rrsets

    def _apply(
        self, origin: str, changes: Sequence[PlannedChange], current: Zone
    ) -> tuple[list[ChangeOutcome], list[str]]:
        rrsets: list[dict[str, Any]] = []
        for change in changes:
            rrset = change_rrset(change)
            if change.after is None:
                rrsets.append({"name": rrset.key, "type": rrset.rtype, "changetype": "DELETE"})
            else:
                records = [{"content": value, "disabled": False} for value in change.after.values]
                rrsets.append(
                    {
                        "name": rrset.key,
                        "type": rrset.rtype,
                        "ttl": change.after.ttl,
                        "changetype": "REPLACE",
                        "records": records,
                    }
                )
        try:
            response = self._request("PATCH", f"/zones/{_zone_id(origin)}", json={"rrsets": rrsets})
        except ProviderError as exc:
            return outcomes_for(changes, ChangeStatus.UNKNOWN, str(exc)), []
        if response.status_code == 204:
            return outcomes_for(changes, ChangeStatus.WRITTEN), []
        error = self._error(response, "the PATCH")
        if response.status_code >= 500:
            return outcomes_for(changes, ChangeStatus.UNKNOWN, str(error)), []
        return outcomes_for(changes, ChangeStatus.REFUSED, str(error)), []

    def _dns_servers(self, origin: str) -> list[tuple[str, int]]:
        if not self.dns_address:
            return []
        host, _, port = self.dns_address.rpartition(":")
        return [(host.strip("[]"), int(port))]

    def create_zone(self, zone: str, nameservers: Sequence[str]) -> None:
        """Create a native zone with the given apex NS (used by onboarding and tests)."""
        origin = zone.lower().rstrip(".") + "."
        body = {
            "name": origin,
            "kind": "Native",
            "nameservers": [canonical_value("NS", n, origin) for n in nameservers],
        }
        response = self._request("POST", "/zones", json=body)
        if response.status_code != 201:
            raise self._error(response, f"creating the zone {origin}")
