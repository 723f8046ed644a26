import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunops.cli.zone import zone_app

CORPUS = Path(__file__).parent.parent / "dns" / "corpus"
runner = CliRunner()


def test_validate_good_file_exits_0_and_prints_warnings_with_positions() -> None:
    result = runner.invoke(zone_app, ["validate", str(CORPUS / "tricky.zone")])
    assert result.exit_code == 0, result.output
    assert "example.com. is valid" in result.output


def test_validate_broken_file_exits_1_with_every_reason_on_its_own_line() -> None:
    result = runner.invoke(zone_app, ["validate", str(CORPUS / "broken.zone")])
    assert result.exit_code == 1
    assert "broken.zone:5:7: invalid A value" in result.output
    assert "broken.zone:8:8: expected a record type" in result.output


def test_validate_reports_zone_errors_and_lenient_passes(tmp_path: Path) -> None:
    path = tmp_path / "z.db"
    path.write_text("www 300 CNAME x.\nwww 300 A 192.0.2.1\n")
    result = runner.invoke(zone_app, ["validate", str(path), "--origin", "example.com"])
    assert result.exit_code == 1
    assert "z.db:1: www.example.com. CNAME: error: a CNAME cannot coexist with A" in result.output
    lenient = runner.invoke(zone_app, ["validate", str(path), "--origin", "example.com", "--lenient"])
    assert lenient.exit_code == 0


def test_unreadable_file_and_unknown_extension_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(zone_app, ["validate", str(tmp_path / "missing.zone")]).exit_code == 2
    (tmp_path / "x.conf").write_text("")
    assert runner.invoke(zone_app, ["validate", str(tmp_path / "x.conf")]).exit_code == 2
    assert runner.invoke(zone_app, ["convert", str(CORPUS / "tricky.zone"), "--to", "xml"]).exit_code == 2


@pytest.mark.parametrize("target", ["bind", "octodns", "json"])
def test_convert_writes_every_format_and_says_what_it_dropped(target: str) -> None:
    result = runner.invoke(zone_app, ["convert", str(CORPUS / "tricky.zone"), "--to", target])
    assert result.exit_code == 0
    if target == "octodns":
        assert "dropped: example.com. SOA: octoDNS YAML has no SOA record" in result.output
    if target == "json":
        assert '"origin": "example.com."' in result.output


def test_diff_shows_changes_and_exit_code(tmp_path: Path) -> None:
    desired = tmp_path / "desired.zone"
    desired.write_text((CORPUS / "tricky.zone").read_text().replace("192.0.2.80", "192.0.2.81"))
    result = runner.invoke(zone_app, ["diff", str(CORPUS / "tricky.zone"), str(desired), "--exit-code"])
    assert result.exit_code == 1
    assert "-*.wild.example.com. 5400 IN A 192.0.2.80" in result.output
    assert "needs acknowledgement: [wildcard:*.wild.example.com. A]" in result.output
    same = runner.invoke(
        zone_app, ["diff", str(CORPUS / "tricky.zone"), str(CORPUS / "tricky.zone"), "--exit-code"]
    )
    assert same.exit_code == 0
    as_json = runner.invoke(zone_app, ["diff", str(CORPUS / "tricky.zone"), str(desired), "--json"])
    assert json.loads(as_json.stdout)["changes"][0]["kind"] == "update"


def test_octodns_file_needs_origin() -> None:
    assert runner.invoke(zone_app, ["validate", str(CORPUS / "octodns.yaml")]).exit_code == 2
    result = runner.invoke(zone_app, ["validate", str(CORPUS / "octodns.yaml"), "--origin", "example.com."])
    assert result.exit_code == 0, result.output
