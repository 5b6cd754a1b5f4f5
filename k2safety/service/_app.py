"""The ASGI app: discovery, the three hooks, feedback, and the rule pages the cards link to.

Every answer that is not a success is a 4xx with a FHIR ``OperationOutcome`` saying what was
wrong (a 500 only for a bug, and then without details). The order of checks for a call:
route (404/405), declared body size (413), authentication (401), content type (415), body
size as read (413), JSON (400), the request's fields (400), prefetch (412), the FHIR content
(422), then cards (200).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import traceback
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import k2safety
from k2safety._errors import ProfileError
from k2safety._knowledge import Knowledge, knowledge
from k2safety._profile import Profile
from k2safety.service._auth import Authenticator, AuthError, Client
from k2safety.service._cards import CardTexts, load_card_texts, rule_page
from k2safety.service._config import ConfigError, ServiceConfig
from k2safety.service._hooks import (
    SERVICES,
    HookService,
    Problem,
    fetch_prefetch,
    missing_prefetch,
    parse_feedback,
    parse_hook_call,
)
from k2safety.service._store import FeedbackRow, IssuedCard, Store, StoreError, open_store

__all__ = ["Reader", "create_app"]

Reader = Callable[[Mapping[str, Any]], Profile]
"""Turns a CDS Hooks request body into a profile: ``k2safety.fhir.profile_from_fhir``."""

log = logging.getLogger("k2safety.service")

INSECURE_WARNING = (
    "AUTHENTICATION IS OFF (insecure_no_auth): this k2safety service answers anyone who can "
    "reach it, without checking a token. Use it for trials on one machine only, never with "
    "patient data."
)

_SERVICES = {service.id: service for service in SERVICES}
_FLUSH_EVERY = 1.0
_FLUSH_AT = 512


def _outcome(status: int, code: str, diagnostics: str, locations: tuple[str, ...] = ()) -> bytes:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if locations:
        issue["expression"] = list(locations)
    document = {"resourceType": "OperationOutcome", "issue": [issue]}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _problem_response(problem: Problem) -> Response:
    return Response(
        _outcome(problem.status, problem.code, problem.diagnostics, problem.locations),
        status_code=problem.status,
        media_type="application/fhir+json",
        headers=problem.headers,
    )


def _json(document: Any) -> Response:
    body = json.dumps(document, separators=(",", ":")).encode("ascii")
    return Response(body, media_type="application/json")


class _CardRecorder:
    """Issued cards, written to the store in batches off the request path."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[IssuedCard] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, cards: list[IssuedCard]) -> None:
        self._pending.extend(cards)
        if len(self._pending) >= _FLUSH_AT:
            task = asyncio.get_running_loop().create_task(self.flush())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await anyio.to_thread.run_sync(self._store.record_cards, batch)
            except StoreError as error:
                log.error("%d issued cards could not be stored: %s", len(batch), error)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(_FLUSH_EVERY)
            await self.flush()


class _Service:
    """What the routes share: configuration, knowledge, texts, keys, store."""

    def __init__(
        self, config: ServiceConfig, reader: Reader, store: Store, kb: Knowledge, texts: CardTexts
    ) -> None:
        self.config = config
        self.reader = reader
        self.store = store
        self.kb = kb
        self.texts = texts
        self.auth = Authenticator(config.auth)
        self.recorder = _CardRecorder(store)
        base = config.service_url
        self.rule_url = (
            f"{config.docs_url}/rules/{{code}}/" if config.docs_url else f"{base}/rules/{{code}}"
        )
        discovery = {"services": [service.discovery() for service in SERVICES]}
        self.discovery = json.dumps(discovery, ensure_ascii=False).encode("utf-8")

    # --- shared steps ---------------------------------------------------------------------

    def check_declared_size(self, request: Request) -> None:
        declared = request.headers.get("content-length")
        if declared is None:
            return
        if not declared.isdigit():
            raise Problem(400, "invalid", "Content-Length must be a whole number")
        if int(declared) > self.config.max_body_bytes:
            raise self._too_large()

    def _too_large(self) -> Problem:
        return Problem(
            413, "too-costly", f"the request body is over {self.config.max_body_bytes} bytes"
        )

    async def authenticate(self, request: Request, *paths: str) -> Client:
        audiences = [f"{self.config.service_url}{path}" for path in paths]
        try:
            return await self.auth.authenticate(request.headers.get("authorization"), audiences)
        except AuthError as error:
            where = _printable(paths[0])
            log.info("refused a call to %s: not authenticated (%d)", where, error.status)
            headers = {}
            if error.status == 401:
                # A header holds printable ASCII only: the message may name a URL from the path.
                message = _printable(str(error), 500)
                headers["WWW-Authenticate"] = (
                    f'Bearer error="invalid_token", error_description="{message}"'
                )
            code = "security" if error.status == 401 else "transient"
            raise Problem(error.status, code, str(error), headers=headers) from None

    async def body(self, request: Request) -> dict[str, Any]:
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != "application/json" and not (
            media.startswith("application/") and media.endswith("+json")
        ):
            raise Problem(415, "not-supported", "the request body must be JSON (application/json)")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.config.max_body_bytes:
                raise self._too_large()
        try:
            document = json.loads(
                body.decode("utf-8"), parse_constant=_refuse_constant, object_pairs_hook=_object
            )
        except UnicodeDecodeError:
            raise Problem(400, "invalid", "the request body is not UTF-8") from None
        except _DuplicateKey as error:
            raise Problem(400, "invalid", f"the request body names {error} twice") from None
        except (ValueError, RecursionError):
            raise Problem(400, "invalid", "the request body is not valid JSON") from None
        if not isinstance(document, dict):
            raise Problem(400, "invalid", "the request body must be a JSON object")
        return document

    # --- routes ----------------------------------------------------------------------------

    async def discover(self, request: Request) -> Response:
        await self.authenticate(request, "/cds-services")
        return Response(self.discovery, media_type="application/json")

    async def hook(self, request: Request) -> Response:
        service_id = request.path_params["service_id"]
        self.check_declared_size(request)
        await self.authenticate(request, f"/cds-services/{service_id}")
        service = _SERVICES.get(service_id)
        if service is None:
            raise Problem(404, "not-found", "there is no CDS service with this id")
        call = parse_hook_call(await self.body(request), service)
        prefetch = dict(call.prefetch or {})
        missing = missing_prefetch(call)
        if missing:
            prefetch |= await fetch_prefetch(
                call,
                missing,
                servers=self.config.fhir_servers,
                timeout=self.config.fhir_timeout_seconds,
                limit=4 * self.config.max_body_bytes,
            )
        data = {
            "hook": call.hook,
            "hookInstance": call.hookInstance,
            "context": call.context,
            "prefetch": prefetch,
        }
        try:
            report = k2safety.check(self.reader(data))
        except ProfileError as error:
            raise Problem(
                422,
                "processing",
                "the FHIR data cannot be screened: "
                + "; ".join(f"{path or '(request)'}: {text}" for path, text in error.problems),
                locations=tuple(path for path, _ in error.problems if path),
            ) from None
        return self.answer(report, service, call.hookInstance)

    def answer(self, report: k2safety.Report, service: HookService, instance: str) -> Response:
        floor = self.config.min_indicator
        findings = [finding for finding in report.findings if finding.severity >= floor]
        cards = self.texts.cards(
            findings,
            kb=self.kb,
            service_id=service.id,
            hook_instance=instance,
            rule_url=self.rule_url,
            source_url=self.config.docs_url,
        )
        if cards:
            now = _now()
            self.recorder.add(
                [
                    IssuedCard(
                        card["uuid"],
                        service.id,
                        instance,
                        finding.code,
                        finding.severity.value,
                        report.knowledge_version,
                        now,
                    )
                    for card, finding in zip(cards, findings, strict=True)
                ]
            )
        return _json({"cards": cards})

    async def feedback(self, request: Request) -> Response:
        service_id = request.path_params["service_id"]
        self.check_declared_size(request)
        endpoint = f"/cds-services/{service_id}"
        client = await self.authenticate(request, f"{endpoint}/feedback", endpoint)
        if service_id not in _SERVICES:
            raise Problem(404, "not-found", "there is no CDS service with this id")
        entries = parse_feedback(await self.body(request)).feedback
        rows = []
        now = _now()
        for index, entry in enumerate(entries):
            reason = entry.overrideReason.reason if entry.overrideReason else None
            offered = None
            if reason is not None:
                offered = self.texts.reason(reason.system, reason.code)
                if offered is None:
                    raise Problem(
                        400,
                        "code-invalid",
                        f"feedback[{index}].overrideReason.reason is not one of the override "
                        "reasons this service offers",
                        locations=(f"feedback[{index}].overrideReason.reason",),
                    )
            comment = entry.overrideReason.userComment if entry.overrideReason else None
            accepted = (
                json.dumps([s.id for s in entry.acceptedSuggestions])
                if entry.acceptedSuggestions
                else None
            )
            rows.append(
                FeedbackRow(
                    received_at=now,
                    service=service_id,
                    card_uuid=entry.card.removeprefix("urn:uuid:").lower(),
                    outcome=entry.outcome,
                    outcome_timestamp=entry.outcomeTimestamp,
                    reason_system=offered["system"] if offered else None,
                    reason_code=offered["code"] if offered else None,
                    reason_display=offered["display"] if offered else None,
                    user_comment=comment,
                    accepted_suggestions=accepted,
                    client=client.iss,
                )
            )
        await self.recorder.flush()
        try:
            await anyio.to_thread.run_sync(self.store.add_feedback, rows)
        except StoreError as error:
            log.error("feedback could not be stored: %s", error)
            raise Problem(503, "transient", "the feedback could not be stored; retry") from None
        return _json({"stored": len(rows)})

    async def rule(self, request: Request) -> Response:
        code = request.path_params["code"]
        if code not in self.kb.rules:
            raise Problem(404, "not-found", "there is no rule with this code")
        return HTMLResponse(
            rule_page(code, self.kb, self.texts),
            headers={"Content-Security-Policy": "default-src 'none'"},
        )


class _DuplicateKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(json.dumps(key[:100]))
            seen.add(key)
    return document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _printable(text: str, limit: int = 200) -> str:
    """Text from a request, fit for a log line or a header: printable ASCII, bounded."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text[:limit])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _where(error: BaseException) -> str:
    """Where an unexpected error was raised: file and line only, never its message."""
    frames = traceback.extract_tb(error.__traceback__)
    return ", ".join(f"{frame.filename}:{frame.lineno}" for frame in frames[-3:])


class _Guard:
    """Adds the headers every answer carries, and turns a bug into a bare 500 that says
    nothing about the request; the log gets the error's type and where it was raised, never
    its message (which could quote patient data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as error:
            log.error("unexpected %s at %s", type(error).__name__, _where(error))
            if started:
                raise
            response = Response(
                _outcome(500, "exception", "an unexpected error; it was logged"),
                status_code=500,
                media_type="application/fhir+json",
            )
            await response(scope, receive, send_with_headers)


async def _http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    text = {404: "there is nothing at this address", 405: "this address does not take this method"}
    problem = Problem(
        error.status_code,
        "not-found" if error.status_code == 404 else "not-supported",
        text.get(error.status_code, str(error.detail)),
        headers=error.headers,
    )
    return _problem_response(problem)


async def _problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, Problem)
    return _problem_response(error)


def _default_reader() -> Reader:
    try:
        from k2safety.fhir import profile_from_fhir
    except ImportError:
        raise ConfigError(
            "k2safety.fhir (the FHIR reader) is not available in this installation"
        ) from None
    reader: Reader = profile_from_fhir
    return reader


def create_app(
    config: ServiceConfig | None = None,
    *,
    reader: Reader | None = None,
    store: Store | None = None,
) -> Starlette:
    """The CDS Hooks service as an ASGI app.

    ``config`` defaults to :class:`ServiceConfig`'s defaults; ``reader`` to
    ``k2safety.fhir.profile_from_fhir``; ``store`` to the database the config names (opened,
    and its schema created or migrated, here). Raises ``ConfigError`` or ``StoreError`` when
    the configuration, the keys or the database cannot be used.
    """
    config = config or ServiceConfig()
    kb = knowledge()
    texts = load_card_texts(kb)
    reader = reader or _default_reader()
    store = store or open_store(config.database)
    service = _Service(config, reader, store, kb, texts)
    if config.auth.insecure_no_auth:
        log.critical(INSECURE_WARNING)
    elif not config.auth.issuers:
        log.warning("no trusted issuers are configured: every call will be refused with 401")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if config.auth.insecure_no_auth:
            log.critical(INSECURE_WARNING)
        log.info(
            "k2safety CDS Hooks service at %s/cds-services (knowledge base %s, store %s)",
            config.service_url,
            kb.version,
            store.dialect,
        )
        flusher = asyncio.get_running_loop().create_task(service.recorder.run())
        try:
            yield
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await service.recorder.flush()

    routes = [
        Route("/cds-services", service.discover, methods=["GET"]),
        Route("/cds-services/{service_id}", service.hook, methods=["POST"]),
        Route("/cds-services/{service_id}/feedback", service.feedback, methods=["POST"]),
        Route("/rules/{code}", service.rule, methods=["GET"]),
    ]
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=["WWW-Authenticate"],
            max_age=600,
        ),
        Middleware(_Guard),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _http_exception, Problem: _problem},
        lifespan=lifespan,
    )
    app.state.k2safety = service
    return app
