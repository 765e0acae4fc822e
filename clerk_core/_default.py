"""The module-level functions' client: built on first use from the environment.

``clerk_core.verify_token(token)`` reads ``CLERK_JWT_KEY``/``CLERK_SECRET_KEY``
(and the API URL/version) the way ``Clerk()`` does. The client is rebuilt when
those variables change, so tests and long-lived processes that rotate them see
the new values; otherwise one client (and its key caches) serves every call.
"""

from __future__ import annotations

import os
import threading
from typing import Final

from ._client import Clerk
from ._plugins import AUTOLOAD_ENV

__all__ = ["default_client"]

_WATCHED: Final = (
    "CLERK_SECRET_KEY",
    "CLERK_JWT_KEY",
    "CLERK_PUBLISHABLE_KEY",
    "CLERK_MACHINE_SECRET_KEY",
    "CLERK_API_URL",
    "CLERK_API_VERSION",
    AUTOLOAD_ENV,
)


class _Holder:
    """One lazily built client and the environment it was built from."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.client: Clerk | None = None
        self.environment: tuple[str | None, ...] = ()


_holder: Final = _Holder()


def default_client() -> Clerk:
    """The shared sync client for module-level calls."""
    environment = tuple(os.environ.get(name) for name in _WATCHED)
    client = _holder.client
    if client is not None and environment == _holder.environment:
        return client
    with _holder.lock:
        if _holder.client is None or environment != _holder.environment:
            previous = _holder.client
            _holder.client = Clerk()
            _holder.environment = environment
            if previous is not None:
                previous.close()
        return _holder.client
