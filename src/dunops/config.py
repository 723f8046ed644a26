"""Settings: one validated object built from ``DUNOPS_*`` environment variables.

A bad setting stops start-up with one line naming the variable and what is wrong
(:func:`load_settings` raises ``ConfigurationError``).
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Annotated, Any, Literal

import limits
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from dunops.errors import ConfigurationError

ENV_PREFIX = "DUNOPS_"


class DatabaseOptions(BaseModel):
    """How many connections a process keeps, and how long a request waits for one or for a lock."""

    model_config = ConfigDict(frozen=True)

    pool_size: int = 20
    pool_timeout: float = 10.0
    busy_timeout: float = 10.0


class OidcProviderSettings(BaseModel):
    """One sign-in provider; configured as JSON in ``DUNOPS_OIDC_PROVIDERS``."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    label: str = ""
    kind: Literal["oidc", "github"] = "oidc"
    discovery_url: str = ""
    client_id: str
    client_secret: SecretStr = SecretStr("")
    scope: str = "openid email profile"
    authorize_url: str = "https://github.com/login/oauth/authorize"
    token_url: str = "https://github.com/login/oauth/access_token"
    api_url: str = "https://api.github.com"

    model_config = ConfigDict(extra="forbid")

    @property
    def display_name(self) -> str:
        return self.label or self.name.capitalize()


class PlanLimits(BaseModel):
    """What a workspace on one plan may hold; configured as JSON in ``DUNOPS_PLANS`` (name -> limits)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    zones: int = Field(ge=0)
    zone_rrsets: int = Field(ge=1)
    change_rrsets: int = Field(ge=1)
    connections: int = Field(ge=0)
    members: int = Field(ge=1)
    agent_messages_per_day: int = Field(ge=0)
    stripe_price: str = ""


DEFAULT_PLANS: dict[str, PlanLimits] = {
    "free": PlanLimits(
        label="Free",
        zones=3,
        zone_rrsets=500,
        change_rrsets=100,
        connections=1,
        members=3,
        agent_messages_per_day=20,
    ),
    "team": PlanLimits(
        label="Team",
        zones=50,
        zone_rrsets=20_000,
        change_rrsets=2_000,
        connections=10,
        members=25,
        agent_messages_per_day=500,
    ),
    "business": PlanLimits(
        label="Business",
        zones=1_000,
        zone_rrsets=2_000_000,
        change_rrsets=20_000,
        connections=100,
        members=500,
        agent_messages_per_day=5_000,
    ),
}


def _rate(value: str) -> str:
    """A rate such as ``600/minute`` or ``20 per 10 minutes``, as the ``limits`` library reads them."""
    try:
        limits.parse(value)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a rate such as 600/minute") from exc
    return value


class Settings(BaseSettings):
    """Every setting DunOps reads. The README's configuration reference mirrors this class."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    base_url: str = ""
    data_dir: Path = Path(".dunops")
    database_url: str = ""
    redis_url: str = ""
    master_key: SecretStr = SecretStr("")
    environment: Literal["development", "production"] = "development"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_json: bool | None = None

    session_idle_hours: float = Field(default=12, gt=0)
    session_absolute_days: float = Field(default=14, gt=0)
    magic_link_minutes: int = Field(default=15, ge=1, le=1440)
    magic_link_per_hour: int = Field(default=5, ge=1)
    first_owner_link_hours: int = Field(default=24, ge=1)
    invitation_days: int = Field(default=7, ge=1)
    change_expiry_days: int = Field(default=7, ge=1)

    oidc_providers: list[OidcProviderSettings] = Field(default_factory=list)
    oidc_timeout_seconds: float = Field(default=10, gt=0)

    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    mail_from: str = "DunOps <dunops@localhost>"

    zonefile_roots: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    outbound_allow: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)
    outbound_deny: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)

    max_zone_rrsets: int = Field(default=2_000_000, ge=1)
    max_upload_mb: int = Field(default=512, ge=1)

    database_pool_size: int = Field(default=20, ge=1, le=500)
    database_pool_timeout_seconds: float = Field(default=10, gt=0)
    database_busy_timeout_seconds: float = Field(default=10, gt=0)

    deletion_grace_days: int = Field(default=7, ge=0, le=30)
    export_link_hours: int = Field(default=24, ge=1, le=24)
    backup_dir: Path | None = None
    backup_retention_days: int = Field(default=90, ge=1, le=90)
    operator_emails: Annotated[list[str], NoDecode] = Field(default_factory=list)
    request_log_days: int = Field(default=30, ge=1, le=90)
    error_trace_days: int = Field(default=30, ge=1, le=90)
    usage_metrics_days: int = Field(default=400, ge=1, le=800)

    rate_limit_api: str = "600/minute"
    rate_limit_client: str = "1200/minute"
    rate_limit_sign_in: str = "30/minute"
    plans: dict[str, PlanLimits] = Field(default_factory=lambda: dict(DEFAULT_PLANS))
    enforce_plans: bool = False

    stripe_secret_key: SecretStr = SecretStr("")
    stripe_webhook_secret: SecretStr = SecretStr("")
    stripe_api_base: str = ""
    sentry_dsn: SecretStr = SecretStr("")

    web_processes: int = Field(default=1, ge=1, le=64)
    worker: bool = True
    worker_threads: int = Field(default=2, ge=1, le=64)

    agent_backend: Literal["offline", "openai", "anthropic"] = "offline"
    agent_base_url: str = ""
    agent_model: str = Field(default="", validate_default=True)
    agent_api_key: SecretStr = SecretStr("")
    agent_timeout_seconds: float = Field(default=60, gt=0)
    agent_max_retries: int = Field(default=2, ge=0, le=10)
    agent_max_tool_calls: int = Field(default=12, ge=1, le=100)
    agent_daily_messages: int = Field(default=500, ge=0)

    apply_lease_seconds: float = Field(default=120, ge=1, le=86400)
    reconcile_seconds: float = Field(default=60, ge=1, le=86400)
    outbox_resend_seconds: float = Field(default=60, ge=1, le=86400)
    verify_deadline_seconds: float = Field(default=300, ge=1, le=86400)
    verify_query_timeout_seconds: float = Field(default=2, gt=0, le=60)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("agent_base_url")
    @classmethod
    def _agent_base_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("agent_model")
    @classmethod
    def _agent_model(cls, value: str, info: ValidationInfo) -> str:
        if not value and info.data.get("agent_backend", "offline") != "offline":
            raise ValueError("is required when DUNOPS_AGENT_BACKEND is openai or anthropic")
        return value

    @field_validator("rate_limit_api", "rate_limit_client", "rate_limit_sign_in")
    @classmethod
    def _rates(cls, value: str) -> str:
        return _rate(value)

    @field_validator("plans")
    @classmethod
    def _plans(cls, value: dict[str, PlanLimits]) -> dict[str, PlanLimits]:
        if "free" not in value:
            raise ValueError("must define the plan 'free', which every new workspace starts on")
        return value

    @property
    def billing_enabled(self) -> bool:
        """Stripe Checkout and the customer portal: only with a secret key and a webhook secret."""
        return bool(
            self.stripe_secret_key.get_secret_value() and self.stripe_webhook_secret.get_secret_value()
        )

    @field_validator("zonefile_roots", mode="before")
    @classmethod
    def _zonefile_roots(cls, value: Any) -> Any:
        """Directories separated by ``:`` as in PATH, or a JSON list."""
        if not isinstance(value, str):
            return value
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [part for part in value.split(os.pathsep) if part]

    @field_validator("outbound_allow", "outbound_deny", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        """Networks (CIDR, or single addresses) separated by commas, or a JSON list."""
        if not isinstance(value, str):
            return value
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [part.strip() for part in value.split(",") if part.strip()]

    @field_validator("operator_emails", mode="before")
    @classmethod
    def _operator_emails(cls, value: Any) -> Any:
        """Addresses separated by commas, or a JSON list."""
        if not isinstance(value, str):
            return value
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [part.strip() for part in value.split(",") if part.strip()]

    @field_validator("operator_emails")
    @classmethod
    def _operator_addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or any(character.isspace() for character in address):
                raise ValueError(f"'{address}' is not an email address")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        if value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value

    @property
    def public_url(self) -> str:
        """Where links point: ``DUNOPS_BASE_URL``; else the URL ``dunops serve`` recorded in the data dir
        (``public-url``), so the CLI and workers of the install link to where it serves whatever their
        own ``DUNOPS_PORT``; else this process's host and port."""
        if self.base_url:
            return self.base_url
        try:
            recorded = (self.data_dir / "public-url").read_text(encoding="utf-8").strip()
        except OSError:
            recorded = ""
        return recorded if recorded.startswith(("http://", "https://")) else f"http://{self.host}:{self.port}"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'dunops.sqlite3'}"

    @property
    def is_embedded_database(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def database_options(self) -> DatabaseOptions:
        return DatabaseOptions(
            pool_size=self.database_pool_size,
            pool_timeout=self.database_pool_timeout_seconds,
            busy_timeout=self.database_busy_timeout_seconds,
        )

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def zones_dir(self) -> Path:
        return self.data_dir / "zones"

    @property
    def imports_dir(self) -> Path:
        return self.data_dir / "imports"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def logs_dir(self) -> Path:
        """Where the request log files go (``requests-YYYY-MM-DD.jsonl``)."""
        return self.data_dir / "logs"

    @property
    def backups_dir(self) -> Path:
        """Where ``dunops backup`` writes: ``DUNOPS_BACKUP_DIR``, else ``<data dir>/backups``."""
        return self.backup_dir or self.data_dir / "backups"

    @property
    def master_key_file(self) -> Path:
        return self.data_dir / "master.key"

    @property
    def sqlite_file(self) -> Path | None:
        """The embedded database's file, when the database is the embedded default."""
        return None if self.database_url else self.data_dir / "dunops.sqlite3"

    def prepare_data_dir(self) -> list[Path]:
        """Create the data dir, and make it and everything in it private to the service's user.

        Only the service's own user may read the database, the key file, the outbox and the zone files:
        directories become 0700 and files 0600 wherever they were looser. Returns what was tightened.
        """
        for directory in (
            self.data_dir,
            self.outbox_dir,
            self.zones_dir,
            self.imports_dir,
            self.exports_dir,
            self.logs_dir,
        ):
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.sqlite_file is not None and not self.sqlite_file.exists():
            os.close(os.open(self.sqlite_file, os.O_WRONLY | os.O_CREAT, 0o600))
        return _tighten(self.data_dir)


def _tighten(root: Path) -> list[Path]:
    tightened = []
    for directory, _subdirectories, files in os.walk(root):
        for path, private in [(Path(directory), 0o700)] + [(Path(directory, name), 0o600) for name in files]:
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode) or not mode & 0o077:
                continue
            path.chmod(stat.S_IMODE(mode) & private)
            tightened.append(path)
    return tightened


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, turning a validation failure into one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        variable, *inside = first["loc"]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in inside)
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigurationError(f"{ENV_PREFIX}{str(variable).upper()}{where}: {message}") from exc
    except SettingsError as exc:
        named = re.search(r'field "(\w+)"', str(exc))
        variable = ENV_PREFIX + (named.group(1).upper() if named else "SETTINGS")
        raise ConfigurationError(f"{variable}: must be JSON ({exc.__cause__ or exc})") from exc
