"""Who is acting: a signed-in user (browser session or CLI) or an API token bound to one workspace."""

from __future__ import annotations

from dataclasses import dataclass

from dunops.storage.models import ApiToken, User


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    token: ApiToken | None = None
    client_address: str = ""

    @property
    def label(self) -> str:
        if self.token is not None:
            return f"{self.user.email} (token {self.token.prefix})"
        return self.user.email

    @classmethod
    def system(cls, user: User) -> Principal:
        """The operator acting through the CLI on a user's behalf."""
        return cls(user=user, client_address="cli")
