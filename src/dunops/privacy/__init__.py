"""Privacy services: data export, correction, deletion, purge and backup ageing.

Importing the package registers its jobs (exports, the purge of deleted workspaces).
"""

from dunops.privacy import export, purge

__all__ = ["export", "purge"]
