"""The service on a real uvicorn on 127.0.0.1, started by the tests: the hooks over TCP, the
``k2safety serve`` command, and a hypothesis fuzz of HTTP requests proving that no input gets
a 500: every answer is a success or a 4xx with a FHIR OperationOutcome.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import select
import signal
import socket
import string
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

for _module in ("starlette", "uvicorn", "jwt", "httpx"):
    pytest.importorskip(_module, reason="the service extra is not installed")

import httpx  # noqa: E402
from test_service_support import (  # noqa: E402
    BASE,
    ISS,
    ORDER_SELECT,
    ORDER_SIGN,
    PATIENT_VIEW,
    REASONS,
    Keys,
    bearer,
    claims,
    config,
    endpoint,
    make_app,
    running,
    sign,
    warfarin_with_k2,
    write_json,
)

from k2safety.service import INSECURE_WARNING, open_store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[tuple[str, Any]]:
    """The service on a real uvicorn, with a small body limit so that big bodies are cheap."""
    folder = tmp_path_factory.mktemp("service")
    cfg = config(folder, keys, max_body_bytes=8192)
    with running(make_app(cfg)) as url:
        yield url, cfg


def token(keys: Keys, path: str) -> dict[str, str]:
    return bearer(sign(keys.ec, claims(BASE + path)))


# --- over TCP ------------------------------------------------------------------------------------


def test_the_hooks_over_a_real_connection(server: tuple[str, Any], keys: Keys) -> None:
    url, cfg = server
    with httpx.Client(base_url=url, timeout=10) as client:
        discovery = client.get("/cds-services", headers=token(keys, "/cds-services"))
        assert discovery.status_code == 200
        for service, hook in [
            (ORDER_SELECT, "order-select"),
            (ORDER_SIGN, "order-sign"),
            (PATIENT_VIEW, "patient-view"),
        ]:
            path = f"/cds-services/{service}"
            response = client.post(path, json=warfarin_with_k2(hook), headers=token(keys, path))
            assert response.status_code == 200, response.text
            assert response.json()["cards"][0]["indicator"] == "critical"
        card = response.json()["cards"][0]["uuid"]
        path = f"/cds-services/{PATIENT_VIEW}/feedback"
        feedback = {
            "feedback": [
                {
                    "card": card,
                    "outcome": "overridden",
                    "overrideReason": {"reason": {"system": REASONS, "code": "not-relevant"}},
                    "outcomeTimestamp": "2026-11-30T11:00:00Z",
                }
            ]
        }
        assert client.post(path, json=feedback, headers=token(keys, path)).status_code == 200
        preflight = client.options(
            f"/cds-services/{ORDER_SIGN}",
            headers={
                "Origin": "https://sandbox.cds-hooks.org",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "*"
        big = client.post(
            f"/cds-services/{ORDER_SIGN}",
            content=b"{" + b" " * 100_000 + b"}",
            headers=token(keys, f"/cds-services/{ORDER_SIGN}")
            | {"Content-Type": "application/json"},
        )
        assert big.status_code == 413
    rows = open_store(cfg.database).feedback()
    assert [(row.rule_code, row.reason_code) for row in rows if row.card_uuid == card] == [
        ("K2-VKA", "not-relevant")
    ]


# --- the command ---------------------------------------------------------------------------------

_RUN_SERVE = """
import argparse, sys
from k2safety.cli import _serve
parser = argparse.ArgumentParser(prog="k2safety")
_serve.register(parser.add_subparsers())
args = parser.parse_args(sys.argv[1:])
sys.exit(args.handler(args))
"""


def _serve(*arguments: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("K2SAFETY_SERVICE_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-c", _RUN_SERVE, "serve", *arguments],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_port(process: subprocess.Popen[str], seen: list[str]) -> int:
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 0.5)
        if not ready:
            if process.poll() is not None:
                break
            continue
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if "running on http://127.0.0.1:" in line.lower():
            return int(line.rsplit(":", 1)[1].split()[0])
    raise AssertionError("k2safety serve did not start:\n" + "".join(seen))


def test_serve_runs_the_service_and_warns_loudly_without_auth(tmp_path: Path) -> None:
    (tmp_path / "service.toml").write_text('database = "feedback.sqlite3"\n')
    process = _serve(
        "--port",
        "0",
        "--config",
        str(tmp_path / "service.toml"),
        "--insecure-no-auth",
        cwd=tmp_path,
    )
    seen: list[str] = []
    try:
        port = _wait_for_port(process, seen)
        response = httpx.get(f"http://127.0.0.1:{port}/cds-services", timeout=10)
        assert response.status_code == 200
        assert len(response.json()["services"]) == 3
    finally:
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    log = "".join(seen) + rest
    assert log.count(INSECURE_WARNING) >= 2  # the banner and the log line at start-up
    assert (tmp_path / "feedback.sqlite3").is_file()


def test_serve_refuses_no_auth_off_loopback_and_a_bad_config(tmp_path: Path) -> None:
    exposed = _serve("--host", "0.0.0.0", "--port", "0", "--insecure-no-auth", cwd=tmp_path)
    _, err = exposed.communicate(timeout=60)
    assert exposed.returncode == 4
    assert "loopback" in err
    (tmp_path / "bad.toml").write_text("service_url = 5\n")
    bad = _serve("--config", str(tmp_path / "bad.toml"), cwd=tmp_path)
    _, err = bad.communicate(timeout=60)
    assert bad.returncode == 4
    assert "service_url" in err


def test_serve_says_so_when_it_cannot_listen(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _serve("--port", str(port), "--insecure-no-auth", cwd=tmp_path)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 4
    assert f"cannot serve on 127.0.0.1 port {port}" in err


def test_serve_takes_its_options() -> None:
    from k2safety.cli import _serve

    parser = argparse.ArgumentParser(prog="k2safety")
    _serve.register(parser.add_subparsers())
    args = parser.parse_args(["serve"])
    assert (args.host, args.port, args.config, args.insecure_no_auth) == (
        "127.0.0.1",
        8080,
        None,
        False,
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--port", "70000"])


# --- fuzz ----------------------------------------------------------------------------------------

_PATHS = [
    "/cds-services",
    f"/cds-services/{ORDER_SIGN}",
    f"/cds-services/{ORDER_SELECT}",
    f"/cds-services/{PATIENT_VIEW}",
    f"/cds-services/{ORDER_SIGN}/feedback",
    "/rules/K2-VKA",
    "/",
]
_HOOKS = {
    f"/cds-services/{ORDER_SIGN}": "order-sign",
    f"/cds-services/{ORDER_SELECT}": "order-select",
    f"/cds-services/{PATIENT_VIEW}": "patient-view",
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _places(document: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(document, dict):
        for key, value in document.items():
            yield (*path, key)
            yield from _places(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield (*path, index)
            yield from _places(value, (*path, index))


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """A valid document with one to three places deleted or replaced by any JSON."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        places = list(_places(document))
        if not places:
            break
        *parent_path, last = draw(st.sampled_from(places))
        parent = document
        for step in parent_path:
            parent = parent[step]
        if draw(st.booleans()):
            parent[last] = draw(json_values)
        else:
            del parent[last]
    return document


def _valid_body(path: str) -> Any:
    if path.endswith("/feedback"):
        return {
            "feedback": [
                {
                    "card": "0b6a7d1e-3f0c-4a8e-9b55-3c2f1d0e9a77",
                    "outcome": "overridden",
                    "overrideReason": {
                        "reason": {"system": REASONS, "code": "supervised"},
                        "userComment": "checked",
                    },
                    "outcomeTimestamp": "2026-11-30T10:15:00Z",
                }
            ]
        }
    return warfarin_with_k2(_HOOKS.get(path, "order-sign"))


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    path = draw(
        st.sampled_from(_PATHS)
        | st.text(max_size=20).map(lambda text: "/cds-services/" + quote(text, safe=""))
    )
    method = draw(st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE", "OPTIONS"]))
    auth = draw(st.sampled_from(["valid", "valid", "valid", "none", "garbage"]))
    content_type = draw(
        st.sampled_from(
            ["application/json", "application/json", "application/fhir+json", "text/plain", None]
        )
    )
    kind = draw(
        st.sampled_from(["valid", "mutated", "mutated", "mutated", "json", "bytes", "huge"])
    )
    if kind == "valid":
        body = json.dumps(_valid_body(path)).encode()
    elif kind == "mutated":
        body = json.dumps(draw(mutated(_valid_body(path)))).encode()
    elif kind == "json":
        body = json.dumps(draw(json_values)).encode()
    elif kind == "bytes":
        body = draw(st.binary(max_size=300))
    else:
        body = b'{"hook": "' + b"x" * 9000 + b'"}'
    garbage = draw(st.text(string.ascii_letters + string.digits + string.punctuation, min_size=1))
    return {
        "path": path,
        "method": method,
        "auth": auth,
        "garbage": garbage,
        "content_type": content_type,
        "body": body,
    }


@pytest.fixture(scope="module")
def fuzz_client(server: tuple[str, Any]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0], timeout=30) as client:
        yield client


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_no_http_request_gets_a_500(
    fuzz_client: httpx.Client, keys: Keys, request: dict[str, Any]
) -> None:
    headers: dict[str, str] = {}
    if request["auth"] == "valid":
        headers |= token(keys, request["path"])
    elif request["auth"] == "garbage":
        headers["Authorization"] = f"Bearer {request['garbage']}"
    if request["content_type"] is not None:
        headers["Content-Type"] = request["content_type"]
    content = request["body"] if request["method"] in {"POST", "PUT"} else None
    response = fuzz_client.request(
        request["method"], request["path"], content=content, headers=headers
    )
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/fhir+json")
        document = response.json()
        assert document["resourceType"] == "OperationOutcome"
        assert document["issue"][0]["diagnostics"]
    elif request["path"] in _HOOKS:
        cards = response.json()["cards"]
        for card in cards:
            assert len(card["summary"]) < 140
            assert card["indicator"] in {"info", "warning", "critical"}
            assert card["source"]["label"]


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from([*_HOOKS, f"/cds-services/{ORDER_SIGN}/feedback"]),
    data=st.data(),
)
def test_no_hook_or_feedback_body_gets_a_500(
    fuzz_client: httpx.Client, keys: Keys, path: str, data: st.DataObject
) -> None:
    """Authenticated JSON calls whose bodies are valid ones with parts deleted or replaced by
    any JSON: they reach the request checks, the FHIR reader, the rules and the cards."""
    body = data.draw(mutated(_valid_body(path)))
    response = fuzz_client.post(path, json=body, headers=token(keys, path))
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["resourceType"] == "OperationOutcome"
    elif path in _HOOKS:
        for card in response.json()["cards"]:
            assert len(card["summary"]) < 140
            assert len(card["detail"]) <= 6000


def test_the_fuzzed_server_still_answers(server: tuple[str, Any], keys: Keys) -> None:
    path = f"/cds-services/{ORDER_SIGN}"
    response = httpx.post(
        server[0] + path, json=warfarin_with_k2(), headers=token(keys, path), timeout=10
    )
    assert response.status_code == 200
    assert ISS  # the fuzz used tokens of this issuer
    assert endpoint(ORDER_SIGN) == BASE + path


def test_a_jwks_file_written_for_the_config(tmp_path: Path, keys: Keys) -> None:
    path = write_json(tmp_path / "jwks.json", keys.file_set())
    assert len(json.loads(path.read_text())["keys"]) == 3
