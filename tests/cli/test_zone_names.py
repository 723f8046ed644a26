"""``dunops zones import`` refuses a zone name that is no plain DNS name, saying why, and keeps no file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dunops.cli.main import app
from dunops.config import Settings
from tests.cli.conftest import add_zone_files
from tests.zones.helpers import ZONE_TEXT, member, zone_directory

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("cli")
AS_OWNER = ["--email", "owner@example.com", "--workspace", "acme"]


@pytest.fixture(autouse=True)
def owner(db: Session) -> None:
    member(db, "acme", "owner@example.com")
    db.commit()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/etc/x", "name: label '/etc/x' holds '/'"),
        ("a/b.example", "name: label 'a/b' holds '/'"),
        ("a\\b.example", "name: label 'a\\\\b' holds '\\\\'"),
        ("*.example.test", "name: label '*' holds '*'"),
    ],
)
def test_a_hostile_zone_name_is_refused_from_a_file_and_from_a_connection(
    tmp_path: Path, settings: Settings, name: str, reason: str
) -> None:
    directory = zone_directory(tmp_path)
    assert add_zone_files(directory, *AS_OWNER).exit_code == 0
    source = tmp_path / "upload.zone"
    source.write_text(ZONE_TEXT)
    for source_option in (["--connection", "1"], ["--file", str(source)]):
        result = runner.invoke(app, ["zones", "import", *AS_OWNER, name, *source_option])
        assert result.exit_code == 1, result.output
        assert reason in result.output
    assert runner.invoke(app, ["zones", "list", *AS_OWNER]).output == ""
    assert list(settings.imports_dir.iterdir()) == []
    assert sorted(path.name for path in directory.iterdir()) == ["example.test.zone"]
