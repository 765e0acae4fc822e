"""Webhook signature verification: Standard Webhooks over Svix's headers, as Clerk delivers.

The checks and their order are the reference's (``verifyWebhook`` over ``standardwebhooks``):

1. a signing secret, given or from ``CLERK_WEBHOOK_SIGNING_SECRET``;
2. the three headers, trimmed (whitespace-only counts as missing): ``svix-id``,
   ``svix-timestamp``, ``svix-signature``, or, when no ``svix-*`` header is present, the Standard
   Webhooks names ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``;
3. the secret (``whsec_`` prefix optional) is standard base64, padding optional;
4. the timestamp is integer seconds (a fractional part is ignored, as ``parseInt`` does) within
   the tolerance either side of now, boundaries included;
5. any ``v1,<base64>`` entry of the space-separated signature list equals the base64
   HMAC-SHA256 of ``"{id}.{timestamp}."`` + the raw body bytes, compared in constant time; other
   versions and empty entries are skipped;
6. the body is JSON (decoded after the signature, so nothing unsigned is parsed).

Only the standard library is used (``hmac``, ``hashlib``, ``base64``), so verification runs
wherever the core does. Nothing secret reaches a message: errors name headers, not values.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import math
import re
from collections.abc import Mapping
from typing import Final, NamedTuple

from .._headers import HTTP_WS, any_headers
from ..errors import ConfigurationError, WebhookVerificationError
from ..errors import WebhookVerificationErrorReason as Reason

__all__ = ["DEFAULT_TOLERANCE_IN_SECONDS", "SECRET_ENV", "Delivery", "verify_delivery"]

SECRET_ENV: Final = "CLERK_WEBHOOK_SIGNING_SECRET"
DEFAULT_TOLERANCE_IN_SECONDS: Final = 300
_SVIX: Final = ("svix-id", "svix-timestamp", "svix-signature")
_STANDARD: Final = ("webhook-id", "webhook-timestamp", "webhook-signature")
_PREFIX: Final = "whsec_"
# Integer seconds, an optional fraction; 20 digits at most keeps int() cheap and bounded.
_MAX_DIGITS: Final = 20
_TIMESTAMP: Final = re.compile(r"([+-]?[0-9]{1,20})(?:\.[0-9]*)?")
_BASE64: Final = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_UNABLE: Final = "Unable to verify incoming webhook: "
_SECONDS: Final = (int, float)
_MISSING_SECRET: Final = (
    "Missing webhook signing secret. Set the CLERK_WEBHOOK_SIGNING_SECRET environment variable with the "
    "webhook secret from the Clerk Dashboard."
)


class Delivery(NamedTuple):
    """A delivery whose signature verified: its message id, timestamp (s) and raw body."""

    id: str
    timestamp: int
    body: bytes


def _fail(reason: str, message: str) -> WebhookVerificationError:
    return WebhookVerificationError(reason, message)


def _raw_body(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        # What the sender signed was bytes; a str body is taken as their UTF-8 text.
        return body.encode("utf-8", "surrogatepass")
    raise _fail(
        Reason.INVALID_BODY,
        f"The webhook body must be the raw request body (bytes or str), not {type(body).__name__}: "
        "pass the bytes as received, before any JSON parsing.",
    )


def _lowered(source: object) -> dict[str, str] | None:
    """A plain dict of str → str headers, keys lower-cased; ``None`` for anything else.

    The common case (a framework's header dict) is one comprehension; scopes, environs, pairs
    and other mappings go through :func:`~clerk_core._headers.any_headers`.
    """
    if type(source) is not dict:
        return None
    lowered: dict[str, str] = {}
    for name, value in source.items():
        if type(name) is not str or type(value) is not str:
            return None
        lowered[name.lower()] = value
    if "headers" in lowered or "request_method" in lowered or "wsgi.version" in lowered:
        return None  # an ASGI scope or a WSGI environ
    return lowered


def _headers(source: object) -> tuple[str, str, str]:
    headers = _lowered(source)
    if headers is None:
        try:
            headers = any_headers(source)
        except Exception as exc:  # any object may be passed; what it raises is the caller's mistake, typed
            raise _fail(
                Reason.MISSING_HEADERS,
                f"The webhook headers must be a mapping, (name, value) pairs, an ASGI scope or a WSGI environ, "
                f"not {type(source).__name__}.",
            ) from exc
    get = headers.get
    values = [get(name, "").strip(HTTP_WS) for name in _SVIX]
    names = _SVIX
    if not any(values):
        names = _STANDARD
        values = [get(name, "").strip(HTTP_WS) for name in _STANDARD]
    if not (values[0] and values[1] and values[2]):
        missing = ", ".join(name for name, value in zip(names, values, strict=True) if not value)
        raise _fail(Reason.MISSING_HEADERS, f"Missing required webhook headers: {missing}")
    return values[0], values[1], values[2]


@functools.lru_cache(maxsize=16)
def _signing_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (cached: apps verify with one or two secrets)."""
    encoded = secret.removeprefix(_PREFIX)
    # Standard base64 only: an urlsafe or mangled secret is refused, never silently truncated
    # (Python's b64decode without validation drops stray characters and would accept it).
    if not encoded or not _BASE64.fullmatch(encoded) or encoded.rstrip("=") == "":
        raise _fail(Reason.INVALID_SECRET, f"{_UNABLE}the signing secret is not base64 (after an optional whsec_).")
    padded = encoded.rstrip("=") + "=" * (-len(encoded.rstrip("=")) % 4)
    try:
        key = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(Reason.INVALID_SECRET, f"{_UNABLE}the signing secret is not base64.") from None
    if not key:
        raise _fail(Reason.INVALID_SECRET, f"{_UNABLE}the signing secret is empty.")
    return key


def _timestamp(value: str, now: float, tolerance: float) -> int:
    if value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS:
        stamp = int(value)  # the usual header: plain seconds
    else:
        found = _TIMESTAMP.fullmatch(value)
        if found is None:
            raise _fail(Reason.INVALID_TIMESTAMP, f"{_UNABLE}Invalid Signature Headers")
        stamp = int(found[1])
    current = int(now // 1)
    if current - stamp > tolerance:
        raise _fail(Reason.TIMESTAMP_TOO_OLD, f"{_UNABLE}Message timestamp too old")
    if stamp > current + tolerance:
        raise _fail(Reason.TIMESTAMP_TOO_NEW, f"{_UNABLE}Message timestamp too new")
    return stamp


def _matches(signatures: str, expected: bytes) -> bool:
    found = False
    for entry in signatures.split(" "):
        version, _, rest = entry.partition(",")
        if version != "v1":
            continue
        candidate = rest.partition(",")[0].encode("utf-8", "replace")
        # Every v1 entry is compared: the time taken does not say which one matched.
        found |= hmac.compare_digest(candidate, expected)
    return found


def _check_seconds(name: str, value: object) -> None:
    # type() rather than isinstance: bool is an int, and a flag is not a number of seconds;
    # NaN fails the comparison too.
    if type(value) not in _SECONDS or not 0 <= value < math.inf:  # type: ignore[operator]
        raise ConfigurationError("invalid-option", f"{name} must be a finite number of seconds >= 0")


def verify_delivery(
    headers: object,
    body: object,
    *,
    secret: str | None,
    now: float,
    tolerance_in_seconds: float = DEFAULT_TOLERANCE_IN_SECONDS,
) -> Delivery:
    """Check one delivery's headers and signature; the verified delivery, or :class:`WebhookVerificationError`.

    Raises :class:`~clerk_core.errors.ConfigurationError` (``invalid-option``) for a tolerance or
    time that is not a finite number of seconds (a tolerance below zero included).
    """
    _check_seconds("tolerance_in_seconds", tolerance_in_seconds)
    _check_seconds("now", now)
    secret = secret.strip() if isinstance(secret, str) else ""
    if not secret:
        raise _fail(Reason.INVALID_SECRET, _MISSING_SECRET)
    message_id, stamp_text, signatures = _headers(headers)
    raw = _raw_body(body)
    key = _signing_key(secret)
    stamp = _timestamp(stamp_text, now, tolerance_in_seconds)
    signed = b"%s.%d.%s" % (message_id.encode("utf-8", "surrogatepass"), stamp, raw)
    expected = base64.b64encode(hmac.digest(key, signed, "sha256"))
    if not _matches(signatures, expected):
        raise _fail(Reason.INVALID_SIGNATURE, f"{_UNABLE}No matching signature found")
    return Delivery(message_id, stamp, raw)


def resolve_secret(signing_secret: str | None, environ: Mapping[str, str]) -> str | None:
    """The secret to verify with: the argument, else ``CLERK_WEBHOOK_SIGNING_SECRET``."""
    return signing_secret if signing_secret is not None else environ.get(SECRET_ENV)
