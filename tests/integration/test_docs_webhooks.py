"""Every example of docs/webhooks.md, under real servers, with deliveries over real sockets.

The ASGI example runs under uvicorn and the WSGI one under the standard library's ``wsgiref``,
each on 127.0.0.1; the local instance signs and POSTs the deliveries.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import uvicorn

from clerk_core.testing import LocalClerk, new_webhook_secret, webhook_payload

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
EXAMPLES = dict(re.findall(r"```python\n# example: (\w+)\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S))


def _app(name: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(EXAMPLES[name], f"{DOC}:{name}", "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["app"]  # type: ignore[no-any-return]


@contextmanager
def _uvicorn(app: Callable[..., Any]) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def _wsgiref(app: Callable[..., Any]) -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/webhooks"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


SERVERS = {"asgi": _uvicorn, "wsgi": _wsgiref}


def test_the_page_has_the_examples_it_promises() -> None:
    assert set(EXAMPLES) == {"asgi", "wsgi", "testing"}


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_the_example_app_accepts_clerks_deliveries_and_refuses_others(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = new_webhook_secret()
    monkeypatch.setenv("CLERK_WEBHOOK_SIGNING_SECRET", secret)
    with LocalClerk(webhook_secret=secret) as local, SERVERS[name](_app(name)) as url:
        for event_type in ("user.created", "organizationMembership.deleted", "session.ended"):
            status, body = local.deliver_webhook(url, event_type, msg_id=f"msg_{name}")
            assert (status, body) == (200, f"{event_type} msg_{name}".encode())
        assert local.deliver_webhook(url, "user.created", timestamp=int(time.time()) - 301)[1] == b"timestamp-too-old"
        tampered = local.deliver_webhook(url, "user.created", extra_headers={"svix-signature": "v1,AAAA"})
        assert tampered == (400, b"invalid-signature")
        with LocalClerk() as stranger:  # another instance's secret
            assert stranger.deliver_webhook(url, "user.created") == (400, b"invalid-signature")


def test_the_testing_example(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = new_webhook_secret()
    monkeypatch.setenv("CLERK_WEBHOOK_SIGNING_SECRET", secret)
    with _uvicorn(_app("asgi")) as url:
        namespace = {"SIGNING_SECRET": secret, "WEBHOOK_URL": url, "__name__": "docs_example"}
        exec(compile(EXAMPLES["testing"], f"{DOC}:testing", "exec"), namespace)  # noqa: S102


def test_webhook_payload_replaces_data_members_and_stamps_now() -> None:
    payload = webhook_payload("user.created", data={"first_name": "Ada"})
    assert payload["type"] == "user.created" and payload["data"]["first_name"] == "Ada"
    assert payload["data"]["id"] and abs(payload["timestamp"] / 1000 - time.time()) < 60
    with pytest.raises(KeyError):
        webhook_payload("spaceship.launched")
