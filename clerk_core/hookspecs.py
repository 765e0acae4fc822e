"""Hook specifications: how plugins supply crypto, HTTP and the small injected pieces.

Each ``clerk_*`` provider hook is a *factory*: the plugin host calls it once per
client and keeps what it returns, so no hook is dispatched on the hot path.
A hook implementation returns ``None`` to decline (wrong runtime, library not
installed). The host asks every implementation in priority order (plugins
passed to the client, then entry-point plugins, then the shipped defaults) and
takes the first provider that suits the client's flavour; see
``docs/writing-a-plugin.md``.

Write an implementation with :data:`hookimpl`::

    from clerk_core.hookspecs import hookimpl

    @hookimpl
    def clerk_crypto_backend(runtime, options):
        return MyCrypto() if runtime.name == "cpython" else None
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pluggy

if TYPE_CHECKING:
    from .options import ClientConfig
    from .providers import (
        AsyncCryptoProvider,
        AsyncTransport,
        Base64UrlDecoder,
        Clock,
        CryptoProvider,
        JwksCache,
        Runtime,
        Transport,
    )

__all__ = [
    "PROJECT_NAME",
    "clerk_b64url_decoder",
    "clerk_clock",
    "clerk_crypto_backend",
    "clerk_http_transport",
    "clerk_jwks_cache",
    "hookimpl",
    "hookspec",
]

#: The pluggy project name, also the entry-point group plugins register under.
PROJECT_NAME: Final = "clerk_core"

hookspec: Final = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl: Final = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def clerk_crypto_backend(runtime: Runtime, options: ClientConfig) -> CryptoProvider | AsyncCryptoProvider | None:
    """Return a crypto provider: ``import_key`` + ``verify`` and/or ``aimport_key`` + ``averify``.

    :param runtime: the interpreter and the client's flavour (``sync`` or ``async``).
    :param options: the client's resolved configuration (read-only).
    """


@hookspec
def clerk_http_transport(runtime: Runtime, options: ClientConfig) -> Transport | AsyncTransport | None:
    """Return an HTTP transport: ``handle_request`` + ``close`` and/or the async twins.

    The transport is created once per client and closed with it. It must honour
    ``HttpRequest.timeout`` and raise :class:`~clerk_core.errors.TransportError`
    subclasses for failures without a response.
    """


@hookspec
def clerk_b64url_decoder(runtime: Runtime) -> Base64UrlDecoder | None:
    """Return a strict base64url decoder (unpadded, canonical) raising ``ValueError``."""


@hookspec
def clerk_clock(runtime: Runtime) -> Clock | None:
    """Return a clock: a callable giving seconds since the epoch as a float."""


@hookspec
def clerk_jwks_cache(runtime: Runtime, options: ClientConfig) -> JwksCache | None:
    """Return the JWKS cache for this client (the default keeps one in memory per client)."""
