"""Machine tokens: telling them apart, and shaping verified JWT payloads.

Opaque tokens carry a prefix (``mt_`` M2M, ``oat_`` OAuth access token, ``ak_``
API key) and are verified by the Backend API. Two JWT kinds are verified
locally: an M2M JWT has a ``sub`` starting with ``mch_``; an OAuth access token
JWT has the RFC 9068 ``typ`` (``at+jwt`` or ``application/at+jwt``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Final

from ..api.models import M2MToken, OAuthAccessToken
from ..errors import TokenVerificationError
from ..jwt.decode import decode_jwt

__all__ = [
    "API_KEY",
    "M2M_TOKEN",
    "OAUTH_ACCESS_TOKEN_TYPES",
    "OAUTH_TOKEN",
    "SESSION_TOKEN",
    "is_jwt_format",
    "is_machine_token",
    "jwt_type",
    "m2m_from_jwt_payload",
    "machine_token_type",
    "oauth_from_jwt_payload",
    "prefix_type",
]

SESSION_TOKEN: Final = "session_token"
API_KEY: Final = "api_key"
M2M_TOKEN: Final = "m2m_token"
OAUTH_TOKEN: Final = "oauth_token"

M2M_TOKEN_PREFIX: Final = "mt_"
OAUTH_TOKEN_PREFIX: Final = "oat_"
API_KEY_PREFIX: Final = "ak_"
M2M_SUBJECT_PREFIX: Final = "mch_"
OAUTH_ACCESS_TOKEN_TYPES: Final = ("at+jwt", "application/at+jwt")

_JWT_FORMAT: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_JWT_RESERVED: Final = frozenset({"iss", "sub", "exp", "nbf", "iat", "jti"})


def is_jwt_format(token: str) -> bool:
    """Three non-empty base64url segments separated by dots."""
    return _JWT_FORMAT.fullmatch(token) is not None


def _decoded(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    if not is_jwt_format(token):
        return None
    try:
        jwt = decode_jwt(token)
    except TokenVerificationError:
        return None
    return jwt.header, jwt.payload


def prefix_type(token: str) -> str | None:
    """The type of an opaque machine token by its prefix, or None."""
    if token.startswith(M2M_TOKEN_PREFIX):
        return M2M_TOKEN
    if token.startswith(OAUTH_TOKEN_PREFIX):
        return OAUTH_TOKEN
    if token.startswith(API_KEY_PREFIX):
        return API_KEY
    return None


def jwt_type(header: Mapping[str, Any], payload: Mapping[str, Any]) -> str | None:
    """The machine type of a decoded JWT (M2M by ``sub``, OAuth by ``typ``), or None for a session-like JWT."""
    sub = payload.get("sub")
    if isinstance(sub, str) and sub.startswith(M2M_SUBJECT_PREFIX):
        return M2M_TOKEN
    if header.get("typ") in OAUTH_ACCESS_TOKEN_TYPES:
        return OAUTH_TOKEN
    return None


def machine_token_type(token: str) -> str | None:
    """``m2m_token``, ``oauth_token``, ``api_key``, or None for anything else (a session token)."""
    kind = prefix_type(token)
    if kind is not None:
        return kind
    decoded = _decoded(token)
    return None if decoded is None else jwt_type(*decoded)


def is_machine_token(token: str) -> bool:
    """True for an opaque machine token or a machine JWT."""
    return machine_token_type(token) is not None


def _ms(value: object) -> int | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return math.trunc(value) * 1000
    return None


def _expired(exp_ms: int | None, now: float, skew_ms: float) -> bool:
    return exp_ms is not None and exp_ms <= now * 1000 - skew_ms


def m2m_from_jwt_payload(payload: dict[str, Any], *, now: float, clock_skew_ms: float) -> M2MToken:
    """The reference's ``M2MToken.fromJwtPayload``: times in milliseconds."""
    scopes = payload.get("scopes")
    aud = payload.get("aud")
    if isinstance(scopes, str):
        scope_list = scopes.split(" ")
    elif isinstance(aud, list):
        scope_list = [a for a in aud if isinstance(a, str)]
    else:
        scope_list = []
    claims = {k: v for k, v in payload.items() if k not in _JWT_RESERVED} or None
    exp, iat = _ms(payload.get("exp")), _ms(payload.get("iat"))
    return M2MToken(
        id=str(payload.get("jti") or ""),
        subject=str(payload.get("sub", "")),
        scopes=scope_list,
        claims=claims,
        expired=_expired(exp, now, clock_skew_ms),
        expiration=exp,
        created_at=iat,
        updated_at=iat,
    )


def oauth_from_jwt_payload(payload: dict[str, Any], *, now: float, clock_skew_ms: float) -> OAuthAccessToken:
    """The reference's ``IdPOAuthAccessToken.fromJwtPayload``: scopes from ``scp`` or ``scope``."""
    scp, scope = payload.get("scp"), payload.get("scope")
    if scp is not None:
        scopes = list(scp) if isinstance(scp, list) and all(isinstance(s, str) for s in scp) else []
    elif isinstance(scope, str):
        scopes = [s for s in scope.split(" ") if s]
    else:
        scopes = []
    exp, iat = _ms(payload.get("exp")), _ms(payload.get("iat"))
    sub = payload.get("sub")
    return OAuthAccessToken(
        id=str(payload.get("jti") or ""),
        client_id=str(payload.get("client_id") or ""),
        subject=sub if isinstance(sub, str) else "",
        scopes=scopes,
        expired=_expired(exp, now, clock_skew_ms),
        expiration=exp,
        created_at=iat,
        updated_at=iat,
        aud=payload.get("aud"),
    )
