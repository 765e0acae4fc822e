"""Building Backend API requests and reading their answers, with no I/O.

One place decides the URL layout, the headers every call carries and how an
error body becomes an :class:`~clerk_core.errors.APIResponseError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import msgspec

from .._secret import Secret
from ..errors import APIResponseError, ClerkAPIError, ConfigurationError
from ..options import BAPI_VERSION, ClientConfig, VerifyOptions
from ..providers import HttpRequest, HttpResponse

__all__ = ["build_request", "error_from_response", "instance_request", "join_url", "read_json"]

_UNSAFE_SEGMENTS: Final = frozenset({".", ".."})


class _ErrorEntry(msgspec.Struct, kw_only=True):
    code: str = "unknown_error"
    message: str = ""
    long_message: str | None = None
    meta: dict[str, Any] | None = None


class _ErrorBody(msgspec.Struct, kw_only=True):
    errors: list[_ErrorEntry] = msgspec.field(default_factory=list)
    clerk_trace_id: str | None = None


_error_body: Final = msgspec.json.Decoder(_ErrorBody)


def join_url(api_url: str, *segments: str) -> str:
    """``api_url`` joined with path segments; ``.``/``..`` segments are refused (path traversal)."""
    parts: list[str] = []
    for segment in segments:
        for piece in segment.split("/"):
            if not piece:
                continue
            if piece in _UNSAFE_SEGMENTS or _decodes_to_dots(piece):
                raise ConfigurationError("invalid-path", "A path segment may not be '.' or '..'.")
            parts.append(piece)
    return api_url.rstrip("/") + "/" + "/".join(parts)


def _decodes_to_dots(piece: str) -> bool:
    from urllib.parse import unquote  # lazily, like everything only requests need

    for _ in range(10):  # the reference unwraps up to ten layers of percent-encoding
        decoded = unquote(piece)
        if decoded in _UNSAFE_SEGMENTS:
            return True
        if decoded == piece:
            return False
        piece = decoded
    return True


def build_request(
    *,
    api_url: str,
    api_version: str | None,
    secret: Secret,
    method: str,
    path: str,
    timeout: float,
    user_agent: str,
    query: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
) -> HttpRequest:
    """A Backend API request: ``{api_url}/{api_version}/{path}`` (no version segment if ``None``)."""
    segments = (api_version, path) if api_version else (path,)
    url = join_url(api_url, *segments)
    if query:
        from urllib.parse import quote, urlencode

        url += "?" + urlencode([(k, v) for k, v in query.items() if v is not None], doseq=True, quote_via=quote)
    headers = (
        ("Authorization", f"Bearer {secret.reveal()}"),
        ("Clerk-API-Version", BAPI_VERSION),
        ("Content-Type", "application/json"),
        ("User-Agent", user_agent),
    )
    data = msgspec.json.encode(body) if body is not None else None
    return HttpRequest(method=method, url=url, headers=headers, body=data, timeout=timeout)


def instance_request(
    config: ClientConfig,
    options: VerifyOptions,
    secret: Secret,
    method: str,
    path: str,
    *,
    versioned: bool = True,
    query: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
) -> HttpRequest:
    """A request to the Backend API ``options`` point at, with the client's timeout and user agent.

    ``versioned=False`` leaves out the version segment (the machine-token verify routes have none).
    """
    return build_request(
        api_url=options.api_url,
        api_version=options.api_version if versioned else None,
        secret=secret,
        method=method,
        path=path,
        timeout=config.timeout,
        user_agent=config.user_agent,
        query=query,
        body=body,
    )


def read_json(response: HttpResponse) -> Any:
    """The response body as JSON; ``ValueError`` if it is not JSON."""
    try:
        return msgspec.json.decode(response.body)
    except msgspec.DecodeError as exc:
        raise ValueError("The response body is not valid JSON.") from exc


def error_from_response(response: HttpResponse, *, now: float | None = None) -> APIResponseError:
    """Turn an error response into an :class:`APIResponseError` (tolerating odd bodies).

    A body that is not Clerk's error shape gives no ``errors`` and a bounded, printable
    excerpt in the message. ``Retry-After`` is read as seconds or, with ``now`` (epoch
    seconds), as an HTTP date.
    """
    message = f"Clerk Backend API answered {response.status}"
    try:
        parsed = _error_body.decode(response.body)
        errors = [ClerkAPIError(e.code, e.message, e.long_message, e.meta) for e in parsed.errors]
        trace = parsed.clerk_trace_id
    except msgspec.DecodeError:
        errors, trace = [], None
        excerpt = _excerpt(response.body)
        if excerpt:
            message = f"{message}: {excerpt}"
    return APIResponseError(
        message,
        status=response.status,
        errors=errors,
        clerk_trace_id=trace or response.headers.get("cf-ray", ""),
        retry_after=_retry_after(response.headers.get("retry-after", ""), now),
    )


#: Characters of a foreign error body kept in the message.
_EXCERPT_CHARS: Final = 200


def _excerpt(body: bytes) -> str:
    text = body[: _EXCERPT_CHARS * 4].decode("utf-8", "replace")
    text = "".join(c if c.isprintable() else " " for c in text).strip()
    return text[:_EXCERPT_CHARS] + ("…" if len(text) > _EXCERPT_CHARS else "")


def _retry_after(value: str, now: float | None) -> int | None:
    """Whole seconds to wait: ``Retry-After`` as delta-seconds, or as an HTTP date when ``now`` is known."""
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return int(value)
    if now is None:
        return None
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0, int(when - now + 0.999))
