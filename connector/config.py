"""Milepost's configuration: one typed, frozen `Settings` built from three layers.

1. defaults written in the dataclasses below;
2. a TOML file: `MILEPOST_CONFIG`, else `./milepost.toml` when it exists
   (`config.example.toml` documents every key);
3. `MILEPOST_*` environment variables: `MILEPOST_SECTION__KEY` (or the short
   `MILEPOST_SECTION_KEY`, e.g. `MILEPOST_DATABASE_URL`), which win over the file. A few
   older names are still understood (`ENV_ALIASES`: MILEPOST_ADMIN_PASSWORD, MILEPOST_API_KEYS,
   MILEPOST_TOKEN_KEYS, MILEPOST_PAUSE_WORK_WEBHOOK_URL/_SECRET, MILEPOST_RECLAIM_AFTER_SECONDS);
   the canonical name wins when both are set.

A key that was renamed keeps its old name as an alias (`KEY_ALIASES`: `[reminders]
before_deadline_days` is now `before_due_days`); the new name wins when both are set. Keys that
were documented but never used (`[notifications] enabled`, `from_address`, `smtp_*`) are
retired: still accepted in a file, with a logged warning, and ignored; Milepost's own e-mail
to approvers and the bookkeeper is configured in `[mail]` (customers' payment reminders still
go through the platform's invoice e-mail).

Secrets (client secrets, webhook keys, token keys, the app's secret key, the SMTP password) are refused in the
config file, which tends to end up in version control: they come only from the environment or a
secrets file (`MILEPOST_SECRETS_FILE` or `[security] secrets_file`, TOML of the same shape).
Nothing here ever writes configuration back, and `repr()` of a settings object hides secrets.
"""

from __future__ import annotations

import logging
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from email.utils import parseaddr
from pathlib import Path
from typing import Any

ENV_PREFIX = "MILEPOST_"
DEFAULT_CONFIG_FILE = "milepost.toml"
_META_ENV = {"MILEPOST_CONFIG", "MILEPOST_SECRETS_FILE"}
ENV_ALIASES = {
    # Names operators already use, from before these settings had a section of their own.
    "MILEPOST_ADMIN_PASSWORD": ("app", "admin_password"),
    "MILEPOST_API_KEYS": ("app", "api_keys"),
    "MILEPOST_TOKEN_KEYS": ("security", "token_keys"),
    "MILEPOST_PAUSE_WORK_WEBHOOK_URL": ("notifications", "pause_work_webhook_url"),
    "MILEPOST_PAUSE_WORK_WEBHOOK_SECRET": ("notifications", "pause_work_webhook_secret"),
    "MILEPOST_RECLAIM_AFTER_SECONDS": ("worker", "reclaim_after_seconds"),
}
# (section, old key) -> new key, in files and in MILEPOST_SECTION__OLD_KEY variables alike.
KEY_ALIASES = {("reminders", "before_deadline_days"): "before_due_days"}
# Documented once, never used: accepted and ignored (with a warning) so old files still load.
RETIRED_KEYS = {
    ("notifications", name)
    for name in ("enabled", "from_address", "smtp_host", "smtp_port", "smtp_user", "smtp_password")
}
XERO_SCOPE_SETS = ("granular", "broad")
MAIL_TLS_MODES = ("starttls", "ssl", "none")
log = logging.getLogger("milepost.config")


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the key and never a secret value."""


def secret(default: str | None = None) -> Any:
    """A field that may only come from the environment or the secrets file, hidden in repr."""
    return field(default=default, repr=False, metadata={"secret": True})


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///./var/milepost.db"
    echo: bool = False
    busy_timeout_ms: int = 5000  # SQLite: how long a writer waits for the lock


@dataclass(frozen=True)
class AppSettings:
    default_time_zone: str = "UTC"
    base_url: str = "http://127.0.0.1:5000"
    locale: str = "en_US"
    secret_key: str | None = secret()
    # The admin app's sign-in password; without one, nobody can sign in.
    admin_password: str | None = secret()
    # Keys the REST API accepts (X-API-Key / Bearer); comma separated in the environment.
    api_keys: tuple[str, ...] = field(default=(), repr=False, metadata={"secret": True})
    # An admin sign-in ends after this many minutes without a request, and in any case this
    # many hours after it began.
    session_idle_minutes: int = 30
    session_lifetime_hours: int = 12
    # Failed sign-ins allowed per client address and for the admin account (Flask-Limiter
    # notation, limits separated by ";"); where the counts live: "" keeps them in memory (one
    # process), "redis://host:6379/N" shares them between processes.
    login_limits_per_address: str = "5 per minute; 20 per hour"
    login_limits_per_account: str = "20 per minute; 100 per hour"
    rate_limit_storage_url: str = ""
    # Evidence files are read only from under this folder ("" is the working folder), only
    # regular files, at most this many megabytes each (the linked platform's own cap may be lower).
    evidence_root: str = ""
    evidence_max_mb: int = 10


@dataclass(frozen=True)
class SecuritySettings:
    secrets_file: str | None = None
    # Fernet keys for tokens at rest; the first encrypts, all decrypt (rotation).
    token_keys: tuple[str, ...] = field(default=(), repr=False, metadata={"secret": True})


@dataclass(frozen=True)
class SandboxSettings:
    url: str = "http://127.0.0.1:8765"  # where `milepost sandbox serve` listens by default
    enabled: bool = True


@dataclass(frozen=True)
class QuickBooksSettings:
    client_id: str = ""
    client_secret: str | None = secret()
    redirect_uri: str = "http://127.0.0.1:5000/oauth/quickbooks/callback"
    environment: str = "sandbox"  # sandbox | production | a discovery-document URL
    api_url: str = ""  # empty: the SDK's default; set to the sandbox's /v3 for local runs
    minor_version: int = 75
    webhook_verifier_token: str | None = secret()
    timeout_seconds: int = 30


@dataclass(frozen=True)
class XeroSettings:
    client_id: str = ""
    client_secret: str | None = secret()
    redirect_uri: str = "http://127.0.0.1:5000/oauth/xero/callback"
    api_url: str = ""  # empty: the SDK's default
    identity_url: str = ""
    webhook_key: str | None = secret()
    timeout_seconds: int = 30
    # "granular" (apps created since March 2026 must use them) or "broad" (older apps that
    # still hold accounting.transactions).
    scopes: str = "granular"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scopes", self.scopes.strip().lower())
        if self.scopes not in XERO_SCOPE_SETS:
            raise ConfigError(f"xero.scopes: expected one of {', '.join(XERO_SCOPE_SETS)}")


@dataclass(frozen=True)
class WorkerSettings:
    broker_url: str = "redis://127.0.0.1:6379/0"
    drain_outbox_seconds: int = 30
    deem_acceptances_seconds: int = 300
    sync_seconds: int = 900  # 15 minutes; a webhook asks for a sync at once anyway
    reminders_seconds: int = 3600
    late_fees_seconds: int = 86400
    refresh_tokens_seconds: int = 1800
    max_attempts: int = 8
    # An intent left `processing` this long (its worker died) is taken back by another.
    reclaim_after_seconds: int = 120


@dataclass(frozen=True)
class ReminderSettings:
    """Payment reminders to the customer, sent through the platform's own invoice e-mail."""

    enabled: bool = True
    # Remind the customer this many calendar days before an invoice's due date (0: never);
    # formerly `before_deadline_days`, still understood.
    before_due_days: int = 1
    after_due_days: tuple[int, ...] = (1, 7, 14)  # remind the customer after the due date


@dataclass(frozen=True)
class NotificationSettings:
    # Where pause-work flags are posted (signed with the secret below); empty: not posted.
    pause_work_webhook_url: str = ""
    pause_work_webhook_secret: str | None = secret()
    # Webhook subscriptions may post to loopback, private and link-local addresses (and
    # localhost): for development only; off, such URLs are refused when saved and when sent.
    private_webhook_urls: bool = False


@dataclass(frozen=True)
class MailSettings:
    """Milepost's own e-mail (approvers' portal links, reminders, notices to the bookkeeper),
    sent over SMTP. Off until `host` and `from_address` are both set."""

    host: str = ""
    port: int = 587
    tls: str = "starttls"  # starttls | ssl (implicit TLS, usually port 465) | none
    user: str = ""
    password: str | None = secret()
    from_address: str = ""
    # Where notices of failed intents and connections needing reconnect go; empty: not sent.
    bookkeeper: str = ""
    timeout_seconds: int = 30

    def __post_init__(self) -> None:
        object.__setattr__(self, "tls", self.tls.strip().lower())
        if self.tls not in MAIL_TLS_MODES:
            raise ConfigError(f"mail.tls: expected one of {', '.join(MAIL_TLS_MODES)}")
        if not 0 < self.port < 65536:
            raise ConfigError("mail.port: expected a port number from 1 to 65535")
        if self.timeout_seconds < 1:
            raise ConfigError("mail.timeout_seconds: expected at least 1 second")
        for name in ("from_address", "bookkeeper"):
            value = getattr(self, name)
            if value and not _looks_like_address(value):
                raise ConfigError(f"mail.{name}: expected an e-mail address such as billing@example.com")

    @property
    def configured(self) -> bool:
        """Is e-mail on? Without a server and a sender nothing is queued or sent."""
        return bool(self.host and self.from_address)


def _looks_like_address(value: str) -> bool:
    """One address (optionally with a display name), with a local part and a domain."""
    _name, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    return bool(at and local and "." in domain and not any(c.isspace() for c in address))


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    app: AppSettings = field(default_factory=AppSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    quickbooks: QuickBooksSettings = field(default_factory=QuickBooksSettings)
    xero: XeroSettings = field(default_factory=XeroSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    source: str | None = None  # the file the settings were read from, for messages

    def with_database(self, url: str) -> Settings:
        """A copy pointing at another database (tests, the demo)."""
        return replace(self, database=replace(self.database, url=url))


def _sections() -> dict[str, type]:
    hints = typing.get_type_hints(Settings)
    return {f.name: hints[f.name] for f in fields(Settings) if is_dataclass(hints[f.name])}


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Turn a TOML or environment value into the field's declared type, or say which key is wrong."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None or value == "":
            return None
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _coerce(value, inner[0], where)
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ConfigError(f"{where}: expected a list")
        return tuple(_coerce(i.strip() if isinstance(i, str) else i, inner, where) for i in items if i != "")
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            return value.lower() in {"1", "true", "yes", "on"}
        raise ConfigError(f"{where}: expected true or false")
    if hint is int:
        try:
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a whole number") from None
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string")
        return value
    raise ConfigError(f"{where}: unsupported setting type")  # pragma: no cover


def _current_names(values: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Old key names turned into current ones (the current one wins); retired keys dropped."""
    current: dict[str, Any] = {}
    for key, value in values.items():
        if (name, key) in RETIRED_KEYS:
            log.warning("[%s] %s is no longer used and is ignored (e-mail is set in [mail])", name, key)
        elif (name, key) in KEY_ALIASES:
            current.setdefault(KEY_ALIASES[name, key], value)
        else:
            current[key] = value
    return current


def _build_section(cls: type, values: Mapping[str, Any], name: str) -> Any:
    values = _current_names(values, name)
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"[{name}] unknown key(s): {', '.join(sorted(unknown))}")
    return cls(**{k: _coerce(v, hints[k], f"{name}.{k}") for k, v in values.items()})


def _secret_keys() -> set[tuple[str, str]]:
    return {
        (section, f.name)
        for section, cls in _sections().items()
        for f in fields(cls)
        if f.metadata.get("secret")
    }


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _check_shape(data: Mapping[str, Any], origin: str) -> None:
    sections = _sections()
    for name, body in data.items():
        if name not in sections:
            raise ConfigError(f"{origin}: unknown section [{name}]")
        if not isinstance(body, dict):
            raise ConfigError(f"{origin}: [{name}] must be a table")


def _env_layer(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """MILEPOST_SECTION__KEY or MILEPOST_SECTION_KEY -> {section: {key: value}}; others ignored.
    The older names of ENV_ALIASES count too, below the canonical ones."""
    sections = _sections()
    layer: dict[str, dict[str, str]] = {}
    for name, (section, key) in ENV_ALIASES.items():
        if name in environ:
            layer.setdefault(section, {})[key] = environ[name]
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name in _META_ENV:
            continue
        rest = name[len(ENV_PREFIX):].lower()
        section, sep, key = rest.partition("__") if "__" in rest else rest.partition("_")
        if sep and (section, key) in KEY_ALIASES:
            layer.setdefault(section, {}).setdefault(KEY_ALIASES[section, key], value)
        elif sep and section in sections and key in {f.name for f in fields(sections[section])}:
            layer.setdefault(section, {})[key] = value
    return layer


def _merge(*layers: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for section, values in layer.items():
            merged.setdefault(section, {}).update(values)
    return merged


def load_settings(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the layered configuration once; callers pass the result down rather than re-reading."""
    env = os.environ if environ is None else environ
    config_path = _config_path(path, env)
    file_data = _read_toml(config_path) if config_path else {}
    origin = str(config_path) if config_path else "configuration"
    _check_shape(file_data, origin)
    for section, key in _secret_keys():
        if file_data.get(section, {}).get(key) not in (None, "", []):
            raise ConfigError(
                f"{origin}: {section}.{key} is a secret; set MILEPOST_{section.upper()}__{key.upper()}"
                " or put it in the secrets file"
            )
    env_data = _env_layer(env)
    secrets_file = env.get("MILEPOST_SECRETS_FILE") or _merge(file_data, env_data).get(
        "security", {}
    ).get("secrets_file")
    secret_data = _read_toml(Path(secrets_file)) if secrets_file else {}
    _check_shape(secret_data, str(secrets_file))
    merged = _merge(file_data, secret_data, env_data)
    built = {
        name: _build_section(cls, merged.get(name, {}), name) for name, cls in _sections().items()
    }
    settings = Settings(**built, source=str(config_path) if config_path else None)
    check_mail(settings)
    return settings


def check_mail(settings: Settings) -> None:
    """E-mail carries approvers' portal links, which the web app must be able to open: links
    signed by the worker are read by the web app only when both share `[app] secret_key`."""
    if settings.mail.configured and not settings.app.secret_key:
        raise ConfigError(
            "mail.host is set but app.secret_key is not: the portal links e-mailed to approvers "
            "would not open; set MILEPOST_APP__SECRET_KEY (the same for the web app and the worker)"
        )


def with_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """`settings` with the MILEPOST_* variables of `environ` laid over them, exactly as
    `load_settings` would lay them: for a caller (a test, an embedding app) that built its
    Settings by hand and passes the environment separately."""
    layer = _env_layer(environ)
    changed: dict[str, Any] = {}
    for name, cls in _sections().items():
        values = layer.get(name)
        if not values:
            continue
        hints = typing.get_type_hints(cls)
        coerced = {k: _coerce(v, hints[k], f"{name}.{k}") for k, v in values.items()}
        changed[name] = replace(getattr(settings, name), **coerced)
    return replace(settings, **changed) if changed else settings


def _config_path(path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    if path is not None:
        return Path(path)
    if env.get("MILEPOST_CONFIG"):
        return Path(env["MILEPOST_CONFIG"])
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None
