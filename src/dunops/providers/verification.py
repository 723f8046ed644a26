"""Ask authoritative servers whether they serve each changed RRset as the plan says (dnspython).

Each server's name is resolved once and checked against the outbound policy before any query is sent.
Queries run side by side (:data:`PARALLEL_QUERIES` at a time), and none is sent past the caller's
deadline: a server that never answers costs the deadline, not a timeout per query.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from dunops.dns.rdata import InvalidValue, canonical_value
from dunops.providers.outbound import OutboundPolicy
from dunops.providers.results import ServedAnswer, ServeStatus, Verification, VerificationOutcome

if TYPE_CHECKING:
    from dunops.providers.base import PlannedChange

PARALLEL_QUERIES = 32


def query_rrset(
    origin: str, name: str, rtype: str, server: tuple[str, int], timeout: float
) -> tuple[int, list[str]] | None:
    """(ttl, canonical values) served for (name, rtype); ``(0, [])`` when absent; None when no answer."""
    query = dns.message.make_query(name, rtype)
    query.flags &= ~dns.flags.RD
    try:
        response = dns.query.udp(query, server[0], port=server[1], timeout=timeout)
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(query, server[0], port=server[1], timeout=timeout)
    except (dns.exception.DNSException, OSError, EOFError):
        return None
    if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return None
    wanted = dns.rdatatype.from_text(rtype)
    qname = dns.name.from_text(name)
    for rrset in response.answer:
        if rrset.name == qname and rrset.rdtype == wanted:
            values = []
            for rdata in rrset:
                try:
                    values.append(canonical_value(rtype, rdata.to_text(), origin))
                except InvalidValue:
                    values.append(rdata.to_text())
            return rrset.ttl, sorted(set(values))
    return 0, []


def lookup_rrset(
    origin: str,
    name: str,
    rtype: str,
    servers: Sequence[tuple[str, int]],
    *,
    timeout: float,
    outbound: OutboundPolicy,
    who: str,
) -> list[tuple[str, tuple[int, list[str]] | None]]:
    """What each server serves for (name, rtype), asked side by side: (``host:port``, (ttl, canonical
    values), ``(0, [])`` when absent, None when it gave no answer). Every server is checked against the
    outbound policy before any query is sent (ProviderError when one is refused)."""
    reachable = [_checked(server, outbound, who) for server in servers]

    def ask(server: tuple[str, int] | None) -> tuple[int, list[str]] | None:
        return None if server is None else query_rrset(origin, name, rtype, server, timeout)

    with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL_QUERIES, len(servers)))) as pool:
        answers = list(pool.map(ask, reachable))
    return [(_label(server), answer) for server, answer in zip(servers, answers, strict=True)]


def _label(server: tuple[str, int]) -> str:
    host, port = server
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _checked(server: tuple[str, int], outbound: OutboundPolicy, who: str) -> tuple[str, int] | None:
    """The server at an address the policy allows (ProviderError otherwise); None when it does not resolve."""
    host, port = server
    try:
        return outbound.addresses(who, host, port, socket.SOCK_DGRAM)[0], port
    except OSError:
        return None


def verify_changes(
    origin: str,
    changes: Sequence[PlannedChange],
    servers: Sequence[tuple[str, int]],
    *,
    timeout: float,
    outbound: OutboundPolicy,
    who: str,
    deadline: float | None = None,
) -> Verification:
    from dunops.providers.base import change_kind, change_rrset

    labels = tuple(_label(server) for server in servers)
    reachable = [_checked(server, outbound, who) for server in servers]

    def ask(name: str, query_type: str, server: tuple[str, int] | None) -> tuple[int, list[str]] | str | None:
        if server is None:
            return None
        left = timeout if deadline is None else min(timeout, deadline - time.monotonic())
        if left <= 0:
            return "deadline"
        return query_rrset(origin, name, query_type, server, left)

    asked = []
    with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL_QUERIES, len(changes) * len(servers)))) as pool:
        for change in changes:
            rrset = change_rrset(change)
            query_type = "A" if rrset.rtype == "ALIAS" else rrset.rtype
            asked.append([pool.submit(ask, rrset.name, query_type, server) for server in reachable])
    outcomes = []
    for change, futures in zip(changes, asked, strict=True):
        rrset = change_rrset(change)
        expected = (change.after.ttl, sorted(change.after.values)) if change.after is not None else (0, [])
        answers = []
        for future, label in zip(futures, labels, strict=True):
            served = future.result()
            if served is None or isinstance(served, str):
                answers.append(
                    ServedAnswer(label, False, "no answer" if served is None else "not asked: deadline")
                )
            elif rrset.rtype == "ALIAS":
                answers.append(ServedAnswer(label, bool(served[1]) == (change.after is not None)))
            else:
                detail = "" if served == expected else f"serves TTL {served[0]} values {served[1]}"
                answers.append(ServedAnswer(label, served == expected, detail))
        status = ServeStatus.SERVED if all(a.matches for a in answers) else ServeStatus.NOT_YET_SERVED
        outcomes.append(
            VerificationOutcome(rrset.name, rrset.rtype, change_kind(change), status, tuple(answers))
        )
    return Verification(origin, labels, tuple(outcomes))
