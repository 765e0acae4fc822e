"""The contracts a plugin's providers fulfil.

Hooks (see :mod:`clerk_core.hookspecs`) return *providers*: objects resolved
once per client, so the verification hot path never pays for hook dispatch.
A provider offers the sync methods, the async twins (``a`` prefix), or both;
a sync client needs the sync ones.

All key material reaches a crypto provider as a JWK mapping: the core turns PEM
public keys into JWKs itself, so a provider never parses PEM or ASN.1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, Protocol, runtime_checkable

import msgspec

__all__ = [
    "AsyncCryptoProvider",
    "AsyncTransport",
    "Base64UrlDecoder",
    "Clock",
    "CryptoProvider",
    "Flavor",
    "HttpRequest",
    "HttpResponse",
    "JwksCache",
    "JwksEntry",
    "Runtime",
    "Transport",
]

#: Whether a client drives its flows synchronously or with ``await``.
Flavor = Literal["sync", "async"]

#: Decodes unpadded, canonical base64url text; raises ``ValueError`` on anything else.
Base64UrlDecoder = Callable[[str], bytes]

#: Returns the current time in seconds since the epoch.
Clock = Callable[[], float]


class Runtime(msgspec.Struct, frozen=True, kw_only=True):
    """What a hook is asked to serve: the interpreter and the client's flavour."""

    #: ``"cpython"``, ``"pyodide"`` (Emscripten) or another ``sys.implementation.name``.
    name: str
    #: ``"sync"`` for :class:`~clerk_core.Clerk`, ``"async"`` for :class:`~clerk_core.AsyncClerk`.
    flavor: Flavor


class HttpRequest(msgspec.Struct, frozen=True, kw_only=True):
    """An HTTP request the core wants performed. ``timeout`` is in seconds and always set."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    timeout: float = 10.0

    def __repr__(self) -> str:  # headers carry the secret key: never print them
        return f"HttpRequest(method={self.method!r}, url={self.url!r})"


class HttpResponse(msgspec.Struct, frozen=True, kw_only=True):
    """An HTTP response handed back by a transport. Header names are lower-case."""

    status: int
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    body: bytes = b""

    def __repr__(self) -> str:
        return f"HttpResponse(status={self.status!r}, bytes={len(self.body)})"


@runtime_checkable
class CryptoProvider(Protocol):
    """Synchronous key import and signature verification."""

    def import_key(self, jwk: Mapping[str, Any], alg: str) -> object:
        """Turn a public JWK into a key handle for ``alg``. Raise ``ValueError`` if unusable."""

    def verify(self, alg: str, key: object, signature: bytes, data: bytes) -> bool:
        """True iff ``signature`` over ``data`` verifies with ``key`` under ``alg``."""


@runtime_checkable
class AsyncCryptoProvider(Protocol):
    """Asynchronous twin of :class:`CryptoProvider` (the shape WebCrypto has)."""

    def aimport_key(self, jwk: Mapping[str, Any], alg: str) -> Awaitable[object]:
        """Async :meth:`CryptoProvider.import_key`."""

    def averify(self, alg: str, key: object, signature: bytes, data: bytes) -> Awaitable[bool]:
        """Async :meth:`CryptoProvider.verify`."""


@runtime_checkable
class Transport(Protocol):
    """Synchronous HTTP. Map failures to :class:`~clerk_core.errors.TransportError` subclasses."""

    def handle_request(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` and return the whole response, honouring ``request.timeout``."""

    def close(self) -> None:
        """Release pooled connections."""


@runtime_checkable
class AsyncTransport(Protocol):
    """Asynchronous twin of :class:`Transport`."""

    def handle_async_request(self, request: HttpRequest) -> Awaitable[HttpResponse]:
        """Async :meth:`Transport.handle_request`."""

    def aclose(self) -> Awaitable[None]:
        """Async :meth:`Transport.close`."""


class JwksEntry:
    """One cached key set: the JWKs by ``kid``, when they were fetched, and imported handles."""

    __slots__ = ("fetched_at", "handles", "keys")

    def __init__(self, keys: Mapping[str, Mapping[str, Any]], fetched_at: float) -> None:
        self.keys = dict(keys)
        self.fetched_at = fetched_at
        #: ``(kid, alg) -> key handle``, filled lazily by the verifier.
        self.handles: dict[tuple[str, str], object] = {}


@runtime_checkable
class JwksCache(Protocol):
    """Where key sets are kept between verifications, by scope.

    A scope identifies one Clerk instance as seen by one client: it is derived
    from the API URL, API version and a fingerprint of the secret key, so one
    instance's keys can never verify another instance's tokens.
    """

    def get(self, scope: str) -> JwksEntry | None:
        """The entry for ``scope``, or None."""

    def put(self, scope: str, entry: JwksEntry) -> None:
        """Store (replace) the entry for ``scope``."""

    def clear(self) -> None:
        """Forget every entry."""
