"""Mail through a real SMTP server on loopback (aiosmtpd): plain SMTP as configured, failures explained."""

from __future__ import annotations

import email
import email.policy
import logging

import pytest
import structlog
from pydantic import SecretStr
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import BackgroundWorker, queue_for
from dunops.notify import MailDeliveryFailed, send_mail
from dunops.notify.message import compose
from dunops.notify.transports import SmtpTransport
from tests.jobs.support import wait_for
from tests.notify.conftest import SmtpServer
from tests.support import free_port


def _smtp_settings(mail_settings: Settings, port: int, **extra: object) -> Settings:
    return mail_settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, **extra})


def test_mail_arrives_at_the_smtp_server(
    session: Session, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    settings = _smtp_settings(mail_settings, smtp_server.port)
    send_mail(
        session, settings, to="ada@example.com", subject="Welcome to DunOps", body="Hello Ada,\nwelcome."
    )
    session.commit()
    with BackgroundWorker(queue_for(settings), workers=1, periodic=False):
        assert wait_for(lambda: len(smtp_server.handler.received) == 1)

    [received] = smtp_server.handler.received
    assert received.sender == "dunops@example.test"
    assert received.recipients == ["ada@example.com"]
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Welcome to DunOps"
    assert message.get_content().replace("\r\n", "\n") == "Hello Ada,\nwelcome.\n"
    assert list(settings.outbox_dir.glob("*.eml")) == [], "with SMTP configured no outbox file is written"


def test_a_rolled_back_transaction_sends_no_smtp_mail(
    session: Session, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    settings = _smtp_settings(mail_settings, smtp_server.port)
    send_mail(session, settings, to="ada@example.com", subject="Never", body="x")
    session.rollback()
    assert queue_for(settings).run_pending() == 0
    assert smtp_server.handler.received == []


def test_an_unreachable_server_fails_the_delivery_with_its_address(mail_settings: Settings) -> None:
    port = free_port()
    mail = compose(sender=mail_settings.mail_from, to="ada@example.com", subject="s", body="b")
    with pytest.raises(MailDeliveryFailed, match=f"127.0.0.1:{port}"):
        SmtpTransport(_smtp_settings(mail_settings, port)).deliver(mail.id, mail.to, mail.raw)


def test_a_failed_login_never_reveals_the_password(
    mail_settings: Settings, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    password = "correct-horse-battery-staple"
    settings = _smtp_settings(
        mail_settings, smtp_server.port, smtp_username="dunops", smtp_password=SecretStr(password)
    )
    mail = compose(sender=settings.mail_from, to="ada@example.com", subject="s", body="b")
    transport = SmtpTransport(settings)
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs, pytest.raises(MailDeliveryFailed) as failed:
        transport.deliver(mail.id, mail.to, mail.raw)
    assert "127.0.0.1" in str(failed.value)
    assert password not in str(failed.value)
    assert password not in repr(transport)
    assert password not in caplog.text
    assert password not in repr(logs)
    assert smtp_server.handler.received == []


def test_starttls_against_a_plain_server_is_refused_not_downgraded(
    mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    settings = _smtp_settings(mail_settings, smtp_server.port, smtp_security="starttls")
    mail = compose(sender=settings.mail_from, to="ada@example.com", subject="s", body="b")
    with pytest.raises(MailDeliveryFailed, match=r"(?i)starttls"):
        SmtpTransport(settings).deliver(mail.id, mail.to, mail.raw)
    assert smtp_server.handler.received == []
