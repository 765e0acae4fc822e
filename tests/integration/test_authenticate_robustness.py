"""authenticate_request under hostile input and a misbehaving Backend API: always a state, never a hang."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clerk_core import AuthStatus, Clerk, ClerkRequest
from clerk_core.testing import LocalClerk, build_publishable_key, default_keypair
from tests.conftest import Driver

SAFE_STATUSES = {AuthStatus.SIGNED_IN, AuthStatus.SIGNED_OUT, AuthStatus.HANDSHAKE}


@pytest.fixture(scope="module")
def offline_clerk() -> Iterator[Clerk]:
    """A client whose Backend API is unreachable: parsing must never need it."""
    keys = default_keypair()
    with LocalClerk(keys=[keys]) as local:
        url = local.api_url  # closed when the block ends
    client = Clerk(
        jwt_key=keys.public_pem,
        secret_key="sk_test_offline",
        publishable_key=build_publishable_key("clerk.example.com", live=True),
        api_url=url,
        environ={},
        load_entry_points=False,
        max_retries=0,
        timeout=0.5,
    )
    yield client
    client.close()


header_names = st.sampled_from(
    [
        "authorization",
        "cookie",
        "host",
        "x-forwarded-host",
        "x-forwarded-proto",
        "origin",
        "referer",
        "sec-fetch-dest",
        "accept",
        "x-other",
    ]
)
header_values = st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1")))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "get", ""]),
    path=st.text(max_size=40),
    headers=st.lists(st.tuples(header_names, header_values), max_size=8),
)
def test_any_headers_give_a_state_not_an_exception(
    offline_clerk: Clerk, method: str, path: str, headers: list[tuple[str, str]]
) -> None:
    request = ClerkRequest(method, "https://app.example.com/" + path, headers)
    state = offline_clerk.authenticate_request(request)
    assert state.status in SAFE_STATUSES
    assert state.reason is None or isinstance(state.reason, str)
    for name, value in state.headers:
        name.encode("latin-1")
        value.encode("latin-1")  # sendable as an HTTP header
        assert "\n" not in value
        assert "\r" not in value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cookie=st.text(max_size=300), authorization=st.text(max_size=120))
def test_any_cookie_or_authorization_text_gives_a_state(offline_clerk: Clerk, cookie: str, authorization: str) -> None:
    state = offline_clerk.authenticate_request(
        ClerkRequest(
            "GET",
            "https://app.example.com/",
            {"cookie": cookie, "authorization": authorization, "sec-fetch-dest": "document"},
        )
    )
    assert state.status in SAFE_STATUSES


def _prod(local: LocalClerk) -> dict[str, Any]:
    return {
        "secret_key": local.secret_key,
        "publishable_key": build_publishable_key("clerk.local.dev", live=True),
        "api_url": local.api_url,
        "environ": {},
        "timeout": 0.3,
        "max_retries": 0,
    }


def _expired_browser(local: LocalClerk) -> str:
    session = local.create_session()
    cookies = local.session_cookies(session, now=time.time() - 3600, suffix=None)
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


@pytest.mark.parametrize("fault", [{"kind": "slow", "delay": 3.0}, {"kind": "down"}, {"kind": "status", "status": 502}])
def test_refresh_with_a_failing_backend_api_ends_in_a_handshake_quickly(
    driver: Driver, local_clerk: LocalClerk, fault: dict[str, Any]
) -> None:
    cookies = _expired_browser(local_clerk)
    client = driver.client(**_prod(local_clerk))
    # keys come from the JWKS: fetch them before the fault so only the refresh call meets it
    driver.call(client, "load_jwks")
    settings = dict(fault)
    local_clerk.set_fault(settings.pop("kind"), **settings)
    started = time.monotonic()
    state = driver.call(
        client,
        "authenticate_request",
        ClerkRequest("GET", "https://app.example.com/", {"cookie": cookies, "sec-fetch-dest": "document"}),
    )
    assert time.monotonic() - started < 2.5
    assert state.status == AuthStatus.HANDSHAKE
    assert state.reason.startswith("session-token-expired-refresh-")
    assert state.reason != "session-token-expired-refresh-null"


@pytest.mark.parametrize(
    "fault", [{"kind": "slow", "delay": 3.0}, {"kind": "down"}, {"kind": "status", "status": 500}, {"kind": "bad_json"}]
)
def test_handshake_nonce_with_a_failing_backend_api_gives_a_state_quickly(
    driver: Driver, local_clerk: LocalClerk, fault: dict[str, Any]
) -> None:
    client = driver.client(**_prod(local_clerk))
    settings = dict(fault)
    local_clerk.set_fault(settings.pop("kind"), **settings)
    started = time.monotonic()
    state = driver.call(
        client,
        "authenticate_request",
        ClerkRequest("GET", "https://app.example.com/?__clerk_handshake_nonce=n1", {"sec-fetch-dest": "document"}),
    )
    assert time.monotonic() - started < 2.5
    assert state.status in SAFE_STATUSES
    assert state.reason == "session-token-missing"  # no directives could be fetched
