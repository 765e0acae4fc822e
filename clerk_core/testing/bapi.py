"""Backend API JSON bodies served by the local instance, shaped after the 2026-05-12 spec."""

from __future__ import annotations

import secrets
import time
from typing import Any, Final, Literal

__all__ = [
    "MachineTokenKind",
    "bad_request",
    "clerk_error",
    "cookies_object",
    "handshake_payload",
    "internal_error",
    "key_invalid",
    "machine_token_object",
    "not_found",
    "refresh_rejected",
    "token_object",
]

#: The three opaque machine credentials the Backend API verifies.
MachineTokenKind = Literal["m2m_token", "oauth_token", "api_key"]

KEY_INVALID_MESSAGE: Final = (
    "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct."
)


def clerk_error(code: str, message: str, long_message: str | None = None) -> dict[str, Any]:
    """A ``ClerkErrors`` body with one error and a fresh ``clerk_trace_id``."""
    return {
        "errors": [{"message": message, "long_message": long_message or message, "code": code}],
        "clerk_trace_id": secrets.token_hex(16),
    }


def key_invalid() -> dict[str, Any]:
    """401 body for a missing or wrong secret key (the code the SDK maps to ``secret-key-invalid``)."""
    return clerk_error("clerk_key_invalid", KEY_INVALID_MESSAGE, KEY_INVALID_MESSAGE)


def not_found() -> dict[str, Any]:
    """404 body for an unknown route or token."""
    return clerk_error("resource_not_found", "not found", "Resource not found")


def bad_request(long_message: str) -> dict[str, Any]:
    """400 body for a malformed request."""
    return clerk_error("bad_request", "Bad Request", long_message)


def refresh_rejected(code: str, long_message: str) -> dict[str, Any]:
    """401 body of ``POST /sessions/{id}/refresh`` when validation fails.

    The spec answers validation errors with 401 ("which signals the SDKs to fall back to
    the handshake flow"); it publishes no codes, so the local ones name what was wrong:
    ``refresh_token_invalid`` or ``expired_token_invalid``.
    """
    return clerk_error(code, "Unauthorized request", long_message)


def token_object(jwt: str) -> dict[str, Any]:
    """The spec's ``Token`` schema: ``{"object": "token", "jwt": ...}``."""
    return {"object": "token", "jwt": jwt}


def cookies_object(directives: list[str]) -> dict[str, Any]:
    """The spec's ``Cookies`` schema: ``{"object": "cookies", "cookies": [Set-Cookie values]}``."""
    return {"object": "cookies", "cookies": list(directives)}


def handshake_payload(directives: list[str]) -> dict[str, Any]:
    """``GET /clients/handshake_payload`` body, ``{"directives": [...]}``.

    The spec lists the path with no operation; the shape is what ``@clerk/backend`` reads
    (``HandshakePayload.fromJSON`` → ``directives``).
    """
    return {"directives": list(directives)}


def internal_error() -> dict[str, Any]:
    """5xx body used by the ``status`` fault."""
    return clerk_error(
        "internal_error",
        "There was an internal error on our servers",
        "There was an internal error on our servers. We've been notified and are working on fixing it.",
    )


def _random_id(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _random_subject(prefix: str) -> str:
    # Real ids are prefix + 27 alphanumerics; hex keeps them valid and unmistakably fake.
    return prefix + secrets.token_hex(14)[:27]


def machine_token_object(kind: MachineTokenKind, **fields: Any) -> dict[str, Any]:
    """The verify-endpoint response for ``kind``, with realistic defaults overridden by ``fields``.

    Objects: ``machine_to_machine_token`` (``POST /m2m_tokens/verify``),
    ``clerk_idp_oauth_access_token`` (``POST /oauth_applications/access_tokens/verify``) and
    ``api_key`` (``POST /api_keys/verify``). Timestamps are in milliseconds, as the spec says.
    """
    now_ms = int(time.time() * 1000)
    common: dict[str, Any] = {
        "revoked": False,
        "revocation_reason": None,
        "expired": False,
        "expiration": None,
        "created_at": now_ms,
        "updated_at": now_ms,
    }
    obj: dict[str, Any]
    if kind == "m2m_token":
        obj = {
            "object": "machine_to_machine_token",
            "id": _random_id("mt_"),
            "subject": _random_subject("mch_"),
            "claims": None,
            "scopes": [],
            **common,
            "last_used_at": None,
        }
    elif kind == "oauth_token":
        obj = {
            "object": "clerk_idp_oauth_access_token",
            "id": _random_id("oat_"),
            "client_id": _random_subject("client_"),
            "subject": _random_subject("user_"),
            "scopes": [],
            **common,
        }
    elif kind == "api_key":
        obj = {
            "object": "api_key",
            "id": _random_id("ak_"),
            "type": "api_key",
            "subject": _random_subject("user_"),
            "name": "LOCAL_API_KEY",
            "description": None,
            "claims": None,
            "scopes": [],
            **common,
            "created_by": None,
            "last_used_at": None,
        }
    else:
        raise ValueError(f"Unknown machine token kind {kind!r}")
    obj.update(fields)
    return obj
