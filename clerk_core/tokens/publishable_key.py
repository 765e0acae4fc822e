"""What a publishable key tells us: instance type, Frontend API host, cookie suffix, proxy URL.

A publishable key is ``pk_test_`` (development) or ``pk_live_`` (production) followed by
the standard base64 of ``"<frontend api host>$"``. Everything the request flow needs to
know about "dev or prod" comes from that prefix alone (reference ``S/keys.ts``).

The base64 part is decoded with the browser's ``atob`` rules, which the reference uses:
ASCII whitespace is ignored, one or two ``=`` may end a block of four, unpadded input
is fine, URL-safe characters are not, and the bytes are read as Latin-1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import msgspec

from ..errors import ConfigurationError

__all__ = [
    "AUTO_PROXY_PATH",
    "INVALID_PUBLISHABLE_KEY",
    "KEY_SETUP_GUIDANCE",
    "MISSING_PUBLISHABLE_KEY",
    "InstanceType",
    "PublishableKey",
    "auto_proxy_url",
    "cookie_suffix",
    "is_development_secret_key",
    "is_publishable_key",
    "parse_publishable_key",
    "resolve_proxy_url",
    "suffixed",
]

InstanceType = Literal["production", "development"]

_LIVE_PREFIX: Final = "pk_live_"
_TEST_PREFIX: Final = "pk_test_"

#: The path the reference proxies the Frontend API on when it turns the proxy on by itself.
AUTO_PROXY_PATH: Final = "/__clerk"
_AUTO_PROXY_HOST_SUFFIXES: Final = (".vercel.app",)

_EXISTING_APP_STEPS: Final = (
    "To use an existing Clerk app, run:\n"
    "npx clerk@latest link\n"
    "npx clerk@latest env pull\n"
    "\n"
    "For production keys, run:\n"
    "npx clerk@latest env pull --instance prod"
)
_DASHBOARD_FALLBACK: Final = "Or copy keys from https://dashboard.clerk.com/~/api-keys into your .env file."
#: The reference's ``keySetupGuidance`` (``S/errors/keySetupGuidance.ts``), appended to key errors.
KEY_SETUP_GUIDANCE: Final = (
    f"To create a new Clerk app, run:\nnpx clerk@latest init\n\n{_EXISTING_APP_STEPS}\n\n{_DASHBOARD_FALLBACK}"
)
MISSING_PUBLISHABLE_KEY: Final = f"Publishable key is missing.\n\n{KEY_SETUP_GUIDANCE}"
INVALID_PUBLISHABLE_KEY: Final = (
    f"Publishable key not valid (expected format: pk_test_... or pk_live_...).\n\n{KEY_SETUP_GUIDANCE}"
)

_B64_ALPHABET: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_ASCII_WHITESPACE: Final = str.maketrans("", "", "\t\n\f\r ")


class PublishableKey(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed publishable key.

    ``frontend_api`` is the host encoded in the key, unless a proxy URL or (for a
    production satellite) a domain replaced it; see :func:`parse_publishable_key`.
    """

    instance_type: InstanceType
    frontend_api: str


def _atob(data: str) -> str | None:
    """The browser's ``atob``: forgiving base64 to a Latin-1 string, ``None`` where it would throw."""
    data = data.translate(_ASCII_WHITESPACE)
    if len(data) % 4 == 0 and data.endswith("="):
        data = data[:-2] if data.endswith("==") else data[:-1]
    if len(data) % 4 == 1 or not _B64_ALPHABET.issuperset(data):
        return None
    import binascii  # decoding keys happens once per client, not per request

    # Non-strict a2b_base64 drops the unused bits of the last character, as atob does.
    return binascii.a2b_base64(data + "=" * (-len(data) % 4)).decode("latin-1")


def _is_valid_decoded(decoded: str) -> bool:
    """The host must end in exactly one ``$`` and contain a dot."""
    if not decoded.endswith("$"):
        return False
    host = decoded[:-1]
    return "$" not in host and "." in host


def _encoded_frontend_api(key: str) -> str | None:
    """The decoded host of a well-formed key, ``None`` for anything the reference rejects."""
    if not key.startswith((_LIVE_PREFIX, _TEST_PREFIX)):
        return None
    parts = key.split("_")
    if len(parts) != 3 or not parts[2]:
        return None
    decoded = _atob(parts[2])
    if decoded is None or not _is_valid_decoded(decoded):
        return None
    return decoded[:-1]


def is_publishable_key(key: object) -> bool:
    """Whether ``key`` is a well-formed publishable key (the reference's ``isPublishableKey``)."""
    return isinstance(key, str) and _encoded_frontend_api(key) is not None


def parse_publishable_key(
    key: str | None,
    *,
    domain: str | None = None,
    proxy_url: str | None = None,
    is_satellite: bool = False,
) -> PublishableKey:
    """Parse ``key``; raise :class:`~clerk_core.errors.ConfigurationError` if it is missing or malformed.

    The Frontend API is the host in the key, replaced by ``proxy_url`` when one is
    given, else by ``clerk.<domain>`` for a production satellite (development keys
    and primaries ignore ``domain``). Resolve a relative ``proxy_url`` first
    (:func:`resolve_proxy_url`): the value is used as given.

    The reference has two more messages (``…Failed to decode key.``, ``…Decoded key
    has invalid format.``) behind its validity check; that check already decodes
    and validates, so they are unreachable and not reproduced.
    """
    if not key:
        raise ConfigurationError("publishable-key-missing", MISSING_PUBLISHABLE_KEY)
    host = _encoded_frontend_api(key) if isinstance(key, str) else None
    if host is None:
        raise ConfigurationError("publishable-key-invalid", INVALID_PUBLISHABLE_KEY)
    instance_type: InstanceType = "production" if key.startswith(_LIVE_PREFIX) else "development"
    if proxy_url:
        host = proxy_url
    elif instance_type == "production" and domain and is_satellite:
        host = f"clerk.{domain}"
    return PublishableKey(instance_type=instance_type, frontend_api=host)


def is_development_secret_key(secret: str) -> bool:
    """Whether a secret key belongs to a development instance (``sk_test_`` or legacy ``test_``)."""
    return secret.startswith(("test_", "sk_test_"))


def _is_production_publishable_key(key: str) -> bool:
    return key.startswith(("live_", _LIVE_PREFIX))


def cookie_suffix(publishable_key: str) -> str:
    """The instance's cookie suffix: the first 8 characters of base64url(SHA-1(key)).

    Browsers keep one set of ``__session``/``__client_uat`` cookies per eTLD+1, so
    Clerk also writes ``__session_<suffix>`` and friends to keep several instances
    apart on one domain.
    """
    import base64
    import hashlib

    try:
        data = publishable_key.encode("utf-8")
    except UnicodeEncodeError:
        # TextEncoder turns lone surrogates into U+FFFD and joins pairs; do the same.
        data = publishable_key.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").encode("utf-8")
    digest = hashlib.sha1(data, usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest)[:8].decode("ascii")


def suffixed(name: str, suffix: str) -> str:
    """``<name>_<suffix>``: the per-instance twin of a cookie."""
    return f"{name}_{suffix}"


def _is_truthy(value: str | None) -> bool:
    """The reference's ``isTruthy`` for an environment string: ``true``, or a positive integer prefix."""
    if value is None:
        return False
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    digits = value.lstrip()  # parseInt skips leading whitespace, takes an optional sign and digits
    sign = -1 if digits[:1] == "-" else 1
    digits = digits[1:] if digits[:1] in ("+", "-") else digits
    end = 0
    while end < len(digits) and "0" <= digits[end] <= "9":
        end += 1
    return end > 0 and sign * int(digits[:end]) > 0


def _hostname(host_or_url: str) -> str:
    """The host part of ``VERCEL_PROJECT_PRODUCTION_URL`` (a bare host or a URL)."""
    if not host_or_url.startswith(("http://", "https://")):
        return host_or_url.split("/")[0]
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(host_or_url)
        parts.port  # noqa: B018 - a malformed port makes the URL invalid, as in WHATWG URL
    except ValueError:
        return ""
    return parts.hostname or ""


def auto_proxy_url(
    publishable_key: str,
    *,
    proxy_url: str | None,
    domain: str | None,
    environ: Mapping[str, str],
) -> str | None:
    """The proxy path the reference turns on by itself on Vercel, or ``None``.

    Applies only to production keys with neither ``proxy_url`` nor ``domain`` set,
    when ``CLERK_DISABLE_AUTO_PROXY`` is not truthy, ``VERCEL_TARGET_ENV`` is
    ``production`` and ``VERCEL_PROJECT_PRODUCTION_URL`` is a ``*.vercel.app`` host.
    Returns the relative :data:`AUTO_PROXY_PATH`; resolve it against the request
    origin with :func:`resolve_proxy_url`.
    """
    if proxy_url or domain or not _is_production_publishable_key(publishable_key):
        return None
    if _is_truthy(environ.get("CLERK_DISABLE_AUTO_PROXY")):
        return None
    if environ.get("VERCEL_TARGET_ENV") != "production":
        return None
    production_url = environ.get("VERCEL_PROJECT_PRODUCTION_URL")
    if not production_url or not _hostname(production_url).endswith(_AUTO_PROXY_HOST_SUFFIXES):
        return None
    return AUTO_PROXY_PATH


def resolve_proxy_url(proxy_url: str, request_origin: str) -> str:
    """A relative proxy URL (``/…``) prefixed with the request origin; anything else unchanged.

    The reference concatenates rather than resolving a URL reference, so ``//host``
    stays on the request's origin instead of becoming another host.
    """
    if proxy_url.startswith("/"):
        return f"{request_origin}{proxy_url}"
    return proxy_url
