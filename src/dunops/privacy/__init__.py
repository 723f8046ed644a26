"""Privacy services: data export, correction, deletion, purge, backups, data requests, policy documents,
error traces and the retention of technical data.

Importing the package registers its jobs (exports, the purge of deleted workspaces, the pruning of
backups, reminders of data requests due, the purge of technical data past its retention).
"""

from dunops.privacy import backups, export, purge, requests, retention

__all__ = ["backups", "export", "purge", "requests", "retention"]
