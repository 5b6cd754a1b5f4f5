"""What the service tests share: keys made here, tokens, FHIR requests, small local servers.

No tests of its own. Everything skips when the ``service`` extra is not installed, and the
hook tests skip when ``k2safety.fhir`` (the FHIR reader the service reads requests with) is
not available. Every server here listens on 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

for _module in ("starlette", "uvicorn", "jwt", "httpx", "cryptography"):
    pytest.importorskip(_module, reason="the service extra is not installed")

import httpx  # noqa: E402
import jwt  # noqa: E402
import uvicorn  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402

from k2safety.service import AuthConfig, IssuerConfig, ServiceConfig, create_app  # noqa: E402

BASE = "http://127.0.0.1:8080"
ISS = "https://ehr.example.org"
OTHER_ISS = "https://other-ehr.example.org"
ORDER_SIGN = "k2safety-order-sign"
ORDER_SELECT = "k2safety-order-select"
PATIENT_VIEW = "k2safety-patient-view"
REASONS = "urn:k2safety:override-reason"


def fhir_reader_or_skip() -> Callable[..., Any]:
    try:
        from k2safety.fhir import profile_from_fhir
    except ImportError:
        pytest.skip("k2safety.fhir (the FHIR reader the service uses) is not available")
    return profile_from_fhir


# --- keys and tokens ---------------------------------------------------------------------------


class Keys:
    """Key pairs made for the test run, and their public JWK Sets."""

    def __init__(self) -> None:
        self.ec = ec.generate_private_key(ec.SECP384R1())
        self.ec_other = ec.generate_private_key(ec.SECP384R1())
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.p256 = ec.generate_private_key(ec.SECP256R1())
        self.jku_ec = ec.generate_private_key(ec.SECP384R1())

    @staticmethod
    def jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
        document = json.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(key))
        return {**document, "kid": kid, "use": "sig", "alg": alg}

    def file_set(self) -> dict[str, Any]:
        return {
            "keys": [
                self.jwk(self.ec.public_key(), "ec-1", "ES384"),
                self.jwk(self.rsa.public_key(), "rsa-1", "RS384"),
                # A P-256 key: not for ES384, so left out when the set is read.
                self.jwk(self.p256.public_key(), "p256-1", "ES256"),
            ]
        }

    def jku_set(self) -> dict[str, Any]:
        return {"keys": [self.jwk(self.jku_ec.public_key(), "jku-1", "ES384")]}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def forge(header: Mapping[str, Any], payload: Mapping[str, Any], signature: bytes = b"") -> str:
    """A token with any header and signature, as an attacker would write it."""
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(payload).encode())
    return f"{head}.{body}.{b64(signature)}"


def claims(aud: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": ISS,
        "aud": aud,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        "sub": "ehr-client",
    }
    payload.update(changes)
    return {name: value for name, value in payload.items() if value is not None}


def sign(key: Any, payload: Mapping[str, Any], *, alg: str = "ES384", **header: Any) -> str:
    headers = {"kid": "ec-1", "typ": "JWT", **header}
    return jwt.encode(dict(payload), key, algorithm=alg, headers=headers)


def endpoint(service: str | None = None, *, feedback: bool = False) -> str:
    path = "/cds-services" + (f"/{service}" if service else "")
    return BASE + path + ("/feedback" if feedback else "")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- configuration -----------------------------------------------------------------------------


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), "utf-8")
    return path


def config(
    tmp_path: Path,
    keys: Keys,
    *,
    jku: tuple[str, ...] = (),
    insecure: bool = False,
    **settings: Any,
) -> ServiceConfig:
    jwks = write_json(tmp_path / "ehr-jwks.json", keys.file_set())
    issuers = (
        IssuerConfig(iss=ISS, jwks_file=jwks, jku=jku),
        IssuerConfig(iss=OTHER_ISS, jwks_file=jwks),
    )
    values: dict[str, Any] = {
        "service_url": BASE,
        "database": str(tmp_path / "feedback.sqlite3"),
        "auth": AuthConfig(issuers=issuers, insecure_no_auth=insecure),
    }
    values.update(settings)
    return ServiceConfig(**values)


# --- FHIR content --------------------------------------------------------------------------------

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def warfarin_order(status: str = "draft") -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": "warfarin-order",
        "status": status,
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {
            "coding": [
                {"system": RXNORM, "code": "855332", "display": "Warfarin Sodium 5 MG Oral Tablet"}
            ],
            "text": "Warfarin 5 mg tablet",
        },
    }


def _daily(amount: int, unit: str) -> list[dict[str, Any]]:
    return [
        {
            "doseAndRate": [
                {
                    "doseQuantity": {
                        "value": amount,
                        "unit": unit,
                        "system": "http://unitsofmeasure.org",
                        "code": unit,
                    }
                }
            ],
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
        }
    ]


def k2_statement(text: str = "Vitamin K2 (MK-7) 180 mcg capsule") -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": "k2-statement",
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": text},
        "dosage": _daily(180, "ug"),
    }


def k2_order() -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": "k2-order",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "Menaquinone-7 180 mcg capsule"},
        "dosageInstruction": _daily(180, "ug"),
    }


def bundle(*resources: Mapping[str, Any], kind: str = "searchset") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"resource": dict(resource)} for resource in resources],
    }


def hook_request(
    hook: str = "order-sign",
    *,
    orders: tuple[Mapping[str, Any], ...] = (),
    requests: tuple[Mapping[str, Any], ...] | None = (),
    statements: tuple[Mapping[str, Any], ...] | None = (),
    instance: str | None = None,
    prefetch: bool = True,
) -> dict[str, Any]:
    """A CDS Hooks request; ``requests``/``statements`` None send the prefetch key as null."""
    context: dict[str, Any] = {"userId": "Practitioner/example", "patientId": "p1"}
    if hook in {"order-sign", "order-select"}:
        context["draftOrders"] = bundle(*orders, kind="collection")
    if hook == "order-select":
        context["selections"] = [f"MedicationRequest/{o['id']}" for o in orders]
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": instance or str(uuid.uuid4()),
        "context": context,
    }
    if prefetch:
        body["prefetch"] = {
            "medicationRequests": None if requests is None else bundle(*requests),
            "medicationStatements": None if statements is None else bundle(*statements),
        }
    return body


def warfarin_with_k2(hook: str = "order-sign", **changes: Any) -> dict[str, Any]:
    """Warfarin and a vitamin K2 supplement, placed where each hook reads them."""
    if hook == "patient-view":
        return hook_request(
            hook, requests=(warfarin_order("active"),), statements=(k2_statement(),), **changes
        )
    return hook_request(hook, orders=(warfarin_order(),), statements=(k2_statement(),), **changes)


# --- servers -------------------------------------------------------------------------------------


@contextlib.contextmanager
def json_server(
    answer: Callable[[http.server.BaseHTTPRequestHandler], tuple[int, Any]],
) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A JSON server on 127.0.0.1 (an ephemeral port); yields its base URL and the requests
    it saw (path and headers)."""
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            status, document = answer(self)
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def running(app: Any) -> Iterator[str]:
    """The app served by a real uvicorn on 127.0.0.1 (an ephemeral port); yields its URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def asgi_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


def make_app(cfg: ServiceConfig, **kwargs: Any) -> Any:
    return create_app(cfg, reader=fhir_reader_or_skip(), **kwargs)


def outcome(response: httpx.Response) -> str:
    """The diagnostics of an OperationOutcome answer (and check that it is one)."""
    document = response.json()
    assert document["resourceType"] == "OperationOutcome", document
    (issue,) = document["issue"]
    assert issue["severity"] == "error"
    diagnostics: str = issue["diagnostics"]
    return diagnostics
