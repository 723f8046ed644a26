"""``dunops zone`` runs in CI jobs and pre-commit hooks: it loads the DNS engine alone, never the
command-line framework, the web framework, the database, the queue, identity or cloud SDKs, and a zone
of common record types does not even load dnspython."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent.parent / "dns" / "corpus"
DUNOPS = [sys.executable, "-c", "import sys; from dunops.cli.entry import main; sys.exit(main())"]
"""``dunops`` as the installed script runs it."""
SERVICE_PACKAGES = frozenset(
    {
        "fastapi",
        "starlette",
        "uvicorn",
        "sqlalchemy",
        "alembic",
        "psycopg",
        "huey",
        "redis",
        "boto3",
        "botocore",
        "httpx",
        "httpcore",
        "authlib",
        "joserfc",
        "jinja2",
        "cryptography",
        "structlog",
        "prometheus_client",
        "email_validator",
        "multipart",
        "typer",
        "click",
        "pydantic",
        "pydantic_core",
        "rich",
    }
)


def _imported(*arguments: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``dunops ARGUMENTS`` as the installed script does, with ``-X importtime``; the top-level
    packages it imported."""
    done = subprocess.run(
        [DUNOPS[0], "-X", "importtime", *DUNOPS[1:], *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )
    packages = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return done, packages


@pytest.mark.parametrize(
    "arguments",
    [
        ["zone", "validate", str(CORPUS / "tricky.zone")],
        ["zone", "validate", str(CORPUS / "octodns.yaml"), "--origin", "example.com."],
        ["zone", "convert", str(CORPUS / "tricky.zone"), "--to", "octodns"],
        ["zone", "diff", str(CORPUS / "tricky.zone"), str(CORPUS / "tricky.zone")],
    ],
)
def test_zone_commands_load_only_the_engine(arguments: list[str]) -> None:
    done, packages = _imported(*arguments)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "dunops" in packages  # the measurement saw the engine load
    assert packages & SERVICE_PACKAGES == set()
    dunops_modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and line.rsplit("|", 1)[1].strip().startswith("dunops.")
    }
    assert {module.split(".")[1] for module in dunops_modules} <= {"cli", "dns", "errors"}


def test_help_still_lists_every_command() -> None:
    done, _ = _imported("--help")
    assert done.returncode == 0, done.stderr[-2000:]
    for command in ["db", "users", "zone", "zones", "changes", "serve", "worker", "outbox", "policy"]:
        assert f" {command} " in done.stdout


def test_a_yaml_zone_of_common_types_is_checked_without_dnspython(tmp_path: Path) -> None:
    zone = tmp_path / "example.com.yaml"
    zone.write_text(
        "'':\n"
        "  - type: A\n    value: 192.0.2.1\n"
        "  - type: AAAA\n    value: 2001:db8::1\n"
        "  - type: MX\n    value:\n      exchange: mail.example.com.\n      preference: 10\n"
        "  - type: TXT\n    value: v=spf1 mx -all\n"
        "mail:\n  type: A\n  value: 192.0.2.25\n"
        "www:\n  type: CNAME\n  value: example.com.\n"
    )
    done, packages = _imported("zone", "validate", str(zone), "--origin", "example.com.")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "example.com. is valid (6 RRsets" in done.stdout
    assert "yaml" in packages
    assert packages & (SERVICE_PACKAGES | {"dns", "idna"}) == set()


def test_zone_help_and_usage_errors_come_from_the_zone_command() -> None:
    done, _ = _imported("zone", "--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(command in done.stdout for command in ("validate", "convert", "diff"))
    wrong = subprocess.run(
        [*DUNOPS, "zone", "validate"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 2
    assert "dunops zone validate: error: the following arguments are required: FILE" in wrong.stderr


@pytest.mark.parametrize("columns", ["0", "-5", "wide", "100"])
def test_zone_help_is_laid_out_whatever_columns_says(columns: str) -> None:
    done = subprocess.run(
        [*DUNOPS, "zone", "validate", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": columns},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Check id to switch off (repeatable)." in " ".join(done.stdout.split())
    assert max(len(line) for line in done.stdout.splitlines()) <= (98 if columns == "100" else 78)
