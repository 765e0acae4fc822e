"""The ASGI and WSGI examples of docs/authenticating-requests.md, run for real.

The WSGI app is served by wsgiref on 127.0.0.1 and called over a socket; the ASGI
app is driven through the ASGI interface itself (scope, receive, send).
"""

from __future__ import annotations

import asyncio
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from clerk_core import AsyncClerk, Clerk
from clerk_core.testing import LocalClerk

DOC = Path(__file__).resolve().parents[2] / "docs" / "authenticating-requests.md"


def _example(marker: str) -> dict[str, Any]:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    (code,) = [b for b in blocks if marker in b]
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace


def _options(local: LocalClerk) -> dict[str, Any]:
    return {
        "secret_key": local.secret_key,
        "publishable_key": local.publishable_key,
        "api_url": local.api_url,
        "environ": {},
        "load_entry_points": False,
    }


def _browser_cookies(local: LocalClerk) -> str:
    session = local.create_session(user_id="user_docs")
    cookies = local.session_cookies(session, dev_browser="dvb_docs")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def wsgi_server(local_clerk: LocalClerk) -> Iterator[str]:
    example = _example("class ClerkAuthWSGI")
    app = example["ClerkAuthWSGI"](example["whoami_wsgi"], Clerk(**_options(local_clerk)))
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, list[str]], bytes]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
            status, raw, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, raw, body = error.code, error.headers, error.read()
    grouped: dict[str, list[str]] = {}
    for name, value in raw.items():
        grouped.setdefault(name.lower(), []).append(value)
    return status, grouped, body


def test_wsgi_example_signed_in_signed_out_and_handshake(wsgi_server: str, local_clerk: LocalClerk) -> None:
    status, headers, body = _get(
        wsgi_server + "/me", {"Authorization": f"Bearer {local_clerk.session_token(sub='user_api')}"}
    )
    assert (status, body) == (200, b"user_api")
    status, headers, body = _get(wsgi_server + "/me", {"Cookie": _browser_cookies(local_clerk)})
    assert (status, body) == (200, b"user_docs")
    status, headers, body = _get(wsgi_server + "/me", {})
    assert status == 401
    assert headers["x-clerk-auth-status"] == ["signed-out"]
    token = local_clerk.session_token()
    status, headers, _ = _get(
        wsgi_server + "/me", {"Cookie": f"__session={token}; __clerk_db_jwt=dvb", "Sec-Fetch-Dest": "document"}
    )
    assert status == 307
    assert headers["location"][0].startswith("https://clerk.local.dev/v1/client/handshake?redirect_url=")
    assert headers["cache-control"] == ["no-store"]
    assert headers["x-clerk-auth-reason"] == ["session-token-but-no-client-uat"]


def test_asgi_example_signed_in_signed_out_and_handshake(local_clerk: LocalClerk) -> None:
    example = _example("class ClerkAuthMiddleware")

    async def call(headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[bytes, list[bytes]], bytes]:
        async with AsyncClerk(**_options(local_clerk)) as clerk:
            app = example["ClerkAuthMiddleware"](example["whoami"], clerk)
            scope = {
                "type": "http",
                "method": "GET",
                "scheme": "https",
                "server": ("app.example", 443),
                "path": "/me",
                "root_path": "",
                "query_string": b"",
                "headers": [(b"host", b"app.example"), *headers],
            }
            sent: list[dict[str, Any]] = []

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: dict[str, Any]) -> None:
                sent.append(message)

            await app(scope, receive, send)
        start, body = sent
        grouped: dict[bytes, list[bytes]] = {}
        for name, value in start["headers"]:
            grouped.setdefault(name, []).append(value)
        return start["status"], grouped, body["body"]

    token = local_clerk.session_token(sub="user_asgi")
    status, _, body = asyncio.run(call([(b"authorization", f"Bearer {token}".encode())]))
    assert (status, body) == (200, b"user_asgi")
    status, _, body = asyncio.run(call([(b"cookie", _browser_cookies(local_clerk).encode())]))
    assert (status, body) == (200, b"user_docs")
    status, headers, body = asyncio.run(call([]))
    assert (status, body) == (401, b"signed out")
    assert headers[b"x-clerk-auth-status"] == [b"signed-out"]
    cookie = f"__session={local_clerk.session_token()}; __clerk_db_jwt=dvb".encode()
    status, headers, body = asyncio.run(call([(b"cookie", cookie), (b"sec-fetch-dest", b"document")]))
    assert (status, body) == (307, b"")
    assert headers[b"location"][0].startswith(b"https://clerk.local.dev/v1/client/handshake?")
    assert headers[b"cache-control"] == [b"no-store"]
