import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunops.cli.main import app

CORPUS = Path(__file__).parent.parent / "dns" / "corpus"
runner = CliRunner()


def test_validate_good_file_exits_0_and_prints_warnings_with_positions() -> None:
    result = runner.invoke(app, ["zone", "validate", str(CORPUS / "tricky.zone")])
    assert result.exit_code == 0, result.output
    assert "example.com. is valid" in result.output


def test_validate_broken_file_exits_1_with_every_reason_on_its_own_line() -> None:
    result = runner.invoke(app, ["zone", "validate", str(CORPUS / "broken.zone")])
    assert result.exit_code == 1
    assert "broken.zone:5:7: invalid A value" in result.output
    assert "broken.zone:8:8: expected a record type" in result.output


def test_validate_reports_zone_errors_and_lenient_passes(tmp_path: Path) -> None:
    path = tmp_path / "z.db"
    path.write_text("www 300 CNAME x.\nwww 300 A 192.0.2.1\n")
    result = runner.invoke(app, ["zone", "validate", str(path), "--origin", "example.com"])
    assert result.exit_code == 1
    assert "z.db:1:1: www.example.com. CNAME: error: a CNAME cannot coexist with A" in result.output
    lenient = runner.invoke(app, ["zone", "validate", str(path), "--origin", "example.com", "--lenient"])
    assert lenient.exit_code == 0


def test_unreadable_file_and_unknown_extension_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["zone", "validate", str(tmp_path / "missing.zone")]).exit_code == 2
    (tmp_path / "x.conf").write_text("")
    assert runner.invoke(app, ["zone", "validate", str(tmp_path / "x.conf")]).exit_code == 2
    assert runner.invoke(app, ["zone", "convert", str(CORPUS / "tricky.zone"), "--to", "xml"]).exit_code == 2


@pytest.mark.parametrize("target", ["bind", "octodns", "json"])
def test_convert_writes_every_format_and_says_what_it_dropped(target: str) -> None:
    result = runner.invoke(app, ["zone", "convert", str(CORPUS / "tricky.zone"), "--to", target])
    assert result.exit_code == 0
    if target == "octodns":
        assert "dropped: example.com. SOA: octoDNS YAML has no SOA record" in result.output
    if target == "json":
        assert '"origin": "example.com."' in result.output


def test_diff_shows_changes_and_exit_code(tmp_path: Path) -> None:
    desired = tmp_path / "desired.zone"
    desired.write_text((CORPUS / "tricky.zone").read_text().replace("192.0.2.80", "192.0.2.81"))
    result = runner.invoke(app, ["zone", "diff", str(CORPUS / "tricky.zone"), str(desired), "--exit-code"])
    assert result.exit_code == 1
    assert "-*.wild.example.com. 5400 IN A 192.0.2.80" in result.output
    assert "needs acknowledgement: [wildcard:*.wild.example.com. A]" in result.output
    same = runner.invoke(
        app, ["zone", "diff", str(CORPUS / "tricky.zone"), str(CORPUS / "tricky.zone"), "--exit-code"]
    )
    assert same.exit_code == 0
    as_json = runner.invoke(app, ["zone", "diff", str(CORPUS / "tricky.zone"), str(desired), "--json"])
    assert json.loads(as_json.stdout)["changes"][0]["kind"] == "update"


def test_octodns_file_needs_origin() -> None:
    assert runner.invoke(app, ["zone", "validate", str(CORPUS / "octodns.yaml")]).exit_code == 2
    result = runner.invoke(
        app, ["zone", "validate", str(CORPUS / "octodns.yaml"), "--origin", "example.com."]
    )
    assert result.exit_code == 0, result.output


def _zone_with_include(tmp_path: Path, include: str = "parts/www.zone") -> Path:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "www.zone").write_text("www A 192.0.2.7\nmail A 192.0.2.25\n")
    main = tmp_path / "main.zone"
    main.write_text(f"$ORIGIN example.com.\n$TTL 300\n$INCLUDE {include}\n@ NS ns1.example.net.\n")
    return main


def test_include_is_refused_without_include_dir_with_file_and_line(tmp_path: Path) -> None:
    main = _zone_with_include(tmp_path)
    for command in (
        ["validate", str(main)],
        ["convert", str(main), "--to", "json"],
        ["diff", str(main), str(main)],
    ):
        result = runner.invoke(app, ["zone", *command])
        assert result.exit_code == 1, command
        assert f"{main}:3:1: $INCLUDE is refused" in result.output
        assert "--include-dir" in result.output


def test_include_dir_lets_include_read_files_inside_it(tmp_path: Path) -> None:
    main = _zone_with_include(tmp_path)
    result = runner.invoke(app, ["zone", "validate", str(main), "--include-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "(3 RRsets" in result.output
    converted = runner.invoke(
        app, ["zone", "convert", str(main), "--to", "json", "--include-dir", str(tmp_path)]
    )
    assert converted.exit_code == 0, converted.output
    names = {rrset["name"] for rrset in json.loads(converted.stdout)["rrsets"]}
    assert names == {"example.com.", "www.example.com.", "mail.example.com."}
    desired = tmp_path / "desired.zone"
    desired.write_text(main.read_text().replace("$INCLUDE parts/www.zone\n", "www A 192.0.2.8\n"))
    diff = runner.invoke(app, ["zone", "diff", str(main), str(desired), "--include-dir", str(tmp_path)])
    assert diff.exit_code == 0, diff.output
    assert "-www.example.com. 300 IN A 192.0.2.7" in diff.output
    assert "-mail.example.com. 300 IN A 192.0.2.25" in diff.output


def test_include_outside_the_directory_or_of_a_missing_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.zone").write_text("x A 192.0.2.1\n")
    (tmp_path / "zones").mkdir()
    main = tmp_path / "zones" / "main.zone"
    main.write_text("$ORIGIN example.com.\n$TTL 300\n$INCLUDE ../secret.zone\n$INCLUDE nothere.zone\n")
    result = runner.invoke(app, ["zone", "validate", str(main), "--include-dir", str(main.parent)])
    assert result.exit_code == 1
    assert f"{main}:3:1: $INCLUDE ../secret.zone is outside the allowed directory" in result.output
    assert f"{main}:4:1: cannot read $INCLUDE file nothere.zone" in result.output
    missing_dir = runner.invoke(app, ["zone", "validate", str(main), "--include-dir", str(tmp_path / "none")])
    assert missing_dir.exit_code == 2


def test_errors_inside_an_included_file_name_that_file(tmp_path: Path) -> None:
    main = _zone_with_include(tmp_path)
    (tmp_path / "parts" / "www.zone").write_text("www A 192.0.2.7\nbad A 999.0.2.1\n")
    result = runner.invoke(app, ["zone", "validate", str(main), "--include-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'parts' / 'www.zone'}:2:7: invalid A value" in result.output


def test_zone_commands_run_through_the_main_dunops_app(tmp_path: Path) -> None:
    tricky = str(CORPUS / "tricky.zone")
    result = runner.invoke(app, ["zone", "validate", tricky])
    assert result.exit_code == 0, result.output
    assert "example.com. is valid" in result.output
    output = tmp_path / "tricky.yaml"
    converted = runner.invoke(app, ["zone", "convert", tricky, "--to", "octodns", "-o", str(output)])
    assert converted.exit_code == 0, converted.output
    assert "dropped: example.com. SOA" in converted.output
    # what octoDNS would refuse is named, not written: the diff shows exactly those RRsets
    assert "dropped: _uri.example.com. URI: octoDNS cannot hold" in converted.output
    assert "dropped: bytes.example.com. TXT: octoDNS cannot hold" in converted.output
    diff = runner.invoke(app, ["zone", "diff", tricky, str(output), "--exit-code"])
    assert diff.exit_code == 1, diff.output
    assert "0 to create, 0 to update (0 TTL only), 2 to delete" in diff.output
    assert "delete _uri.example.com. URI" in diff.output
    main = _zone_with_include(tmp_path)
    included = runner.invoke(app, ["zone", "validate", str(main), "--include-dir", str(tmp_path)])
    assert included.exit_code == 0, included.output
    refused = runner.invoke(app, ["zone", "validate", str(main)])
    assert refused.exit_code == 1
    assert "$INCLUDE is refused" in refused.output
