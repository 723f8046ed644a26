"""Notifications: the email outbox (files or SMTP)."""
