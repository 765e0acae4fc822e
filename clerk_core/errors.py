"""One exception tree with stable reason codes.

```
ClerkError                          .reason (stable string); str(exc) never holds a secret
├── ConfigurationError              bad or missing keys and options (our side)
│   └── PluginError                 no usable provider, wrong sync/async flavour, bad plugin
├── TokenVerificationError          .reason is one of TokenVerificationErrorReason,
│                                   .action, .token_carrier ('header' | 'cookie')
├── MachineTokenVerificationError   .code is one of MachineTokenVerificationErrorCode, .status
├── WebhookVerificationError        .reason is one of WebhookVerificationErrorReason
├── TransportError                  the HTTP transport failed (no response)
│   ├── RequestTimeout
│   └── NetworkError
└── APIResponseError                the Backend API answered with an error status
```

Reason strings are byte-identical to the reference SDK's: they travel in
``x-clerk-auth-reason`` headers and end up in dashboards, so never reword them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

__all__ = [
    "APIResponseError",
    "ClerkAPIError",
    "ClerkError",
    "ConfigurationError",
    "ConnectError",
    "MachineTokenVerificationError",
    "MachineTokenVerificationErrorCode",
    "NetworkError",
    "PluginError",
    "RequestTimeout",
    "ResponseDecodeError",
    "TokenCarrier",
    "TokenVerificationError",
    "TokenVerificationErrorAction",
    "TokenVerificationErrorCode",
    "TokenVerificationErrorReason",
    "TransportError",
    "WebhookVerificationError",
    "WebhookVerificationErrorReason",
]

TokenCarrier = Literal["header", "cookie"]


class TokenVerificationErrorReason:
    """The reference SDK's ``TokenVerificationErrorReason`` values."""

    TOKEN_EXPIRED: Final = "token-expired"
    TOKEN_INVALID: Final = "token-invalid"
    TOKEN_INVALID_ALGORITHM: Final = "token-invalid-algorithm"
    TOKEN_INVALID_AUTHORIZED_PARTIES: Final = "token-invalid-authorized-parties"
    TOKEN_INVALID_SIGNATURE: Final = "token-invalid-signature"
    TOKEN_NOT_ACTIVE_YET: Final = "token-not-active-yet"
    TOKEN_IAT_IN_THE_FUTURE: Final = "token-iat-in-the-future"
    TOKEN_VERIFICATION_FAILED: Final = "token-verification-failed"
    TOKEN_INVALID_ISSUER: Final = "token-invalid-issuer"
    INVALID_SECRET_KEY: Final = "secret-key-invalid"
    LOCAL_JWK_MISSING: Final = "jwk-local-missing"
    REMOTE_JWK_FAILED_TO_LOAD: Final = "jwk-remote-failed-to-load"
    REMOTE_JWK_INVALID: Final = "jwk-remote-invalid"
    REMOTE_JWK_MISSING: Final = "jwk-remote-missing"
    JWK_FAILED_TO_RESOLVE: Final = "jwk-failed-to-resolve"
    JWK_KID_MISMATCH: Final = "jwk-kid-mismatch"


class TokenVerificationErrorAction:
    """The reference SDK's ``TokenVerificationErrorAction`` values (hints for humans)."""

    CONTACT_SUPPORT: Final = "Contact support@clerk.com"
    ENSURE_CLERK_JWT: Final = "Make sure that this is a valid Clerk-generated JWT."
    SET_CLERK_JWT_KEY: Final = "Set the CLERK_JWT_KEY environment variable."
    SET_CLERK_SECRET_KEY: Final = "Set the CLERK_SECRET_KEY environment variable."
    ENSURE_CLOCK_SYNC: Final = (
        "Make sure your system clock is in sync (e.g. turn off and on automatic time synchronization)."
    )


class TokenVerificationErrorCode:
    """Backend API error codes the verifier looks for."""

    INVALID_SECRET_KEY: Final = "clerk_key_invalid"


class MachineTokenVerificationErrorCode:
    """The reference SDK's ``MachineTokenVerificationErrorCode`` values."""

    TOKEN_INVALID: Final = "token-invalid"
    INVALID_SECRET_KEY: Final = "secret-key-invalid"
    UNEXPECTED_ERROR: Final = "unexpected-error"
    TOKEN_VERIFICATION_FAILED: Final = "token-verification-failed"


class ClerkError(Exception):
    """Base of every error clerk-core raises; ``reason`` is a stable machine-readable code."""

    reason: str

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r})"


class ConfigurationError(ClerkError):
    """A key or option is missing or malformed. Raised on our side, before any request."""


class PluginError(ConfigurationError):
    """No plugin supplies a usable provider for a hook, or a plugin misbehaves."""

    def __init__(self, message: str, *, reason: str = "plugin-error") -> None:
        super().__init__(reason, message)


class TokenVerificationError(ClerkError):
    """A token failed verification. ``reason`` is one of :class:`TokenVerificationErrorReason`."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        action: str | None = None,
        token_carrier: TokenCarrier | None = None,
    ) -> None:
        super().__init__(reason, message)
        self.action = action
        self.token_carrier = token_carrier

    @property
    def full_message(self) -> str:
        """The reference's ``getFullMessage()``: message, action, reason and carrier in one line."""
        parts = [self.message]
        if self.action:
            parts.append(self.action)
        detail = f"(reason={self.reason}, token-carrier={self.token_carrier or 'unknown'})"
        return " ".join([*parts, detail])


class MachineTokenVerificationError(ClerkError):
    """A machine token (M2M, OAuth access token, API key) failed verification."""

    def __init__(self, code: str, message: str, *, status: int | None = None, token_type: str | None = None) -> None:
        super().__init__(code, message)
        self.code = code
        self.status = status
        #: ``m2m_token``, ``oauth_token`` or ``api_key``: what the token was taken for.
        self.token_type = token_type

    @property
    def full_message(self) -> str:
        """The reference's ``getFullMessage()``: ``<message> (code=<code>, status=<status|n/a>)``."""
        status = "n/a" if self.status is None else str(self.status)
        return f"{self.message} (code={self.code}, status={status})"


class WebhookVerificationErrorReason:
    """Why a webhook delivery was refused (stable codes; the messages follow the reference's texts)."""

    MISSING_HEADERS: Final = "missing-headers"
    INVALID_TIMESTAMP: Final = "invalid-timestamp"
    TIMESTAMP_TOO_OLD: Final = "timestamp-too-old"
    TIMESTAMP_TOO_NEW: Final = "timestamp-too-new"
    INVALID_SIGNATURE: Final = "invalid-signature"
    INVALID_SECRET: Final = "invalid-secret"
    INVALID_BODY: Final = "invalid-body"


class WebhookVerificationError(ClerkError):
    """A webhook delivery failed verification: ``reason`` is one of :class:`WebhookVerificationErrorReason`.

    Messages name headers and what was wrong with them, never the secret or a signature.
    """


class TransportError(ClerkError):
    """The HTTP transport could not complete a request (no response was received)."""

    def __init__(self, message: str, *, reason: str = "transport-error") -> None:
        super().__init__(reason, message)


class RequestTimeout(TransportError):
    """The request did not complete within its timeout."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reason="request-timeout")


class NetworkError(TransportError):
    """The connection failed: refused, reset, DNS, TLS."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reason="network-error")


class ConnectError(NetworkError):
    """No connection was made (refused, DNS, connect timeout): no byte of the request was sent.

    The one transport failure after which a request that is not idempotent may be sent again.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.reason = "connect-error"


class ClerkAPIError:
    """One entry of a Backend API error body (``{"errors": [...]}``)."""

    __slots__ = ("code", "long_message", "message", "meta")

    def __init__(
        self, code: str, message: str, long_message: str | None = None, meta: dict[str, object] | None = None
    ) -> None:
        self.code = code
        self.message = message
        self.long_message = long_message
        self.meta = meta or {}

    def __repr__(self) -> str:
        return f"ClerkAPIError(code={self.code!r}, message={self.message!r})"


class APIResponseError(ClerkError):
    """The Backend API answered with a non-success status."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        errors: Sequence[ClerkAPIError] = (),
        clerk_trace_id: str = "",
        retry_after: int | None = None,
    ) -> None:
        super().__init__("api_response_error", message)
        self.status = status
        self.errors = list(errors)
        self.clerk_trace_id = clerk_trace_id
        self.retry_after = retry_after

    @property
    def codes(self) -> list[str]:
        """The ``code`` of every error entry, in order."""
        return [e.code for e in self.errors]


class ResponseDecodeError(APIResponseError):
    """A success response whose body is not what the operation returns (not JSON, or the wrong shape)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, status=status)
        self.reason = "response-invalid"
