"""Arrange helpers shared by the zone, sync, web and CLI tests: members, tokens, zone-file directories."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from dunops.accounts.access import Access, resolve
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.security.tokens import digest, new_api_token
from dunops.security.vault import Vault
from dunops.storage.models import ApiToken, Membership, Role, User, Workspace
from dunops.zones.kinds import ZoneDirectories

ZONE_TEXT = """$ORIGIN example.test.
@ 3600 IN SOA ns1.example.test. hostmaster.example.test. 1 10800 3600 604800 3600
@ 3600 IN NS ns1.example.test.
@ 3600 IN NS ns2.example.test.
@ 300 IN A 192.0.2.1
www 300 IN CNAME example.test.
mail 300 IN A 192.0.2.25
@ 300 IN MX 10 mail.example.test.
"""


def member(db: Session, slug: str, email: str, role: Role = Role.OWNER) -> tuple[User, Workspace]:
    """A user who is ``role`` in workspace ``slug`` (both created when missing); flushed, not committed."""
    user = db.query(User).filter_by(email=email).first() or User(email=email, name=email.split("@")[0])
    workspace = db.query(Workspace).filter_by(slug=slug).first() or Workspace(name=slug, slug=slug)
    db.add_all([user, workspace])
    db.flush()
    db.add(Membership(workspace_id=workspace.id, user_id=user.id, role=role))
    db.flush()
    return user, workspace


def api_token(db: Session, user: User, workspace: Workspace, role: Role = Role.OWNER) -> str:
    """A new API token of ``user`` for ``workspace``; returns the secret the client sends."""
    secret = new_api_token()
    db.add(
        ApiToken(
            workspace_id=workspace.id,
            user_id=user.id,
            name="test",
            prefix=secret[:8],
            token_hash=digest(secret),
            role=role,
        )
    )
    db.flush()
    return secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def grant_for(
    db: Session, user: User, slug: str, permission: Permission = Permission.WORKSPACE_READ
) -> Access:
    return resolve(db, Principal.system(user), slug, permission)


def vault_for(settings: Settings) -> Vault:
    return Vault.from_settings(settings)


def zone_directory(root: Path, text: str = ZONE_TEXT, name: str = "example.test") -> Path:
    """A directory holding ``<name>.zone``, as the zone-file provider reads it."""
    directory = root / "zonefiles"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.zone").write_text(text)
    return directory


def directories_for(settings: Settings, grant: Access) -> ZoneDirectories:
    """Where the workspace of ``grant`` may keep zone files under ``settings``."""
    return ZoneDirectories.for_workspace(settings, grant.workspace.id)
