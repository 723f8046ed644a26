"""Zone files: atomic writes, SOA serial, the reload command, and compare-and-set under the file lock."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dunops.dns.plan import plan_changes
from dunops.dns.rrset import RRset
from dunops.errors import ProviderError
from dunops.providers import build
from dunops.providers.zonefile import ZoneFileProvider


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
