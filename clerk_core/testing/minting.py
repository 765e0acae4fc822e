"""Mint Clerk-shaped JWTs for tests: session, JWT-template, M2M, OAuth access and handshake tokens.

Every helper takes ``now`` (seconds since the epoch, default :func:`time.time`) so tests
can pin the clock, ``claims`` to add or override payload members and ``header`` to add or
override header members. In both mappings a value of ``None`` removes the member, which is
how tests build tokens with a claim or header missing.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from clerk_core.jwt.categories import JWT_TEMPLATE, M2M_TOKEN, SESSION_TOKEN
from clerk_core.testing.keys import KeyPair

__all__ = [
    "mint_handshake_token",
    "mint_m2m_token",
    "mint_oauth_token",
    "mint_session_token",
    "mint_template_token",
    "sign_jwt",
]

_HASHES: Final[Mapping[str, type[hashes.HashAlgorithm]]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}

#: OpenSSL's RSA consistency check costs ~40 ms per key load, paid on every sign_jwt call
#: with a PEM or JWK. A test helper can skip it: an inconsistent key only yields tokens
#: that fail verification, which is what such a test would be checking anyway.
_SKIP_KEY_CHECK: Final = True

#: Defaults shared by the session-token helpers; recognisable as local values.
DEFAULT_AZP: Final = "http://localhost:3000"
DEFAULT_ISS: Final = "https://clerk.local.dev"
#: Claim naming the template in tokens from :func:`mint_template_token`; a local marker, not Clerk's.
TEMPLATE_CLAIM: Final = "template"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_int(value: Any, name: str) -> int:
    if not isinstance(value, str):
        raise TypeError(f"JWK member {name!r} must be a base64url string")
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def _json(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def _private_key_from_jwk(jwk: Mapping[str, Any]) -> rsa.RSAPrivateKey:
    if jwk.get("kty") != "RSA":
        raise ValueError("sign_jwt supports RSA keys only")
    if "d" not in jwk:
        raise ValueError("sign_jwt needs a private key")
    n = _b64url_int(jwk.get("n"), "n")
    e = _b64url_int(jwk.get("e"), "e")
    d = _b64url_int(jwk["d"], "d")
    if "p" in jwk and "q" in jwk:
        p = _b64url_int(jwk["p"], "p")
        q = _b64url_int(jwk["q"], "q")
    else:
        # A JWK may legally carry only n/e/d (RFC 7518 §6.3.2); recover the primes.
        p, q = rsa.rsa_recover_prime_factors(n, e, d)
    dp = _b64url_int(jwk["dp"], "dp") if "dp" in jwk else rsa.rsa_crt_dmp1(d, p)
    dq = _b64url_int(jwk["dq"], "dq") if "dq" in jwk else rsa.rsa_crt_dmq1(d, q)
    qi = _b64url_int(jwk["qi"], "qi") if "qi" in jwk else rsa.rsa_crt_iqmp(p, q)
    numbers = rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, rsa.RSAPublicNumbers(e, n))
    return numbers.private_key(unsafe_skip_rsa_key_validation=_SKIP_KEY_CHECK)


def _private_key_from_pem(pem: str) -> rsa.RSAPrivateKey:
    data = pem.encode("ascii")
    try:
        key = serialization.load_pem_private_key(data, password=None, unsafe_skip_rsa_key_validation=_SKIP_KEY_CHECK)
    except ValueError:
        try:
            serialization.load_pem_public_key(data)
        except ValueError:
            raise ValueError("sign_jwt could not load the PEM key") from None
        raise ValueError("sign_jwt needs a private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("sign_jwt supports RSA keys only")
    return key


def _resolve_key(
    key: KeyPair | str | Mapping[str, Any],
) -> tuple[rsa.RSAPrivateKey, str | None]:
    if isinstance(key, KeyPair):
        return key.private_key, key.kid
    if isinstance(key, str):
        return _private_key_from_pem(key), None
    if isinstance(key, Mapping):
        kid = key.get("kid")
        return _private_key_from_jwk(key), kid if isinstance(kid, str) else None
    raise TypeError("sign_jwt key must be a KeyPair, a PKCS#8 PEM string or a private JWK mapping")


def _apply(base: dict[str, Any], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge ``overrides`` into ``base``; a ``None`` value deletes the member."""
    if overrides:
        for name, value in overrides.items():
            if value is None:
                base.pop(name, None)
            else:
                base[name] = value
    return base


def sign_jwt(
    payload: Mapping[str, Any],
    key: KeyPair | str | Mapping[str, Any],
    *,
    algorithm: str = "RS256",
    header: Mapping[str, Any] | None = None,
) -> str:
    """Sign ``payload`` as a compact JWS with RSASSA-PKCS1-v1_5.

    ``key`` is a :class:`KeyPair`, an unencrypted private key PEM, or a private RSA JWK.
    The header is ``{"typ": "JWT", "alg": algorithm}`` plus ``kid`` when the key has one;
    ``header`` is merged on top (``None`` removes a member). The header's ``alg`` may be
    overridden to lie about the algorithm; the signature always uses ``algorithm``.
    Unlike the reference ``signJwt``, ``iat`` is left as given so tests control time.
    """
    if not algorithm:
        raise ValueError("No algorithm specified")
    hash_cls = _HASHES.get(algorithm)
    if hash_cls is None:
        raise ValueError(f"Unsupported algorithm: {algorithm!r}")
    private_key, kid = _resolve_key(key)
    full_header: dict[str, Any] = {"typ": "JWT", "alg": algorithm}
    if kid is not None:
        full_header["kid"] = kid
    _apply(full_header, header)
    signing_input = f"{_b64url(_json(full_header))}.{_b64url(_json(payload))}"
    signature = private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hash_cls())
    return f"{signing_input}.{_b64url(signature)}"


def _now(now: float | None) -> int:
    return int(time.time() if now is None else now)


def _cat_header(cat: str | None, header: Mapping[str, Any] | None) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if cat is not None:
        merged["cat"] = cat
    if header:
        merged.update(header)
    return merged


def _org_claims(org: Mapping[str, Any], version: int) -> dict[str, Any]:
    if version == 1:
        return {
            "org_id": org.get("id"),
            "org_role": org.get("role"),
            "org_slug": org.get("slug"),
            "org_permissions": list(org.get("permissions") or []),
        }
    role = org.get("role")
    if isinstance(role, str) and role.startswith("org:"):
        role = role[len("org:") :]
    compact: dict[str, Any] = {"id": org.get("id"), "rol": role, "slg": org.get("slug")}
    for name in ("per", "fpm"):
        if org.get(name) is not None:
            compact[name] = org[name]
    claims: dict[str, Any] = {"o": compact}
    if org.get("features") is not None:
        claims["fea"] = org["features"]
    return claims


def mint_session_token(
    keys: KeyPair,
    *,
    sub: str = "user_2local",
    sid: str = "sess_2local",
    now: float | None = None,
    ttl: int = 60,
    iat: int | None = None,
    exp: int | None = None,
    nbf: int | None = None,
    azp: str | None = DEFAULT_AZP,
    iss: str | None = DEFAULT_ISS,
    version: int = 1,
    org: Mapping[str, Any] | None = None,
    claims: Mapping[str, Any] | None = None,
    header: Mapping[str, Any] | None = None,
    cat: str | None = SESSION_TOKEN,
) -> str:
    """Mint a Clerk session token (the ``__session`` cookie / Bearer JWT).

    Defaults: ``iat = int(now)``, ``nbf = iat - 5``, ``exp = iat + ttl``. ``azp``/``iss``
    set to ``None`` are omitted. ``version=1`` emits the classic claims; ``version=2`` adds
    ``"v": 2`` and uses the compact organization form.

    ``org`` keys: ``id``, ``slug``, ``role`` (e.g. ``"org:admin"``) and, for v1,
    ``permissions`` (list → ``org_permissions``); for v2 ``role`` loses its ``org:`` prefix
    in ``o.rol``, ``per`` and ``fpm`` (comma strings) go into ``o`` verbatim and ``features``
    (e.g. ``"o:x,u:y"``) becomes the top-level ``fea`` claim.
    """
    if version not in (1, 2):
        raise ValueError("version must be 1 or 2")
    issued = _now(now) if iat is None else iat
    payload: dict[str, Any] = {
        "azp": azp,
        "exp": issued + ttl if exp is None else exp,
        "iat": issued,
        "iss": iss,
        "nbf": issued - 5 if nbf is None else nbf,
        "sid": sid,
        "sub": sub,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    if version == 2:
        payload["v"] = 2
    if org is not None:
        payload.update(_org_claims(org, version))
    _apply(payload, claims)
    return sign_jwt(payload, keys, algorithm=keys.alg, header=_cat_header(cat, header))


def mint_template_token(
    keys: KeyPair,
    template: str,
    *,
    sub: str = "user_2local",
    sid: str = "sess_2local",
    now: float | None = None,
    ttl: int = 60,
    jti: str | None = None,
    azp: str | None = DEFAULT_AZP,
    iss: str | None = DEFAULT_ISS,
    claims: Mapping[str, Any] | None = None,
    header: Mapping[str, Any] | None = None,
    cat: str | None = JWT_TEMPLATE,
) -> str:
    """Mint a token from the JWT template ``template`` (header ``cat`` = ``JWT_TEMPLATE``).

    Carries the time claims, ``sub``, ``sid``, ``azp``/``iss`` (omitted when ``None``), a
    ``jti`` (random unless given) and ``TEMPLATE_CLAIM`` (``"template"``) = ``template`` so
    tests can tell which template produced it; ``claims`` stand for the template's own claims.
    """
    issued = _now(now)
    payload: dict[str, Any] = {
        "azp": azp,
        "exp": issued + ttl,
        "iat": issued,
        "iss": iss,
        "jti": jti if jti is not None else secrets.token_hex(10),
        "nbf": issued - 5,
        "sid": sid,
        "sub": sub,
        TEMPLATE_CLAIM: template,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    _apply(payload, claims)
    return sign_jwt(payload, keys, algorithm=keys.alg, header=_cat_header(cat, header))


def mint_m2m_token(
    keys: KeyPair,
    *,
    sub: str = "mch_2local",
    jti: str = "mt_2local",
    scopes: str | None = "mch_other",
    aud: Sequence[str] | None = None,
    now: float | None = None,
    ttl: int = 60,
    claims: Mapping[str, Any] | None = None,
    header: Mapping[str, Any] | None = None,
    cat: str | None = M2M_TOKEN,
) -> str:
    """Mint a machine-to-machine JWT (``sub`` starting with ``mch_``).

    ``scopes`` is the space-separated ``scopes`` claim (omitted when ``None``); ``aud``,
    when given, is emitted as a list.
    """
    issued = _now(now)
    payload: dict[str, Any] = {
        "exp": issued + ttl,
        "iat": issued,
        "jti": jti,
        "nbf": issued - 5,
        "sub": sub,
    }
    if scopes is not None:
        payload["scopes"] = scopes
    if aud is not None:
        payload["aud"] = list(aud)
    _apply(payload, claims)
    return sign_jwt(payload, keys, algorithm=keys.alg, header=_cat_header(cat, header))


def mint_oauth_token(
    keys: KeyPair,
    *,
    sub: str = "user_2local",
    client_id: str = "client_2local",
    scope: str | None = "read write",
    jti: str = "oat_2local",
    now: float | None = None,
    ttl: int = 60,
    typ: str = "at+jwt",
    claims: Mapping[str, Any] | None = None,
    header: Mapping[str, Any] | None = None,
) -> str:
    """Mint an RFC 9068 OAuth access token JWT (header ``typ`` = ``at+jwt`` by default).

    Carries ``client_id``, the space-separated ``scope`` (omitted when ``None``), ``jti``,
    ``iss`` and the time claims; no ``cat`` header, as Clerk's IdP does not stamp one.
    """
    issued = _now(now)
    payload: dict[str, Any] = {
        "client_id": client_id,
        "exp": issued + ttl,
        "iat": issued,
        "iss": DEFAULT_ISS,
        "jti": jti,
        "nbf": issued - 5,
        "sub": sub,
    }
    if scope is not None:
        payload["scope"] = scope
    _apply(payload, claims)
    merged_header: dict[str, Any] = {"typ": typ}
    if header:
        merged_header.update(header)
    return sign_jwt(payload, keys, algorithm=keys.alg, header=merged_header)


def mint_handshake_token(
    keys: KeyPair,
    directives: Sequence[str],
    *,
    now: float | None = None,
    ttl: int = 60,
    claims: Mapping[str, Any] | None = None,
    cat: str | None = SESSION_TOKEN,
    header: Mapping[str, Any] | None = None,
) -> str:
    """Mint a legacy ``__clerk_handshake`` token whose ``handshake`` claim lists Set-Cookie directives."""
    issued = _now(now)
    payload: dict[str, Any] = {
        "exp": issued + ttl,
        "handshake": list(directives),
        "iat": issued,
    }
    _apply(payload, claims)
    return sign_jwt(payload, keys, algorithm=keys.alg, header=_cat_header(cat, header))
