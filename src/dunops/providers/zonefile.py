"""A directory of RFC 1035 zone files (``<zone>.zone``): the embedded default provider.

Writes are atomic (a temporary file renamed over the old one) under a lock file, re-read the file
under that lock to compare-and-set, bump the SOA serial and may run a reload command (an argv list,
never a shell string) so that a server reading the files (BIND, NSD, Knot) picks the change up.

Every file name comes from a checked zone name, and every path is resolved (links followed) and must
lie inside the directory each time it is opened: a link leading outside is refused, never followed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from dunops.dns.formats.bind import read_bind, write_bind
from dunops.dns.names import InvalidName, zone_origin
from dunops.dns.rdata import RECORD_TYPES
from dunops.dns.rrset import RRset
from dunops.dns.zone import Zone
from dunops.errors import InvalidInput, ProviderError, StalePlan, ZoneInvalid, ZoneMissing
from dunops.providers.base import PlannedChange, Provider, change_key, change_rrset, outcomes_for, zone_name
from dunops.providers.results import Capabilities, ChangeOutcome, ChangeStatus, ProviderZone

SUFFIX = ".zone"
DEFAULT_SOA = "ns1.{origin} hostmaster.{origin} 1 10800 3600 604800 3600"


def _parse_server(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInput.single("expected host:port, for example 127.0.0.1:53", "config.server_address")
    return host.strip("[]"), int(port)


def bump_serial(soa: RRset) -> RRset:
    """The SOA with its serial increased by one (RFC 1982 arithmetic)."""
    fields = soa.values[0].split()
    fields[2] = str((int(fields[2]) + 1) % 2**32 or 1)
    return RRset(soa.name, "SOA", soa.ttl, [" ".join(fields)])


class ZoneFileProvider(Provider):
    kind = "zonefile"
    label = "Zone files"
    capabilities = Capabilities(record_types=RECORD_TYPES - {"ALIAS"}, root_ns=True, atomic_apply=True)

    def __init__(
        self,
        *,
        directory: str,
        reload_command: Sequence[str] = (),
        server_address: str = "",
        name: str = "",
        timeout: float = 10.0,
    ) -> None:
        super().__init__(name=name, timeout=timeout)
        self.directory = Path(directory)
        self.reload_command = list(reload_command)
        self.server = _parse_server(server_address) if server_address else None

    def _inside(self, name: str) -> Path:
        """The real path of the file ``name`` of the directory, refused when a link leads outside it."""
        root = self.directory.resolve()
        path = (root / name).resolve()
        if not path.is_relative_to(root):
            raise ProviderError(
                f"{self.describe()}: {name} is a link leading outside the directory {self.directory}; "
                "only files inside it are read or written"
            )
        return path

    def _path(self, origin: str) -> Path:
        return self._inside(f"{zone_name(origin)[:-1]}{SUFFIX}")

    def test_connection(self) -> None:
        if not self.directory.is_dir():
            raise ProviderError(f"{self.describe()}: the directory {self.directory} does not exist")
        if not os.access(self.directory, os.W_OK | os.X_OK):
            raise ProviderError(f"{self.describe()}: the directory {self.directory} is not writable")

    def _list_zones(self) -> list[ProviderZone]:
        """The ``<zone>.zone`` files, leaving out names that are no zone name and links leading outside."""
        self.test_connection()
        zones = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            try:
                origin = zone_origin(path.name[: -len(SUFFIX)])
                self._inside(path.name)
            except (InvalidName, ProviderError):
                continue
            zones.append(ProviderZone(origin, provider_id=path.name))
        return zones

    def create_zone(self, zone: str, nameservers: Sequence[str] = ()) -> None:
        """Create an empty zone file (SOA and the given apex NS); refused when the file exists."""
        origin = zone_name(zone)
        soa = RRset(origin, "SOA", 3600, [DEFAULT_SOA.format(origin=origin)])
        content = Zone(origin, soa=soa)
        if nameservers:
            content.add(RRset(origin, "NS", 3600, [ns.lower().rstrip(".") + "." for ns in nameservers]))
        path = self._path(origin)
        if path.exists():
            raise ProviderError(f"{self.describe()}: {path.name} already exists")
        self._write(origin, content)

    def _read(self, origin: str) -> Zone:
        path = self._path(origin)
        try:
            with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError as exc:
            raise ZoneMissing(f"{self.describe()}: no zone file {path.name} in {self.directory}") from exc
        except OSError as exc:
            raise ProviderError(f"{self.describe()}: cannot read {path}: {exc.strerror}") from exc
        try:
            return read_bind(text, origin, filename=path.name)
        except ZoneInvalid as exc:
            raise ProviderError(f"{self.describe()}: {exc.detail}", exc.problems) from exc

    def _fetch(self, origin: str) -> Zone:
        return self._read(origin)

    @contextlib.contextmanager
    def _locked(self, origin: str) -> Iterator[None]:
        lock_path = self._inside(f".{zone_name(origin)[:-1]}.lock")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
        with os.fdopen(os.open(lock_path, flags, 0o644), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, origin: str, zone: Zone) -> None:
        path = self._path(origin)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(write_bind(zone))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def _apply(
        self, origin: str, changes: Sequence[PlannedChange], current: Zone
    ) -> tuple[list[ChangeOutcome], list[str]]:
        with self._locked(origin):
            latest = self._read(origin)
            moved = [
                change_rrset(c) for c in changes if latest.get(*change_key(c)) != current.get(*change_key(c))
            ]
            if moved:
                names = ", ".join(f"{rrset.name} {rrset.rtype}" for rrset in moved)
                raise StalePlan(f"{self.describe()}: the zone file {origin} changed while applying: {names}")
            for change in changes:
                latest.remove(*change_key(change))
                if change.after is not None:
                    latest.add(change.after)
            if latest.soa is not None:
                latest.soa = bump_serial(latest.soa)
            self._write(origin, latest)
        message = self._reload(origin)
        return outcomes_for(changes, ChangeStatus.WRITTEN, message), []

    def _reload(self, origin: str) -> str:
        if not self.reload_command:
            return ""
        argv = [part.replace("{zone}", origin.rstrip(".")) for part in self.reload_command]
        try:
            finished = subprocess.run(argv, capture_output=True, timeout=self.timeout, check=False)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"written, but the reload command {argv[0]} failed: {exc}"
        if finished.returncode != 0:
            error = finished.stderr.decode("utf-8", "replace").strip()[-200:]
            return f"written, but the reload command exited with {finished.returncode}: {error}"
        return ""

    def _dns_servers(self, origin: str) -> list[tuple[str, int]]:
        return [self.server] if self.server is not None else []
