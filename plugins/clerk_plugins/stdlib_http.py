"""Sync HTTP transport on the standard library's ``http.client`` (the default for sync clients).

Why it exists: a short-lived process that makes one Backend API call spends most of its
cold start importing niquests (120-150 ms). ``http.client`` costs about 20 ms, and nothing
is imported before the first request: building a client, and networkless verification,
never load it. It serves **sync clients only**; :class:`~clerk_core.AsyncClerk` keeps the
niquests transport (an async client would otherwise run every request in a worker thread).

Decisions:

* **Kept-alive connections**, a few idle ones per ``(scheme, host, port)``: a request takes
  an idle connection or opens a new one (concurrency is never capped), and gives it back
  once the response body is read. A connection that failed, or that the server announced it
  will close, is discarded. ``close()`` closes the idle ones; connections in use when it is
  called are closed when their request ends.
* **A stale kept-alive connection is not an error.** Before reuse, an idle connection is
  polled: a readable one was closed by the server (or holds bytes nobody asked for) and is
  dropped. If the server closes it in the instant between that check and the request, the
  request is sent once more on a new connection, but only when that cannot repeat it:
  the failure happened while sending, or the method is idempotent. A ``POST`` whose
  response was lost after it was sent fails with :class:`~clerk_core.errors.NetworkError`,
  since the server may have acted on it.
* **Errors** are mapped as in :mod:`clerk_plugins.niquests_http`: no connection (refused,
  DNS, connect timeout) is :class:`~clerk_core.errors.ConnectError`, since no byte of the
  request left; a read timeout is :class:`~clerk_core.errors.RequestTimeout`; anything else
  is :class:`~clerk_core.errors.NetworkError`. Messages name the method and the URL without
  its query, never headers (the secret key travels in one) or bodies. ``HttpRequest.timeout``
  bounds the connect and every socket read or write, as niquests does.
* **No redirects** (a 3xx is returned as is): following one would forward the secret key.
* **TCP_NODELAY** is set on every connection: servers (the local test instance among them)
  write headers and body separately, and Nagle's algorithm against a delayed ACK would add
  ~40 ms to every kept-alive request.
* **gzip**: ``Accept-Encoding: gzip`` is sent (unless the request names an encoding) and a gzip
  body is decoded, so large lists cost what they cost through niquests. Header names are
  lower-cased; a repeated header is joined with ``", "``.
* **TLS**: ``ssl.create_default_context()`` (certificate and host name verification on),
  built when the first HTTPS connection is made and shared by every transport in the
  process; loading the CA certificates costs tens of milliseconds. ``http.client`` imports
  ``ssl`` itself, but a plain-HTTP process never loads certificates. ``SSL_CERT_FILE`` and
  ``SSL_CERT_DIR`` are honoured by OpenSSL; ``REQUESTS_CA_BUNDLE`` and ``CURL_CA_BUNDLE``,
  which the niquests transport honours, are honoured too, so switching transports does not
  change which certificates are trusted. Where the interpreter's OpenSSL knows no CA
  certificate at all (a python.org build on macOS before its ``Install Certificates``
  step), ``certifi``'s bundle is used when installed. Pass ``StdlibHttpPlugin(ssl_context=...)``
  to decide yourself.
* **No proxies.** ``http.client`` does not read ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY``.
  When the environment names one for the API URL's scheme and ``NO_PROXY`` does not exempt
  the API host, this plugin declines, so the niquests transport (which uses the proxy) serves
  the client. ``NO_PROXY`` is read with the usual rules: a comma-separated list; ``*`` alone
  exempts every host; an entry matches the host itself and its subdomains (a leading dot is
  optional); ``host:port`` matches that port only. An entry it does not understand (a CIDR
  range) exempts nothing, which leaves the request to niquests, which does. A connection to
  another host that the environment sends through a proxy raises
  :class:`~clerk_core.errors.PluginError` rather than bypass the proxy. Proxies configured in
  macOS or Windows system settings, which niquests also reads, are not seen: pass
  ``NiquestsPlugin()`` there.

Choose niquests explicitly, ``Clerk(plugins=[NiquestsPlugin()])``, for HTTP/2, proxies from
system settings, or one transport shared by sync and async code.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from clerk_core.errors import ConnectError, NetworkError, PluginError, RequestTimeout, TransportError
from clerk_core.hookspecs import hookimpl
from clerk_core.options import ClientConfig
from clerk_core.providers import HttpRequest, HttpResponse, Runtime

if TYPE_CHECKING:
    import ssl
    from http.client import HTTPConnection

__all__ = ["StdlibHttpPlugin", "StdlibTransport", "clerk_http_transport"]

#: Idle connections kept per (scheme, host, port), as urllib3's default pool size.
DEFAULT_MAX_IDLE: Final = 10

#: Methods a retry on a new connection cannot turn into two different effects.
_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: Methods http.client sends ``Content-Length: 0`` for when they have no body.
_EXPECTS_BODY: Final = frozenset({"POST", "PUT", "PATCH"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


class _Stale(Exception):
    """A reused connection failed before any response byte, where sending again is safe."""


def _described(request: HttpRequest) -> str:
    return f"{request.method} {request.url.split('?', 1)[0]}"


def _origin(request: HttpRequest) -> tuple[Origin, str]:
    """``((scheme, host, port), target)`` for the request line; NetworkError for a URL it cannot send to."""
    from urllib.parse import urlsplit  # http.client imports it anyway

    try:
        split = urlsplit(request.url)
        scheme, host, port = split.scheme.lower(), split.hostname, split.port
    except ValueError as exc:  # a port that is not a number
        raise NetworkError(f"{_described(request)} failed: invalid URL") from exc
    if scheme not in _DEFAULT_PORTS or not host:
        raise NetworkError(f"{_described(request)} failed: only http:// and https:// URLs are supported")
    target = (split.path or "/") + (f"?{split.query}" if split.query else "")
    return (scheme, host, port or _DEFAULT_PORTS[scheme]), target


# -- proxies ----------------------------------------------------------------------------------


def _proxied_url(url: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment sends requests to ``url`` through a proxy (``*_PROXY`` less ``NO_PROXY``)."""
    env = os.environ if environ is None else environ
    scheme = url.partition(":")[0].lower()
    if not _proxy_named(scheme, env):
        return False
    from urllib.parse import urlsplit

    try:
        split = urlsplit(url)
        host, port = split.hostname or "", split.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        return True
    return not _exempt(host, port, env)


def _proxied(origin: Origin, environ: Mapping[str, str] | None = None) -> bool:
    """:func:`_proxied_url` for an origin already split."""
    env = os.environ if environ is None else environ
    return _proxy_named(origin[0], env) and not _exempt(origin[1], origin[2], env)


def _proxy_named(scheme: str, env: Mapping[str, str]) -> bool:
    # Errs towards yes (either case counts, an empty lower-case one does not hide an upper-case
    # one): declining costs speed only, while a missed proxy would bypass it. Four look-ups and
    # nothing parsed when none is set, since this runs each time a client is built.
    names = (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY")
    return any(env.get(name) for name in names)


def _exempt(host: str, port: int, env: Mapping[str, str]) -> bool:
    """Whether ``NO_PROXY`` exempts ``host:port``; an entry not understood (a CIDR range) exempts nothing."""
    no_proxy = env.get("no_proxy") or env.get("NO_PROXY") or ""
    host = host.lower()
    if no_proxy.strip() == "*":
        return True
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        name, entry_port = _entry(entry)
        if entry_port is not None and entry_port != port:
            continue
        name = name.lstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _entry(entry: str) -> tuple[str, int | None]:
    """A ``NO_PROXY`` entry as ``(host, port or None)``; ``[v6]:port`` and bare IPv6 addresses included."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        if port.isdigit():
            return host, int(port)
    return entry, None


# -- TLS --------------------------------------------------------------------------------------

_TLS_LOCK = threading.Lock()
_TLS_CONTEXTS: dict[str | None, ssl.SSLContext] = {}


def _ca_bundle() -> str | None:
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def _bundle_context(request: HttpRequest) -> ssl.SSLContext:
    """The shared context for the CA bundle the environment names now, or NetworkError if it cannot load."""
    bundle = _ca_bundle()
    try:
        return _tls_context(bundle)
    except (OSError, ValueError) as exc:  # a missing or unreadable file, or one without certificates
        variable = "REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE" if bundle else "the interpreter"
        raise NetworkError(
            f"{_described(request)} failed: the CA certificates named by {variable} cannot be loaded "
            f"({type(exc).__name__})"
        ) from exc


def _tls_context(bundle: str | None) -> ssl.SSLContext:
    """The process's verifying context for ``bundle`` (None: the interpreter's defaults), built once."""
    with _TLS_LOCK:
        context = _TLS_CONTEXTS.get(bundle)
        if context is None:
            context = _new_tls_context(bundle)
            _TLS_CONTEXTS[bundle] = context
        return context


def _new_tls_context(bundle: str | None) -> ssl.SSLContext:
    import ssl

    if bundle is not None:
        if os.path.isdir(bundle):
            return ssl.create_default_context(capath=bundle)
        return ssl.create_default_context(cafile=bundle)
    context = ssl.create_default_context()
    paths = ssl.get_default_verify_paths()
    if paths.capath is None and not context.cert_store_stats()["x509_ca"]:
        # OpenSSL found no trust anchor at all; every handshake would fail. certifi is what
        # python.org's macOS "Install Certificates" step installs, and what pip and requests use.
        try:
            import importlib

            certifi: Any = importlib.import_module("certifi")
        except ImportError:
            pass
        else:
            context.load_verify_locations(cafile=certifi.where())
    return context


# -- the transport ----------------------------------------------------------------------------


def _dropped(connection: HTTPConnection) -> bool:
    """Whether an idle kept-alive connection is unusable: closed by the peer, or holding unread bytes."""
    sock: Any = connection.sock
    if sock is None:
        return True
    try:
        if callable(getattr(sock, "pending", None)) and sock.pending():
            return True  # decrypted bytes no request asked for
        import select

        if hasattr(select, "poll"):  # select() cannot take descriptors above FD_SETSIZE
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _connect_failed(exc: Exception, request: HttpRequest) -> TransportError:
    import ssl

    if isinstance(exc, ssl.SSLError):  # connected, but the handshake failed (a certificate, a protocol)
        return NetworkError(f"{_described(request)} failed: TLS handshake failed ({type(exc).__name__})")
    if isinstance(exc, OSError):  # refused, DNS, unreachable, connect timeout: nothing was sent
        return ConnectError(f"{_described(request)} failed: could not connect ({type(exc).__name__})")
    return NetworkError(f"{_described(request)} failed: {type(exc).__name__}")


def _exchange_failed(exc: Exception, request: HttpRequest) -> TransportError:
    if isinstance(exc, TimeoutError):
        return RequestTimeout(f"{_described(request)} timed out after {request.timeout:g} s")
    return NetworkError(f"{_described(request)} failed: {type(exc).__name__}")


def _headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


class StdlibTransport:
    """Sync HTTP/1.1 on ``http.client`` with kept-alive connections; safe to share between threads."""

    def __init__(self, *, max_idle_per_host: int = DEFAULT_MAX_IDLE, ssl_context: ssl.SSLContext | None = None) -> None:
        self._max_idle = max_idle_per_host
        self._ssl_context = ssl_context
        self._lock = threading.Lock()
        self._idle: dict[Origin, list[HTTPConnection]] = {}
        # Bumped by close(): a connection taken before it is closed when given back, not kept.
        self._generation = 0
        # A forked child must never share a kept-alive socket with its parent.
        self._pid = os.getpid()
        # Origins whose proxy settings were checked when their first connection was made.
        self._direct: set[Origin] = set()

    def handle_request(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` and read the whole response, honouring ``request.timeout``."""
        origin, target = _origin(request)
        connection, generation = self._take(origin)
        if connection is not None:
            try:
                return self._exchange(connection, origin, generation, request, target, reused=True)
            except _Stale:
                pass  # the server closed the kept-alive connection as the request went out; try a new one
        connection, generation = self._open(origin, request)
        return self._exchange(connection, origin, generation, request, target, reused=False)

    def close(self) -> None:
        """Close the idle connections; ones in use are closed when their request ends."""
        with self._lock:
            idle, self._idle = self._idle, {}
            self._generation += 1
        for connections in idle.values():
            for connection in connections:
                connection.close()

    # -- the pool ----------------------------------------------------------------------------

    def _take(self, origin: Origin) -> tuple[HTTPConnection | None, int]:
        while True:
            with self._lock:
                if self._pid != os.getpid():
                    self._pid, self._idle = os.getpid(), {}  # the parent's sockets: forget, never use
                idle = self._idle.get(origin)
                connection = idle.pop() if idle else None
                generation = self._generation
            if connection is None or not _dropped(connection):
                return connection, generation
            connection.close()

    def _give_back(self, origin: Origin, connection: HTTPConnection, generation: int) -> None:
        with self._lock:
            if generation == self._generation and self._pid == os.getpid():
                idle = self._idle.setdefault(origin, [])
                if len(idle) < self._max_idle:
                    idle.append(connection)
                    return
        connection.close()

    def _open(self, origin: Origin, request: HttpRequest) -> tuple[HTTPConnection, int]:
        import http.client
        import socket

        scheme, host, port = origin
        if origin not in self._direct:
            if _proxied(origin):
                raise PluginError(
                    f"The environment sends {scheme}://{host}:{port} through a proxy, which the stdlib "
                    "transport does not use; pass plugins=[NiquestsPlugin()] (pip install 'clerk-core[niquests]')."
                )
            self._direct.add(origin)
        connection: HTTPConnection
        if scheme == "https":
            context = self._ssl_context or _bundle_context(request)
            connection = http.client.HTTPSConnection(host, port, timeout=request.timeout, context=context)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=request.timeout)
        with self._lock:
            generation = self._generation
        try:
            connection.connect()
            # http.client sets it too on current CPython; older and other interpreters may not.
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except Exception as exc:
            connection.close()
            raise _connect_failed(exc, request) from exc
        return connection, generation

    # -- one request -------------------------------------------------------------------------

    def _exchange(
        self,
        connection: HTTPConnection,
        origin: Origin,
        generation: int,
        request: HttpRequest,
        target: str,
        *,
        reused: bool,
    ) -> HttpResponse:
        sent = answered = done = False
        try:
            connection.sock.settimeout(request.timeout)
            _send(connection, request, target)
            sent = True
            response = connection.getresponse()
            answered = True
            body = response.read()
            done = True
        except Exception as exc:
            # A reset, a broken pipe or a close without a status line on a reused connection is the
            # server having dropped it while idle. Send again only where that cannot act twice: the
            # request did not fully leave, or it did and no response began and the method is
            # idempotent. (A reset in the middle of the status line or the headers counts as "no
            # response began": http.client cannot tell, and only idempotent requests get that far.)
            stale = reused and isinstance(exc, ConnectionError) and not answered
            if stale and (not sent or request.method in _IDEMPOTENT):
                raise _Stale from exc
            raise _exchange_failed(exc, request) from exc
        finally:
            if not done:
                connection.close()
        if response.will_close:
            connection.close()
        else:
            self._give_back(origin, connection, generation)
        headers = _headers(response.getheaders())
        if body and headers.get("content-encoding") in ("gzip", "x-gzip"):
            body = _gunzip(body, request)
        return HttpResponse(status=response.status, headers=headers, body=body)

    def __repr__(self) -> str:
        return f"StdlibTransport(max_idle_per_host={self._max_idle})"


def _send(connection: HTTPConnection, request: HttpRequest, target: str) -> None:
    names = {name.lower() for name, _ in request.headers}
    connection.putrequest(request.method, target, skip_host="host" in names, skip_accept_encoding=True)
    for name, value in request.headers:
        connection.putheader(name, value)
    if "accept-encoding" not in names:
        connection.putheader("Accept-Encoding", "gzip")
    if "content-length" not in names and "transfer-encoding" not in names:
        if request.body is not None:
            connection.putheader("Content-Length", str(len(request.body)))
        elif request.method in _EXPECTS_BODY:
            connection.putheader("Content-Length", "0")
    connection.endheaders(request.body)


def _gunzip(body: bytes, request: HttpRequest) -> bytes:
    import zlib

    try:
        return zlib.decompress(body, wbits=16 + zlib.MAX_WBITS)
    except zlib.error as exc:
        raise NetworkError(f"{_described(request)} failed: the gzip body does not decode") from exc


# -- registration -----------------------------------------------------------------------------


def _serves(runtime: Runtime, options: ClientConfig) -> bool:
    # Async clients keep niquests (native async); Pyodide has no sockets (pyfetch serves it).
    return runtime.flavor == "sync" and runtime.name != "pyodide" and not _proxied_url(options.api_url)


class StdlibHttpPlugin:
    """Register an instance to configure the transport: ``Clerk(plugins=[StdlibHttpPlugin(max_idle_per_host=4)])``.

    It declines where the default does (async clients, Pyodide, a proxy for the API host).
    """

    def __init__(self, *, max_idle_per_host: int = DEFAULT_MAX_IDLE, ssl_context: ssl.SSLContext | None = None) -> None:
        self.max_idle_per_host = max_idle_per_host
        self.ssl_context = ssl_context

    @hookimpl
    def clerk_http_transport(self, runtime: Runtime, options: ClientConfig) -> StdlibTransport | None:
        """A transport with this instance's settings, for sync clients."""
        if not _serves(runtime, options):
            return None
        return StdlibTransport(max_idle_per_host=self.max_idle_per_host, ssl_context=self.ssl_context)


@hookimpl(trylast=True)
def clerk_http_transport(runtime: Runtime, options: ClientConfig) -> StdlibTransport | None:
    """The default transport for sync clients (async clients, Pyodide and proxied hosts get another)."""
    return StdlibTransport() if _serves(runtime, options) else None
