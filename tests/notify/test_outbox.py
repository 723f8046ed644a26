"""``send_mail`` to the outbox directory: delivered by the job queue, only when the transaction commits."""

from __future__ import annotations

import email
import email.policy
import stat
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.errors import InvalidInput, NotFound
from dunops.jobs import BackgroundWorker, queue_for
from dunops.notify import read_mail, recent_mails, send_mail
from tests.jobs.support import wait_for


def _outbox_files(settings: Settings) -> list[Path]:
    return sorted(settings.outbox_dir.glob("*"))


def test_a_committed_mail_is_written_by_a_real_consumer(db: Session, mail_settings: Settings) -> None:
    send_mail(
        db, mail_settings, to="ada@example.com", subject="Your sign-in link", body="Open this:\nhttps://x/"
    )
    assert _outbox_files(mail_settings) == [], "nothing is delivered before the commit"
    db.commit()
    with BackgroundWorker(queue_for(mail_settings), workers=1, periodic=False):
        assert wait_for(lambda: len(_outbox_files(mail_settings)) == 1)

    [path] = _outbox_files(mail_settings)
    assert path.suffix == ".eml"
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "ada@example.com"
    assert message["From"] == "DunOps <dunops@example.test>"
    assert message["Subject"] == "Your sign-in link"
    assert message["Message-ID"]
    assert message["Date"]
    assert message.get_content().replace("\r\n", "\n") == "Open this:\nhttps://x/\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "mails carry sign-in links: owner-only"


def test_a_rolled_back_request_sends_nothing(db: Session, mail_settings: Settings) -> None:
    send_mail(db, mail_settings, to="ada@example.com", subject="Never sent", body="x")
    db.rollback()
    db.commit()
    assert queue_for(mail_settings).run_pending() == 0
    assert _outbox_files(mail_settings) == []
    assert recent_mails(mail_settings) == []


def test_immediate_mode_delivers_at_commit(session: Session, mail_settings: Settings) -> None:
    queue_for(mail_settings).immediate = True
    send_mail(session, mail_settings, to="bob@example.com", subject="Hello", body="Hi Bob")
    assert _outbox_files(mail_settings) == []
    session.commit()
    [mail] = recent_mails(mail_settings)
    assert (mail.to, mail.subject, mail.body) == ("bob@example.com", "Hello", "Hi Bob\n")


def test_the_outbox_lists_newest_first_and_files_sort_by_time(
    session: Session, mail_settings: Settings
) -> None:
    for number in range(3):
        send_mail(session, mail_settings, to=f"user{number}@example.com", subject=f"Mail {number}", body="b")
        session.commit()
        queue_for(mail_settings).run_pending()
    files = _outbox_files(mail_settings)
    assert [path.name.startswith(".") for path in files] == [False, False, False], "no temporary files left"
    subjects_by_name = [read_mail(mail_settings, path.stem).subject for path in files]
    assert subjects_by_name == ["Mail 0", "Mail 1", "Mail 2"]
    assert [mail.subject for mail in recent_mails(mail_settings)] == ["Mail 2", "Mail 1", "Mail 0"]
    assert [mail.subject for mail in recent_mails(mail_settings, limit=1)] == ["Mail 2"]


def test_a_mail_is_found_by_its_short_or_full_id(session: Session, mail_settings: Settings) -> None:
    send_mail(session, mail_settings, to="ada@example.com", subject="Find me", body="here")
    session.commit()
    queue_for(mail_settings).run_pending()
    [mail] = recent_mails(mail_settings)
    short_id = mail.id.rsplit("-", 1)[-1]
    assert read_mail(mail_settings, short_id).subject == "Find me"
    assert read_mail(mail_settings, mail.id).body == "here\n"
    for unknown in ("0" * 12, "", "../outbox", mail.id[:8]):
        with pytest.raises(NotFound):
            read_mail(mail_settings, unknown)


def test_bad_recipient_and_subject_are_refused_with_their_fields(
    session: Session, mail_settings: Settings
) -> None:
    with pytest.raises(InvalidInput) as refused:
        send_mail(session, mail_settings, to="not an address", subject="two\nlines", body="x")
    assert {problem.location for problem in refused.value.problems} == {"to", "subject"}
    with pytest.raises(InvalidInput):
        send_mail(session, mail_settings, to="a@example.com, b@example.com", subject="s", body="x")
    session.commit()
    assert queue_for(mail_settings).pending() == 0
