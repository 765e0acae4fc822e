"""``LocalClerk``: a real HTTP/1.1 Backend API on 127.0.0.1 with in-memory state and faults.

Routes (any other method/path answers 404 ``resource_not_found``):

* ``GET /{version}/jwks`` (``/v1/jwks``; the version segment is not checked) — Bearer secret key.
* ``POST /m2m_tokens/verify`` ``{"token"}`` — Bearer secret key or machine secret key.
* ``POST /oauth_applications/access_tokens/verify`` ``{"access_token"}`` (or deprecated ``secret``).
* ``POST /api_keys/verify`` ``{"secret"}``.

The three verify routes live outside ``/v1`` in the real API; they are also accepted under
``/v1/`` so a client that always prefixes the version still reaches them.
"""

from __future__ import annotations

import contextlib
import copy
import hmac
import json
import re
import secrets
import socket
import sys
import threading
from collections.abc import Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from typing_extensions import Self

from clerk_core.testing import bapi
from clerk_core.testing.bapi import MachineTokenKind
from clerk_core.testing.faults import FaultKind, FaultPlan
from clerk_core.testing.keys import KeyPair, default_keypair
from clerk_core.testing.minting import (
    mint_handshake_token,
    mint_m2m_token,
    mint_oauth_token,
    mint_session_token,
)
from clerk_core.testing.records import RecordedRequest

__all__ = ["LocalClerk"]

#: Per-connection socket timeout: an aborted client cannot wedge a handler thread for longer.
HANDLER_TIMEOUT: Final = 10.0
#: Request bodies above this are refused; the real routes take a few hundred bytes.
MAX_BODY: Final = 1 << 20

_JWKS_PATH = re.compile(r"^(?:/[^/]+)?/jwks/?$")
#: path → (token kind, JSON body members holding the token, machine secret key accepted)
_VERIFY_ROUTES: Final[dict[str, tuple[MachineTokenKind, tuple[str, ...], bool]]] = {
    "/m2m_tokens/verify": ("m2m_token", ("token",), True),
    "/oauth_applications/access_tokens/verify": (
        "oauth_token",
        ("access_token", "secret"),
        False,
    ),
    "/api_keys/verify": ("api_key", ("secret",), False),
}
_BAD_JSON: Final = b'{"keys": [{"kty": "RSA",'


class _Server(ThreadingHTTPServer):
    # Handler threads must never keep the interpreter alive after a test run.
    daemon_threads = True

    def __init__(self, clerk: LocalClerk, port: int) -> None:
        self.clerk = clerk
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeouts, fault tests) is normal here; don't print its
        # traceback to stderr. Anything else is a bug in the handler and stays visible.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Shut down kept-alive and in-flight connections so stop() does not wait on idle clients."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = HANDLER_TIMEOUT
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):  # the client or stop() already tore the socket down
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        # Silence BaseHTTPRequestHandler's stderr access log; requests are recorded instead.
        return

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes | None:
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _send_json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj, separators=(",", ":")).encode("utf-8"))

    def _dispatch(self) -> None:
        clerk = self.server.clerk
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._send_json(400, bapi.bad_request("Invalid Content-Length"))
            return
        split = urlsplit(self.path)
        path = split.path
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        request = RecordedRequest(
            method=self.command,
            path=path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            body=body,
        )
        is_jwks = self.command == "GET" and _JWKS_PATH.match(path) is not None
        clerk._record(request, is_jwks=is_jwks)

        fault = clerk._faults.take()
        if fault is not None:
            if fault.kind == "down":
                # No status line at all: the client sees the connection close mid-request.
                self.close_connection = True
                return
            if fault.kind == "slow":
                if clerk._stopping.wait(fault.delay):
                    self.close_connection = True
                    return
            elif fault.kind == "status":
                self._send_json(fault.status, bapi.internal_error())
                return
            elif fault.kind == "bad_json":
                self._send(200, _BAD_JSON)
                return
            elif fault.kind == "empty_keys":
                self._send_json(200, {"keys": []})
                return
            elif fault.kind == "unauthorized":
                self._send_json(401, bapi.key_invalid())
                return

        if is_jwks:
            self._jwks(request)
            return
        route = _VERIFY_ROUTES.get(path[3:] if path.startswith("/v1/") else path)
        if route is not None and self.command == "POST":
            self._verify(request, *route)
            return
        self._send_json(404, bapi.not_found())

    def _authorized(self, request: RecordedRequest, accept_machine_key: bool) -> bool:
        credential = request.bearer
        if not credential:
            return False
        clerk = self.server.clerk
        allowed = [clerk.secret_key, clerk.machine_secret_key] if accept_machine_key else [clerk.secret_key]
        given = credential.encode("utf-8")
        # Check every candidate: compare_digest keeps the comparison itself constant-time.
        matches = [hmac.compare_digest(given, key.encode("utf-8")) for key in allowed]
        return any(matches)

    def _jwks(self, request: RecordedRequest) -> None:
        if not self._authorized(request, accept_machine_key=False):
            self._send_json(401, bapi.key_invalid())
            return
        self._send_json(200, {"keys": [key.public_jwk for key in self.server.clerk.keys]})

    def _verify(
        self,
        request: RecordedRequest,
        kind: MachineTokenKind,
        members: tuple[str, ...],
        accept_machine_key: bool,
    ) -> None:
        if not self._authorized(request, accept_machine_key):
            self._send_json(401, bapi.key_invalid())
            return
        try:
            payload = json.loads(request.body or b"null")
        except ValueError:
            payload = None
        token = None
        if isinstance(payload, dict):
            token = next((payload[m] for m in members if isinstance(payload.get(m), str)), None)
        if token is None:
            self._send_json(400, bapi.bad_request(f"{members[0]} is required and must be a string"))
            return
        obj = self.server.clerk._lookup(kind, token)
        if obj is None:
            self._send_json(404, bapi.not_found())
            return
        self._send_json(200, obj)


class LocalClerk:
    """A local stand-in for Clerk's Backend API, for tests and demos.

    ``keys`` defaults to ``[default_keypair()]``; the first key signs tokens minted through
    the helpers. ``secret_key`` defaults to ``sk_test_<random>``; ``machine_secret_key``
    defaults to ``ak_<random>`` (the prefix Clerk uses for machine secret keys). Use it as a
    context manager or call :meth:`start` / :meth:`stop`. ``port=0`` picks a free port.
    """

    def __init__(
        self,
        *,
        keys: Sequence[KeyPair] | None = None,
        secret_key: str | None = None,
        machine_secret_key: str | None = None,
        port: int = 0,
    ) -> None:
        """Configure the instance; nothing listens until :meth:`start`."""
        self._keys: list[KeyPair] = list(keys) if keys is not None else [default_keypair()]
        self._secret_key = secret_key if secret_key is not None else "sk_test_" + secrets.token_urlsafe(24)
        self._machine_secret_key = (
            machine_secret_key if machine_secret_key is not None else "ak_" + secrets.token_hex(16)
        )
        self._port = port
        self._lock = threading.Lock()
        self._faults = FaultPlan()
        self._requests: list[RecordedRequest] = []
        self._jwks_requests = 0
        self._tokens: dict[tuple[str, str], dict[str, Any]] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind 127.0.0.1 and serve from a daemon thread; returns ``self``."""
        if self._server is not None:
            raise RuntimeError("LocalClerk is already running")
        self._stopping.clear()
        server = _Server(self, self._port)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="LocalClerk",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and join the thread; a no-op when stopped."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server, self._thread = None, None
        self._stopping.set()  # wakes handlers sleeping in a "slow" fault
        stopper = threading.Thread(target=server.shutdown, name="LocalClerk-stop", daemon=True)
        stopper.start()
        # serve_forever only notices shutdown between selects; a throwaway connection wakes
        # its select now instead of after poll_interval.
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=0.5).close()
        stopper.join()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start() if self._server is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._server is not None

    # -- addresses and credentials ---------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound TCP port."""
        if self._server is None:
            raise RuntimeError("LocalClerk is not running")
        return int(self._server.server_address[1])

    @property
    def api_url(self) -> str:
        """Base URL to configure as the SDK's API URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def jwks_url(self) -> str:
        """``{api_url}/v1/jwks``."""
        return f"{self.api_url}/v1/jwks"

    @property
    def secret_key(self) -> str:
        """The instance secret key (``sk_test_…``) the routes accept as Bearer credential."""
        return self._secret_key

    @property
    def machine_secret_key(self) -> str:
        """The machine secret key (``ak_…``), accepted by ``/m2m_tokens/verify`` only."""
        return self._machine_secret_key

    # -- keys ------------------------------------------------------------------------------

    @property
    def keys(self) -> list[KeyPair]:
        """The published keys (a copy); the first one signs minted tokens."""
        with self._lock:
            return list(self._keys)

    def add_key(self, keypair: KeyPair) -> None:
        """Publish one more key (key rotation); the signing key does not change."""
        with self._lock:
            self._keys.append(keypair)

    def set_keys(self, keys: Iterable[KeyPair]) -> None:
        """Replace the published keys; the first becomes the signing key."""
        with self._lock:
            self._keys = list(keys)

    # -- observation -----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def jwks_requests(self) -> int:
        """How many JWKS requests arrived, including ones answered with a fault or a 401."""
        with self._lock:
            return self._jwks_requests

    def _record(self, request: RecordedRequest, *, is_jwks: bool) -> None:
        with self._lock:
            self._requests.append(request)
            if is_jwks:
                self._jwks_requests += 1

    # -- faults ----------------------------------------------------------------------------

    def set_fault(
        self,
        kind: FaultKind,
        *,
        times: int | None = None,
        delay: float = 0.0,
        status: int = 503,
    ) -> None:
        """Make every route fail as ``kind`` for the next ``times`` requests (``None``: until cleared)."""
        self._faults.set(kind, times=times, delay=delay, status=status)

    def clear_faults(self) -> None:
        """Return to normal service."""
        self._faults.clear()

    def reset(self) -> None:
        """Clear faults, counters, the request log and registered machine tokens (keys stay)."""
        self._faults.clear()
        with self._lock:
            self._requests.clear()
            self._jwks_requests = 0
            self._tokens.clear()

    # -- machine tokens --------------------------------------------------------------------

    def register_machine_token(self, kind: MachineTokenKind, token: str, **fields: Any) -> dict[str, Any]:
        """Make ``token`` verifiable through the route for ``kind``; returns the response object.

        ``fields`` override the spec-shaped defaults (``id``, ``subject``, ``scopes``,
        ``claims``, ``revoked``, ``expired``, ``expiration``, ``client_id``, ``name`` …).
        """
        obj = bapi.machine_token_object(kind, **fields)
        with self._lock:
            self._tokens[(kind, token)] = obj
        return copy.deepcopy(obj)

    def _lookup(self, kind: MachineTokenKind, token: str) -> dict[str, Any] | None:
        with self._lock:
            obj = self._tokens.get((kind, token))
            return copy.deepcopy(obj) if obj is not None else None

    # -- minting with the signing key ------------------------------------------------------

    def _signing_key(self) -> KeyPair:
        with self._lock:
            if not self._keys:
                raise RuntimeError("LocalClerk has no keys")
            return self._keys[0]

    def session_token(self, **kwargs: Any) -> str:
        """:func:`~clerk_core.testing.mint_session_token` with the signing key."""
        return mint_session_token(self._signing_key(), **kwargs)

    def m2m_token(self, **kwargs: Any) -> str:
        """:func:`~clerk_core.testing.mint_m2m_token` with the signing key."""
        return mint_m2m_token(self._signing_key(), **kwargs)

    def oauth_token(self, **kwargs: Any) -> str:
        """:func:`~clerk_core.testing.mint_oauth_token` with the signing key."""
        return mint_oauth_token(self._signing_key(), **kwargs)

    def handshake_token(self, directives: Sequence[str], **kwargs: Any) -> str:
        """:func:`~clerk_core.testing.mint_handshake_token` with the signing key."""
        return mint_handshake_token(self._signing_key(), directives, **kwargs)

    def __repr__(self) -> str:
        where = self.api_url if self._server is not None else "stopped"
        kids = [key.kid for key in self.keys]
        return f"LocalClerk({where}, kids={kids!r})"
