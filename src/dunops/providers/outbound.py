"""The operator's outbound policy: which addresses a provider connection may reach.

Every connection a provider opens (HTTP, DNS over UDP or TCP) resolves its host once, checks every
address the name resolves to, and connects to a checked address, so a name cannot be pointed elsewhere
between the check and the connection. Link-local and cloud metadata addresses are refused unless the
operator allows them; in production, loopback and private ranges are refused too. Networks in
``DUNOPS_OUTBOUND_DENY`` are refused and networks in ``DUNOPS_OUTBOUND_ALLOW`` are allowed whatever the
defaults say; where both name an address, the narrower network decides, and deny wins a tie.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from dunops.config import Settings, load_settings
from dunops.errors import ProviderError

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

ALLOW_SETTING = "DUNOPS_OUTBOUND_ALLOW"
DENY_SETTING = "DUNOPS_OUTBOUND_DENY"


def _networks(*texts: str) -> tuple[Network, ...]:
    return tuple(ip_network(text) for text in texts)


METADATA = _networks(
    "169.254.0.0/16",  # link-local, with the AWS, Azure, GCP and OpenStack metadata address
    "fe80::/10",
    "fd00:ec2::254/128",  # AWS over IPv6
    "fd20:ce::254/128",  # GCP over IPv6
    "100.100.100.200/32",  # Alibaba Cloud
    "192.0.0.192/32",  # Oracle Cloud
    "168.63.129.16/32",  # Azure host services
)
PRIVATE = _networks(
    "0.0.0.0/8",
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",  # carrier-grade NAT
    "::/128",
    "::1/128",
    "fc00::/7",  # unique local
)
_NAT64 = ip_network("64:ff9b::/96")


def _forms(address: Address) -> Iterator[Address]:
    """The address, and the IPv4 address an IPv6 one carries (mapped, NAT64, 6to4), which it reaches."""
    yield address
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            yield address.ipv4_mapped
        if address.sixtofour is not None:
            yield address.sixtofour
        if address in _NAT64:
            yield IPv4Address(int(address) & 0xFFFFFFFF)


def _longest_prefix(address: Address, networks: Iterable[Network]) -> int:
    """The prefix length of the narrowest of ``networks`` holding ``address``; -1 when none does."""
    return max(
        (net.prefixlen for net in networks if net.version == address.version and address in net), default=-1
    )


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Which addresses provider connections may reach (see the module's docstring for the rules)."""

    production: bool = False
    allow: tuple[Network, ...] = ()
    deny: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        return cls(
            production=settings.environment == "production",
            allow=tuple(settings.outbound_allow),
            deny=tuple(settings.outbound_deny),
        )

    @classmethod
    def from_environment(cls) -> OutboundPolicy:
        """The policy of this process's ``DUNOPS_*`` settings, for callers not handed one."""
        return cls.from_settings(load_settings())

    def refusal(self, address: Address) -> str | None:
        """Why the policy refuses ``address`` (every form of it must pass), or None when it may be reached."""
        for form in _forms(address):
            reason = self._refusal(form)
            if reason is not None:
                return reason
        return None

    def _refusal(self, address: Address) -> str | None:
        denied, allowed = _longest_prefix(address, self.deny), _longest_prefix(address, self.allow)
        if denied >= 0 and denied >= allowed:
            return f"it is in {DENY_SETTING}"
        if allowed >= 0:
            return None
        if any(address in net for net in METADATA if net.version == address.version):
            return f"link-local and cloud metadata addresses are refused unless {ALLOW_SETTING} lists them"
        if self.production and any(address in net for net in PRIVATE if net.version == address.version):
            return (
                f"loopback and private addresses are refused in production unless {ALLOW_SETTING} lists them"
            )
        return None

    def addresses(
        self, who: str, host: str, port: int, kind: socket.SocketKind = socket.SOCK_STREAM
    ) -> list[str]:
        """Every address ``host`` resolves to, once each is checked; the order is the resolver's.

        Raises ProviderError naming ``host`` when the policy refuses any of them (nothing is sent), and
        OSError when the name does not resolve.
        """
        literal = _literal(host)
        if literal is not None:
            found = [literal]
        else:
            answers = socket.getaddrinfo(host, port, type=kind)
            found = list(dict.fromkeys(ip_address(str(answer[4][0]).split("%")[0]) for answer in answers))
        for address in found:
            reason = self.refusal(address)
            if reason is not None:
                what = f"{host} is" if literal is not None else f"{host} resolves to an address"
                raise ProviderError(
                    f"{who}: {what} refused by the operator's outbound policy ({reason}); nothing was sent"
                )
        return [str(address) for address in found]


def _literal(host: str) -> Address | None:
    try:
        return ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None
