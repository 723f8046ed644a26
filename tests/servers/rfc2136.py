"""What the BIND and Knot fixtures share: a TSIG key, a pool of pre-created zones, zone file seeds.

RFC 2136 servers cannot create zones on the fly without extra control channels, so each server starts
with a pool of empty zones and every test takes fresh ones from it.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.process import ServerProcess

POOL_SIZE = 40
KEY_NAME = "dunops-key."
KEY_ALGORITHM = "hmac-sha256"


def new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def seed_zone_file(path: Path, zone: str) -> None:
    """A minimal zone: SOA, two apex NS and their glue."""
    path.write_text(
        f"$ORIGIN {zone}\n$TTL 3600\n"
        f"@ IN SOA ns1.{zone} hostmaster.{zone} 1 10800 3600 604800 3600\n"
        f"@ IN NS ns1.{zone}\n@ IN NS ns2.{zone}\n"
        "ns1 IN A 192.0.2.53\nns2 IN A 192.0.2.54\n"
    )


@dataclass
class Rfc2136Server:
    """A running RFC 2136 server and the zones it was started with."""

    name: str
    host: str
    port: int
    key_name: str
    key_algorithm: str
    key_secret: str
    zones: list[str]
    process: ServerProcess
    _taken: int = field(default=0)

    def take_zone(self) -> str:
        """A zone no other test has used (SOA + apex NS + glue only)."""
        if self._taken >= len(self.zones):
            raise RuntimeError(f"the {self.name} zone pool ({len(self.zones)} zones) is exhausted")
        zone = self.zones[self._taken]
        self._taken += 1
        return zone


def pool(label: str) -> list[str]:
    return [f"{label}{index}.test." for index in range(POOL_SIZE)]
