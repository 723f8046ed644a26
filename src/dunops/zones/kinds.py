"""What a workspace may set on a connection: the providers' field specs minus what only the operator sets.

Two things would let a workspace admin act on the DunOps host, so they are kept from the API: operator-only
fields (the zone-file reload command) and zone-file directories outside the places the operator allows.
A zone-file directory is either relative — then it lives in the workspace's own folder under the data
dir, which no other workspace can name — or an absolute path inside one of ``DUNOPS_ZONEFILE_ROOTS``,
directories the operator shares on purpose (for example the one BIND serves from).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dunops.config import Settings
from dunops.errors import InvalidInput
from dunops.providers import kinds as provider_kinds

KINDS = provider_kinds.KINDS


@dataclass(frozen=True, slots=True)
class ZoneDirectories:
    """Where one workspace's zone-file connections may keep their files."""

    own: Path
    shared: tuple[Path, ...]
    # Every workspace's own folder lives here; none may reach into another's, whatever the roots say.
    private: Path

    @classmethod
    def for_workspace(cls, settings: Settings, workspace_id: int) -> ZoneDirectories:
        return cls(
            own=(settings.zones_dir / f"workspace-{workspace_id}").resolve(),
            shared=tuple(root.resolve() for root in settings.zonefile_roots),
            private=settings.zones_dir.resolve(),
        )

    def resolve(self, given: str) -> Path:
        """The absolute directory for a configured value, or InvalidInput naming ``config.directory``."""
        if "\x00" in given:
            raise InvalidInput.single("must not contain NUL characters", "config.directory")
        path = Path(given)
        if path.is_absolute():
            resolved = path.resolve()
            if resolved.is_relative_to(self.own):
                return resolved
            shared = any(resolved.is_relative_to(root) for root in self.shared)
            if shared and not resolved.is_relative_to(self.private):
                return resolved
            raise InvalidInput.single(
                "must be a relative path (kept in the workspace's own folder) or lie inside one of the "
                "directories the operator allows in DUNOPS_ZONEFILE_ROOTS",
                "config.directory",
            )
        resolved = (self.own / path).resolve()
        if not resolved.is_relative_to(self.own):
            raise InvalidInput.single(
                "must stay inside the workspace's own folder (no '..')", "config.directory"
            )
        resolved.mkdir(parents=True, exist_ok=True)
        return resolved


def validate(
    kind: str, config: Mapping[str, Any], secrets: Mapping[str, Any] | None, directories: ZoneDirectories
) -> tuple[dict[str, Any], dict[str, str]]:
    """The cleaned config and secrets for ``kind`` (the config alone when ``secrets`` is None);
    ``InvalidInput`` naming every bad field otherwise."""
    cleaned_config, cleaned_secrets = provider_kinds.check_fields(kind, config, secrets, operator=False)
    if kind == "zonefile":
        cleaned_config["directory"] = str(directories.resolve(str(cleaned_config["directory"])))
    return cleaned_config, {name: str(value) for name, value in cleaned_secrets.items()}
