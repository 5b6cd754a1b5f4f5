"""Load on the CDS Hooks service: order-sign calls at a fixed concurrency against one uvicorn
worker on 127.0.0.1, for a bounded time and a bounded number of calls.

Run: .venv/bin/python benchmarks/bench_service.py [--auth es384|rs384|none] [--seconds 60]
     [--concurrency 16] [--max-requests N]
Targets (issue 15): at least 1,000 requests/s with a p99 latency of at most 50 ms and no errors.

The service runs in its own process (``create_app`` from a config written to a temporary
directory, served by ``uvicorn.run`` with one worker, its access log off), so it has one core
to itself while this process, the client, has the other. The client keeps ``--concurrency``
HTTP/1.1 connections busy, each sending the next call as soon as the answer to the last one has
arrived, and times each call from sending to the whole answer. Every call is an order-sign with
a warfarin draft order and a vitamin K2 MedicationStatement in prefetch, with its own
``hookInstance``, answered with a critical card; any other answer counts as an error.

With ``--auth es384`` or ``rs384`` (the two algorithms CDS Hooks recommends) every call carries
its own JWT, signed by a key made here, as an EHR would send it; the tokens are signed before the
timed run (their number from a short warm-up's rate), because signing is the client's cost,
not the service's. ``--auth none`` runs the service with authentication off, to show what the
checks cost. Nothing listens or is called beyond 127.0.0.1, and the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
SERVICE = "k2safety-order-sign"
PATH = f"/cds-services/{SERVICE}"
ISS = "https://ehr.bench.invalid"
BASE = "http://127.0.0.1:8080"  # the service_url of the config: what tokens name as aud

_SERVE = """
import logging, sys, uvicorn
from k2safety.service import load_config, create_app
logging.basicConfig(level=logging.WARNING)
app = create_app(load_config(sys.argv[1]))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), workers=1, access_log=False,
            log_level="warning", lifespan="on")
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _keys(auth: str, folder: Path) -> bytes | None:
    """Write the config's JWK Set; return the private key (PEM) tokens are signed with."""
    if auth == "none":
        return None
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if auth == "es384":
        key: Any = ec.generate_private_key(ec.SECP384R1())
        algorithm = "ES384"
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        algorithm = "RS384"
    public = json.loads(jwt.algorithms.get_default_algorithms()[algorithm].to_jwk(key.public_key()))
    jwks = {"keys": [{**public, "kid": "bench", "use": "sig", "alg": algorithm}]}
    (folder / "jwks.json").write_text(json.dumps(jwks))
    pem: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem


def _config(auth: str, folder: Path) -> Path:
    lines = [
        f'service_url = "{BASE}"',
        'database = "feedback.sqlite3"',
        "[auth]",
        f"insecure_no_auth = {'true' if auth == 'none' else 'false'}",
    ]
    if auth != "none":
        lines += ["[[auth.issuers]]", f'iss = "{ISS}"', 'jwks_file = "jwks.json"']
    path = folder / "service.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _sign(job: tuple[bytes, str, int]) -> list[str]:
    import jwt
    from cryptography.hazmat.primitives import serialization

    pem, auth, count = job
    key = serialization.load_pem_private_key(pem, password=None)
    algorithm = "ES384" if auth == "es384" else "RS384"
    tokens = []
    for _ in range(count):
        now = int(time.time())
        payload = {
            "iss": ISS,
            "aud": BASE + PATH,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        tokens.append(jwt.encode(payload, key, algorithm=algorithm, headers={"kid": "bench"}))  # type: ignore[arg-type]
    return tokens


def sign_tokens(pem: bytes | None, auth: str, count: int) -> list[str | None]:
    if pem is None:
        return [None] * count
    workers = os.cpu_count() or 1
    share = -(-count // workers)
    with multiprocessing.Pool(workers) as pool:
        parts = pool.map(_sign, [(pem, auth, share)] * workers)
    return [token for part in parts for token in part][:count]


def _body(instance: str) -> bytes:
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    warfarin = {
        "resourceType": "MedicationRequest",
        "id": "warfarin-order",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {
            "coding": [{"system": rxnorm, "code": "855332", "display": "Warfarin Sodium 5 MG"}],
            "text": "Warfarin 5 mg tablet",
        },
    }
    dose = {"value": 180, "unit": "ug", "system": "http://unitsofmeasure.org", "code": "ug"}
    k2 = {
        "resourceType": "MedicationStatement",
        "id": "k2",
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "Vitamin K2 (MK-7) 180 mcg capsule"},
        "dosage": [
            {
                "doseAndRate": [{"doseQuantity": dose}],
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
            }
        ],
    }
    request = {
        "hook": "order-sign",
        "hookInstance": instance,
        "context": {
            "userId": "Practitioner/example",
            "patientId": "p1",
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": warfarin}],
            },
        },
        "prefetch": {
            "medicationRequests": None,
            "medicationStatements": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": k2}],
            },
        },
    }
    return json.dumps(request).encode()


def _request(port: int, token: str | None) -> bytes:
    body = _body(str(uuid.uuid4()))
    head = [
        f"POST {PATH} HTTP/1.1",
        f"Host: {HOST}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if token is not None:
        head.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _connection(
    port: int,
    requests: list[bytes],
    deadline: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while requests and time.perf_counter() < deadline:
            request = requests.pop()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status != 200 or b'"indicator":"critical"' not in body:
                errors.append(f"{status} {body[:200]!r}")
    except (OSError, asyncio.IncompleteReadError) as error:
        errors.append(f"connection: {type(error).__name__}")
    finally:
        writer.close()


async def _load(
    port: int, requests: list[bytes], seconds: float, concurrency: int
) -> tuple[float, list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_connection(port, requests, deadline, latencies, errors) for _ in range(concurrency))
    )
    return time.perf_counter() - started, latencies, errors


def load(port: int, tokens: list[str | None], seconds: float, concurrency: int) -> dict[str, Any]:
    requests = [_request(port, token) for token in tokens]
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    elapsed, latencies, errors = runner(_load(port, requests, seconds, concurrency))
    latencies.sort()

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rate": len(latencies) / elapsed,
        "p50": percentile(0.50),
        "p90": percentile(0.90),
        "p99": percentile(0.99),
        "max": latencies[-1] * 1000,
        "mean": statistics.fmean(latencies) * 1000,
        "errors": errors,
        "ran_out": not requests,
    }


def _wait(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the service did not start")
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("the service did not start within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--auth", choices=("es384", "rs384", "none"), default="es384")
    parser.add_argument("--seconds", type=float, default=60.0, help="at most (default 60)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-requests", type=int, default=200_000, help="at most")
    args = parser.parse_args()
    if not 0 < args.seconds <= 600 or not 0 < args.max_requests <= 1_000_000:
        parser.error("--seconds must be at most 600 and --max-requests at most 1,000,000")
    with tempfile.TemporaryDirectory(prefix="k2safety-bench-") as folder:
        pem = _keys(args.auth, Path(folder))
        config = _config(args.auth, Path(folder))
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(config), str(port)], cwd=folder
        )
        try:
            _wait(port, server)
            warm_count = min(2_000, args.max_requests)
            warm = load(port, sign_tokens(pem, args.auth, warm_count), 3.0, args.concurrency)
            if warm["errors"]:
                raise SystemExit(f"errors in the warm-up: {warm['errors'][:3]}")
            wanted = int(warm["rate"] * args.seconds * 2.5) if pem else args.max_requests
            count = min(args.max_requests, max(wanted, 1_000))
            print(
                f"auth {args.auth}: warm-up {warm['rate']:,.0f} requests/s; "
                f"{count:,} calls ready for at most {args.seconds:g} s",
                flush=True,
            )
            tokens = sign_tokens(pem, args.auth, count)
            result = load(port, tokens, args.seconds, args.concurrency)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"order-sign, auth {args.auth}, concurrency {args.concurrency}, one uvicorn worker: "
        f"{result['requests']:,} calls in {result['seconds']:.1f} s"
        + (" (ran out of prepared calls)" if result["ran_out"] else "")
    )
    print(
        f"  {result['rate']:,.0f} requests/s; latency p50 {result['p50']:.1f} ms, "
        f"p90 {result['p90']:.1f} ms, p99 {result['p99']:.1f} ms, max {result['max']:.1f} ms; "
        f"errors {len(result['errors'])}"
    )
    print(f"  load average at the end: {load_average}")
    for error in result["errors"][:5]:
        print(f"  error: {error}")


if __name__ == "__main__":
    main()
