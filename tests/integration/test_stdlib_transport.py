"""The transport contract over real sockets, for both shipped sync transports.

Each contract test runs against ``StdlibTransport`` and ``NiquestsTransport`` with a plain
``http.server`` started on 127.0.0.1 by the test, whose routes misbehave on purpose (close
idle kept-alive connections, drop a request unanswered, answer slowly, repeat headers). Tests
named ``test_stdlib_*`` pin what only the stdlib transport does (its retry on a connection the
server dropped as the request arrived, its proxy and fork rules); the last ones run the client
end to end on the default transport against the local Clerk instance.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from clerk_plugins.niquests_http import NiquestsPlugin, NiquestsTransport
from clerk_plugins.stdlib_http import StdlibHttpPlugin, StdlibTransport, _proxied_url

from clerk_core import AsyncClerk, Clerk
from clerk_core.errors import ConnectError, NetworkError, PluginError, RequestTimeout
from clerk_core.providers import HttpRequest, HttpResponse, Transport
from clerk_core.testing import LocalClerk

pytestmark = pytest.mark.network

SECRET_HEADER = ("Authorization", "Bearer sk_test_hunter2")
SECRET_QUERY = "token=hunter3"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


# -- a server that misbehaves on request --------------------------------------------------------


class Recorded:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method, self.path, self.headers, self.body = method, path, headers, body


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections = 0
        self.closed = 0
        self.requests: list[Recorded] = []
        self.drop_once_seen = False
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        with self.lock:
            self.closed += 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # clients that give up (timeouts, closed pools) are what these tests do

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def paths(self, path: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def wait_closed(self, count: int, within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with self.lock:
                if self.closed >= count:
                    break
            time.sleep(0.005)
        time.sleep(0.05)  # the FIN is on its way; let it land in the client's socket
        with self.lock:
            assert self.closed >= count, f"{self.closed} connections closed, expected {count}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.lock:
            self.server.connections += 1

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._route()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def _reply(self, status: int, body: bytes = b"", headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        bodiless = status in (204, 304)
        if not bodiless:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and not bodiless:
            self.wfile.write(body)

    def _route(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.server.lock:
            self.server.requests.append(Recorded(self.command, split.path, headers, body))
        path = split.path
        if path == "/echo":
            extra = (("X-Method", self.command), ("X-Multi", "a"), ("X-Multi", "b"), ("Content-Type", "x/echo"))
            self._reply(200, body, extra)
        elif path.startswith("/status/"):
            self._reply(int(path.rsplit("/", 1)[1]), b"status body")
        elif path == "/redirect":
            self._reply(302, b"moved", (("Location", "/echo"),))
        elif path == "/large":
            self._reply(200, _pattern(int(query["n"])))
        elif path == "/gzip":
            plain = b'{"compressed": true}' * 500
            if "gzip" in headers.get("accept-encoding", ""):
                self._reply(200, gzip.compress(plain), (("Content-Encoding", "gzip"),))
            else:
                self._reply(200, plain)
        elif path == "/slow":
            if not self.server.stopping.wait(float(query["delay"])):
                self._reply(200, b"late")
        elif path == "/close":  # announced: the client must not reuse the connection
            self._reply(200, b"bye", (("Connection", "close"),))
        elif path == "/then-close":  # unannounced: the connection dies while the client keeps it idle
            self._reply(200, b"ok")
            self.close_connection = True
        elif path == "/drop":  # the request arrived whole; the connection closes without a status line
            self.close_connection = True
        elif path == "/drop-once":
            with self.server.lock:
                first, self.server.drop_once_seen = not self.server.drop_once_seen, True
            if first:
                self.close_connection = True
            else:
                self._reply(200, b"second time")
        else:
            self._reply(404, b"no such route")


def _pattern(n: int) -> bytes:
    return (bytes(range(256)) * (n // 256 + 1))[:n]


@contextlib.contextmanager
def _serving(instance: _Server) -> Iterator[_Server]:
    thread = threading.Thread(target=instance.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield instance
    finally:
        instance.stopping.set()
        instance.shutdown()
        instance.server_close()
        thread.join(5)


@pytest.fixture
def server() -> Iterator[_Server]:
    with _serving(_Server()) as instance:
        yield instance


@pytest.fixture(params=["stdlib", "niquests"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Transport]:
    for name in PROXY_VARIABLES:  # a developer's proxy must not route loopback tests
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    instance: Transport = StdlibTransport() if request.param == "stdlib" else NiquestsTransport()
    yield instance
    instance.close()


def _get(transport: Transport, url: str, **fields: Any) -> HttpResponse:
    fields.setdefault("timeout", 5.0)
    return transport.handle_request(HttpRequest(method=fields.pop("method", "GET"), url=url, **fields))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _assert_secret_free(exc: BaseException) -> None:
    for text in (str(exc), repr(exc)):
        assert "hunter2" not in text and "hunter3" not in text and "?" not in text


# -- the response as the core sees it ---------------------------------------------------------


def test_status_headers_and_body_round_trip(transport: Transport, server: _Server) -> None:
    response = _get(transport, f"{server.url}/echo?x=1", headers=(SECRET_HEADER, ("X-Trace", "t1")))
    assert response.status == 200
    assert response.body == b""
    assert response.headers["x-method"] == "GET"
    assert response.headers["x-multi"] == "a, b"  # repeated headers joined, names lower-cased
    assert response.headers["content-type"] == "x/echo"
    assert all(name == name.lower() for name in response.headers)
    (seen,) = server.requests
    assert (seen.method, seen.path) == ("GET", "/echo")
    assert seen.headers["authorization"] == "Bearer sk_test_hunter2"
    assert seen.headers["x-trace"] == "t1"
    assert seen.headers["host"] == f"127.0.0.1:{server.server_address[1]}"


def test_post_body_bytes_arrive_and_return_exactly(transport: Transport, server: _Server) -> None:
    body = _pattern(70_000) + b"\r\n\x00end"
    response = _get(transport, f"{server.url}/echo", method="POST", body=body)
    assert response.status == 200
    assert response.body == body
    (seen,) = server.requests
    assert seen.body == body
    assert seen.headers["content-length"] == str(len(body))


def test_post_without_a_body_says_content_length_zero(transport: Transport, server: _Server) -> None:
    assert _get(transport, f"{server.url}/echo", method="POST").status == 200
    assert server.requests[0].headers.get("content-length") == "0"


@pytest.mark.parametrize("status", [201, 400, 401, 404, 429, 500, 503])
def test_every_status_is_returned_not_raised(transport: Transport, server: _Server, status: int) -> None:
    response = _get(transport, f"{server.url}/status/{status}")
    assert (response.status, response.body) == (status, b"status body")


def test_204_has_an_empty_body_and_the_connection_is_reused(transport: Transport, server: _Server) -> None:
    response = _get(transport, f"{server.url}/status/204")
    assert (response.status, response.body) == (204, b"")
    assert "content-length" not in response.headers
    assert _get(transport, f"{server.url}/echo").status == 200
    assert server.connections == 1


def test_head_reads_no_body(transport: Transport, server: _Server) -> None:
    response = _get(transport, f"{server.url}/echo", method="HEAD")
    assert (response.status, response.body) == (200, b"")
    assert _get(transport, f"{server.url}/echo").status == 200
    assert server.connections == 1


def test_a_redirect_is_returned_not_followed(transport: Transport, server: _Server) -> None:
    response = _get(transport, f"{server.url}/redirect", headers=(SECRET_HEADER,))
    assert (response.status, response.headers["location"], response.body) == (302, "/echo", b"moved")
    assert [r.path for r in server.requests] == ["/redirect"]


def test_a_large_body_arrives_whole(transport: Transport, server: _Server) -> None:
    n = 5 * 1024 * 1024 + 17
    response = _get(transport, f"{server.url}/large?n={n}", timeout=30.0)
    assert response.body == _pattern(n)


def test_gzip_is_asked_for_and_decoded(transport: Transport, server: _Server) -> None:
    response = _get(transport, f"{server.url}/gzip")
    assert response.body == b'{"compressed": true}' * 500
    assert "gzip" in server.requests[0].headers["accept-encoding"]


# -- connections ------------------------------------------------------------------------------


def test_sequential_requests_reuse_one_connection(transport: Transport, server: _Server) -> None:
    for n in range(5):
        assert _get(transport, f"{server.url}/echo", method="POST", body=b"%d" % n).body == b"%d" % n
    assert server.connections == 1


def test_a_connection_the_server_announces_closing_is_not_reused(transport: Transport, server: _Server) -> None:
    assert _get(transport, f"{server.url}/close").body == b"bye"
    assert _get(transport, f"{server.url}/echo").status == 200
    assert server.connections == 2


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("POST", None), ("POST", b"once")])
def test_a_kept_alive_connection_the_server_closed_while_idle_is_not_an_error(
    transport: Transport, server: _Server, method: str, body: bytes | None
) -> None:
    assert _get(transport, f"{server.url}/then-close").body == b"ok"
    server.wait_closed(1)
    response = _get(transport, f"{server.url}/echo", method=method, body=body)
    assert response.status == 200
    assert len(server.paths("/echo")) == 1  # sent once, on a new connection
    assert server.connections == 2


def test_a_post_whose_response_was_lost_is_not_sent_again(transport: Transport, server: _Server) -> None:
    assert _get(transport, f"{server.url}/echo").status == 200  # a kept-alive connection to reuse
    with pytest.raises(NetworkError) as raised:
        _get(transport, f"{server.url}/drop?{SECRET_QUERY}", method="POST", body=b"charge", headers=(SECRET_HEADER,))
    assert not isinstance(raised.value, ConnectError)  # it reached the server: the core must not resend it
    _assert_secret_free(raised.value)
    assert len(server.paths("/drop")) == 1


def test_close_closes_the_pooled_connections(transport: Transport, server: _Server) -> None:
    assert _get(transport, f"{server.url}/echo").status == 200
    assert server.closed == 0
    transport.close()
    server.wait_closed(1)
    assert _get(transport, f"{server.url}/echo").status == 200  # usable again, on a new connection
    assert server.connections == 2


def test_threads_share_the_transport_safely(transport: Transport, server: _Server) -> None:
    threads, per_thread = 8, 25
    barrier = threading.Barrier(threads)
    failures: list[str] = []

    def work(worker: int) -> None:
        barrier.wait()
        for n in range(per_thread):
            body = f"{worker}:{n}:".encode() * (1 + (worker * n) % 50)
            response = _get(transport, f"{server.url}/echo", method="POST", body=body)
            if response.status != 200 or response.body != body:
                failures.append(f"{worker}:{n}")

    pool = [threading.Thread(target=work, args=(worker,)) for worker in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(30)
    assert failures == []
    assert len(server.paths("/echo")) == threads * per_thread
    assert server.connections <= threads  # connections are reused, never one per request


# -- failures ---------------------------------------------------------------------------------


def test_a_slow_response_is_a_request_timeout_within_its_bound(transport: Transport, server: _Server) -> None:
    started = time.monotonic()
    with pytest.raises(RequestTimeout) as raised:
        _get(transport, f"{server.url}/slow?delay=5&{SECRET_QUERY}", timeout=0.3, headers=(SECRET_HEADER,))
    assert time.monotonic() - started < 2.0
    assert str(raised.value) == f"GET {server.url}/slow timed out after 0.3 s"
    _assert_secret_free(raised.value)


def test_a_port_nobody_listens_on_is_a_connect_error(transport: Transport) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1/jwks?{SECRET_QUERY}"
    with pytest.raises(ConnectError) as raised:
        _get(transport, url, method="POST", body=b"{}", headers=(SECRET_HEADER,))
    assert "could not connect" in str(raised.value)
    assert str(raised.value).startswith(f"POST {url.split('?')[0]} failed")
    _assert_secret_free(raised.value)


# -- TLS --------------------------------------------------------------------------------------


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "clerk-core test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, False, False, False), critical=True
        )  # digital signature, certificate signing
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[_Server, Path]]:
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    instance = _Server()
    instance.socket = context.wrap_socket(instance.socket, server_side=True)
    with _serving(instance):
        yield instance, cert


def test_https_verifies_the_certificate(transport: Transport, tls_server: tuple[_Server, Path]) -> None:
    server, _ = tls_server
    url = f"https://127.0.0.1:{server.server_address[1]}/echo"
    with pytest.raises(NetworkError) as raised:
        _get(transport, f"{url}?{SECRET_QUERY}", headers=(SECRET_HEADER,))
    _assert_secret_free(raised.value)
    assert server.requests == []  # nothing was sent to a server that could not prove who it is


def test_https_trusts_requests_ca_bundle_and_keeps_connections_alive(
    transport: Transport, tls_server: tuple[_Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The niquests transport honours REQUESTS_CA_BUNDLE; switching transports must not change whom we trust.
    server, cert = tls_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    url = f"https://127.0.0.1:{server.server_address[1]}/echo"
    for body in (b"first", b"second"):
        assert _get(transport, url, method="POST", body=body).body == body
    assert server.connections == 1


def test_a_ca_bundle_that_cannot_be_loaded_is_a_network_error(
    transport: Transport, tls_server: tuple[_Server, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server, _ = tls_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(NetworkError) as raised:
        _get(transport, f"https://127.0.0.1:{server.server_address[1]}/echo", method="POST", body=b"{}")
    assert not isinstance(raised.value, ConnectError)  # resending cannot help: it is our configuration
    assert server.requests == []


def test_stdlib_https_with_an_explicit_context(tls_server: tuple[_Server, Path]) -> None:
    server, cert = tls_server
    transport = StdlibTransport(ssl_context=ssl.create_default_context(cafile=str(cert)))
    try:
        assert _get(transport, f"https://127.0.0.1:{server.server_address[1]}/echo").status == 200
    finally:
        transport.close()


# -- what only the stdlib transport does ------------------------------------------------------


@pytest.fixture
def stdlib(monkeypatch: pytest.MonkeyPatch) -> Iterator[StdlibTransport]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    instance = StdlibTransport()
    yield instance
    instance.close()


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_stdlib_an_idempotent_request_dropped_as_it_arrives_is_sent_once_more(
    stdlib: StdlibTransport, server: _Server, method: str
) -> None:
    # The server took the kept-alive connection's next request and closed it unanswered: the
    # race the idle check cannot see. Sending an idempotent request again cannot act twice.
    assert _get(stdlib, f"{server.url}/echo").status == 200
    assert _get(stdlib, f"{server.url}/drop-once", method=method).body == b"second time"
    assert len(server.paths("/drop-once")) == 2
    assert server.connections == 2


def test_stdlib_a_request_dropped_on_a_new_connection_is_not_sent_again(
    stdlib: StdlibTransport, server: _Server
) -> None:
    with pytest.raises(NetworkError) as raised:
        _get(stdlib, f"{server.url}/drop")
    assert not isinstance(raised.value, ConnectError)
    assert len(server.paths("/drop")) == 1  # a new connection is not stale: the failure is the answer


class _BrokenPipe:
    """Stands in for a pooled connection whose socket the server reset before the request went out."""

    def __init__(self) -> None:
        self.sock, self._peer = socket.socketpair()
        self.closed = False

    def putrequest(self, *args: Any, **kwargs: Any) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def close(self) -> None:
        self.closed = True
        self.sock.close()
        self._peer.close()


def test_stdlib_a_post_that_could_not_be_sent_on_a_reused_connection_goes_out_on_a_new_one(
    stdlib: StdlibTransport, server: _Server
) -> None:
    stale = _BrokenPipe()
    stdlib._idle[("http", "127.0.0.1", server.server_address[1])] = [stale]  # type: ignore[list-item]
    assert _get(stdlib, f"{server.url}/echo", method="POST", body=b"once").body == b"once"
    assert stale.closed
    assert len(server.paths("/echo")) == 1


def test_stdlib_close_also_closes_a_connection_in_use_once_its_request_ends(
    stdlib: StdlibTransport, server: _Server
) -> None:
    worker = threading.Thread(target=_get, args=(stdlib, f"{server.url}/slow?delay=0.3"))
    worker.start()
    deadline = time.monotonic() + 5
    while not server.paths("/slow") and time.monotonic() < deadline:
        time.sleep(0.005)
    stdlib.close()  # the request is in flight: its connection is not idle yet
    worker.join(5)
    assert stdlib._idle == {}
    server.wait_closed(1)


def test_stdlib_a_forked_child_never_uses_its_parents_connections(stdlib: StdlibTransport, server: _Server) -> None:
    assert _get(stdlib, f"{server.url}/echo").status == 200
    stdlib._pid = -1  # as os.getpid() reads in a child forked after the first request
    assert _get(stdlib, f"{server.url}/echo").status == 200
    assert server.connections == 2


def test_stdlib_idle_connections_are_bounded(server: _Server) -> None:
    transport = StdlibTransport(max_idle_per_host=2)
    barrier = threading.Barrier(6)

    def work() -> None:
        barrier.wait()
        _get(transport, f"{server.url}/slow?delay=0.2")

    pool = [threading.Thread(target=work) for _ in range(6)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(10)
    assert server.connections == 6  # concurrency is not capped
    assert sum(len(idle) for idle in transport._idle.values()) == 2
    server.wait_closed(4)
    transport.close()


def test_stdlib_a_name_that_does_not_resolve_is_a_connect_error(
    stdlib: StdlibTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    def nxdomain(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)  # a resolver's answer, without depending on one
    with pytest.raises(ConnectError, match=r"could not connect \(gaierror\)"):
        _get(stdlib, f"https://api.clerk.invalid/v1/jwks?{SECRET_QUERY}", headers=(SECRET_HEADER,))


def test_stdlib_refuses_other_schemes(stdlib: StdlibTransport) -> None:
    with pytest.raises(NetworkError, match="only http:// and https://"):
        _get(stdlib, "ftp://127.0.0.1/x")


# -- proxies ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "url", "proxied"),
    [
        ({}, "https://api.clerk.com", False),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "https://api.clerk.com", True),
        ({"https_proxy": "http://proxy:3128"}, "https://api.clerk.com", True),
        ({"ALL_PROXY": "socks5://proxy:1080"}, "https://api.clerk.com", True),
        ({"HTTP_PROXY": "http://proxy:3128"}, "https://api.clerk.com", False),  # another scheme's proxy
        ({"HTTP_PROXY": "http://proxy:3128"}, "http://127.0.0.1:8080", True),
        ({"HTTPS_PROXY": "p", "NO_PROXY": "*"}, "https://api.clerk.com", False),
        ({"HTTPS_PROXY": "p", "NO_PROXY": "localhost, *"}, "https://api.clerk.com", True),  # '*' only alone
        ({"HTTPS_PROXY": "p", "NO_PROXY": "clerk.com"}, "https://api.clerk.com", False),
        ({"HTTPS_PROXY": "p", "NO_PROXY": ".clerk.com"}, "https://api.clerk.com", False),
        ({"HTTPS_PROXY": "p", "no_proxy": "example.com, API.Clerk.com"}, "https://api.clerk.com", False),
        ({"HTTPS_PROXY": "p", "NO_PROXY": "lerk.com"}, "https://api.clerk.com", True),  # suffix on a label
        ({"HTTPS_PROXY": "p", "NO_PROXY": "api.clerk.com:443"}, "https://api.clerk.com", False),
        ({"HTTPS_PROXY": "p", "NO_PROXY": "api.clerk.com:8443"}, "https://api.clerk.com", True),
        ({"HTTP_PROXY": "p", "NO_PROXY": "127.0.0.1"}, "http://127.0.0.1:8080", False),
        ({"HTTP_PROXY": "p", "NO_PROXY": "127.0.0.0/8"}, "http://127.0.0.1:8080", True),  # CIDR: left to niquests
        ({"HTTP_PROXY": "p", "NO_PROXY": "[::1]:8080"}, "http://[::1]:8080", False),
        ({"HTTP_PROXY": "p", "NO_PROXY": "::1"}, "http://[::1]:8080", False),
    ],
)
def test_stdlib_proxy_rules(env: dict[str, str], url: str, proxied: bool) -> None:
    assert _proxied_url(url, env) is proxied


def test_a_proxy_for_the_api_host_hands_sync_clients_to_niquests(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    options: dict[str, Any] = dict(secret_key="sk_test_x", load_entry_points=False, environ={})
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    client = Clerk(**options)
    assert isinstance(client.providers.transport, NiquestsTransport)
    choices = {c.plugin: c.outcome for c in client.providers.choices if c.hook == "clerk_http_transport"}
    assert choices == {"clerk_plugins.stdlib_http": "declined", "clerk_plugins.niquests_http": "selected"}
    explicit = Clerk(plugins=[StdlibHttpPlugin()], **options)
    assert isinstance(explicit.providers.transport, NiquestsTransport)  # it never bypasses the proxy
    monkeypatch.setenv("NO_PROXY", "api.clerk.com")
    assert isinstance(Clerk(**options).providers.transport, StdlibTransport)


def test_stdlib_never_bypasses_a_proxy_named_after_the_client_was_built(
    stdlib: StdlibTransport, server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    with pytest.raises(PluginError, match="NiquestsPlugin"):
        _get(stdlib, f"{server.url}/echo")
    assert server.requests == []


# -- the client on its default transport ------------------------------------------------------


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.mark.usefixtures("no_proxy_env")
def test_the_sync_client_runs_the_backend_api_on_the_stdlib_transport(local_clerk: LocalClerk) -> None:
    with Clerk(secret_key=local_clerk.secret_key, api_url=local_clerk.api_url, environ={}) as clerk:
        selected = [
            c.plugin for c in clerk.providers.choices if c.hook == "clerk_http_transport" and c.outcome == "selected"
        ]
        assert selected == ["clerk_plugins.stdlib_http"]
        assert isinstance(clerk.providers.transport, StdlibTransport)
        user_id = clerk.users.create(email_address=["ada@example.com"], first_name="Ada", public_metadata={"n": 1}).id
        assert user_id
        fetched = clerk.users.get(user_id)
        assert (fetched.id, fetched.first_name, fetched.public_metadata) == (user_id, "Ada", {"n": 1})
        assert clerk.verify_token(local_clerk.session_token())["sub"] == "user_2local"
    assert [(r.method, r.path) for r in local_clerk.requests] == [
        ("POST", "/v1/users"),
        ("GET", f"/v1/users/{user_id}"),
        ("GET", "/v1/jwks"),
    ]


@pytest.mark.usefixtures("no_proxy_env")
def test_the_async_client_keeps_niquests(local_clerk: LocalClerk) -> None:
    import asyncio

    async def main() -> str:
        async with AsyncClerk(secret_key=local_clerk.secret_key, api_url=local_clerk.api_url, environ={}) as clerk:
            assert isinstance(clerk.providers.transport, NiquestsTransport)
            user_id = (await clerk.users.create(email_address=["grace@example.com"], first_name="Grace")).id
            assert user_id
            return (await clerk.users.get(user_id)).first_name or ""

    assert asyncio.run(main()) == "Grace"


@pytest.mark.usefixtures("no_proxy_env")
def test_a_sync_client_can_run_on_niquests_explicitly(local_clerk: LocalClerk) -> None:
    options: dict[str, Any] = dict(secret_key=local_clerk.secret_key, api_url=local_clerk.api_url, environ={})
    with Clerk(plugins=[NiquestsPlugin()], **options) as clerk:
        assert isinstance(clerk.providers.transport, NiquestsTransport)
        assert clerk.users.create(email_address=["alan@example.com"]).id


@pytest.mark.usefixtures("no_proxy_env")
@pytest.mark.parametrize("plugin", [None, NiquestsPlugin], ids=["stdlib", "niquests"])
def test_the_local_instance_faults_through_both_sync_transports(
    local_clerk: LocalClerk, plugin: Callable[[], object] | None
) -> None:
    options: dict[str, Any] = dict(
        secret_key=local_clerk.secret_key,
        api_url=local_clerk.api_url,
        environ={},
        retry_backoff=0.0,
        timeout=0.5,
        max_retries=1,
    )
    with Clerk(plugins=[plugin()] if plugin else [], **options) as clerk:
        user_id = clerk.users.create(email_address=["kept@example.com"]).id
        assert user_id
        local_clerk.set_fault("down", times=1)  # the kept-alive connection is closed as the GET arrives
        assert clerk.users.get(user_id).id == user_id  # resent by the transport (stdlib) or the core (niquests)
        local_clerk.set_fault("status", times=1, status=503)
        assert clerk.users.get(user_id).id == user_id  # the core retried the 503
        local_clerk.set_fault("slow", delay=2)
        with pytest.raises(RequestTimeout):
            clerk.users.get(user_id)
        local_clerk.clear_faults()
        assert clerk.users.get(user_id).id == user_id
