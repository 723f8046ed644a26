"""A refusal with a flood of problems prints the first 100, each cut to a bounded length, and a count."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Invoke


def test_a_flood_of_problems_prints_the_first_100_and_how_many_more(cli: Invoke, tmp_path: Path) -> None:
    desired = tmp_path / "desired.zone"
    bad_lines = "".join(f"h{n} 300 IN A 192.0.2.{'9' * 10_000}\n" for n in range(150))
    desired.write_text("$ORIGIN example.test.\n" + bad_lines)
    member = ["--email", "a@example.com", "--workspace", "acme"]
    result = cli("zones", "plan", *member, "example.test", "--desired", desired)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"error: {desired}: 150 problem(s) reading the zone file"
    assert len(lines) == 1 + 100 + 1
    assert lines[1].startswith(f"  {desired}:2:13: invalid A value '192.0.2.999")
    assert all(len(line) < 1_100 for line in lines)
    assert lines[-1] == "  ... and 50 more"
