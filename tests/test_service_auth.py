"""Who may call the service: Bearer JWTs as CDS Hooks asks, accepted and refused.

Keys are made for the run; the ``jku`` JWK Set is served by a server on 127.0.0.1 started here.
Each refusal is a 401 with an OperationOutcome saying why and a ``WWW-Authenticate`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from test_service_support import (
    ISS,
    ORDER_SIGN,
    OTHER_ISS,
    Keys,
    asgi_client,
    b64,
    bearer,
    claims,
    config,
    endpoint,
    forge,
    json_server,
    make_app,
    outcome,
    sign,
    warfarin_with_k2,
)

from k2safety.service import AuthConfig, IssuerConfig, ServiceConfig

pytestmark = pytest.mark.anyio

HOOK = endpoint(ORDER_SIGN)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def jku(keys: Keys) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """The JWK Set of the jku key, served on 127.0.0.1."""
    with json_server(lambda handler: (200, keys.jku_set())) as (base, seen):
        yield f"{base}/.well-known/jwks.json", seen


@pytest.fixture
def app(tmp_path: Path, keys: Keys, jku: tuple[str, list[dict[str, str]]]) -> Any:
    return make_app(config(tmp_path, keys, jku=(jku[0],)))


async def call(app: Any, token: str | None, service: str = ORDER_SIGN) -> Any:
    headers = bearer(token) if token is not None else {}
    async with asgi_client(app) as client:
        return await client.post(
            f"/cds-services/{service}", json=warfarin_with_k2(), headers=headers
        )


def _public_pem(keys: Keys) -> bytes:
    return keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _hs256(secret: bytes, header: dict[str, Any], payload: dict[str, Any]) -> str:
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(payload).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


# --- accepted -------------------------------------------------------------------------------------


async def test_an_es384_token_from_the_jwks_file_is_accepted(app: Any, keys: Keys) -> None:
    response = await call(app, sign(keys.ec, claims(HOOK)))
    assert response.status_code == 200, response.text


async def test_an_rs384_token_from_the_jwks_file_is_accepted(app: Any, keys: Keys) -> None:
    token = sign(keys.rsa, claims(HOOK), alg="RS384", kid="rsa-1")
    assert (await call(app, token)).status_code == 200


async def test_aud_may_be_a_list_holding_the_endpoint(app: Any, keys: Keys) -> None:
    token = sign(keys.ec, claims([HOOK, "https://elsewhere.example"]))  # type: ignore[arg-type]
    assert (await call(app, token)).status_code == 200


async def test_a_token_with_a_jku_on_the_allowlist_is_checked_with_its_keys(
    app: Any, keys: Keys, jku: tuple[str, list[dict[str, str]]]
) -> None:
    url, seen = jku
    before = len(seen)
    for _ in range(3):
        token = sign(keys.jku_ec, claims(HOOK), kid="jku-1", jku=url)
        assert (await call(app, token)).status_code == 200
    assert len(seen) == before + 1  # fetched once, then cached


async def test_clock_skew_is_allowed_within_the_setting(app: Any, keys: Keys) -> None:
    now = int(time.time())
    late = sign(keys.ec, claims(HOOK, iat=now - 310, exp=now - 10))
    early = sign(keys.ec, claims(HOOK, iat=now + 10, exp=now + 300))
    assert (await call(app, late)).status_code == 200
    assert (await call(app, early)).status_code == 200


async def test_feedback_takes_the_feedback_url_or_the_service_url_as_aud(
    app: Any, keys: Keys
) -> None:
    body = {
        "feedback": [
            {
                "card": str(uuid.uuid4()),
                "outcome": "overridden",
                "outcomeTimestamp": "2026-11-30T10:00:00Z",
            }
        ]
    }
    async with asgi_client(app) as client:
        for aud in (endpoint(ORDER_SIGN, feedback=True), endpoint(ORDER_SIGN)):
            response = await client.post(
                f"/cds-services/{ORDER_SIGN}/feedback",
                json=body,
                headers=bearer(sign(keys.ec, claims(aud))),
            )
            assert response.status_code == 200, response.text


async def test_authentication_can_be_switched_off_for_trials(tmp_path: Path, keys: Keys) -> None:
    app = make_app(config(tmp_path, keys, insecure=True))
    assert (await call(app, None)).status_code == 200


# --- refused --------------------------------------------------------------------------------------


def _refusals(keys: Keys, jku_url: str) -> list[tuple[str, Any, str]]:
    now = int(time.time())
    good = claims(HOOK)
    header = {"alg": "ES384", "typ": "JWT", "kid": "ec-1"}
    valid = sign(keys.ec, good)
    head, _, signature = valid.split(".")
    tampered_body = b64(json.dumps({**good, "iss": OTHER_ISS}).encode())
    return [
        ("no Authorization header", None, "Bearer token is required"),
        ("another scheme", "Basic dXNlcjpwYXNz", "must be 'Bearer <JWT>'"),
        ("not a JWT", "not-a-jwt", "not a JWT"),
        ("alg none", forge({**header, "alg": "none"}, good), "ES384 or RS384"),
        ("alg HS256", _hs256(b"shared-secret", {**header, "alg": "HS256"}, good), "ES384 or RS384"),
        (
            "HS256 with the public key as secret",
            _hs256(_public_pem(keys), {**header, "alg": "HS256", "kid": "rsa-1"}, good),
            "ES384 or RS384",
        ),
        ("alg RS256", sign(keys.rsa, good, alg="RS256", kid="rsa-1"), "ES384 or RS384"),
        ("alg ES256", sign(keys.p256, good, alg="ES256", kid="p256-1"), "ES384 or RS384"),
        ("no kid", forge({"alg": "ES384", "typ": "JWT"}, good, b"x" * 96), "no kid"),
        ("unknown kid", sign(keys.ec, good, kid="nope"), "kid"),
        ("typ not JWT", sign(keys.ec, good, typ="at+jwt"), "typ"),
        ("crit header", sign(keys.ec, good, crit=["exp"]), "crit"),
        ("untrusted iss", sign(keys.ec, {**good, "iss": "https://evil.example"}), "not a trusted"),
        ("no iss", sign(keys.ec, claims(HOOK, iss=None)), "no iss"),
        ("aud of another service", sign(keys.ec, claims(endpoint("k2safety-patient-view"))), "aud"),
        ("aud of discovery", sign(keys.ec, claims(endpoint())), "aud"),
        (
            "aud of another host",
            sign(keys.ec, claims(HOOK.replace("127.0.0.1", "localhost"))),
            "aud",
        ),
        ("no aud", sign(keys.ec, {k: v for k, v in good.items() if k != "aud"}), "no aud"),
        ("expired", sign(keys.ec, claims(HOOK, iat=now - 400, exp=now - 100)), "expired"),
        (
            "iat in the future",
            sign(keys.ec, claims(HOOK, iat=now + 120, exp=now + 300)),
            "not valid yet",
        ),
        ("nbf in the future", sign(keys.ec, claims(HOOK, nbf=now + 120)), "not valid yet"),
        ("no exp", sign(keys.ec, claims(HOOK, exp=None)), "no exp"),
        ("no iat", sign(keys.ec, claims(HOOK, iat=None)), "no iat"),
        ("no jti", sign(keys.ec, claims(HOOK, jti=None)), "no jti"),
        ("jti not text", sign(keys.ec, claims(HOOK, jti=12345)), "jti"),
        ("lives too long", sign(keys.ec, claims(HOOK, exp=now + 3600)), "lives longer"),
        ("tampered payload", f"{head}.{tampered_body}.{signature}", "signature"),
        ("signed by another key", sign(keys.ec_other, good), "signature"),
        (
            "an RSA kid for ES384",
            forge({**header, "kid": "rsa-1"}, good, b"x" * 96),
            "does not fit",
        ),
        (
            "jku not on the allowlist",
            sign(keys.jku_ec, good, kid="jku-1", jku="https://evil.example/jwks.json"),
            "jku",
        ),
        (
            "jku of another issuer",
            sign(keys.jku_ec, {**good, "iss": OTHER_ISS}, kid="jku-1", jku=jku_url),
            "jku",
        ),
        ("a jku key without the jku", sign(keys.jku_ec, good, kid="jku-1"), "kid"),
        ("a file key named through the jku", sign(keys.ec, good, kid="ec-1", jku=jku_url), "kid"),
        ("a huge token", "a" * 20_000, "too long"),
    ]


_CASES = [case[0] for case in _refusals(Keys(), "https://x.example")]


@pytest.mark.parametrize("case", _CASES)
async def test_a_bad_token_is_refused_with_401_saying_why(
    app: Any, keys: Keys, jku: tuple[str, list[dict[str, str]]], case: str
) -> None:
    (token, words) = next((t, w) for name, t, w in _refusals(keys, jku[0]) if name == case)
    if token is not None and token.startswith("Basic "):
        async with asgi_client(app) as client:
            response = await client.post(
                f"/cds-services/{ORDER_SIGN}",
                json=warfarin_with_k2(),
                headers={"Authorization": token},
            )
    else:
        response = await call(app, token)
    assert response.status_code == 401, response.text
    assert words in outcome(response)
    assert response.json()["issue"][0]["code"] == "security"
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


async def test_a_replayed_token_is_refused(app: Any, keys: Keys) -> None:
    token = sign(keys.ec, claims(HOOK))
    assert (await call(app, token)).status_code == 200
    again = await call(app, token)
    assert again.status_code == 401
    assert "used before" in outcome(again)


async def test_the_same_jti_from_two_issuers_is_two_tokens(app: Any, keys: Keys) -> None:
    jti = str(uuid.uuid4())
    assert (await call(app, sign(keys.ec, claims(HOOK, jti=jti)))).status_code == 200
    other = sign(keys.ec, claims(HOOK, jti=jti, iss=OTHER_ISS))
    assert (await call(app, other)).status_code == 200


async def test_a_full_replay_cache_refuses_with_503(tmp_path: Path, keys: Keys) -> None:
    base = config(tmp_path, keys)
    auth = base.auth.model_dump() | {"replay_cache_size": 1}
    app = make_app(base.with_overrides(auth=auth))
    assert (await call(app, sign(keys.ec, claims(HOOK)))).status_code == 200
    full = await call(app, sign(keys.ec, claims(HOOK)))
    assert full.status_code == 503
    assert "retry" in outcome(full)


async def test_with_no_trusted_issuer_every_call_is_refused(tmp_path: Path, keys: Keys) -> None:
    app = make_app(ServiceConfig(database=str(tmp_path / "f.sqlite3"), auth=AuthConfig()))
    assert (await call(app, sign(keys.ec, claims(HOOK)))).status_code == 401


async def test_an_unreachable_jku_is_a_401(tmp_path: Path, keys: Keys) -> None:
    dead = "http://127.0.0.1:9/jwks.json"  # the discard port: nothing listens
    jwks = tmp_path / "ehr-jwks.json"
    jwks.write_text(json.dumps(keys.file_set()))
    issuers = (IssuerConfig(iss=ISS, jwks_file=jwks, jku=(dead,)),)
    app = make_app(
        ServiceConfig(
            service_url="http://127.0.0.1:8080",
            database=str(tmp_path / "f.sqlite3"),
            auth=AuthConfig(issuers=issuers),
        )
    )
    response = await call(app, sign(keys.jku_ec, claims(HOOK), kid="jku-1", jku=dead))
    assert response.status_code == 401
    assert "could not be fetched" in outcome(response)


async def test_a_jku_serving_no_usable_key_is_a_401(tmp_path: Path, keys: Keys) -> None:
    secret = {"keys": [{"kty": "oct", "kid": "jku-1", "k": "c2VjcmV0", "alg": "HS256"}]}
    with json_server(lambda handler: (200, secret)) as (base, _):
        url = f"{base}/jwks.json"
        app = make_app(config(tmp_path, keys, jku=(url,)))
        response = await call(app, sign(keys.jku_ec, claims(HOOK), kid="jku-1", jku=url))
    assert response.status_code == 401
    assert "usable JWK Set" in outcome(response)
