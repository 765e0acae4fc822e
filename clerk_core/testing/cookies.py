"""Clerk's browser cookies as the local instance writes them: publishable keys, suffixes, directives.

A *directive* is one ``Set-Cookie`` header value, the unit the Frontend API hands back in a
handshake (``handshake`` claim of ``__clerk_handshake``, or ``GET /v1/clients/handshake_payload``)
and the Backend API returns from ``POST /v1/sessions/{id}/refresh`` with ``format=cookie``.

The attribute layout follows headers captured from Clerk's Frontend API::

    __session=<jwt>; Path=/; Secure; SameSite=Lax
    __session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; SameSite=Lax
    __client_uat=1750000000; Path=/; Max-Age=315360000; Secure; SameSite=Lax
    __client_uat=0; Path=/; Max-Age=315360000; Secure; SameSite=Lax

``Domain=<domain>`` follows ``Path=/`` when a domain is given. Development origins over plain
HTTP get no ``Secure`` attribute (``secure=False``), as Clerk does for ``localhost``; this also
keeps the cookies usable by cookie jars that refuse ``Secure`` cookies over ``http``.

Suffixed cookies (``__session_<suffix>`` …) carry the same value as their un-suffixed twin;
clerk-js writes both, so the directives do too: un-suffixed first, suffixed second.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from typing import Final

__all__ = [
    "CLIENT_UAT_COOKIE",
    "DEFAULT_FRONTEND_API",
    "DEV_BROWSER_COOKIE",
    "REFRESH_COOKIE",
    "SESSION_COOKIE",
    "build_publishable_key",
    "cookie_suffix",
    "frontend_api_from_publishable_key",
    "handshake_directives",
    "session_directives",
    "suffixed",
]

SESSION_COOKIE: Final = "__session"
CLIENT_UAT_COOKIE: Final = "__client_uat"
#: Always suffixed in a browser: ``__refresh_<suffix>``.
REFRESH_COOKIE: Final = "__refresh"
#: A development browser holds it both plain and suffixed.
DEV_BROWSER_COOKIE: Final = "__clerk_db_jwt"

#: Frontend API host of the default local instance; matches the ``iss`` of minted tokens.
DEFAULT_FRONTEND_API: Final = "clerk.local.dev"

#: ``__client_uat`` lives ten years, as on Clerk's Frontend API.
CLIENT_UAT_MAX_AGE: Final = 315_360_000
_EPOCH: Final = "Thu, 01 Jan 1970 00:00:00 GMT"
_PREFIXES: Final = ("pk_test_", "pk_live_")


def build_publishable_key(frontend_api: str = DEFAULT_FRONTEND_API, *, live: bool = False) -> str:
    """``pk_test_`` (or ``pk_live_``) + standard base64 of ``"<frontend_api>$"``, padding kept.

    This is how Clerk derives publishable keys; the default is ``pk_test_Y2xlcmsubG9jYWwuZGV2JA==``.
    """
    if not frontend_api or "$" in frontend_api:
        raise ValueError("frontend_api must be a non-empty host name")
    encoded = base64.b64encode(f"{frontend_api}$".encode()).decode("ascii")
    return ("pk_live_" if live else "pk_test_") + encoded


def frontend_api_from_publishable_key(publishable_key: str) -> str:
    """The Frontend API host a publishable key names; ``ValueError`` if it is not one."""
    prefix = next((p for p in _PREFIXES if publishable_key.startswith(p)), None)
    if prefix is None:
        raise ValueError("a publishable key starts with pk_test_ or pk_live_")
    encoded = publishable_key[len(prefix) :]
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("the publishable key does not hold a base64 frontend API host") from None
    if not decoded.endswith("$") or len(decoded) < 2:
        raise ValueError("the publishable key's decoded host must end with '$'")
    return decoded[:-1]


def cookie_suffix(publishable_key: str) -> str:
    """Clerk's cookie suffix: the first 8 characters of base64url(SHA-1(publishable key))."""
    digest = hashlib.sha1(publishable_key.encode("utf-8"), usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:8]


def suffixed(name: str, suffix: str) -> str:
    """``<name>_<suffix>``, e.g. ``__session_AbCd1234``."""
    return f"{name}_{suffix}"


def _directive(name: str, value: str, *, lifetime: str | None, domain: str | None, secure: bool) -> str:
    parts = [f"{name}={value}", "Path=/"]
    if domain:
        parts.append(f"Domain={domain}")
    if lifetime:
        parts.append(lifetime)
    if secure:
        parts.append("Secure")
    parts.append("SameSite=Lax")
    return "; ".join(parts)


def _names(base: str, suffix: str | None) -> list[str]:
    return [base, suffixed(base, suffix)] if suffix else [base]


def session_directives(
    session_token: str | None,
    *,
    suffix: str | None = None,
    domain: str | None = None,
    secure: bool = True,
) -> list[str]:
    """``__session`` (and ``__session_<suffix>``) set to ``session_token``, or cleared when it is empty."""
    if session_token:
        return [
            _directive(name, session_token, lifetime=None, domain=domain, secure=secure)
            for name in _names(SESSION_COOKIE, suffix)
        ]
    return [
        _directive(name, "", lifetime=f"Expires={_EPOCH}", domain=domain, secure=secure)
        for name in _names(SESSION_COOKIE, suffix)
    ]


def _token_iat(session_token: str) -> int | None:
    try:
        segment = session_token.split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (IndexError, ValueError):
        return None
    iat = payload.get("iat") if isinstance(payload, dict) else None
    return iat if isinstance(iat, int) and not isinstance(iat, bool) else None


def handshake_directives(
    *,
    session_token: str | None,
    client_uat: int | str | None = None,
    suffix: str | None = None,
    domain: str | None = None,
    secure: bool = True,
) -> list[str]:
    """The Set-Cookie directives a handshake would carry for a signed-in or signed-out browser.

    Signed in (``session_token`` non-empty): ``__session=<jwt>`` and ``__client_uat=<ts>``,
    where ``client_uat`` defaults to the token's ``iat`` (or now, if it cannot be read).
    Signed out (``None`` or ``""``): ``__session`` cleared with an epoch ``Expires`` and
    ``__client_uat=0``. With ``suffix``, each cookie is followed by its ``_<suffix>`` twin.
    Order: ``__session``, ``__session_<suffix>``, ``__client_uat``, ``__client_uat_<suffix>``.
    """
    if client_uat is None:
        if session_token:
            iat = _token_iat(session_token)
            client_uat = iat if iat is not None else int(time.time())
        else:
            client_uat = 0
    uat_lifetime = f"Max-Age={CLIENT_UAT_MAX_AGE}"
    directives = session_directives(session_token, suffix=suffix, domain=domain, secure=secure)
    directives += [
        _directive(name, str(client_uat), lifetime=uat_lifetime, domain=domain, secure=secure)
        for name in _names(CLIENT_UAT_COOKIE, suffix)
    ]
    return directives
