"""Zone files: atomic writes, SOA serial, the reload command, and compare-and-set under the file lock."""

from __future__ import annotations

import shutil
import socket
import sys
import time
from pathlib import Path

import pytest

from dunops.dns.plan import plan_changes
from dunops.dns.rrset import RRset
from dunops.errors import ProviderError
from dunops.providers import build
from dunops.providers.zonefile import ZoneFileProvider
from tests.servers.process import ServerProcess, require_binary
from tests.servers.rfc2136 import seed_zone_file
from tests.support import free_port


def make(directory: Path, **config: object) -> ZoneFileProvider:
    provider = build("zonefile", {"directory": str(directory), **config}, {}, name="files")
    assert isinstance(provider, ZoneFileProvider)
    return provider


def add_www(provider: ZoneFileProvider, origin: str) -> None:
    current = provider.fetch(origin)
    desired = current.copy()
    desired.add(RRset(f"www.{origin}", "A", 300, ["192.0.2.1"]))
    result = provider.apply(plan_changes(current, desired))
    assert result.complete, result.outcomes


def test_apply_bumps_the_serial_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    provider = make(tmp_path)
    provider.create_zone("example.test", ["ns1.example.test", "ns2.example.test"])
    serial = provider.fetch("example.test").soa
    assert serial is not None
    add_www(provider, "example.test.")
    soa = provider.fetch("example.test").soa
    assert soa is not None
    assert int(soa.values[0].split()[2]) == int(serial.values[0].split()[2]) + 1
    assert sorted(path.name for path in tmp_path.iterdir() if not path.name.startswith(".example")) == [
        "example.test.zone"
    ]
    assert "www 300 IN A 192.0.2.1" in (tmp_path / "example.test.zone").read_text()


def test_the_reload_command_runs_as_an_argv_list_after_a_write(tmp_path: Path) -> None:
    marker = tmp_path / "reloaded"
    script = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])"
    provider = make(
        tmp_path / "zones", reload_command=[sys.executable, "-c", script, str(marker), "{zone}; rm -rf /"]
    )
    (tmp_path / "zones").mkdir()
    provider.create_zone("example.test")
    add_www(provider, "example.test.")
    assert marker.read_text() == "example.test; rm -rf /"


def test_a_failing_reload_is_reported_but_the_write_stands(tmp_path: Path) -> None:
    provider = make(tmp_path, reload_command=[sys.executable, "-c", "import sys; sys.exit('no rndc here')"])
    provider.create_zone("example.test")
    current = provider.fetch("example.test")
    desired = current.copy()
    desired.add(RRset("www.example.test.", "A", 300, ["192.0.2.1"]))
    result = provider.apply(plan_changes(current, desired))
    assert result.complete
    assert "reload command exited with 1: no rndc here" in result.outcomes[0].message


def test_a_broken_zone_file_is_reported_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "broken.test.zone").write_text("$ORIGIN broken.test.\nwww 300 IN A 999.1.1.1\n")
    provider = make(tmp_path)
    with pytest.raises(ProviderError) as refused:
        provider.fetch("broken.test")
    assert "broken.test.zone" in str(refused.value)
    assert refused.value.problems[0].location.startswith("broken.test.zone:2")


def _listening(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True


def test_a_served_zone_file_is_verified_on_the_server_that_reads_it(tmp_path: Path) -> None:
    """BIND serves the directory; the reload command tells it to read the files again (SIGHUP)."""
    named = require_binary("named", "bind9")
    origin = "served.test."
    zones = tmp_path / "zones"
    zones.mkdir()
    seed_zone_file(zones / "served.test.zone", origin)
    port = free_port()
    (tmp_path / "named.conf").write_text(
        f'options {{ directory "{tmp_path}"; pid-file "{tmp_path}/named.pid"; '
        f'session-keyfile "{tmp_path}/session.key"; managed-keys-directory "{tmp_path}"; '
        f"listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }}; recursion no; notify no; "
        "dnssec-validation no; };\n"
        f'zone "{origin}" {{ type primary; file "{zones / "served.test.zone"}"; }};\n'
    )
    server = ServerProcess([named, "-g", "-c", str(tmp_path / "named.conf")], tmp_path, "named")
    try:
        server.wait_ready(lambda: _listening(port))
        provider = make(
            zones,
            reload_command=[shutil.which("kill") or "kill", "-HUP", str(server.pid)],
            server_address=f"127.0.0.1:{port}",
        )
        current = provider.fetch(origin)
        desired = current.copy()
        desired.add(RRset(f"www.{origin}", "A", 300, ["192.0.2.1"]))
        plan = plan_changes(current, desired)
        assert not provider.verify(plan).all_served
        assert provider.apply(plan).complete
        deadline = time.monotonic() + 10
        while not (verification := provider.verify(plan)).all_served:
            assert time.monotonic() < deadline, verification
            time.sleep(0.1)
        assert verification.servers == (f"127.0.0.1:{port}",)
    finally:
        server.stop()
