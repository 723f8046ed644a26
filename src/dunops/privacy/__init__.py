"""Privacy services: data export, correction, deletion, purge, backups, data requests, policy documents.

Importing the package registers its jobs (exports, the purge of deleted workspaces, the pruning of
backups, reminders of data requests due).
"""

from dunops.privacy import backups, export, purge, requests

__all__ = ["backups", "export", "purge", "requests"]
