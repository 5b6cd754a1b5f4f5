"""Who may call: CDS Hooks Bearer JWTs, checked as the specification asks.

A call carries ``Authorization: Bearer <JWT>``, signed by a CDS client the configuration
trusts. The token is refused unless:

* its header names ``ES384`` or ``RS384`` (``none``, HMAC and everything else are refused), a
  ``kid``, no ``crit``, and ``typ`` is ``JWT`` when given;
* its ``iss`` is a configured issuer, and its key comes from that issuer: from the JWK Set at
  the header's ``jku`` when that URL is on the issuer's allowlist, otherwise from the issuer's
  JWK Set file; the key fits the algorithm (P-384 for ES384, RSA of 2048 bits or more for
  RS384);
* the signature holds; ``aud`` is the URL of the endpoint called; ``exp`` and ``iat`` are
  present and hold within the configured clock skew; the token lives no longer than the
  configured lifetime; and ``jti`` has not been seen before from that issuer while unexpired.

Nothing here writes a token, or any part of one, to a log.
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.exceptions import InvalidJTIError

from k2safety.service._config import AuthConfig, ConfigError, IssuerConfig

__all__ = ["ALGORITHMS", "AuthError", "Authenticator", "Client", "read_jwks"]

ALGORITHMS = ("ES384", "RS384")
"""The only signing algorithms accepted (CDS Hooks recommends these two)."""
TOKEN_LIMIT = 16_384
"""The longest token read, in characters."""
JWKS_LIMIT = 262_144
"""The largest JWK Set read from a ``jku`` URL, in bytes."""
_REFETCH_AFTER = 30.0
"""The shortest time between two fetches of one ``jku`` URL for an unknown ``kid``."""


class AuthError(Exception):
    """A call that is not authenticated; ``status`` is 401, or 503 when the service cannot
    check the token now. The message may be shown to the caller; it never quotes the token."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Client:
    """The CDS client a call came from, as its token says."""

    iss: str
    sub: str | None = None
    tenant: str | None = None


Keys = Mapping[str, jwt.PyJWK]


def read_jwks(document: object, *, where: str) -> dict[str, jwt.PyJWK]:
    """The signing keys of a JWK Set, by ``kid``: EC P-384 and RSA keys of 2048 bits or more.

    Other keys (symmetric ``oct`` keys above all) are left out; a set with no usable key, or
    one ``kid`` used twice, is refused with :class:`ValueError`.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError(f"{where} is not a JWK Set (an object with a 'keys' list)")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") not in {"EC", "RSA"}:
            continue
        if entry.get("use", "sig") != "sig" or "d" in entry:
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        algorithm = "ES384" if entry["kty"] == "EC" else "RS384"
        if entry.get("alg", algorithm) != algorithm:
            continue
        try:
            key = jwt.PyJWK({**entry, "alg": algorithm}, algorithm=algorithm)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue
        if not _fits(key, algorithm):
            continue
        if kid in keys:
            raise ValueError(f"{where} lists the kid {kid!r} twice")
        keys[kid] = key
    if not keys:
        raise ValueError(f"{where} holds no EC P-384 or RSA (2048 bits or more) signing key")
    return keys


def _fits(key: jwt.PyJWK, algorithm: str) -> bool:
    material = key.key
    if algorithm == "ES384":
        return isinstance(material, ec.EllipticCurvePublicKey) and isinstance(
            material.curve, ec.SECP384R1
        )
    return isinstance(material, rsa.RSAPublicKey) and material.key_size >= 2048


def _read_jwks_file(path: Path) -> dict[str, jwt.PyJWK]:
    try:
        document = json.loads(path.read_text("utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read the JWK Set file {path}: {error.strerror}") from None
    except (ValueError, UnicodeDecodeError):
        raise ConfigError(f"the JWK Set file {path} is not JSON") from None
    try:
        return read_jwks(document, where=f"the JWK Set file {path}")
    except ValueError as error:
        raise ConfigError(str(error)) from None


class _ReplayCache:
    """The ``(iss, jti)`` pairs of unexpired tokens already used, bounded in size."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._expiry: dict[tuple[str, str], float] = {}
        self._queue: list[tuple[float, tuple[str, str]]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    def add(self, key: tuple[str, str], until: float, now: float) -> bool:
        """Remember ``key`` until ``until``; False if it is remembered already."""
        queue, expiry = self._queue, self._expiry
        while queue and queue[0][0] <= now:
            _, old = heapq.heappop(queue)
            if expiry.get(old, now + 1) <= now:
                del expiry[old]
        if expiry.get(key, now) > now:
            return False
        if len(expiry) >= self._capacity:
            raise AuthError("too many recent tokens to check for replay; retry shortly", 503)
        expiry[key] = until
        heapq.heappush(queue, (until, key))
        return True


@dataclass(slots=True)
class _Fetched:
    keys: dict[str, jwt.PyJWK]
    expires: float
    fetched: float


class Authenticator:
    """Checks the ``Authorization`` header of a call against the configuration."""

    def __init__(self, config: AuthConfig, *, clock: Any = time.time) -> None:
        self._config = config
        self._clock = clock
        self._issuers: dict[str, IssuerConfig] = {issuer.iss: issuer for issuer in config.issuers}
        self._file_keys: dict[str, dict[str, jwt.PyJWK]] = {
            issuer.iss: _read_jwks_file(issuer.jwks_file)
            for issuer in config.issuers
            if issuer.jwks_file is not None
        }
        self._fetched: dict[str, _Fetched] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._replay = _ReplayCache(config.replay_cache_size)

    @property
    def disabled(self) -> bool:
        return self._config.insecure_no_auth

    async def authenticate(self, authorization: str | None, audiences: Sequence[str]) -> Client:
        """The client a call comes from; raises :class:`AuthError` when it cannot be trusted.

        ``audiences`` are the ``aud`` values accepted for the endpoint called.
        """
        if self._config.insecure_no_auth:
            return Client(iss="(authentication disabled)")
        token = _bearer(authorization)
        header = _header(token)
        algorithm = header["alg"]
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            raise AuthError("the token's payload is not a JSON object") from None
        iss = unverified.get("iss")
        if not isinstance(iss, str) or not iss:
            raise AuthError("the token has no iss")
        issuer = self._issuers.get(iss)
        if issuer is None:
            raise AuthError("the token's iss is not a trusted CDS client")
        key = await self._key(issuer, header)
        if not _fits(key, algorithm):
            raise AuthError("the key named by kid does not fit the token's alg")
        skew = self._config.clock_skew_seconds
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                audience=list(audiences),
                issuer=iss,
                leeway=skew,
                options={"require": ["iss", "aud", "exp", "iat", "jti"], "verify_nbf": True},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("the token is not valid yet (iat or nbf in the future)") from None
        except jwt.InvalidAudienceError:
            raise AuthError(f"the token's aud must be {audiences[0]}") from None
        except jwt.MissingRequiredClaimError as error:
            raise AuthError(f"the token has no {error.claim}") from None
        except jwt.InvalidSignatureError:
            raise AuthError("the token's signature does not verify") from None
        except InvalidJTIError:
            raise AuthError("the token's jti must be text of 1 to 256 characters") from None
        except jwt.InvalidTokenError:
            raise AuthError("the token is invalid") from None
        return self._checked(claims, iss)

    def _checked(self, claims: dict[str, Any], iss: str) -> Client:
        now = self._clock()
        skew = self._config.clock_skew_seconds
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        if not isinstance(iat, int | float) or isinstance(iat, bool):
            raise AuthError("the token's iat is not a number")
        if iat > now + skew:
            raise AuthError("the token is not valid yet (iat in the future)")
        if exp - iat > self._config.max_token_lifetime_seconds:
            raise AuthError(
                f"the token lives longer than {self._config.max_token_lifetime_seconds} seconds"
            )
        if not isinstance(jti, str) or not 0 < len(jti) <= 256:
            raise AuthError("the token's jti must be text of 1 to 256 characters")
        if not self._replay.add((iss, jti), float(exp) + skew, now):
            raise AuthError("the token was used before (jti replayed)")
        sub, tenant = claims.get("sub"), claims.get("tenant")
        return Client(
            iss=iss,
            sub=sub if isinstance(sub, str) else None,
            tenant=tenant if isinstance(tenant, str) else None,
        )

    async def _key(self, issuer: IssuerConfig, header: Mapping[str, Any]) -> jwt.PyJWK:
        kid = header["kid"]
        jku = header.get("jku")
        if jku is not None:
            if not isinstance(jku, str) or jku not in issuer.jku:
                raise AuthError("the token's jku is not on the allowlist for its iss")
            keys = await self._jku_keys(jku, kid)
        elif issuer.iss in self._file_keys:
            keys = self._file_keys[issuer.iss]
        else:
            raise AuthError("the token has no jku, and its iss has no configured JWK Set file")
        key = keys.get(kid)
        if key is None:
            raise AuthError("no key of the token's iss has the token's kid")
        return key

    async def _jku_keys(self, url: str, kid: str) -> Keys:
        now = time.monotonic()
        cached = self._fetched.get(url)
        if cached is not None and now < cached.expires and kid in cached.keys:
            return cached.keys
        lock = self._locks.setdefault(url, asyncio.Lock())
        async with lock:
            cached = self._fetched.get(url)
            now = time.monotonic()
            fresh = cached is not None and now < cached.expires
            if cached is not None and (
                (fresh and kid in cached.keys) or now - cached.fetched < _REFETCH_AFTER
            ):
                return cached.keys
            keys = await _fetch_jwks(url)
            self._fetched[url] = _Fetched(
                keys=keys, expires=now + self._config.jwks_cache_seconds, fetched=now
            )
            return keys


async def _fetch_jwks(url: str) -> dict[str, jwt.PyJWK]:
    try:
        async with (
            httpx.AsyncClient(timeout=5.0, follow_redirects=False, trust_env=False) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                raise AuthError("the JWK Set at the token's jku could not be fetched", 401)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > JWKS_LIMIT:
                    raise AuthError("the JWK Set at the token's jku is too large", 401)
    except httpx.HTTPError:
        raise AuthError("the JWK Set at the token's jku could not be fetched") from None
    try:
        return read_jwks(json.loads(body), where="the JWK Set at the token's jku")
    except ValueError:
        raise AuthError("the token's jku does not hold a usable JWK Set") from None


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("a Bearer token is required (Authorization: Bearer <JWT>)")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError("the Authorization header must be 'Bearer <JWT>'")
    if len(token) > TOKEN_LIMIT:
        raise AuthError("the token is too long")
    return token


def _header(token: str) -> dict[str, Any]:
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict):
        raise AuthError("the token is not a JWT (header.payload.signature)")
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise AuthError("the token's alg must be ES384 or RS384 (none and HMAC are refused)")
    kid = header.get("kid")
    if not isinstance(kid, str) or not 0 < len(kid) <= 256:
        raise AuthError("the token's header has no kid")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
        raise AuthError("the token's typ must be JWT")
    if "crit" in header:
        raise AuthError("the token's header has crit parameters, which are not supported")
    return header
