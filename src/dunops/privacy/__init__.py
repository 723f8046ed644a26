"""Privacy services: data export, correction, deletion, purge and backup ageing.

Importing the package registers its jobs (the purge of deleted workspaces).
"""

from dunops.privacy import purge

__all__ = ["purge"]
