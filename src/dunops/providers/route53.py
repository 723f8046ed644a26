"""Amazon Route 53 through boto3: hosted-zone discovery, change batches, alias records as ALIAS.

Each change becomes an exact-match DELETE of the previous RRset and a CREATE of the new one in the
same change batch, so Route 53 itself refuses a batch whose previous content moved (compare-and-set),
and a batch is all or nothing. A batch holds at most 1000 values; names come back with octal escapes
(``\\052`` for ``*``), which are decoded. Alias records are read as ALIAS with their target and kept in
provider metadata, and written back only when a plan changes them.

boto3 signs each request and this provider sends it through the guarded HTTP client of
:mod:`dunops.providers.http`, so Route 53 is reached under the outbound policy like every provider.
AWS's error messages are not shown (a custom endpoint may echo anything); the error code is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.parsers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

from dunops.dns.rdata import InvalidValue, canonical_value
from dunops.dns.rrset import RRset, meta_text
from dunops.dns.zone import Zone
from dunops.errors import Problem, ProviderError, ZoneMissing
from dunops.providers.base import PlannedChange, Provider, outcomes_for
from dunops.providers.http import bad_answer, is_identifier, make_client, send
from dunops.providers.outbound import OutboundPolicy
from dunops.providers.results import Capabilities, ChangeOutcome, ChangeStatus, ProviderZone

if TYPE_CHECKING:
    from mypy_boto3_route53.client import Route53Client

MAX_VALUES_PER_BATCH = 1000
TYPES = frozenset(
    {
        "A",
        "AAAA",
        "ALIAS",
        "CAA",
        "CNAME",
        "DS",
        "HTTPS",
        "MX",
        "NAPTR",
        "NS",
        "PTR",
        "SPF",
        "SRV",
        "SSHFP",
        "SVCB",
        "TLSA",
        "TXT",
    }
)
_OCTAL = re.compile(r"\\([0-3][0-7]{2})")
_BOTO_ERRORS = (
    botocore.exceptions.BotoCoreError,
    botocore.exceptions.ClientError,
    botocore.parsers.ResponseParserError,
)
_ERROR_CODE = re.compile(r"[A-Za-z][A-Za-z0-9.]{0,63}")
DEFAULT_ENDPOINT = "https://route53.amazonaws.com"
_CREDENTIAL_CODES = {
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "UnrecognizedClientException",
    "AuthFailure",
    "InvalidAccessKeyId",
    "ExpiredToken",
    "AccessDeniedException",
}


def decode_name(name: str) -> str:
    """A Route 53 name in DNS presentation form: octal escapes decoded (``\\052`` -> ``*``), lower case."""
    return _OCTAL.sub(lambda match: chr(int(match[1], 8)), name).lower()


class _Reader:
    """Record sets as Route 53 lists them, turned into RRsets (alias sets grouped into one ALIAS)."""

    def __init__(self, provider: Route53Provider, origin: str) -> None:
        self.provider = provider
        self.origin = origin
        self.content = Zone(origin)
        self.aliases: dict[str, dict[str, Any]] = {}

    def take(self, item: dict[str, Any]) -> None:
        if item.get("SetIdentifier"):
            return
        name, rtype = decode_name(item["Name"]), item["Type"]
        alias = item.get("AliasTarget")
        if alias is not None:
            entry = self.aliases.setdefault(
                name,
                {
                    "target": decode_name(alias["DNSName"]),
                    "types": [],
                    "hosted_zone_id": alias["HostedZoneId"],
                    "evaluate_target_health": bool(alias.get("EvaluateTargetHealth")),
                },
            )
            entry["types"].append(rtype)
            return
        values = [record["Value"] for record in item.get("ResourceRecords", [])]
        try:
            rrset = RRset.parse(name, rtype, int(item.get("TTL", 300)), values, self.origin)
        except InvalidValue as exc:
            if rtype == "SOA":  # never planned; an emulator's odd SOA must not block reading
                return
            raise ProviderError(
                f"{self.provider.describe()}: Route 53 served an unreadable {rtype} value at {name}"
            ) from exc
        if rtype == "SOA":
            self.content.soa = rrset
        elif rtype in TYPES:
            seen = self.content.get(name, rtype)
            if seen is not None:  # emulators may list one RRset twice; AWS never does
                rrset = seen.replace(values=seen.values + rrset.values)
            self.content.add(rrset, replace=True)

    def zone(self) -> Zone:
        for name, entry in self.aliases.items():
            meta = {
                "route53": {
                    "hosted_zone_id": entry["hosted_zone_id"],
                    "types": sorted(entry["types"]),
                    "evaluate_target_health": entry["evaluate_target_health"],
                }
            }
            target = canonical_value("ALIAS", entry["target"], self.origin)
            self.content.add(RRset(name, "ALIAS", 0, [target], meta_text(meta)), replace=True)
        self.aliases = {}
        return self.content


class _Body:
    """A response body as botocore reads it (``raw.stream()``), from the bytes httpx already read."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


def _batch_values(change: PlannedChange) -> int:
    return sum(len(rrset.values) for rrset in (change.before, change.after) if rrset is not None)


class Route53Provider(Provider):
    kind = "route53"
    label = "Route 53"
    capabilities = Capabilities(
        record_types=TYPES,
        root_ns=True,
        atomic_apply=True,
        max_batch=MAX_VALUES_PER_BATCH,
        disabled_checks=frozenset({"alias-apex"}),
    )

    def __init__(
        self,
        *,
        access_key_id: str,
        secret_access_key: str,
        session_token: str = "",
        region: str = "us-east-1",
        endpoint_url: str = "",
        name: str = "",
        timeout: float = 10.0,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        super().__init__(name=name, timeout=timeout, outbound=outbound)
        config = botocore.config.Config(
            connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1, "mode": "standard"}
        )
        self.endpoint_url = endpoint_url
        self.client: Route53Client = boto3.client(
            "route53",
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            aws_session_token=session_token or None,
            region_name=region,
            endpoint_url=endpoint_url or None,
            config=config,
        )
        self.http = make_client("", {}, timeout, None, outbound=self.outbound, who=self.describe())
        sender: Callable[..., Any] = self._send  # a before-send handler's answer replaces botocore's send
        self.client.meta.events.register("before-send.route-53", sender)
        self._zone_ids: dict[str, str] = {}

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        """Send a request boto3 prepared and signed through the guarded client, in botocore's place."""
        response = send(
            self.http,
            self.describe(),
            request.method,
            request.url,
            headers=request.headers,
            content=request.body,
        )
        headers = HTTPHeaders()
        for name, value in response.headers.items():
            headers[name] = value
        return AWSResponse(request.url, response.status_code, headers, _Body(response.content))

    def _failure(self, exc: Exception, doing: str) -> ProviderError:
        where = self.endpoint_url or DEFAULT_ENDPOINT
        if isinstance(exc, botocore.parsers.ResponseParserError):
            return bad_answer(self.describe(), doing)
        if not isinstance(exc, botocore.exceptions.ClientError):
            return ProviderError(f"{self.describe()}: {doing} failed ({type(exc).__name__})")
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        shown = code if _ERROR_CODE.fullmatch(code) else ""
        if code in _CREDENTIAL_CODES or (not code and status in (401, 403)):
            return ProviderError(
                f"{self.describe()}: the credentials were refused by {where} ({shown or f'HTTP {status}'}); "
                "check the access key, secret and session token of this connection"
            )
        detail = f" ({shown})" if shown else ""
        return ProviderError(
            f"{self.describe()}: {doing} was refused by the provider with HTTP status {status}{detail}"
        )

    def _call(self, doing: str, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(**kwargs)
        except _BOTO_ERRORS as exc:
            raise self._failure(exc, doing) from exc

    @contextmanager
    def _reading(self, doing: str) -> Iterator[None]:
        """An answer missing what its operation always carries cannot be read; say so, never crash."""
        try:
            yield
        except (KeyError, TypeError, AttributeError) as exc:
            raise bad_answer(self.describe(), doing) from exc

    def test_connection(self) -> None:
        self._call("listing hosted zones", "list_hosted_zones", MaxItems="1")

    def _list_zones(self) -> list[ProviderZone]:
        with self._reading("listing hosted zones"):
            return self._listed_zones()

    def _listed_zones(self) -> list[ProviderZone]:
        zones = []
        marker: dict[str, str] = {}
        while True:
            page = self._call("listing hosted zones", "list_hosted_zones", **marker)
            for item in page["HostedZones"]:
                origin = decode_name(item["Name"])
                zone_id = str(item["Id"]).rsplit("/", 1)[-1]
                if not is_identifier(zone_id):
                    raise bad_answer(self.describe(), "listing hosted zones")
                private = bool(item.get("Config", {}).get("PrivateZone"))
                if not private or origin not in self._zone_ids:
                    self._zone_ids[origin] = zone_id
                zones.append(
                    ProviderZone(
                        origin,
                        zone_id,
                        private,
                        item.get("ResourceRecordSetCount"),
                        "private" if private else "public",
                    )
                )
            if not page.get("IsTruncated"):
                return zones
            marker = {"Marker": page["NextMarker"]}

    def _zone_id(self, origin: str) -> str:
        if origin not in self._zone_ids:
            self._list_zones()
        if origin not in self._zone_ids:
            raise ZoneMissing(
                f"{self.describe()}: Route 53 has no hosted zone {origin} for these credentials"
            )
        return self._zone_ids[origin]

    def _fetch(self, origin: str) -> Zone:
        zone_id = self._zone_id(origin)
        reader = _Reader(self, origin)
        start: dict[str, str] = {}
        doing = f"reading {origin}"
        with self._reading(doing):
            while True:
                page = self._call(doing, "list_resource_record_sets", HostedZoneId=zone_id, **start)
                for item in page["ResourceRecordSets"]:
                    reader.take(item)
                if not page.get("IsTruncated"):
                    break
                start = {"StartRecordName": page["NextRecordName"], "StartRecordType": page["NextRecordType"]}
        return reader.zone()

    def _read_nodes(self, origin: str, names: Collection[str]) -> list[RRset] | None:
        """Each name's record sets from ``StartRecordName``: Route 53 lists a name's sets together."""
        zone_id = self._zone_id(origin)
        reader = _Reader(self, origin)
        with self._reading(f"reading {origin}"):
            for name in sorted(names):
                self._read_node(zone_id, name, reader)
        return list(reader.zone().rrsets.values())

    def _read_node(self, zone_id: str, name: str, reader: _Reader) -> None:
        start = {"StartRecordName": name}  # Route 53 takes "*" as written
        while True:
            page = self._call(
                f"reading {name}", "list_resource_record_sets", HostedZoneId=zone_id, MaxItems="100", **start
            )
            items = page["ResourceRecordSets"]
            ours = [item for item in items if decode_name(item["Name"]) == name]
            for item in ours:
                reader.take(item)
            if len(ours) < len(items) or not page.get("IsTruncated"):
                return
            start = {"StartRecordName": page["NextRecordName"], "StartRecordType": page["NextRecordType"]}

    def _check_rrset(self, origin: str, rrset: RRset) -> list[Problem]:
        where = f"{rrset.name} {rrset.rtype}"
        if rrset.rtype == "ALIAS" and not rrset.meta_dict.get("route53", {}).get("hosted_zone_id"):
            return [Problem("a Route 53 alias needs route53.hosted_zone_id in its provider metadata", where)]
        if len(rrset.values) > MAX_VALUES_PER_BATCH:
            return [Problem(f"Route 53 takes at most {MAX_VALUES_PER_BATCH} values in one change", where)]
        return []

    def _record_sets(self, rrset: RRset) -> list[dict[str, Any]]:
        if rrset.rtype == "ALIAS":
            meta = rrset.meta_dict["route53"]
            target = {
                "HostedZoneId": meta["hosted_zone_id"],
                "DNSName": rrset.values[0],
                "EvaluateTargetHealth": bool(meta.get("evaluate_target_health")),
            }
            return [
                {"Name": rrset.key, "Type": rtype, "AliasTarget": target}
                for rtype in meta.get("types", ["A"])
            ]
        records = [{"Value": value} for value in rrset.values]
        return [{"Name": rrset.key, "Type": rrset.rtype, "TTL": rrset.ttl, "ResourceRecords": records}]

    def batches(self, changes: Sequence[PlannedChange]) -> list[list[int]]:
        """Indexes of the changes in each change batch (at most 1000 values each, as few as possible)."""
        groups: list[list[int]] = [[]]
        size = 0
        for index, change in enumerate(changes):
            count = _batch_values(change)
            if groups[-1] and size + count > MAX_VALUES_PER_BATCH:
                groups.append([])
                size = 0
            groups[-1].append(index)
            size += count
        return groups

    def change_batch(self, changes: Sequence[PlannedChange]) -> list[dict[str, Any]]:
        """The Route 53 Changes of a plan: exact-match DELETE of the before state, CREATE of the after."""
        items: list[dict[str, Any]] = []
        for change in changes:
            if change.before is not None:
                items.extend(
                    {"Action": "DELETE", "ResourceRecordSet": s} for s in self._record_sets(change.before)
                )
            if change.after is not None:
                items.extend(
                    {"Action": "CREATE", "ResourceRecordSet": s} for s in self._record_sets(change.after)
                )
        return items

    def _apply(
        self, origin: str, changes: Sequence[PlannedChange], current: Zone
    ) -> tuple[list[ChangeOutcome], list[str]]:
        zone_id = self._zone_id(origin)
        outcomes: list[ChangeOutcome | None] = [None] * len(changes)
        request_ids: list[str] = []
        groups = self.batches(changes)
        failure = ""
        for number, group in enumerate(groups, start=1):
            part = [changes[index] for index in group]
            label = f"batch {number}/{len(groups)}"
            if failure:
                results = outcomes_for(part, ChangeStatus.REFUSED, f"{label} not sent: {failure}")
            else:
                batch: Any = {"Comment": f"DunOps {label}", "Changes": self.change_batch(part)}
                try:
                    response = self.client.change_resource_record_sets(
                        HostedZoneId=zone_id, ChangeBatch=batch
                    )
                except botocore.exceptions.ClientError as exc:
                    error = self._failure(exc, label)
                    if "credentials were refused" in error.detail:
                        raise error from exc
                    failure = f"{label} was refused"
                    results = outcomes_for(part, ChangeStatus.REFUSED, error.detail)
                except (botocore.exceptions.BotoCoreError, botocore.parsers.ResponseParserError) as exc:
                    failure = f"{label} got no answer"
                    results = outcomes_for(part, ChangeStatus.UNKNOWN, self._failure(exc, label).detail)
                except ProviderError as exc:
                    failure = f"{label} got no answer"
                    results = outcomes_for(part, ChangeStatus.UNKNOWN, exc.detail)
                else:
                    change_id = str(response.get("ChangeInfo", {}).get("Id", "")).rsplit("/", 1)[-1]
                    request_ids.append(change_id)
                    results = outcomes_for(part, ChangeStatus.WRITTEN, "", change_id)
            for index, outcome in zip(group, results, strict=True):
                outcomes[index] = outcome
        return [outcome for outcome in outcomes if outcome is not None], request_ids

    def nameservers(self, zone: str) -> list[str]:
        origin = zone.lower().rstrip(".") + "."
        with self._reading(f"reading {origin}"):
            response = self._call(f"reading {origin}", "get_hosted_zone", Id=self._zone_id(origin))
            servers = response.get("DelegationSet", {}).get("NameServers", [])
            listed = [server.lower().rstrip(".") + "." for server in servers]
        return listed or super().nameservers(zone)
