"""Privacy services: data export, correction, deletion, purge and backup ageing.

Importing the package registers its jobs (exports, the purge of deleted workspaces, the pruning of backups).
"""

from dunops.privacy import backups, export, purge

__all__ = ["backups", "export", "purge"]
