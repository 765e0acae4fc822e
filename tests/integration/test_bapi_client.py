"""The Backend API client over real sockets: both drivers on their default transports (the stdlib
one for sync, niquests for async), the local instance and its faults (what is retried, what is
not, what a dead port gives)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from clerk_core.api import schemas
from clerk_core.errors import APIResponseError, ConnectError, NetworkError
from clerk_core.testing import LocalClerk
from tests.conftest import Driver


def _client(driver: Driver, local: LocalClerk, **options: Any) -> Any:
    options.setdefault("retry_backoff", 0.0)
    return driver.client(secret_key=local.secret_key, api_url=local.api_url, environ={}, **options)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_get_round_trip_decodes_a_typed_model(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    jwks = driver.resolve(client.jwks.get_jwks())
    assert isinstance(jwks, schemas.JWKS)
    assert [key.kid for key in jwks.keys or []] == [key.kid for key in local_clerk.keys]
    request = local_clerk.requests[-1]
    assert (request.method, request.path) == ("GET", "/v1/jwks")
    assert request.headers["authorization"] == f"Bearer {local_clerk.secret_key}"
    assert request.headers["clerk-api-version"] == "2026-05-12"
    assert request.headers["user-agent"].startswith("clerk-core/")


def test_a_dropped_connection_is_retried_for_get(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    local_clerk.set_fault("down", times=1)
    jwks = driver.resolve(client.jwks.get_jwks())
    assert jwks.keys
    assert len(local_clerk.requests) == 2


def test_a_dropped_connection_is_not_retried_for_post(driver: Driver, local_clerk: LocalClerk) -> None:
    session = local_clerk.create_session()
    client = _client(driver, local_clerk)
    local_clerk.set_fault("down", times=1)
    with pytest.raises(NetworkError) as raised:
        driver.resolve(client.sessions.create_token(session.session_id))
    assert not isinstance(raised.value, ConnectError)
    assert len(local_clerk.requests) == 1  # the request may have been processed: never sent twice
    token = driver.resolve(client.sessions.create_token(session.session_id))
    assert isinstance(token, schemas.CreateSessionTokenResponse) and token.jwt


def test_5xx_retried_for_get_not_for_post(driver: Driver, local_clerk: LocalClerk) -> None:
    session = local_clerk.create_session()
    client = _client(driver, local_clerk)
    local_clerk.set_fault("status", times=1, status=503)
    assert driver.resolve(client.jwks.get_jwks()).keys
    local_clerk.reset()
    session = local_clerk.create_session(session_id=session.session_id)
    local_clerk.set_fault("status", times=1, status=503)
    with pytest.raises(APIResponseError) as raised:
        driver.resolve(client.sessions.create_token(session.session_id))
    assert raised.value.status == 503
    assert len(local_clerk.requests) == 1


def test_a_port_nobody_listens_on_is_a_connect_error(driver: Driver, local_clerk: LocalClerk) -> None:
    client = driver.client(
        secret_key=local_clerk.secret_key,
        api_url=f"http://127.0.0.1:{_closed_port()}",
        environ={},
        retry_backoff=0.0,
        max_retries=1,
    )
    with pytest.raises(ConnectError):
        driver.resolve(client.sessions.create_token("sess_1"))


def test_groups_are_lazy_and_cached(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    assert "users" not in vars(client)
    assert client.users is client.users
    with pytest.raises(AttributeError, match="no attribute 'userz'"):
        _ = client.userz
