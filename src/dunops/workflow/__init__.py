"""The change workflow: change requests, reviews, approvals, compare-and-set apply, deployments, rollback.

Importing the package registers its jobs (the apply of a deployment, the periodic expiry of requests).
"""

from dunops.workflow import jobs

__all__ = ["jobs"]
