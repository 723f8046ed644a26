"""The change workflow: change requests, reviews, approvals, compare-and-set apply, deployments and rollback."""
