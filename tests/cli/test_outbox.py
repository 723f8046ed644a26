"""``dunops outbox``: list the newest mails of the local outbox and show one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dunops.cli import context
from dunops.cli.main import app
from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.notify import send_mail


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DUNOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DUNOPS_SMTP_HOST", raising=False)
    context.settings.cache_clear()
    yield tmp_path / "data"
    context.settings.cache_clear()


def _deliver(data_dir: Path, *mails: tuple[str, str, str]) -> None:
    settings = Settings(data_dir=data_dir)
    engine = create_engine("sqlite://")
    with Session(engine) as session:
        for to, subject, body in mails:
            send_mail(session, settings, to=to, subject=subject, body=body)
            session.commit()
    engine.dispose()
    queue_for(settings).run_pending()


def test_outbox_lists_recent_mails_newest_first(data_dir: Path) -> None:
    _deliver(data_dir, ("ada@example.com", "First", "one"), ("bob@example.com", "Second", "two"))
    result = CliRunner().invoke(app, ["outbox"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert "bob@example.com" in lines[0]
    assert "Second" in lines[0]
    assert "ada@example.com" in lines[1]
    assert "First" in lines[1]
    limited = CliRunner().invoke(app, ["outbox", "--limit", "1"])
    assert limited.output.strip().splitlines() == lines[:1]


def test_outbox_show_prints_the_whole_mail(data_dir: Path) -> None:
    _deliver(data_dir, ("ada@example.com", "Your link", "Open https://dunops.example/auth/magic/abc"))
    listing = CliRunner().invoke(app, ["outbox"])
    mail_id = listing.output.split()[0]
    shown = CliRunner().invoke(app, ["outbox", "show", mail_id])
    assert shown.exit_code == 0, shown.output
    assert "To: ada@example.com" in shown.output
    assert "Subject: Your link" in shown.output
    assert "Open https://dunops.example/auth/magic/abc" in shown.output


def test_outbox_show_of_an_unknown_id_is_refused(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["outbox", "show", "000000000000"])
    assert result.exit_code == 1
    assert "no mail" in result.output


def test_an_empty_outbox_says_so(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["outbox"])
    assert result.exit_code == 0
    assert "empty" in result.output
