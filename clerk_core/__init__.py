"""clerk-core: Clerk's backend SDK for Python, pure core plus pluggable crypto and HTTP.

Verify a session token networklessly with the instance's PEM public key, or
through its JWKS with the secret key::

    from clerk_core import Clerk

    clerk = Clerk(jwt_key=PEM)              # or Clerk(secret_key="sk_live_...")
    claims = clerk.verify_token(token)      # raises TokenVerificationError(reason=...)

The module-level functions use a shared client configured from the
environment (``CLERK_JWT_KEY``, ``CLERK_SECRET_KEY``, ``CLERK_API_URL``,
``CLERK_API_VERSION``) and accept the same per-call keyword options.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._client import AsyncClerk, Clerk, JwtOptions, VerifyTokenOptions
from ._secret import Secret
from ._version import __version__
from .api.models import APIKey, M2MToken, MachineToken, OAuthAccessToken
from .errors import (
    APIResponseError,
    ClerkError,
    ConfigurationError,
    MachineTokenVerificationError,
    PluginError,
    TokenVerificationError,
    TokenVerificationErrorReason,
)
from .jwt.decode import Jwt, RawJwt
from .jwt.decode import decode_jwt as _decode_jwt
from .providers import HttpRequest, HttpResponse, Runtime

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "APIKey",
    "APIResponseError",
    "AsyncClerk",
    "Clerk",
    "ClerkError",
    "ConfigurationError",
    "HttpRequest",
    "HttpResponse",
    "Jwt",
    "JwtOptions",
    "M2MToken",
    "MachineToken",
    "MachineTokenVerificationError",
    "OAuthAccessToken",
    "PluginError",
    "RawJwt",
    "Runtime",
    "Secret",
    "TokenVerificationError",
    "TokenVerificationErrorReason",
    "VerifyTokenOptions",
    "__version__",
    "decode_jwt",
    "has_valid_signature",
    "verify_jwt",
    "verify_token",
]


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
