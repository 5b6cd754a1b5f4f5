"""The service's configuration: a TOML file, read and checked before anything starts.

Every setting has a default except the trusted issuers: with none configured (and
authentication not switched off) every call is refused with 401. Relative paths in the file
are relative to the file's folder. ``docs/how-to/connect-an-ehr.md`` describes each setting.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from k2safety._claims import Severity

__all__ = [
    "CONFIG_ENV",
    "AuthConfig",
    "ConfigError",
    "IssuerConfig",
    "ServiceConfig",
    "config_from_env",
    "is_loopback_url",
    "load_config",
]

CONFIG_ENV = "K2SAFETY_SERVICE_CONFIG"
"""The environment variable naming the config file of ``k2safety.service.app``."""


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which setting and why."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def is_loopback_url(url: str) -> bool:
    """Whether a URL's host is this machine (``localhost``, 127.0.0.0/8 or ``::1``)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _absolute_url(url: str, *, what: str, allow_http_loopback: bool = True) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValueError(f"{what} must be an absolute http(s) URL")
    if parts.scheme == "http" and not (allow_http_loopback and is_loopback_url(url)):
        raise ValueError(f"{what} must use https (http only for 127.0.0.1, ::1 or localhost)")
    if parts.username or parts.password:
        raise ValueError(f"{what} must not hold a user name or password")
    return url


class IssuerConfig(_Model):
    """A CDS client the service trusts: its ``iss`` and where its public keys are."""

    iss: str = Field(min_length=1, max_length=2048)
    """The exact ``iss`` its tokens carry."""
    jwks_file: Path | None = None
    """A JWK Set file holding its public keys (used for tokens without a ``jku`` header)."""
    jku: tuple[str, ...] = ()
    """The JWK Set URLs its tokens may name in ``jku``, exactly as written there."""

    @field_validator("jku")
    @classmethod
    def _jku_urls(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_absolute_url(url, what="a jku URL") for url in urls)

    @model_validator(mode="after")
    def _has_keys(self) -> IssuerConfig:
        if self.jwks_file is None and not self.jku:
            raise ValueError(f"issuer {self.iss!r} needs jwks_file or jku (or both)")
        return self


class AuthConfig(_Model):
    """How calls are authenticated (CDS Hooks: a Bearer JWT signed by a trusted client)."""

    insecure_no_auth: bool = False
    """Accept every call without a token: for trials on one machine only."""
    issuers: tuple[IssuerConfig, ...] = ()
    clock_skew_seconds: int = Field(default=30, ge=0, le=300)
    """How far ``exp`` and ``iat`` may be off the service's clock."""
    max_token_lifetime_seconds: int = Field(default=300, ge=1, le=3600)
    """The longest ``exp - iat`` accepted; also bounds how long a ``jti`` is remembered."""
    jwks_cache_seconds: int = Field(default=300, ge=0, le=86400)
    """How long a JWK Set fetched from a ``jku`` URL is used before it is fetched again."""
    replay_cache_size: int = Field(default=1_000_000, ge=1)
    """How many unexpired ``jti`` values are remembered; calls are refused (503) past it."""

    @model_validator(mode="after")
    def _unique_issuers(self) -> AuthConfig:
        names = [issuer.iss for issuer in self.issuers]
        if len(names) != len(set(names)):
            raise ValueError("an issuer is listed twice")
        return self


class ServiceConfig(_Model):
    """Everything the service reads from its config file."""

    service_url: str = "http://127.0.0.1:8080"
    """The base URL clients call (without ``/cds-services``): tokens' ``aud`` and card links
    are made from it."""
    database: str = "k2safety-feedback.sqlite3"
    """Where feedback and issued cards are stored: a SQLite file path, or a
    ``postgresql://`` URL."""
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    """Request bodies longer than this are refused with 413."""
    cors_origins: tuple[str, ...] = ("*",)
    """The browser origins allowed to call (CDS clients such as the sandbox run in a browser)."""
    docs_url: str | None = None
    """The base URL of the k2safety documentation site; card links then point to its rule
    pages. Without it they point to the rule pages this service serves itself."""
    min_indicator: Severity = Severity.INFO
    """Findings below this severity get no card."""
    fhir_servers: tuple[str, ...] = ()
    """The ``fhirServer`` base URLs the service may fetch missing prefetch data from, with the
    request's ``fhirAuthorization``. Empty: it never fetches, and answers 412 instead."""
    fhir_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    auth: AuthConfig = AuthConfig()

    @field_validator("service_url")
    @classmethod
    def _service_url(cls, url: str) -> str:
        _absolute_url(url, what="service_url")
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            raise ValueError("service_url must not have a query or a fragment")
        return url.rstrip("/")

    @field_validator("docs_url")
    @classmethod
    def _docs_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        return _absolute_url(url, what="docs_url").rstrip("/")

    @field_validator("fhir_servers")
    @classmethod
    def _fhir_servers(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_absolute_url(url, what="a fhir_servers URL").rstrip("/") for url in urls)

    @field_validator("database")
    @classmethod
    def _database(cls, database: str) -> str:
        if not database:
            raise ValueError("database must be a file path or a postgresql:// URL")
        return database

    @property
    def uses_postgres(self) -> bool:
        return self.database.startswith(("postgresql://", "postgres://"))

    def with_overrides(self, **changes: Any) -> ServiceConfig:
        """A copy with some settings changed, checked again."""
        return _validate(self.model_dump() | changes, base=None)


def _validate(raw: dict[str, Any], *, base: Path | None) -> ServiceConfig:
    raw = dict(raw)
    if base is not None:
        database = raw.get("database")
        if isinstance(database, str) and "://" not in database:
            raw["database"] = str(base / database)
        auth = raw.get("auth")
        if isinstance(auth, dict) and isinstance(auth.get("issuers"), list):
            issuers = []
            for issuer in auth["issuers"]:
                if isinstance(issuer, dict) and isinstance(issuer.get("jwks_file"), str):
                    issuer = {**issuer, "jwks_file": str(base / issuer["jwks_file"])}
                issuers.append(issuer)
            raw["auth"] = {**auth, "issuers": issuers}
    try:
        return ServiceConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '(file)'}: {problem['msg']}"
            for problem in error.errors(include_url=False, include_input=False)
        )
        raise ConfigError(f"invalid service configuration: {problems}") from None


def load_config(path: str | os.PathLike[str] | None) -> ServiceConfig:
    """The configuration in a TOML file, or the defaults when ``path`` is None."""
    if path is None:
        return ServiceConfig()
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text("utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read the config file {file}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"the config file {file} is not valid TOML: {error}") from None
    return _validate(raw, base=file.resolve().parent)


def config_from_env() -> ServiceConfig:
    """The configuration named by ``K2SAFETY_SERVICE_CONFIG``, or the defaults."""
    return load_config(os.environ.get(CONFIG_ENV) or None)
