"""HTTP transport on niquests, sync and async (the CPython default).

niquests is imported on the first request, never at plugin registration:
``import niquests`` costs ~190 ms and networkless verification never needs it.

Defaults chosen deliberately:

* **No automatic retries** in the session: the core decides what to retry
  (JWKS fetches) and what must not be repeated (POSTs).
* **No redirects**: the Backend API does not redirect; following one would
  forward the secret key somewhere else.
* **OCSP/CRL revocation checks off.** niquests turns them on by default and
  performs them over plain HTTP to the CA's responder after the TLS handshake;
  on locked-egress or serverless hosts that adds latency and blocked egress.
  Pass ``NiquestsPlugin(revocation=True)`` to keep niquests' default.

Note that niquests depends on ``urllib3-future``, which replaces ``urllib3``
for the whole environment; that is why this plugin is an extra
(``clerk-core[niquests]``) and not a hard dependency of the core.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from typing import Any

from clerk_core.errors import ConnectError, NetworkError, RequestTimeout, TransportError
from clerk_core.hookspecs import hookimpl
from clerk_core.options import ClientConfig
from clerk_core.providers import HttpRequest, HttpResponse, Runtime

__all__ = ["NiquestsPlugin", "NiquestsTransport", "clerk_http_transport"]


def _session_options(revocation: bool) -> dict[str, Any]:
    options: dict[str, Any] = {"retries": 0}
    if not revocation:
        options["revocation_configuration"] = None
    return options


def _response(raw: Any) -> HttpResponse:
    headers = {str(k).lower(): str(v) for k, v in raw.headers.items()}
    return HttpResponse(status=int(raw.status_code), headers=headers, body=raw.content or b"")


def _mapped(exc: Exception, request: HttpRequest) -> TransportError:
    import niquests

    target = f"{request.method} {request.url.split('?', 1)[0]}"
    if isinstance(exc, niquests.exceptions.ConnectTimeout) or _never_connected(exc):
        # No connection, so no byte of the request left: safe to send again, even a POST.
        return ConnectError(f"{target} failed: could not connect ({type(exc).__name__})")
    if isinstance(exc, niquests.exceptions.Timeout):
        return RequestTimeout(f"{target} timed out after {request.timeout:g} s")
    return NetworkError(f"{target} failed: {type(exc).__name__}")


#: Exceptions of urllib3(-future) raised before a connection exists (refused, DNS, no route).
_CONNECT_FAILURES = frozenset({"NewConnectionError", "NameResolutionError", "ConnectTimeoutError"})


def _never_connected(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) says the connection was never made."""
    seen: BaseException | None = exc
    for _ in range(8):  # niquests wraps urllib3's errors a few levels deep
        if seen is None:
            return False
        if type(seen).__name__ in _CONNECT_FAILURES or isinstance(seen, ConnectionRefusedError):
            return True
        wrapped = getattr(seen, "reason", None)
        if not isinstance(wrapped, BaseException):
            wrapped = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = wrapped or seen.__cause__ or seen.__context__
    return False


class NiquestsTransport:
    """Pooled sync and async transport; sessions are created lazily, one of each per client."""

    def __init__(self, *, revocation: bool = False) -> None:
        self._revocation = revocation
        self._lock = threading.Lock()
        self._session: Any = None
        self._async_session: Any = None

    def _sync(self) -> Any:
        with self._lock:
            if self._session is None:
                import niquests

                self._session = niquests.Session(**_session_options(self._revocation))
            return self._session

    def handle_request(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` synchronously."""
        session = self._sync()
        try:
            raw = session.request(
                request.method,
                request.url,
                headers=dict(request.headers),
                data=request.body,
                timeout=request.timeout,
                allow_redirects=False,
            )
            return _response(raw)
        except Exception as exc:
            raise _mapped(exc, request) from exc

    async def handle_async_request(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` on the async session."""
        if self._async_session is None:
            import niquests

            self._async_session = niquests.AsyncSession(**_session_options(self._revocation))
        try:
            raw = await self._async_session.request(
                request.method,
                request.url,
                headers=dict(request.headers),
                data=request.body,
                timeout=request.timeout,
                allow_redirects=False,
            )
            return _response(raw)
        except Exception as exc:
            raise _mapped(exc, request) from exc

    def close(self) -> None:
        """Close the sync session's pool."""
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            session.close()

    async def aclose(self) -> None:
        """Close the async session's pool (and the sync one, if used)."""
        session, self._async_session = self._async_session, None
        if session is not None:
            await session.close()
        self.close()

    def __repr__(self) -> str:
        return f"NiquestsTransport(revocation={self._revocation})"


class NiquestsPlugin:
    """Register an instance to configure the transport: ``Clerk(plugins=[NiquestsPlugin(revocation=True)])``."""

    def __init__(self, *, revocation: bool = False) -> None:
        self.revocation = revocation

    @hookimpl
    def clerk_http_transport(self, runtime: Runtime, options: ClientConfig) -> NiquestsTransport | None:
        """A transport with this instance's settings."""
        return NiquestsTransport(revocation=self.revocation) if _available() else None


@functools.cache
def _available() -> bool:
    # Asked once per process: a file-system search on every client costs more than the rest of
    # building one, and a package installed while the process runs is not imported by it anyway.
    return importlib.util.find_spec("niquests") is not None


@hookimpl(trylast=True)
def clerk_http_transport(runtime: Runtime, options: ClientConfig) -> NiquestsTransport | None:
    """The default transport wherever niquests is installed (on Pyodide, the pyfetch plugin is preferred)."""
    if runtime.name == "pyodide" or not _available():
        return None
    return NiquestsTransport()
