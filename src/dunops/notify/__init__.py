"""Notifications: the email outbox, delivered by a job to SMTP or to ``.eml`` files in the data dir."""

from dunops.notify.message import Mail
from dunops.notify.outbox import read_mail, recent_mails, send_mail, send_mail_now
from dunops.notify.transports import MailDeliveryFailed

__all__ = ["Mail", "MailDeliveryFailed", "read_mail", "recent_mails", "send_mail", "send_mail_now"]
