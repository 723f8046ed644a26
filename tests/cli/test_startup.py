"""Start-up refuses what would lose or expose data: a missing or wrong master key while secrets are sealed,
settings it cannot read, and a data dir others can read. Each refusal is one line naming the problem."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dunops.config import Settings, load_settings
from dunops.errors import ConfigurationError
from dunops.security.master_key import new_master_key_text
from dunops.security.vault import Binding, Purpose, Vault, ensure_master_key
from dunops.storage.database import make_engine, make_session_factory, transaction, upgrade
from dunops.storage.models import Workspace
from tests.support import free_port

DUNOPS = Path(sys.executable).with_name("dunops")


def _environment(**extra: str) -> dict[str, str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("DUNOPS_")}
    return {**clean, **extra}


def _start(workdir: Path, command: str = "serve", **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``dunops COMMAND`` on the embedded database in ``workdir`` until it exits (it must refuse)."""
    arguments = [str(DUNOPS), command] + (["--port", str(free_port())] if command == "serve" else [])
    return subprocess.run(
        arguments,
        cwd=workdir,
        env=_environment(DUNOPS_DATA_DIR=str(workdir / ".dunops"), **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The refusal: exit 2 and one ``error:`` line, the last thing written (log lines may precede it)."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert [line for line in lines if line.startswith("error:")] == lines[-1:], result.stderr
    return lines[-1]


def _embedded_with_a_sealed_secret(workdir: Path) -> Settings:
    """An embedded install whose database holds one workspace secret sealed under its key file."""
    settings = Settings(data_dir=workdir / ".dunops")
    settings.prepare_data_dir()
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        vault = Vault(ensure_master_key(session, settings))
        workspace = Workspace(name="Acme", slug="acme")
        session.add(workspace)
        session.flush()
        vault.seal(session, Binding(workspace.id, 1, Purpose.CONNECTION_SECRETS), b'{"api_key": "x"}')
    engine.dispose()
    return settings


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_lost_key_file_stops_start_up_instead_of_making_a_new_key(tmp_path: Path, command: str) -> None:
    settings = _embedded_with_a_sealed_secret(tmp_path)
    settings.master_key_file.unlink()

    line = _one_line(_start(tmp_path, command))

    assert "master.key is missing" in line
    assert "1 workspace key(s) are sealed" in line
    assert "DUNOPS_MASTER_KEY" in line
    assert not settings.master_key_file.exists(), "a new key would leave every sealed secret unreadable"


def test_another_master_key_than_the_one_secrets_are_sealed_under_stops_start_up(tmp_path: Path) -> None:
    _embedded_with_a_sealed_secret(tmp_path)

    line = _one_line(_start(tmp_path, DUNOPS_MASTER_KEY=new_master_key_text()))

    assert line.startswith("error: DUNOPS_MASTER_KEY is master key mk_")
    assert "sealed under mk_" in line


@pytest.mark.parametrize("text", ["short", "x" * 20, "  "])
def test_a_master_key_of_the_wrong_form_stops_start_up(tmp_path: Path, text: str) -> None:
    line = _one_line(_start(tmp_path, DUNOPS_MASTER_KEY=text))
    assert "DUNOPS_MASTER_KEY" in line
    assert text.strip() not in line or not text.strip()


def test_a_fresh_install_makes_its_key_and_later_starts_reuse_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / ".dunops")
    settings.prepare_data_dir()
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        first = ensure_master_key(session, settings)
    assert stat.S_IMODE(settings.master_key_file.stat().st_mode) == 0o600
    with transaction(factory) as session:
        assert ensure_master_key(session, settings).key_id == first.key_id
    engine.dispose()


def test_without_a_key_a_shared_database_never_gets_one_made(db: Session, settings: Settings) -> None:
    shared = settings.model_copy(update={"database_url": "postgresql+psycopg://db.example/dunops"})
    shared.master_key_file.unlink()
    with pytest.raises(ConfigurationError, match="DUNOPS_MASTER_KEY is not set"):
        ensure_master_key(db, shared)
    assert not shared.master_key_file.exists()


def test_an_existing_data_dir_others_can_read_is_made_private_and_logged(tmp_path: Path) -> None:
    data_dir = tmp_path / ".dunops"
    (data_dir / "zones").mkdir(parents=True)
    data_dir.chmod(0o755)
    (data_dir / "zones").chmod(0o775)
    database = data_dir / "dunops.sqlite3"
    database.touch(mode=0o644)
    zone_file = data_dir / "zones" / "example.com.zone"
    zone_file.write_text("@ 3600 IN A 192.0.2.1\n")
    zone_file.chmod(0o664)

    # a refused start still tightens what it found: the key is wrong, but the files are private already
    result = _start(tmp_path, DUNOPS_MASTER_KEY="short", DUNOPS_LOG_JSON="true")
    assert result.returncode == 2

    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "zones").stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(zone_file.stat().st_mode) == 0o600
    assert "data dir permissions tightened" in result.stderr


def test_a_new_embedded_database_is_created_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / ".dunops")
    settings.prepare_data_dir()
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    engine.dispose()
    assert settings.sqlite_file is not None
    private = {path.name: stat.S_IMODE(path.stat().st_mode) for path in settings.data_dir.iterdir()}
    assert private["dunops.sqlite3"] == 0o600
    assert all(mode & 0o077 == 0 for mode in private.values()), private


def test_settings_that_cannot_be_read_stop_start_up_with_one_line(tmp_path: Path) -> None:
    line = _one_line(_start(tmp_path, DUNOPS_OIDC_PROVIDERS="not json"))
    assert line.startswith("error: DUNOPS_OIDC_PROVIDERS: must be JSON")


BAD_VALUES = {
    "port": "eighty",
    "environment": "staging",
    "log_json": "maybe",
    "session_idle_hours": "-1",
    "oidc_providers": "not json",
    "zonefile_roots": "[not json",
    "max_zone_rrsets": "0",
    "database_url": "mysql://db",
    "base_url": "example.com",
    "redis_url": "localhost:6379",
    "smtp_security": "ssl",
    "log_level": "loud",
    "worker": "perhaps",
    "web_processes": "0",
    "agent_backend": "gpt",
    "agent_base_url": "localhost:11434",
    "outbound_allow": "10.0.0.0/33",
    "outbound_deny": "[not json",
    "operator_emails": "ops@example.com, nobody",
    "rate_limit_api": "fast",
    "rate_limit_client": "600 a minute please",
    "rate_limit_sign_in": "often",
    "enforce_plans": "perhaps",
    "plans": '{"team": {"label": "Team"}}',
}


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_refuses_bad_input_in_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    """Each setting that can be malformed is refused as ``DUNOPS_<NAME>...: problem`` on one line."""
    annotation = Settings.model_fields[field].annotation
    bad = BAD_VALUES.get(field, "not-a-number" if annotation in (int, float) else None)
    if bad is None:
        free_form = (str, Path, Path | None, bool | None)
        secret = ("password", "master_key", "api_key", "secret_key", "webhook_secret", "sentry_dsn")
        assert annotation in free_form or field.endswith(secret), field
        return
    monkeypatch.setenv(f"DUNOPS_{field.upper()}", bad)
    with pytest.raises(ConfigurationError) as refused:
        load_settings()
    assert str(refused.value).startswith(f"DUNOPS_{field.upper()}")
    assert "\n" not in str(refused.value)


def test_zone_file_roots_take_a_path_list_as_well_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNOPS_ZONEFILE_ROOTS", "/srv/zones:/var/named")
    assert load_settings().zonefile_roots == [Path("/srv/zones"), Path("/var/named")]
    monkeypatch.setenv("DUNOPS_ZONEFILE_ROOTS", '["/srv/zones"]')
    assert load_settings().zonefile_roots == [Path("/srv/zones")]
