"""k2safety as a CDS Hooks service: an EHR calls it when a clinician selects or signs orders or
opens a chart, and shows the cards it answers with (extra ``service``:
``pip install 'k2safety[service]'``).

``create_app(config)`` builds the ASGI app; ``app`` is one built from the config file named by
the ``K2SAFETY_SERVICE_CONFIG`` environment variable (or the defaults), built when first used,
for an ASGI server (``uvicorn k2safety.service:app``); ``k2safety serve`` runs it with uvicorn.
Nothing here is imported by ``import k2safety``.

The private modules, each imported only by those listed before it:

* ``_app``: the routes, the order of checks, errors as FHIR OperationOutcomes;
* ``_hooks``: the three services, what a call must hold, prefetch and the FHIR server;
* ``_auth``: Bearer JWTs (ES384/RS384, issuer allowlist, ``aud``, ``exp``/``iat``, ``jti``);
* ``_cards``: clinician cards from ``data/cards.toml``, escaped and bounded;
* ``_store``: feedback and issued cards in SQLite or PostgreSQL, with migrations;
* ``_config``: the TOML configuration.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

try:
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "k2safety.service needs the service extra: pip install 'k2safety[service]'"
    ) from error

from k2safety.service._app import INSECURE_WARNING, Reader, create_app
from k2safety.service._auth import ALGORITHMS, AuthError
from k2safety.service._cards import CardsError
from k2safety.service._config import (
    CONFIG_ENV,
    AuthConfig,
    ConfigError,
    IssuerConfig,
    ServiceConfig,
    config_from_env,
    load_config,
)
from k2safety.service._hooks import PREFETCH, SERVICES
from k2safety.service._store import SCHEMA_VERSION, FeedbackRow, StoreError, open_store

if TYPE_CHECKING:
    from starlette.applications import Starlette

    app: Starlette

__all__ = [
    "ALGORITHMS",
    "CONFIG_ENV",
    "INSECURE_WARNING",
    "PREFETCH",
    "SCHEMA_VERSION",
    "SERVICES",
    "AuthConfig",
    "AuthError",
    "CardsError",
    "ConfigError",
    "FeedbackRow",
    "IssuerConfig",
    "Reader",
    "ServiceConfig",
    "StoreError",
    "app",
    "config_from_env",
    "create_app",
    "load_config",
    "open_store",
]

_lock = threading.Lock()
_built: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    """``app``: built on first use from ``K2SAFETY_SERVICE_CONFIG`` (or the defaults)."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _lock:
        if "app" not in _built:
            _built["app"] = create_app(config_from_env())
        return _built["app"]
