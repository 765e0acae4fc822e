"""HTTP headers from whatever a framework hands over, as one lower-cased dict.

Shared by request authentication (:class:`~clerk_core.tokens.request.ClerkRequest`) and webhook
verification (:mod:`clerk_core.webhooks.verify`): a mapping, ``(name, value)`` pairs as ASGI
gives them, an ASGI scope or a PEP 3333 environ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = ["COOKIE", "HTTP_WS", "any_headers", "header_dict", "text", "wsgi_headers"]

COOKIE: Final = "cookie"
#: Header whitespace stripped from values, as the Fetch standard's ``Headers`` does.
HTTP_WS: Final = " \t\r\n"


def text(value: object) -> str:
    """``value`` as text; bytes are latin-1, as HTTP header bytes are."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1")
    return str(value)


def header_dict(headers: Any) -> dict[str, str]:
    """Lower-cased names → values; repeats joined with ", " (``cookie``: "; ", per RFC 9113 §8.2.3)."""
    if headers is None:
        return {}
    if type(headers) is dict:
        items: Iterable[Any] = headers.items()
    else:
        pairs = getattr(headers, "multi_items", None) or getattr(headers, "items", None)
        items = pairs() if callable(pairs) else headers
    out: dict[str, str] = {}
    # Hot path: type checks are inlined (a call per header is measurable) and values are
    # not stripped here (servers already drop surrounding whitespace); readers strip.
    for name, value in items:
        if type(name) is bytes:
            key = name.lower().decode("latin-1")
        else:
            key = (name if type(name) is str else text(name)).lower()
        if type(value) is not str:
            value = value.decode("latin-1") if type(value) is bytes else text(value)
        if key in out:
            out[key] = f"{out[key]}{'; ' if key == COOKIE else ', '}{value}"
        else:
            out[key] = value
    return out


def wsgi_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The headers of a PEP 3333 environ: ``HTTP_*`` keys plus ``CONTENT_TYPE``/``CONTENT_LENGTH``."""
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = text(value).strip(HTTP_WS)
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = text(environ[key]).strip(HTTP_WS)
    return headers


def any_headers(source: object) -> dict[str, str]:
    """Headers from a mapping, pairs, an ASGI scope (``type`` http/websocket) or a WSGI environ."""
    if isinstance(source, Mapping):
        if source.get("type") in ("http", "websocket") and "headers" in source:
            return header_dict(source.get("headers") or ())
        if "REQUEST_METHOD" in source or "wsgi.version" in source:
            return wsgi_headers(source)
    return header_dict(source)
