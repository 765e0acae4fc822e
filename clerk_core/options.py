"""Options: validated and normalised once, so the hot path only reads them.

:class:`ClientConfig` is what a client is built with (keys, API location,
network policy). :class:`VerifyOptions` is what one verification checks; a
client holds a resolved default and per-call keyword overrides produce a new
one. Normalising here (tuples, skew in milliseconds, empty lists dropped)
keeps the claim checks straight-line code.

Key resolution follows the documented order: an argument, else the
environment (``CLERK_JWT_KEY``, ``CLERK_SECRET_KEY``, ``CLERK_API_URL``,
``CLERK_API_VERSION``, read when the client is built), else the default.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any, Final

import msgspec

from ._secret import Secret
from ._version import __version__
from .errors import ConfigurationError

__all__ = [
    "BAPI_VERSION",
    "DEFAULT_API_URL",
    "DEFAULT_API_VERSION",
    "DEFAULT_CLOCK_SKEW_MS",
    "ClientConfig",
    "VerifyOptions",
    "resolve_client_config",
]

DEFAULT_API_URL: Final = "https://api.clerk.com"
DEFAULT_API_VERSION: Final = "v1"
DEFAULT_CLOCK_SKEW_MS: Final = 5000.0
#: The Backend API version this library speaks (the ``Clerk-API-Version`` header).
BAPI_VERSION: Final = "2026-05-12"


class ClientConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A client's configuration, resolved at construction. Plugins receive it read-only."""

    secret_key: Secret | None = None
    jwt_key: Secret | None = None
    machine_secret_key: Secret | None = None
    api_url: str = DEFAULT_API_URL
    api_version: str = DEFAULT_API_VERSION
    #: Seconds allowed for each HTTP request (connect + read).
    timeout: float = 5.0
    #: Extra attempts after a failed JWKS fetch (transport error, 429 or 5xx).
    max_retries: int = 4
    #: First back-off delay in seconds; doubles each retry, with jitter x[1, 2).
    retry_backoff: float = 0.125
    #: How long a fetched key set is trusted, in seconds.
    jwks_cache_ttl: float = 300.0
    #: Minimum seconds between refetches caused by an unknown ``kid``.
    jwks_kid_miss_cooldown: float = 10.0
    #: JWS algorithms accepted; Clerk signs with RS256.
    algorithms: tuple[str, ...] = ("RS256", "RS384", "RS512")
    user_agent: str = f"clerk-core/{__version__}"
    #: The ``Clerk-API-Version`` header of Backend API calls.
    clerk_api_version: str = BAPI_VERSION
    #: Seconds one Backend API call may take in all, retries and their waits included.
    max_retry_time: float = 30.0


class VerifyOptions(msgspec.Struct, frozen=True, kw_only=True):
    """What one token verification checks, normalised (see :func:`VerifyOptions.resolve`)."""

    jwt_key: Secret | None = None
    secret_key: Secret | None = None
    api_url: str = DEFAULT_API_URL
    api_version: str = DEFAULT_API_VERSION
    audience: tuple[str, ...] | None = None
    authorized_parties: tuple[str, ...] | None = None
    issuer: tuple[str, ...] | None = None
    header_type: tuple[str, ...] | None = None
    clock_skew_ms: float = DEFAULT_CLOCK_SKEW_MS
    skip_jwks_cache: bool = False

    @classmethod
    def from_config(cls, config: ClientConfig) -> VerifyOptions:
        """The defaults a client verifies with."""
        return cls(
            jwt_key=config.jwt_key,
            secret_key=config.secret_key,
            api_url=config.api_url,
            api_version=config.api_version,
        )

    def override(self, **given: Any) -> VerifyOptions:
        """A copy with the given per-call options applied (``None`` means "not given").

        Accepts the public keyword names: ``jwt_key, secret_key, api_url,
        api_version, audience, authorized_parties, issuer, header_type,
        clock_skew_in_ms, skip_jwks_cache``.
        """
        changes: dict[str, Any] = {}
        for name, value in given.items():
            if value is None:
                continue
            if name in ("jwt_key", "secret_key"):
                changes[name] = _secret(name, value)
            elif name in ("api_url", "api_version"):
                changes[name] = _text(name, value)
            elif name == "audience":
                changes[name] = _audience(value)
            elif name == "authorized_parties":
                changes[name] = _string_list(name, value, drop_empty=False)
            elif name in ("issuer", "header_type"):
                changes[name] = _string_list(name, value, drop_empty=True)
            elif name == "clock_skew_in_ms":
                changes["clock_skew_ms"] = clock_skew_ms(value)
            elif name == "skip_jwks_cache":
                changes[name] = bool(value)
            else:
                raise TypeError(f"unknown verification option {name!r}")
        return msgspec.structs.replace(self, **changes) if changes else self


def clock_skew_ms(value: object) -> float:
    """The reference's rule: a finite number is honoured (0 included), anything else is 5000."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return DEFAULT_CLOCK_SKEW_MS
    return float(value)


def _secret(name: str, value: object) -> Secret | None:
    if isinstance(value, Secret):
        return value if value.reveal() else None
    if not isinstance(value, str):
        raise ConfigurationError("invalid-option", f"{name} must be a string.")
    return Secret(value) if value.strip() else None


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("invalid-option", f"{name} must be a non-empty string.")
    return value.strip()


def _string_list(name: str, value: object, *, drop_empty: bool) -> tuple[str, ...] | None:
    items: Sequence[object] = [value] if isinstance(value, str) else value  # type: ignore[assignment]
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise ConfigurationError("invalid-option", f"{name} must be a string or a list of strings.")
    if not all(isinstance(item, str) for item in items):
        raise ConfigurationError("invalid-option", f"{name} must contain strings only.")
    result = tuple(str(item) for item in items if item or not drop_empty)
    return result or None


def _audience(value: object) -> tuple[str, ...] | None:
    # The reference drops falsy entries and skips the check when nothing is left.
    return _string_list("audience", value, drop_empty=True)


def resolve_client_config(
    *,
    secret_key: str | Secret | None = None,
    jwt_key: str | Secret | None = None,
    machine_secret_key: str | Secret | None = None,
    api_url: str | None = None,
    api_version: str | None = None,
    environ: Mapping[str, str] | None = None,
    **policy: Any,
) -> ClientConfig:
    """Build a :class:`ClientConfig`: arguments first, then the environment, then defaults."""
    env = os.environ if environ is None else environ

    def pick(value: object, variable: str) -> object:
        return value if value not in (None, "") else (env.get(variable) or None)

    fields: dict[str, Any] = {
        "secret_key": _secret("secret_key", pick(secret_key, "CLERK_SECRET_KEY") or ""),
        "jwt_key": _secret("jwt_key", pick(jwt_key, "CLERK_JWT_KEY") or ""),
        "machine_secret_key": _secret("machine_secret_key", pick(machine_secret_key, "CLERK_MACHINE_SECRET_KEY") or ""),
        "api_url": _text("api_url", pick(api_url, "CLERK_API_URL") or DEFAULT_API_URL).rstrip("/"),
        "api_version": _text("api_version", pick(api_version, "CLERK_API_VERSION") or DEFAULT_API_VERSION),
    }
    for name, value in policy.items():
        if name not in ClientConfig.__struct_fields__ or name in fields:
            raise TypeError(f"unknown client option {name!r}")
        fields[name] = value
    config = ClientConfig(**fields)
    _check_policy(config)
    return config


def _check_policy(config: ClientConfig) -> None:
    numbers = {
        "timeout": config.timeout,
        "retry_backoff": config.retry_backoff,
        "jwks_cache_ttl": config.jwks_cache_ttl,
        "jwks_kid_miss_cooldown": config.jwks_kid_miss_cooldown,
        "max_retry_time": config.max_retry_time,
    }
    for name, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ConfigurationError("invalid-option", f"{name} must be a finite number of seconds >= 0.")
    if config.timeout <= 0:
        raise ConfigurationError("invalid-option", "timeout must be greater than 0 seconds.")
    if not isinstance(config.clerk_api_version, str) or not config.clerk_api_version.strip():
        raise ConfigurationError("invalid-option", "clerk_api_version must be a non-empty string such as '2026-05-12'.")
    if isinstance(config.max_retries, bool) or not isinstance(config.max_retries, int) or config.max_retries < 0:
        raise ConfigurationError("invalid-option", "max_retries must be an integer >= 0.")
    from .jwt.algorithms import KEY_TYPES

    unknown = [alg for alg in config.algorithms if alg not in KEY_TYPES]
    if unknown or not config.algorithms:
        raise ConfigurationError("invalid-option", f"algorithms must be a non-empty subset of {sorted(KEY_TYPES)}.")
