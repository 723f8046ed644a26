"""Any RFC 2136 server (BIND, Knot, ...): reads by AXFR, writes by UPDATE, both signed with TSIG.

Single RRsets are read with TSIG-signed queries to the same server. An answer is taken only when it
is authoritative data at the exact name: a referral (the name is at or below a delegation), a DNAME,
or an answer a wildcard could have synthesized sends the read back to a whole-zone transfer, so a
partial read never differs from what AXFR would say.

Each UPDATE message carries the compare-and-set in its prerequisites: for each touched RRset the
exact previous content must be present (or the RRset absent for a create), otherwise the server
answers NXRRSET/YXRRSET and writes nothing. A message holds at most 1000 resource records and stays
well inside the 65,535 octets a DNS message may have (long DKIM keys fill it long before 1000 records);
a plan is split into several messages only when it must be, and the result says which message landed.

The server's name is resolved and checked against the outbound policy before each exchange, and the
exchange goes to the checked address. A refused, reset or silent server reads the same.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Sequence

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update
import dns.xfr
import dns.zone

from dunops.dns.names import is_subdomain, parent_name
from dunops.dns.rdata import RECORD_TYPES, InvalidValue, canonical_value
from dunops.dns.rrset import RRset
from dunops.dns.zone import RRsetKey, Zone
from dunops.errors import InvalidInput, ProviderError, StalePlan
from dunops.providers.base import PlannedChange, Provider, change_rrset, outcomes_for
from dunops.providers.outbound import OutboundPolicy
from dunops.providers.results import Capabilities, ChangeOutcome, ChangeStatus, ProviderZone

MAX_RECORDS_PER_MESSAGE = 1000
# A DNS message is at most 65,535 octets; keep room for the header, the zone section and the TSIG record.
MAX_MESSAGE_OCTETS = 60_000
ALGORITHMS = {
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-md5": dns.tsig.HMAC_MD5,
}


class _Unsure:
    """An answer that a partial read cannot take at face value (the whole zone must be read)."""


_UNSURE = _Unsure()
_PREREQUISITE_FAILURES = {dns.rcode.NXRRSET, dns.rcode.YXRRSET, dns.rcode.NXDOMAIN, dns.rcode.YXDOMAIN}
_CREDENTIAL_FAILURES = {dns.rcode.NOTAUTH, dns.rcode.REFUSED}


def _record_count(change: PlannedChange) -> int:
    before = len(change.before.values) if change.before is not None else 1
    after = len(change.after.values) if change.after is not None else 0
    return before + 1 + after


def _octets(change: PlannedChange) -> int:
    """An upper bound of the change's size on the wire: prerequisite, delete and new records.

    Each record costs its owner name (text length + 1 when uncompressed), type, class, TTL and length
    (10 octets) and its data, which is never longer than its presentation form plus a few octets.
    """
    name = change_rrset(change).name
    per_record = len(name) + 1 + 10 + 4
    values = [
        *(change.before.values if change.before else ()),
        *(change.after.values if change.after else ()),
    ]
    return per_record * (len(values) + 1) + sum(len(value) for value in values)


def split_messages(
    changes: Sequence[PlannedChange],
    limit: int = MAX_RECORDS_PER_MESSAGE,
    octets: int = MAX_MESSAGE_OCTETS,
) -> list[list[int]]:
    """Indexes of the changes in each UPDATE message: as few messages as both limits allow."""
    groups: list[list[int]] = [[]]
    records = size = 0
    for index, change in enumerate(changes):
        count, length = _record_count(change), _octets(change)
        if groups[-1] and (records + count > limit or size + length > octets):
            groups.append([])
            records = size = 0
        groups[-1].append(index)
        records += count
        size += length
    return groups


class Rfc2136Provider(Provider):
    kind = "rfc2136"
    label = "RFC 2136 server"
    capabilities = Capabilities(
        record_types=RECORD_TYPES - {"ALIAS"},
        root_ns=True,
        atomic_apply=True,
        max_batch=MAX_RECORDS_PER_MESSAGE,
    )

    def __init__(
        self,
        *,
        server: str,
        tsig_name: str,
        tsig_secret: str,
        port: int = 53,
        tsig_algorithm: str = "hmac-sha256",
        zones: Sequence[str] = (),
        name: str = "",
        timeout: float = 10.0,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        super().__init__(name=name, timeout=timeout, outbound=outbound)
        self.server = server
        self.port = port
        self.zones = [zone.lower().rstrip(".") + "." for zone in zones]
        if tsig_algorithm not in ALGORITHMS:
            raise InvalidInput.single(
                f"unknown TSIG algorithm; use one of {', '.join(ALGORITHMS)}", "config.tsig_algorithm"
            )
        self.algorithm = ALGORITHMS[tsig_algorithm]
        try:
            base64.b64decode(tsig_secret, validate=True)
            self.keyring = dns.tsigkeyring.from_text({tsig_name: tsig_secret})
        except (binascii.Error, ValueError, dns.exception.DNSException) as exc:
            raise InvalidInput.single("the TSIG secret must be base64", "secrets.tsig_secret") from exc
        self.key_name = dns.name.from_text(tsig_name)

    @property
    def where(self) -> str:
        host = f"[{self.server}]" if ":" in self.server else self.server
        return f"{host}:{self.port}"

    def _address(self, doing: str) -> str:
        """The server's address, resolved now and allowed by the outbound policy."""
        try:
            return self.outbound.addresses(self.describe(), self.server, self.port)[0]
        except OSError as exc:
            raise self._failure(exc, doing) from exc

    def _failure(self, exc: BaseException, doing: str) -> ProviderError:
        if isinstance(exc, dns.exception.Timeout | OSError | EOFError):
            return ProviderError(
                f"{self.describe()}: could not connect to {self.where}, or it did not answer within "
                f"{self.timeout:g} s ({doing})"
            )
        if isinstance(exc, dns.tsig.PeerError):
            return self._refused(f"TSIG {type(exc).__name__}")
        if isinstance(exc, dns.exception.FormError) and "TSIG" in str(exc):
            return self._refused("the answer was not signed: the server does not know this key")
        return ProviderError(f"{self.describe()}: {doing}: {self.where} sent an answer DunOps cannot read")

    def _refused(self, why: str) -> ProviderError:
        return ProviderError(
            f"{self.describe()}: the credentials were refused by {self.where} ({why}); "
            "check the TSIG key name, algorithm and secret of this connection"
        )

    def _signed_query(self, origin: str) -> dns.message.Message:
        query = dns.message.make_query(origin, "SOA")
        query.use_tsig(self.keyring, self.key_name, algorithm=self.algorithm)
        doing = f"querying {origin} SOA"
        try:
            response = dns.query.tcp(query, self._address(doing), port=self.port, timeout=self.timeout)
        except (dns.exception.DNSException, OSError, EOFError) as exc:
            raise self._failure(exc, doing) from exc
        if response.rcode() == dns.rcode.NOTAUTH:
            raise self._refused(dns.rcode.to_text(response.rcode()))
        return response

    def test_connection(self) -> None:
        for origin in self.zones or ["."]:
            self._signed_query(origin)
            if self.zones:
                self._fetch(origin)

    def _list_zones(self) -> list[ProviderZone]:
        zones = []
        for origin in self.zones:
            response = self._signed_query(origin)
            note = "" if response.rcode() == dns.rcode.NOERROR and response.answer else "not served"
            zones.append(ProviderZone(origin, provider_id=origin, note=note))
        return zones

    def _fetch(self, origin: str) -> Zone:
        query = dns.message.make_query(origin, "AXFR")
        query.use_tsig(self.keyring, self.key_name, algorithm=self.algorithm)
        transferred = dns.zone.Zone(origin, relativize=False)
        doing = f"transferring {origin}"
        try:
            dns.query.inbound_xfr(
                self._address(doing),
                transferred,
                query,
                port=self.port,
                timeout=self.timeout,
                lifetime=self.timeout * 3,
            )
        except dns.xfr.TransferError as exc:
            if exc.rcode in _CREDENTIAL_FAILURES:
                raise self._refused(f"zone transfer {dns.rcode.to_text(exc.rcode)}") from exc
            raise ProviderError(
                f"{self.describe()}: {self.where} refused the transfer of {origin} "
                f"({dns.rcode.to_text(exc.rcode)})"
            ) from exc
        except (dns.exception.DNSException, OSError, EOFError) as exc:
            raise self._failure(exc, doing) from exc
        zone = Zone(origin)
        for name, rdataset in transferred.iterate_rdatasets():
            rtype = dns.rdatatype.to_text(rdataset.rdtype)
            owner = name.to_text()
            try:
                values = [canonical_value(rtype, rdata.to_text(), origin) for rdata in rdataset]
            except InvalidValue as exc:
                raise ProviderError(
                    f"{self.describe()}: {self.where} served an unreadable {rtype} value at {owner}"
                ) from exc
            rrset = RRset(owner, rtype, rdataset.ttl, values)
            if rtype == "SOA":
                zone.soa = rrset
            elif rtype in RECORD_TYPES:
                zone.add(rrset)
        return zone

    def _read_rrsets(self, origin: str, keys: Collection[RRsetKey]) -> dict[RRsetKey, RRset] | None:
        found: dict[RRsetKey, RRset] = {}
        for name, rtype in sorted(keys):
            answer = self._answer(origin, name, rtype)
            if isinstance(answer, _Unsure):
                return None
            if isinstance(answer, RRset):
                if self._wildcard_could_say(origin, name, answer):
                    return None
                found[(name, rtype)] = answer
        return found

    def _answer(self, origin: str, name: str, rtype: str) -> RRset | _Unsure | None:
        """The RRset (name, rtype) as the server answers it authoritatively, None, or ``_UNSURE``."""
        try:
            query = dns.message.make_query(name, rtype)
        except dns.rdatatype.UnknownRdatatype:
            return None  # a type the server cannot hold (ALIAS) is never there
        query.flags &= ~dns.flags.RD
        query.use_tsig(self.keyring, self.key_name, algorithm=self.algorithm)
        doing = f"querying {name} {rtype}"
        try:
            response = dns.query.tcp(query, self._address(doing), port=self.port, timeout=self.timeout)
        except (dns.exception.DNSException, OSError, EOFError) as exc:
            raise self._failure(exc, doing) from exc
        rcode = response.rcode()
        if rcode in _CREDENTIAL_FAILURES:
            raise self._refused(f"query {dns.rcode.to_text(rcode)}")
        if rcode == dns.rcode.NXDOMAIN and response.flags & dns.flags.AA:
            return None
        if rcode != dns.rcode.NOERROR or not response.flags & dns.flags.AA:
            return _UNSURE  # a referral, or an answer this reader does not understand
        qname, wanted = dns.name.from_text(name), dns.rdatatype.from_text(rtype)
        if any(item.rdtype == dns.rdatatype.DNAME for item in response.answer):
            return _UNSURE
        for item in response.answer:
            if item.name == qname and item.rdtype == wanted:
                try:
                    values = [canonical_value(rtype, rdata.to_text(), origin) for rdata in item]
                except InvalidValue as exc:
                    raise ProviderError(
                        f"{self.describe()}: {self.where} served an unreadable {rtype} value at {name}"
                    ) from exc
                return RRset(name, rtype, item.ttl, values)
        return None

    def _wildcard_could_say(self, origin: str, name: str, answer: RRset) -> bool:
        """True when a wildcard above ``name`` holds the same data, so the answer may be synthesized."""
        parent = parent_name(name)
        while parent is not None and is_subdomain(parent, origin):
            wildcard = self._answer(origin, f"*.{parent}" if parent != "." else "*.", answer.rtype)
            if isinstance(wildcard, _Unsure):
                return True
            if isinstance(wildcard, RRset) and wildcard.same_data(answer):
                return True
            if parent == origin:
                return False
            parent = parent_name(parent)
        return False

    def _message(self, origin: str, changes: Sequence[PlannedChange]) -> dns.update.UpdateMessage:
        update = dns.update.UpdateMessage(
            origin, keyring=self.keyring, keyname=self.key_name, keyalgorithm=self.algorithm
        )
        for change in changes:
            rrset = change_rrset(change)
            if change.before is None:
                update.absent(rrset.name, rrset.rtype)
            else:
                update.present(rrset.name, _rdataset(change.before, ttl=0))
        for change in changes:
            rrset = change_rrset(change)
            if change.after is None:
                update.delete(rrset.name, rrset.rtype)
            else:
                update.replace(rrset.name, _rdataset(change.after))
        return update

    def _apply(
        self, origin: str, changes: Sequence[PlannedChange], current: Zone
    ) -> tuple[list[ChangeOutcome], list[str]]:
        outcomes: list[ChangeOutcome | None] = [None] * len(changes)
        request_ids: list[str] = []
        groups = split_messages(changes)
        failed = ""
        for number, group in enumerate(groups, start=1):
            part = [changes[index] for index in group]
            label = f"message {number}/{len(groups)}"
            if failed:
                results = outcomes_for(part, ChangeStatus.REFUSED, f"{label} not sent: {failed}")
            else:
                status, message, request_id = self._send(self._message(origin, part), label)
                request_ids.append(request_id)
                if status is not ChangeStatus.WRITTEN:
                    failed = f"{label} was not written"
                    if number == 1 and status is ChangeStatus.REFUSED and message.startswith("stale"):
                        names = ", ".join(f"{change_rrset(c).name} {change_rrset(c).rtype}" for c in changes)
                        raise StalePlan(
                            f"{self.describe()}: {origin} changed since the plan was made "
                            f"(the server refused the prerequisites): {names}"
                        )
                results = outcomes_for(part, status, message, request_id)
            for index, outcome in zip(group, results, strict=True):
                outcomes[index] = outcome
        return [outcome for outcome in outcomes if outcome is not None], request_ids

    def _send(self, update: dns.update.UpdateMessage, label: str) -> tuple[ChangeStatus, str, str]:
        request_id = f"{label} id {update.id}"
        doing = "sending the update"
        try:
            response = dns.query.tcp(update, self._address(doing), port=self.port, timeout=self.timeout)
        except (dns.tsig.PeerError, dns.exception.FormError) as exc:
            raise self._failure(exc, doing) from exc
        except (dns.exception.DNSException, OSError, EOFError) as exc:
            return ChangeStatus.UNKNOWN, str(self._failure(exc, doing)), request_id
        rcode = response.rcode()
        if rcode == dns.rcode.NOERROR:
            return ChangeStatus.WRITTEN, "", request_id
        text = dns.rcode.to_text(rcode)
        if rcode in _PREREQUISITE_FAILURES:
            return ChangeStatus.REFUSED, f"stale: a prerequisite failed ({text})", request_id
        if rcode in _CREDENTIAL_FAILURES:
            raise self._refused(f"update {text}")
        return ChangeStatus.REFUSED, f"the server refused the update ({text})", request_id

    def _dns_servers(self, origin: str) -> list[tuple[str, int]]:
        return [(self.server, self.port)]


def _rdataset(rrset: RRset, ttl: int | None = None) -> dns.rdataset.Rdataset:
    """The RRset as dnspython data; prerequisites carry TTL 0 (RFC 2136 section 2.4.2)."""
    rdtype = dns.rdatatype.from_text(rrset.rtype)
    rdatas = [dns.rdata.from_text(dns.rdataclass.IN, rdtype, value) for value in rrset.values]
    return dns.rdataset.from_rdata_list(rrset.ttl if ttl is None else ttl, rdatas)
