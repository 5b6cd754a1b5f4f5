"""``k2safety serve``: run the CDS Hooks service with uvicorn (extra ``service``).

One worker process: the replay check of token ids lives in the process's memory. Imports the
service, and so Starlette and uvicorn, only when the command runs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from k2safety.cli._exit import ExitStatus

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["register"]

_BANNER = "=" * 78


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0 to 65535): {text!r}")
    return int(text)


def register(subparsers: Subparsers) -> None:
    """Add the ``serve`` command."""
    parser = subparsers.add_parser(
        "serve",
        help="run the CDS Hooks service an EHR calls (needs k2safety[service])",
        description="Run the CDS Hooks service (discovery, order-select, order-sign, "
        "patient-view and feedback) with uvicorn, in one worker process. Every call needs a "
        "Bearer JWT from a CDS client the config trusts. Exits 4 when the config, its keys, "
        "the database or the address cannot be used (standard error says why). "
        "Informational, not medical advice.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=_port, default=8080, help="the port to listen on (default: 8080; 0: any)"
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="the service's TOML config (default: the file named by K2SAFETY_SERVICE_CONFIG, "
        "else the built-in defaults)",
    )
    parser.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="accept calls without a token: for trials on this machine only (refused unless "
        "--host is a loopback address)",
    )
    parser.set_defaults(handler=_serve)


def _fail(message: str) -> ExitStatus:
    print(f"k2safety serve: {message}", file=sys.stderr)
    return ExitStatus.USAGE


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from k2safety.service import (
            INSECURE_WARNING,
            CardsError,
            ConfigError,
            StoreError,
            config_from_env,
            create_app,
            load_config,
        )
        from k2safety.service._config import is_loopback_url
    except ImportError as error:
        return _fail(str(error))
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(args.config) if args.config else config_from_env()
        if args.insecure_no_auth:
            auth = config.auth.model_dump() | {"insecure_no_auth": True}
            config = config.with_overrides(auth=auth)
        host = f"[{args.host}]" if ":" in args.host else args.host
        if config.auth.insecure_no_auth and not is_loopback_url(f"http://{host}/"):
            return _fail(
                "authentication may be switched off only on a loopback address "
                "(--host 127.0.0.1, ::1 or localhost)"
            )
        if config.auth.insecure_no_auth:
            print(f"{_BANNER}\n{INSECURE_WARNING}\n{_BANNER}", file=sys.stderr, flush=True)
        app = create_app(config)
    except (ConfigError, StoreError, CardsError) as error:
        return _fail(str(error))
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            workers=1,
            lifespan="on",
            log_config=None,
            server_header=False,
            timeout_keep_alive=15,
        )
    except SystemExit as stop:  # uvicorn exits when it cannot listen (it logged why)
        if stop.code not in (None, 0):
            return _fail(f"cannot serve on {args.host} port {args.port}")
    return ExitStatus.OK
