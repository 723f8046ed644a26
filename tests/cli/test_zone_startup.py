"""``dunops zone`` runs in CI jobs and pre-commit hooks: it loads the DNS engine and the command-line
framework, never the web framework, the database, the queue, identity or cloud SDKs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent.parent / "dns" / "corpus"
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
    }
)


def _imported(*arguments: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``dunops ARGUMENTS`` as the installed script does, with ``-X importtime``; the top-level
    packages it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from dunops.cli.main import app; app()", *arguments],
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
    assert {"dunops", "dns"} <= packages  # the measurement saw the engine load
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
