"""The built-in plugin: the small pieces every runtime can do in pure Python.

Registered first and marked ``trylast``, so any other plugin that serves the
same hook wins.
"""

from __future__ import annotations

import threading
import time

from .hookspecs import hookimpl
from .jwt.b64 import b64url_decode
from .options import ClientConfig
from .providers import Base64UrlDecoder, Clock, JwksCache, JwksEntry, Runtime

__all__ = ["MemoryJwksCache"]


class MemoryJwksCache:
    """Key sets kept in memory for one client, by scope. Thread-safe."""

    def __init__(self) -> None:
        self._entries: dict[str, JwksEntry] = {}
        self._lock = threading.Lock()

    def get(self, scope: str) -> JwksEntry | None:
        """The entry for ``scope``, or None."""
        return self._entries.get(scope)

    def put(self, scope: str, entry: JwksEntry) -> None:
        """Store the entry for ``scope``."""
        with self._lock:
            self._entries[scope] = entry

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def __repr__(self) -> str:
        return f"MemoryJwksCache(scopes={len(self._entries)})"


@hookimpl(trylast=True)
def clerk_b64url_decoder(runtime: Runtime) -> Base64UrlDecoder:
    """Strict base64url on the stdlib's C decoder."""
    return b64url_decode


@hookimpl(trylast=True)
def clerk_clock(runtime: Runtime) -> Clock:
    """Wall-clock seconds (``time.time``)."""
    return time.time


@hookimpl(trylast=True)
def clerk_jwks_cache(runtime: Runtime, options: ClientConfig) -> JwksCache:
    """A fresh in-memory cache per client."""
    return MemoryJwksCache()
