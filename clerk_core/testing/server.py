"""``LocalClerk``: a real HTTP/1.1 Backend API on 127.0.0.1 with in-memory state and faults.

Routes (any other method/path answers 404 ``resource_not_found``):

* ``GET /{version}/jwks`` (``/v1/jwks``; the version segment is not checked) — Bearer secret key.
* ``POST /m2m_tokens/verify`` ``{"token"}`` — Bearer secret key or machine secret key.
* ``POST /oauth_applications/access_tokens/verify`` ``{"access_token"}`` (or deprecated ``secret``).
* ``POST /api_keys/verify`` ``{"secret"}``.
* ``GET /{version}/clients/handshake_payload?nonce=`` → ``{"directives": [...]}`` for a nonce
  registered with :meth:`LocalClerk.register_handshake_nonce`.
* ``POST /{version}/sessions/{session_id}/refresh[?suffixed_cookies=true]`` — a fresh session
  token for a session from :meth:`LocalClerk.create_session`, as ``Token`` or ``Cookies``.
* ``POST /{version}/sessions/{session_id}/tokens`` and ``…/tokens/{template_name}`` — a session
  token or a JWT-template token, ``{"object": "token", "jwt"}``.

Every route wants the secret key as Bearer credential (401 ``clerk_key_invalid`` otherwise);
``/m2m_tokens/verify`` also takes the machine secret key. Faults apply to every route.
The three verify routes live outside ``/v1`` in the real API; they are also accepted under
``/v1/`` so a client that always prefixes the version still reaches them.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import re
import secrets
import socket
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    from typing_extensions import Self

from clerk_core.jwt.categories import IGNORE, SESSION_TOKEN
from clerk_core.testing import bapi
from clerk_core.testing.bapi import MachineTokenKind
from clerk_core.testing.cookies import (
    CLIENT_UAT_COOKIE,
    DEFAULT_FRONTEND_API,
    DEV_BROWSER_COOKIE,
    REFRESH_COOKIE,
    SESSION_COOKIE,
    build_publishable_key,
    cookie_suffix,
    frontend_api_from_publishable_key,
    session_directives,
    suffixed,
)
from clerk_core.testing.emulator import BackendApiEmulator, Reply
from clerk_core.testing.faults import FaultKind, FaultPlan
from clerk_core.testing.keys import KeyPair, default_keypair
from clerk_core.testing.machine_tokens import MachineTokens, is_usable
from clerk_core.testing.minting import (
    DEFAULT_AZP,
    mint_handshake_token,
    mint_m2m_token,
    mint_oauth_token,
    mint_session_token,
    mint_template_token,
)
from clerk_core.testing.records import RecordedRequest
from clerk_core.testing.sessions import (
    JwtTemplate,
    LocalSession,
    SessionStore,
    new_session,
    verify_signed_token,
)
from clerk_core.testing.webhooks import deliver_webhook, new_webhook_secret, webhook_payload

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
#: Operations the instance answers itself, from its keys, sessions and machine tokens; the
#: emulator (:mod:`clerk_core.testing.emulator`) answers every other one.
SERVED_BY_INSTANCE: Final = frozenset(
    {
        "GetJWKS",
        "RefreshSession",
        "CreateSessionToken",
        "CreateSessionTokenFromTemplate",
        "verifyApiKey",
        "verifyM2MToken",
        "verifyOAuthAccessToken",
    }
)
_BAD_JSON: Final = b'{"keys": [{"kty": "RSA",'

_HANDSHAKE_PAYLOAD_PATH = re.compile(r"^/[^/]+/clients/handshake_payload/?$")
_SESSION_PATH = re.compile(
    r"^/[^/]+/sessions/(?P<sid>[^/]+)/(?:(?P<refresh>refresh)|tokens(?:/(?P<template>[^/]+))?)/?$"
)
#: Body members ``POST /sessions/{id}/refresh`` accepts (the spec says additionalProperties: false).
_REFRESH_MEMBERS: Final = frozenset(
    {"expired_token", "refresh_token", "request_origin", "request_headers", "format", "request_originating_ip"}
)
_REFRESH_REQUIRED: Final = ("expired_token", "refresh_token", "request_origin")
#: ``expires_in_seconds`` bounds from the spec (CreateSessionToken / …FromTemplate).
_MIN_EXPIRES_IN: Final = 30
_MAX_EXPIRES_IN: Final = 315_360_000
_TRUE_VALUES: Final = frozenset({"true", "1"})


def _json_object(body: bytes, *, empty_ok: bool) -> dict[str, Any] | None:
    """The body as a JSON object; ``{}`` for an empty body when ``empty_ok``; else ``None``."""
    if not body.strip():
        return {} if empty_ok else None
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


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
        # Headers and body go out as two writes; with Nagle's algorithm the second waits for the
        # client's delayed ACK, and every kept-alive request would take ~40 ms.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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

    def _send(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _send_json(self, status: int, obj: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj, separators=(",", ":")).encode("utf-8"), headers)

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
                extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                self._send_json(fault.status, bapi.internal_error(), headers=extra)
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
        if self.command == "GET" and _HANDSHAKE_PAYLOAD_PATH.match(path):
            self._handshake_payload(request)
            return
        session_route = _SESSION_PATH.match(path) if self.command == "POST" else None
        if session_route is not None:
            session_id = unquote(session_route["sid"])
            if session_route["refresh"]:
                self._refresh(request, session_id)
            else:
                template = session_route["template"]
                self._session_token(request, session_id, unquote(template) if template else None)
            return
        matched = clerk.backend_api.match(self.command, path)
        if matched is None:
            self._send_json(404, bapi.not_found())
            return
        op, path_args = matched
        if op.auth != "none" and not self._authorized(request, credentials=op.auth):
            self._send_json(401, bapi.key_invalid())
            return
        self._reply(clerk.backend_api.handle(op, path_args, request.query, body, headers.get("content-type", "")))

    def _reply(self, reply: Reply) -> None:
        if reply.body is not None:
            self._send_json(reply.status, reply.body)
            return
        self.send_response(reply.status)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.wfile.flush()

    def _authorized(self, request: RecordedRequest, credentials: str) -> bool:
        """Whether the bearer is a key ``credentials`` allows: ``secret``, ``machine`` or ``either``."""
        credential = request.bearer
        if not credential:
            return False
        clerk = self.server.clerk
        allowed = {
            "secret": [clerk.secret_key],
            "machine": [clerk.machine_secret_key],
        }.get(credentials, [clerk.secret_key, clerk.machine_secret_key])
        given = credential.encode("utf-8")
        # Check every candidate: compare_digest keeps the comparison itself constant-time.
        matches = [hmac.compare_digest(given, key.encode("utf-8")) for key in allowed]
        return any(matches)

    def _jwks(self, request: RecordedRequest) -> None:
        if not self._authorized(request, "secret"):
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
        if not self._authorized(request, "either" if accept_machine_key else "secret"):
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

    def _handshake_payload(self, request: RecordedRequest) -> None:
        if not self._authorized(request, "secret"):
            self._send_json(401, bapi.key_invalid())
            return
        nonce = next(iter(request.query.get("nonce") or []), "")
        if not nonce:
            self._send_json(400, bapi.bad_request("nonce is required"))
            return
        directives = self.server.clerk._store.directives(nonce)
        if directives is None:
            self._send_json(404, bapi.not_found())
            return
        self._send_json(200, bapi.handshake_payload(directives))

    def _refresh(self, request: RecordedRequest, session_id: str) -> None:
        if not self._authorized(request, "secret"):
            self._send_json(401, bapi.key_invalid())
            return
        clerk = self.server.clerk
        session = clerk._store.session(session_id)
        if session is None:
            self._send_json(404, bapi.not_found())
            return
        payload = _json_object(request.body, empty_ok=False)
        if payload is None:
            self._send_json(400, bapi.bad_request("The request body must be a JSON object"))
            return
        problem = _refresh_body_problem(payload)
        if problem is not None:
            self._send_json(400, bapi.bad_request(problem))
            return
        if not hmac.compare_digest(payload["refresh_token"].encode("utf-8"), session.refresh_token.encode("utf-8")):
            self._send_json(
                401,
                bapi.refresh_rejected("refresh_token_invalid", "The refresh token does not belong to this session."),
            )
            return
        verified = verify_signed_token(payload["expired_token"], clerk.keys)
        claims = verified[1] if verified is not None else {}
        if (
            verified is None
            or verified[0].get("cat") not in (None, SESSION_TOKEN, IGNORE)
            or claims.get("sid") != session.session_id
            or claims.get("sub") != session.user_id
        ):
            self._send_json(
                401,
                bapi.refresh_rejected(
                    "expired_token_invalid",
                    "The expired token is not a session token this instance issued for this session.",
                ),
            )
            return
        origin: str = payload["request_origin"]
        jwt = clerk._mint_for_session(session, azp=origin or None, version=2 if claims.get("v") == 2 else 1)
        if (payload.get("format") or "token") == "token":
            self._send_json(200, bapi.token_object(jwt))
            return
        flag = next(iter(request.query.get("suffixed_cookies") or []), "")
        suffix = clerk.cookie_suffix if flag.lower() in _TRUE_VALUES else None
        secure = urlsplit(origin).scheme != "http"
        self._send_json(200, bapi.cookies_object(session_directives(jwt, suffix=suffix, secure=secure)))

    def _session_token(self, request: RecordedRequest, session_id: str, template: str | None) -> None:
        if not self._authorized(request, "secret"):
            self._send_json(401, bapi.key_invalid())
            return
        clerk = self.server.clerk
        session = clerk._store.session(session_id)
        if session is None:
            self._send_json(404, bapi.not_found())
            return
        payload = _json_object(request.body, empty_ok=True)
        if payload is None:
            self._send_json(400, bapi.bad_request("The request body must be a JSON object"))
            return
        expires_in = payload.get("expires_in_seconds")
        if expires_in is not None and (
            not isinstance(expires_in, int)
            or isinstance(expires_in, bool)
            or not _MIN_EXPIRES_IN <= expires_in <= _MAX_EXPIRES_IN
        ):
            self._send_json(
                400,
                bapi.bad_request(
                    f"expires_in_seconds must be an integer between {_MIN_EXPIRES_IN} and {_MAX_EXPIRES_IN}"
                ),
            )
            return
        if template is None:
            jwt = clerk._mint_for_session(session, ttl=expires_in)
        else:
            jwt = clerk._mint_template(session, template, ttl=expires_in)
        self._send_json(200, bapi.token_object(jwt))


def _refresh_body_problem(payload: Mapping[str, Any]) -> str | None:
    """Why a refresh body is malformed, or ``None`` when its shape is right."""
    unknown = sorted(set(payload) - _REFRESH_MEMBERS)
    if unknown:
        return f"Unknown parameters: {', '.join(unknown)}"
    missing = [name for name in _REFRESH_REQUIRED if not isinstance(payload.get(name), str)]
    if missing:
        return f"{', '.join(missing)} must be given as strings"
    if payload.get("format") not in (None, "token", "cookie"):
        return "format must be token or cookie"
    headers = payload.get("request_headers")
    if headers is not None and not isinstance(headers, dict):
        return "request_headers must be an object"
    return None


class LocalClerk:
    """A local stand-in for Clerk's Backend API, for tests and demos.

    ``keys`` defaults to ``[default_keypair()]``; the first key signs tokens minted through
    the helpers. ``secret_key`` defaults to ``sk_test_<random>``; ``machine_secret_key``
    defaults to ``ak_<random>`` (the prefix Clerk uses for machine secret keys). Use it as a
    context manager or call :meth:`start` / :meth:`stop`. ``port=0`` picks a free port.

    ``publishable_key`` defaults to ``pk_test_Y2xlcmsubG9jYWwuZGV2JA==`` (base64 of
    ``"clerk.local.dev$"``); it fixes :attr:`frontend_api`, the ``iss`` of tokens the session
    routes mint (``https://<frontend_api>``) and :attr:`cookie_suffix`. ``webhook_secret``
    (default: a new ``whsec_…``) signs :meth:`deliver_webhook`'s deliveries.
    """

    def __init__(
        self,
        *,
        keys: Sequence[KeyPair] | None = None,
        secret_key: str | None = None,
        machine_secret_key: str | None = None,
        publishable_key: str | None = None,
        webhook_secret: str | None = None,
        port: int = 0,
    ) -> None:
        """Configure the instance; nothing listens until :meth:`start`.

        Raises ``ValueError`` when ``publishable_key`` is not a ``pk_test_``/``pk_live_`` key.
        """
        self._keys: list[KeyPair] = list(keys) if keys is not None else [default_keypair()]
        self._secret_key = secret_key if secret_key is not None else "sk_test_" + secrets.token_urlsafe(24)
        self._machine_secret_key = (
            machine_secret_key if machine_secret_key is not None else "ak_" + secrets.token_hex(16)
        )
        self._publishable_key = (
            publishable_key if publishable_key is not None else build_publishable_key(DEFAULT_FRONTEND_API)
        )
        self._frontend_api = frontend_api_from_publishable_key(self._publishable_key)
        self._cookie_suffix = cookie_suffix(self._publishable_key)
        self._store = SessionStore()
        self._webhook_secret = webhook_secret if webhook_secret is not None else new_webhook_secret()
        self._machine_tokens = MachineTokens()
        self._machine_id = "mch_" + secrets.token_hex(14)[:27]
        #: Every other Backend API operation: checked against the spec, answered from memory.
        self.backend_api = BackendApiEmulator(
            sessions=self._store,
            machine_tokens=self._machine_tokens,
            machine_id=self._machine_id,
            mint_m2m_jwt=self.m2m_token,
        )
        self._port = port
        self._lock = threading.Lock()
        self._faults = FaultPlan()
        self._requests: list[RecordedRequest] = []
        self._jwks_requests = 0
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
        """The machine secret key (``ak_…``): it creates M2M tokens and may list, verify and revoke them."""
        return self._machine_secret_key

    @property
    def webhook_secret(self) -> str:
        """The signing secret (``whsec_…``) of this instance's webhook deliveries."""
        return self._webhook_secret

    def deliver_webhook(
        self,
        url: str,
        event: str | Mapping[str, Any],
        *,
        data: Mapping[str, Any] | None = None,
        timeout: float = 5.0,
        **options: Any,
    ) -> tuple[int, bytes]:
        """Send an event to ``url`` as Clerk does: JSON, signed with :attr:`webhook_secret`.

        ``event`` is an event type (its example from Clerk's schemas, ``data`` members replaced)
        or a whole payload. ``options`` go to :func:`~clerk_core.testing.deliver_webhook`
        (``msg_id``, ``timestamp``, ``extra_headers``). Returns the answer's status and body.
        """
        payload = webhook_payload(event, data=data) if isinstance(event, str) else event
        return deliver_webhook(url, payload, secret=self._webhook_secret, timeout=timeout, **options)

    @property
    def machine_id(self) -> str:
        """The machine (``mch_…``) the machine secret key belongs to: the subject of its M2M tokens."""
        return self._machine_id

    @property
    def publishable_key(self) -> str:
        """The publishable key (``pk_test_…``), public by design: it names the frontend API."""
        return self._publishable_key

    @property
    def frontend_api(self) -> str:
        """The Frontend API host the publishable key encodes, e.g. ``clerk.local.dev``."""
        return self._frontend_api

    @property
    def cookie_suffix(self) -> str:
        """Clerk's cookie suffix for the publishable key: base64url(SHA-1(key))[:8]."""
        return self._cookie_suffix

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
        retry_after: int | None = None,
    ) -> None:
        """Make every route fail as ``kind`` for the next ``times`` requests (``None``: until cleared).

        ``set_fault("status", status=429, retry_after=2)`` answers as Clerk's rate limit does.
        """
        self._faults.set(kind, times=times, delay=delay, status=status, retry_after=retry_after)

    def clear_faults(self) -> None:
        """Return to normal service."""
        self._faults.clear()

    def reset(self) -> None:
        """Clear faults, counters, the request log, machine tokens, sessions, nonces, templates and the
        emulated Backend API's records.

        Keys and credentials stay.
        """
        self._faults.clear()
        self._store.clear()
        self.backend_api.reset()
        with self._lock:
            self._requests.clear()
            self._jwks_requests = 0

    # -- machine tokens --------------------------------------------------------------------

    def register_machine_token(self, kind: MachineTokenKind, token: str, **fields: Any) -> dict[str, Any]:
        """Make ``token`` verifiable through the route for ``kind``; returns the response object.

        ``fields`` override the spec-shaped defaults (``id``, ``subject``, ``scopes``,
        ``claims``, ``revoked``, ``expired``, ``expiration``, ``client_id``, ``name`` …).
        """
        return self._machine_tokens.register(kind, token, bapi.machine_token_object(kind, **fields))

    def _lookup(self, kind: MachineTokenKind, token: str) -> dict[str, Any] | None:
        """What ``token`` verifies to; ``None`` when unknown, revoked or expired (Clerk rejects those)."""
        obj = self._machine_tokens.lookup(kind, token)
        return obj if obj is not None and is_usable(obj) else None

    # -- sessions, handshake nonces and JWT templates --------------------------------------

    def create_session(
        self,
        *,
        user_id: str = "user_2local",
        session_id: str | None = None,
        refresh_token: str | None = None,
        org: Mapping[str, Any] | None = None,
        client_id: str | None = None,
    ) -> LocalSession:
        """Sign a browser in: register a session the session routes will serve.

        ``session_id`` defaults to a random ``sess_…`` id, ``refresh_token`` to a random
        secret; an existing session with the same id is replaced. ``org`` is the active
        organization, in :func:`~clerk_core.testing.mint_session_token`'s ``org`` form.
        ``client_id`` names the browser holding it (a new ``client_…`` by default); the
        Backend API's sessions and clients operations list what was created here.
        """
        session = new_session(
            user_id=user_id, session_id=session_id, refresh_token=refresh_token, org=org, client_id=client_id
        )
        self._store.add_session(session)
        return session

    def end_session(self, session_id: str) -> bool:
        """Forget a session (its routes answer 404 afterwards); True if it existed."""
        return self._store.remove_session(session_id)

    def session_cookies(
        self,
        session: LocalSession,
        *,
        suffix: str | None = None,
        now: float | None = None,
        dev_browser: str | None = None,
    ) -> dict[str, str]:
        """The Clerk cookies a browser signed in to ``session`` holds, name → value.

        ``__session`` and ``__session_<suffix>`` (a session token issued at ``now``, default
        the current time; pass an old ``now`` for an expired one), ``__client_uat`` and
        ``__client_uat_<suffix>`` (the sign-in time, never after the token's ``iat``) and
        ``__refresh_<suffix>`` (the refresh token). With ``dev_browser`` (a development
        instance's dev-browser token) also ``__clerk_db_jwt`` and ``__clerk_db_jwt_<suffix>``,
        as ClerkJS writes both. ``suffix`` defaults to :attr:`cookie_suffix`; drop keys from
        the result to model older browsers.
        """
        suffix = self._cookie_suffix if suffix is None else suffix
        token = self._mint_for_session(session, now=now)
        issued = int(time.time() if now is None else now)
        client_uat = str(min(session.created_at, issued))
        cookies = {
            SESSION_COOKIE: token,
            suffixed(SESSION_COOKIE, suffix): token,
            CLIENT_UAT_COOKIE: client_uat,
            suffixed(CLIENT_UAT_COOKIE, suffix): client_uat,
            suffixed(REFRESH_COOKIE, suffix): session.refresh_token,
        }
        if dev_browser is not None:
            cookies[DEV_BROWSER_COOKIE] = cookies[suffixed(DEV_BROWSER_COOKIE, suffix)] = dev_browser
        return cookies

    def register_handshake_nonce(self, nonce: str, directives: Sequence[str]) -> None:
        """Make ``GET /v1/clients/handshake_payload?nonce=<nonce>`` return ``directives``.

        Build the directives with :func:`~clerk_core.testing.handshake_directives`. A nonce
        stays readable until :meth:`reset`; registering it again replaces its directives.
        """
        if not nonce:
            raise ValueError("nonce must be a non-empty string")
        self._store.add_nonce(nonce, directives)

    def register_jwt_template(
        self,
        name: str,
        *,
        claims: Mapping[str, Any] | None = None,
        lifetime: int = 60,
    ) -> None:
        """Give the JWT template ``name`` extra ``claims`` and a default ``lifetime`` (seconds).

        Unregistered template names are served too, with no extra claims and 60 s tokens.
        """
        if not name:
            raise ValueError("name must be a non-empty string")
        if lifetime <= 0:
            raise ValueError("lifetime must be > 0")
        self._store.add_template(JwtTemplate(name, dict(claims) if claims is not None else None, lifetime))

    @property
    def _issuer(self) -> str:
        return f"https://{self._frontend_api}"

    def _mint_for_session(
        self,
        session: LocalSession,
        *,
        ttl: int | None = None,
        azp: str | None = DEFAULT_AZP,
        version: int = 1,
        now: float | None = None,
    ) -> str:
        return mint_session_token(
            self._signing_key(),
            sub=session.user_id,
            sid=session.session_id,
            org=session.org,
            ttl=60 if ttl is None else ttl,
            azp=azp,
            iss=self._issuer,
            version=version,
            now=now,
        )

    def _mint_template(self, session: LocalSession, name: str, *, ttl: int | None = None) -> str:
        template = self._store.template(name)
        lifetime = template.lifetime if template is not None else 60
        return mint_template_token(
            self._signing_key(),
            name,
            sub=session.user_id,
            sid=session.session_id,
            ttl=lifetime if ttl is None else ttl,
            iss=self._issuer,
            claims=template.claims if template is not None else None,
        )

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
