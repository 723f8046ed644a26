"""Accounts: people, sign-in, sessions, workspaces, memberships, invitations, API tokens, permissions."""
