"""The zone-file provider touches only files inside its directory: zone names are checked again here,
and links leading outside are refused when listing, reading, creating and writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from dunops.dns.plan import plan_changes
from dunops.dns.rrset import RRset
from dunops.dns.zone import Zone
from dunops.errors import InvalidInput, ProviderError
from dunops.providers.zonefile import ZoneFileProvider
from tests.providers.test_zonefile import make
from tests.zones.helpers import ZONE_TEXT


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    inside = tmp_path / "zones"
    inside.mkdir()
    return inside


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return elsewhere


def _files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


@pytest.mark.parametrize("zone", ["../escape", "/etc/x", "a/b.test", "a\\b.test", "a\x00b"])
def test_a_zone_name_that_is_no_dns_name_is_refused_before_any_file_is_touched(
    tmp_path: Path, directory: Path, zone: str
) -> None:
    provider = make(directory)
    before = _files(tmp_path)
    for attempt in (provider.create_zone, provider.fetch, provider.nameservers):
        with pytest.raises(InvalidInput) as refused:
            attempt(zone)
        assert refused.value.problems[0].location == "zone"
    assert _files(tmp_path) == before


def test_a_plan_for_a_zone_named_by_a_path_is_refused(tmp_path: Path, directory: Path) -> None:
    origin = str(tmp_path / "escape.").replace("/", "/./")  # short labels, the same path
    current = Zone(origin)
    desired = current.copy()
    desired.add(RRset(f"www.{origin}", "A", 300, ["192.0.2.1"]))
    with pytest.raises(InvalidInput, match="holds '/'"):
        make(directory).apply(plan_changes(current, desired))
    assert _files(tmp_path) == ["zones"]


def test_listing_leaves_out_names_that_are_no_zone_and_links_leading_outside(
    directory: Path, outside: Path
) -> None:
    (outside / "leak.test.zone").write_text(ZONE_TEXT.replace("example.test", "leak.test"))
    (directory / "leak.test.zone").symlink_to(outside / "leak.test.zone")
    (directory / "example.test.zone").write_text(ZONE_TEXT)
    (directory / "alias.test.zone").symlink_to(directory / "example.test.zone")
    (directory / "bad name.zone").write_text(ZONE_TEXT)
    (directory / "-rf.zone").write_text(ZONE_TEXT)
    assert [zone.name for zone in make(directory).list_zones()] == ["alias.test.", "example.test."]


def test_a_link_leading_outside_is_refused_when_read(directory: Path, outside: Path) -> None:
    (outside / "leak.test.zone").write_text(ZONE_TEXT.replace("example.test", "leak.test"))
    (directory / "leak.test.zone").symlink_to(outside / "leak.test.zone")
    with pytest.raises(ProviderError, match=r"leak\.test\.zone is a link leading outside the directory"):
        make(directory).fetch("leak.test")


def test_a_dangling_link_leading_outside_is_refused_when_a_zone_is_created(
    directory: Path, outside: Path
) -> None:
    (directory / "new.test.zone").symlink_to(outside / "new.test.zone")
    with pytest.raises(ProviderError, match=r"new\.test\.zone is a link leading outside the directory"):
        make(directory).create_zone("new.test")
    assert list(outside.iterdir()) == []


def test_a_link_inside_the_directory_is_followed(directory: Path) -> None:
    provider: ZoneFileProvider = make(directory)
    (directory / "example.test.zone").write_text(ZONE_TEXT)
    (directory / "alias").mkdir()
    (directory / "alias" / "example.test.zone").write_text(ZONE_TEXT)
    (directory / "example.test.zone").unlink()
    (directory / "example.test.zone").symlink_to(directory / "alias" / "example.test.zone")
    current = provider.fetch("example.test")
    desired = current.copy()
    desired.add(RRset("www2.example.test.", "A", 300, ["192.0.2.9"]))
    assert provider.apply(plan_changes(current, desired)).complete
    assert "www2 300 IN A 192.0.2.9" in (directory / "alias" / "example.test.zone").read_text()
