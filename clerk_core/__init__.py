"""clerk-core: Clerk's backend SDK for Python, pure core plus pluggable crypto and HTTP.

Verify a session token networklessly with the instance's PEM public key, or
through its JWKS with the secret key::

    from clerk_core import Clerk

    clerk = Clerk(jwt_key=PEM)              # or Clerk(secret_key="sk_live_...")
    claims = clerk.verify_token(token)      # raises TokenVerificationError(reason=...)

Authenticate any HTTP request (ASGI scope, WSGI environ, or request object)::

    state = clerk.authenticate_request(request)   # signed-in | signed-out | handshake
    auth = state.to_auth()

The module-level functions use a shared client configured from the
environment (``CLERK_JWT_KEY``, ``CLERK_SECRET_KEY``, ``CLERK_PUBLISHABLE_KEY``,
``CLERK_API_URL``, ``CLERK_API_VERSION``) and accept the same per-call keyword options.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._client import AsyncClerk, AuthenticateRequestOptions, Clerk, JwtOptions, VerifyTokenOptions
from ._lazy import lazy_attributes as _lazy_attributes
from ._secret import Secret
from ._version import __version__
from .api.models import APIKey, M2MToken, MachineToken, OAuthAccessToken
from .errors import (
    APIResponseError,
    ClerkError,
    ConfigurationError,
    ConnectError,
    MachineTokenVerificationError,
    NetworkError,
    PluginError,
    RequestTimeout,
    ResponseDecodeError,
    TokenVerificationError,
    TokenVerificationErrorReason,
    TransportError,
    WebhookVerificationError,
)
from .jwt.decode import Jwt, RawJwt
from .jwt.decode import decode_jwt as _decode_jwt
from .providers import HttpRequest, HttpResponse, Runtime

if TYPE_CHECKING:
    from .api.pages import Page
    from .tokens.authorization import check_authorization
    from .tokens.private_data import strip_private_data
    from .tokens.request import ClerkRequest
    from .tokens.state import (
        AuthErrorReason,
        AuthStatus,
        InvalidTokenAuth,
        MachineAuth,
        RequestState,
        SessionAuth,
        debug_request_state,
    )
    from .webhooks import WebhookEvent

# Request authentication is imported on first use: token verification alone never loads it.
_LAZY: dict[str, str] = {
    "AuthErrorReason": "tokens.state",
    "AuthStatus": "tokens.state",
    "ClerkRequest": "tokens.request",
    "InvalidTokenAuth": "tokens.state",
    "MachineAuth": "tokens.state",
    "Page": "api.pages",
    "RequestState": "tokens.state",
    "SessionAuth": "tokens.state",
    "check_authorization": "tokens.authorization",
    "debug_request_state": "tokens.state",
    "strip_private_data": "tokens.private_data",
    "WebhookEvent": "webhooks",
}


if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "APIKey",
    "APIResponseError",
    "AsyncClerk",
    "AuthErrorReason",
    "AuthStatus",
    "AuthenticateRequestOptions",
    "Clerk",
    "ClerkError",
    "ClerkRequest",
    "ConfigurationError",
    "ConnectError",
    "HttpRequest",
    "HttpResponse",
    "InvalidTokenAuth",
    "Jwt",
    "JwtOptions",
    "M2MToken",
    "MachineAuth",
    "MachineToken",
    "MachineTokenVerificationError",
    "NetworkError",
    "OAuthAccessToken",
    "Page",
    "PluginError",
    "RawJwt",
    "RequestState",
    "RequestTimeout",
    "ResponseDecodeError",
    "Runtime",
    "Secret",
    "SessionAuth",
    "TokenVerificationError",
    "TokenVerificationErrorReason",
    "TransportError",
    "VerifyTokenOptions",
    "WebhookEvent",
    "WebhookVerificationError",
    "__version__",
    "authenticate_request",
    "check_authorization",
    "debug_request_state",
    "decode_jwt",
    "has_valid_signature",
    "strip_private_data",
    "verify_jwt",
    "verify_token",
    "verify_webhook",
]


__getattr__, __dir__ = _lazy_attributes(__name__, globals(), _LAZY, __all__)


def decode_jwt(token: object) -> Jwt:
    """Decode a compact JWT without verifying it (the reference's ``decodeJwt``).

    Raises :class:`TokenVerificationError` (``token-invalid``) for anything that is
    not three canonical base64url segments whose first two hold JSON objects.
    """
    return _decode_jwt(token)


def verify_token(token: object, **options: Unpack[VerifyTokenOptions]) -> dict[str, Any]:
    """Verify a Clerk session token with the default plugin set; see :meth:`Clerk.verify_token`."""
    from ._default import default_client

    return default_client().verify_token(token, **options)


def verify_jwt(token: object, *, key: Mapping[str, Any] | str, **options: Unpack[JwtOptions]) -> dict[str, Any]:
    """Verify a JWT against an explicit key; see :meth:`Clerk.verify_jwt`."""
    from ._default import default_client

    return default_client().verify_jwt(token, key=key, **options)


def has_valid_signature(jwt: Jwt | str, key: Mapping[str, Any] | str) -> bool:
    """Whether a JWT's signature verifies with ``key``; see :meth:`Clerk.has_valid_signature`."""
    from ._default import default_client

    return default_client().has_valid_signature(jwt, key)


def verify_webhook(
    headers: object,
    body: object,
    *,
    signing_secret: str | None = None,
    tolerance_in_seconds: float = 300,
) -> WebhookEvent:
    """Verify a Clerk webhook delivery and return its event; see :func:`clerk_core.webhooks.verify_webhook`."""
    from .webhooks import verify_webhook as verify

    return verify(headers, body, signing_secret=signing_secret, tolerance_in_seconds=tolerance_in_seconds)


def authenticate_request(request: object, **options: Unpack[AuthenticateRequestOptions]) -> RequestState:
    """Authenticate an HTTP request with the default plugin set; see :meth:`Clerk.authenticate_request`."""
    from ._default import default_client

    return default_client().authenticate_request(request, **options)
