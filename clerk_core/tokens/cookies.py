"""Cookie, query-parameter and header names, and the suffixed-cookie decision.

Names are the reference's ``B/constants.ts`` values. Browsers keep one cookie jar per
eTLD+1, so Clerk writes the session cookies twice: plain (``__session``) and suffixed
with a hash of the publishable key (``__session_<suffix>``, see
:func:`~clerk_core.tokens.publishable_key.cookie_suffix`). :func:`uses_suffixed_cookies`
decides which of the two sets a request is read from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Final

from ..errors import TokenVerificationError
from ..jwt.decode import decode_jwt
from ._js import UNDEFINED, js_truthy

__all__ = [
    "API_VERSION_PARAM",
    "CLIENT_UAT",
    "DEV_BROWSER",
    "HANDSHAKE",
    "HANDSHAKE_FORMAT_PARAM",
    "HANDSHAKE_HELP_PARAM",
    "HANDSHAKE_NONCE",
    "HANDSHAKE_REASON_PARAM",
    "LEGACY_DEV_BROWSER",
    "ORGANIZATION_ID_PARAM",
    "REDIRECT_COUNT",
    "REDIRECT_URL_PARAM",
    "REFRESH",
    "SESSION",
    "SUFFIXED_COOKIES_PARAM",
    "SYNCED_PARAM",
    "Cookies",
    "Headers",
    "QueryParameters",
    "SyncStatus",
    "directive_name",
    "directive_value",
    "uses_suffixed_cookies",
]

# --- Cookies -------------------------------------------------------------------------------
SESSION: Final = "__session"
#: Read suffixed only (``__refresh_<suffix>``).
REFRESH: Final = "__refresh"
CLIENT_UAT: Final = "__client_uat"
#: Never suffixed.
HANDSHAKE: Final = "__clerk_handshake"
DEV_BROWSER: Final = "__clerk_db_jwt"
REDIRECT_COUNT: Final = "__clerk_redirect_count"
HANDSHAKE_NONCE: Final = "__clerk_handshake_nonce"

# --- Query parameters (``__clerk_db_jwt``, ``__clerk_handshake``, ``__clerk_handshake_nonce``
# and ``__session`` share the cookie names above) --------------------------------------------
SYNCED_PARAM: Final = "__clerk_synced"
SUFFIXED_COOKIES_PARAM: Final = "suffixed_cookies"
REDIRECT_URL_PARAM: Final = "__clerk_redirect_url"
HANDSHAKE_HELP_PARAM: Final = "__clerk_help"
LEGACY_DEV_BROWSER: Final = "__dev_session"
HANDSHAKE_REASON_PARAM: Final = "__clerk_hs_reason"
HANDSHAKE_FORMAT_PARAM: Final = "format"
API_VERSION_PARAM: Final = "__clerk_api_version"
ORGANIZATION_ID_PARAM: Final = "organization_id"
SIGN_IN_REDIRECT_PARAM: Final = "redirect_url"


class Cookies:
    """Cookie names, grouped as the reference's ``constants.Cookies``."""

    SESSION: Final = SESSION
    REFRESH: Final = REFRESH
    CLIENT_UAT: Final = CLIENT_UAT
    HANDSHAKE: Final = HANDSHAKE
    DEV_BROWSER: Final = DEV_BROWSER
    REDIRECT_COUNT: Final = REDIRECT_COUNT
    HANDSHAKE_NONCE: Final = HANDSHAKE_NONCE


class QueryParameters:
    """Query-parameter names, grouped as the reference's ``constants.QueryParameters``."""

    CLERK_SYNCED: Final = SYNCED_PARAM
    SUFFIXED_COOKIES: Final = SUFFIXED_COOKIES_PARAM
    CLERK_REDIRECT_URL: Final = REDIRECT_URL_PARAM
    DEV_BROWSER: Final = DEV_BROWSER
    HANDSHAKE: Final = HANDSHAKE
    HANDSHAKE_HELP: Final = HANDSHAKE_HELP_PARAM
    LEGACY_DEV_BROWSER: Final = LEGACY_DEV_BROWSER
    HANDSHAKE_REASON: Final = HANDSHAKE_REASON_PARAM
    HANDSHAKE_NONCE: Final = HANDSHAKE_NONCE
    HANDSHAKE_FORMAT: Final = HANDSHAKE_FORMAT_PARAM
    SESSION: Final = SESSION
    REDIRECT_URL: Final = SIGN_IN_REDIRECT_PARAM
    API_VERSION: Final = API_VERSION_PARAM
    ORGANIZATION_ID: Final = ORGANIZATION_ID_PARAM


class SyncStatus:
    """Values of ``__clerk_synced``: a satellite still needs syncing, or has just synced."""

    NEEDS_SYNC: Final = "false"
    COMPLETED: Final = "true"


class Headers:
    """Header names (lower case), as the reference's ``constants.Headers``."""

    ACCEPT: Final = "accept"
    AUTHORIZATION: Final = "authorization"
    CACHE_CONTROL: Final = "cache-control"
    CLOUDFRONT_FORWARDED_PROTO: Final = "cloudfront-forwarded-proto"
    CONTENT_TYPE: Final = "content-type"
    COOKIE: Final = "cookie"
    FORWARDED_HOST: Final = "x-forwarded-host"
    FORWARDED_PORT: Final = "x-forwarded-port"
    FORWARDED_PROTO: Final = "x-forwarded-proto"
    HOST: Final = "host"
    LOCATION: Final = "location"
    ORIGIN: Final = "origin"
    REFERRER: Final = "referer"
    SEC_FETCH_DEST: Final = "sec-fetch-dest"
    SEC_FETCH_SITE: Final = "sec-fetch-site"
    SET_COOKIE: Final = "set-cookie"
    USER_AGENT: Final = "user-agent"
    AUTH_MESSAGE: Final = "x-clerk-auth-message"
    AUTH_REASON: Final = "x-clerk-auth-reason"
    AUTH_SIGNATURE: Final = "x-clerk-auth-signature"
    AUTH_STATUS: Final = "x-clerk-auth-status"
    AUTH_TOKEN: Final = "x-clerk-auth-token"
    CLERK_REDIRECT_TO: Final = "x-clerk-redirect-to"
    CLERK_REQUEST_DATA: Final = "x-clerk-request-data"
    CLERK_URL: Final = "x-clerk-clerk-url"
    ENABLE_DEBUG: Final = "x-clerk-debug"


# --- The suffixed-cookie decision ------------------------------------------------------------

# Pattern strings, not compiled objects: ``re`` compiles on first use and caches, so
# importing this module costs no regex compilation (cold start matters).
_SCHEME: Final = r"(?i)https?://"
# JavaScript's StringToNumber grammar (after trimming); anything else is NaN.
_JS_DECIMAL: Final = r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
_JS_RADIX: Final = r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)"
_RADIX_BASES: Final = {"x": 16, "o": 8, "b": 2}


def _payload(token: str) -> dict[str, Any] | None:
    """The unverified payload, ``None`` when the token does not decode (the reference's ``errors``)."""
    if not token:
        return None
    try:
        return decode_jwt(token).payload
    except TokenVerificationError:
        return None


def _js_number(value: Any) -> float:
    """JavaScript's ``Number(value)`` for the JSON values a claim can hold.

    Objects and arrays become NaN; JavaScript would coerce a one-element array via its
    string form, which no Clerk token carries.
    """
    if value is None:
        return 0.0
    if isinstance(value, (bool, int, float)):
        return _to_float(value)
    if not isinstance(value, str):
        return math.nan
    text = value.strip()
    if not text:
        return 0.0
    if re.fullmatch(_JS_RADIX, text):
        return _to_float(int(text[2:], _RADIX_BASES[text[1].lower()]))
    if re.fullmatch(_JS_DECIMAL, text):
        return float(text.replace("Infinity", "inf"))
    return math.nan


def _to_float(value: float) -> float:
    """``float(value)``, with integers beyond the double range becoming ±Infinity as in JavaScript."""
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def _js_greater(left: Any, right: Any) -> bool:
    """JavaScript's ``left > right``: string against string compares text, anything else numbers."""
    if isinstance(left, str) and isinstance(right, str):
        # JavaScript compares UTF-16 code units, which orders astral characters differently.
        return left.encode("utf-16-be", "surrogatepass") > right.encode("utf-16-be", "surrogatepass")
    return _js_number(left) > _js_number(right)  # NaN compares false either way


def _iat(payload: dict[str, Any] | None) -> Any:
    """``payload?.iat || 0``."""
    iat = payload.get("iat", UNDEFINED) if payload is not None else UNDEFINED
    return iat if js_truthy(iat) else 0


def _expired(payload: dict[str, Any] | None, now: float) -> bool:
    """``!!jwt && jwt.payload.exp <= (Date.now() / 1000) >> 0``.

    The reference truncates through a 32-bit integer (``>> 0``), which wraps in 2038;
    this truncates toward zero without wrapping.
    """
    if payload is None:
        return False
    exp = payload.get("exp", UNDEFINED)
    if exp is UNDEFINED:
        return False  # ``undefined <= n`` is false
    return _js_number(exp) <= math.trunc(now)


def _issuer_host(payload: dict[str, Any]) -> str | None:
    """``iss`` with every ``http://``/``https://`` removed; ``None`` for a non-string ``iss``."""
    iss = payload.get("iss")
    if not isinstance(iss, str):
        return None
    if iss.startswith("https://") and "://" not in iss[8:]:
        return iss[8:]  # the usual shape, without the regex engine
    return re.sub(_SCHEME, "", iss)


def uses_suffixed_cookies(
    *,
    session_plain: str | None,
    session_suffixed: str | None,
    uat_plain: str | None,
    uat_suffixed: str | None,
    original_frontend_api: str,
    development: bool,
    now: float,
    payload_of: Callable[[str], dict[str, Any] | None] | None = None,
) -> bool:
    """Whether to read ``__session``/``__client_uat`` from their suffixed twins.

    The reference's ``usesSuffixedCookies``, rule for rule and in its order. Empty
    cookie values count as absent; undecodable tokens count as having no claims;
    ``original_frontend_api`` is the instance's own Frontend API host before any proxy
    (the key's host, or ``clerk.<domain>`` for a production satellite); ``now`` is in seconds. The rules:

    1. a plain session without an ``iss`` → plain (a malformed session should sign out,
       not start a handshake);
    2. a plain session issued by another instance (``iss`` minus its scheme differs, or
       is not a string) → suffixed (several apps on one eTLD+1, or localhost);
    3. neither suffixed ``__client_uat`` nor suffixed session → plain;
    4. both ``__client_uat`` signed in and the plain session is newer → plain (an
       older ClerkJS stopped updating the suffixed cookies);
    5. suffixed ``__client_uat`` is ``0`` but the plain one is not → plain;
    6. development only: suffixed signed in, plain ``0``, suffixed session expired →
       plain (ClerkJS sets the suffixed ``__client_uat`` there, unreliably after a downgrade);
    7. a suffixed session without a suffixed ``__client_uat`` → plain (the feature is
       off on the Frontend API);
    8. otherwise suffixed.
    """
    session = session_plain or ""
    session_sfx = session_suffixed or ""
    uat = uat_plain or None
    uat_sfx = uat_suffixed or None

    decode = payload_of or _payload
    plain = decode(session) if session else None
    if session:
        if plain is None or not js_truthy(plain.get("iss", UNDEFINED)):
            return False
        if _issuer_host(plain) != original_frontend_api:
            return True
    if not uat_sfx and not session_sfx:
        return False
    sfx = decode(session_sfx) if session_sfx else None
    if uat_sfx != "0" and uat != "0" and _js_greater(_iat(plain), _iat(sfx)):
        return False
    if uat_sfx == "0" and uat != "0":
        return False
    if development and uat_sfx != "0" and uat == "0" and _expired(sfx, now):
        return False
    return not (not uat_sfx and session_sfx)


def directive_name(directive: str) -> str:
    """The cookie name of a ``Set-Cookie`` directive."""
    return directive.split(";", 1)[0].split("=", 1)[0].strip()


def directive_value(directive: str) -> str:
    """The cookie value of a ``Set-Cookie`` directive (empty if none)."""
    pair = directive.split(";", 1)[0]
    return pair.split("=", 1)[1].strip() if "=" in pair else ""
