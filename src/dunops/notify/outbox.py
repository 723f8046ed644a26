"""The email outbox: ``send_mail`` queues a delivery job that runs once the caller's transaction commits.

Delivery goes through the job queue (:mod:`dunops.jobs`) to SMTP when ``DUNOPS_SMTP_HOST`` is set, and
otherwise to one ``.eml`` file per mail in ``<data dir>/outbox``, which ``dunops outbox`` lists.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.errors import NotFound
from dunops.jobs import JobContext, enqueue, enqueue_after_commit, job
from dunops.notify.message import MAIL_ID_PATTERN, Mail, compose, parse
from dunops.notify.transports import FileOutbox, MailDeliveryFailed, transport_for

DELIVER_MAIL = "notify.deliver_mail"


def send_mail(session: Session, settings: Settings, *, to: str, subject: str, body: str) -> None:
    """Queue one plain-text mail to ``to``; it is delivered only if ``session``'s transaction commits.

    Raises ``InvalidInput`` (naming ``to`` or ``subject``) for a bad address or a multi-line subject.
    """
    mail = compose(sender=settings.mail_from, to=to, subject=subject, body=body)
    enqueue_after_commit(session, settings, DELIVER_MAIL, mail_id=mail.id, to=mail.to, raw=mail.raw)


def send_mail_now(settings: Settings, *, to: str, subject: str, body: str) -> None:
    """Deliver one mail at once, without passing its text through the job queue's storage (a deletion
    receipt must not leave what it names behind); queued for retries only when delivery fails."""
    mail = compose(sender=settings.mail_from, to=to, subject=subject, body=body)
    try:
        transport_for(settings).deliver(mail.id, mail.to, mail.raw)
    except MailDeliveryFailed:
        enqueue(settings, DELIVER_MAIL, mail_id=mail.id, to=mail.to, raw=mail.raw)


@job(DELIVER_MAIL, retries=5, retry_delay=60)
def deliver_mail(context: JobContext, *, mail_id: str, to: str, raw: bytes) -> None:
    """The delivery job: hand one composed message to the configured transport."""
    transport_for(context.settings).deliver(mail_id, to, raw)


def recent_mails(settings: Settings, limit: int = 20) -> list[Mail]:
    """The newest mails in the outbox directory, newest first."""
    outbox = FileOutbox(settings.outbox_dir)
    ids = outbox.mail_ids()[::-1][: max(limit, 0)]
    return [parse(mail_id, outbox.path_of(mail_id).read_bytes()) for mail_id in ids]


def read_mail(settings: Settings, mail_id: str) -> Mail:
    """One mail of the outbox by id (the full id, or its random suffix as listed)."""
    outbox = FileOutbox(settings.outbox_dir)
    wanted = mail_id.strip()
    matches = [
        known
        for known in outbox.mail_ids()
        if MAIL_ID_PATTERN.match(known) and (known == wanted or known.endswith(f"-{wanted}"))
    ]
    if len(matches) != 1 or not wanted:
        raise NotFound(f"no mail {mail_id!r} in the outbox")
    return parse(matches[0], outbox.path_of(matches[0]).read_bytes())
