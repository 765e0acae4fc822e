"""Reference scenarios 52-59 and 67-73 (clerk-js-backend.md §9.1: satellite / multi-domain /
cross-origin, organization sync, handshake service), one named test each, every
``authenticate_request`` call made through both drivers (Clerk and AsyncClerk) against a
local Clerk instance over real loopback sockets.

Expectations follow §3.4 (cookie path items 1-3 and 14-15), §3.5 (handshake redirect),
§3.6 (handshake resolution), §3.8 (dev vs prod) and §3.9 (organization sync) of the
reference study, and the reference's own tests (``request.test.ts``, ``handshake.test.ts``,
``organizationMatcher.test.ts``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from clerk_core import ConfigurationError
from clerk_core.jwt.categories import JWT_TEMPLATE
from clerk_core.testing import KeyPair, LocalClerk, build_publishable_key, handshake_directives, mint_handshake_token
from clerk_core.testing.cookies import DEFAULT_FRONTEND_API
from clerk_core.tokens.request import ClerkRequest
from clerk_core.tokens.state import RequestState, SessionAuth
from tests.conftest import Driver

API_VERSION = "2026-05-12"
DB_JWT = "dvb_2localDevBrowserToken"
REDIRECT_COUNT = "__clerk_redirect_count"
PROD_PK = build_publishable_key(DEFAULT_FRONTEND_API, live=True)
FAPI = f"https://{DEFAULT_FRONTEND_API}/v1/client/handshake"
CROSS_ORIGIN_MESSAGE = "Cross-origin request from satellite domain requires handshake"
ACTIVE_ORG: dict[str, Any] = {"id": "org_active", "slug": "active-org", "role": "org:admin"}


# -- fixtures and helpers --------------------------------------------------------------------


def _quote(value: str) -> str:
    return quote(value, safe="")


def _client(driver: Driver, local: LocalClerk, **options: Any) -> Any:
    options.setdefault("publishable_key", local.publishable_key)
    return driver.client(secret_key=local.secret_key, api_url=local.api_url, environ={}, **options)


def _request(
    url: str,
    *,
    method: str = "GET",
    cookies: Mapping[str, str] | None = None,
    dest: str | None = "document",
    headers: Mapping[str, str] | None = None,
) -> ClerkRequest:
    given: dict[str, str] = {"user-agent": "Mozilla/TestAgent"}
    if dest is not None:
        given["sec-fetch-dest"] = dest
    if cookies:
        given["cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    given.update(headers or {})
    return ClerkRequest(method, url, given)


def _auth(driver: Driver, client: Any, request: ClerkRequest, **options: Any) -> RequestState:
    state = driver.call(client, "authenticate_request", request, **options)
    assert isinstance(state, RequestState)
    return state


def _session_cookies(local: LocalClerk, *, dev: bool, **claims: Any) -> dict[str, str]:
    """Un-suffixed ``__session`` + ``__client_uat`` (before the token's iat), plus the dev browser in dev."""
    now = time.time()
    cookies = {"__session": local.session_token(now=now, **claims), "__client_uat": str(int(now) - 10)}
    if dev:
        cookies["__clerk_db_jwt"] = DB_JWT
    return cookies


def _redirect_count_cookie(count: int) -> str:
    return f"{REDIRECT_COUNT}={count}; SameSite=Lax; HttpOnly; Max-Age=2"


def _location(state: RequestState) -> tuple[str, list[tuple[str, str]]]:
    location = state.header("Location")
    assert location, f"no Location header in {state.headers!r}"
    base, _, query = location.partition("?")
    return base, parse_qsl(query, keep_blank_values=True)


def _assert_handshake(state: RequestState, reason: str, *, message: str = "", count: int = 1) -> None:
    assert (state.status, state.reason, state.message) == ("handshake", reason, message)
    assert state.token is None
    assert state.to_auth() is None
    assert not state.is_authenticated
    assert state.header("Cache-Control") == "no-store"
    assert state.header_values("Location") and len(state.header_values("Location")) == 1
    assert state.header_values("Set-Cookie") == [_redirect_count_cookie(count)]
    assert state.header("x-clerk-auth-status") == "handshake"
    assert state.header("x-clerk-auth-reason") == reason


def _assert_signed_out(state: RequestState, reason: str, *, message: str = "") -> None:
    assert (state.status, state.reason, state.message) == ("signed-out", reason, message)
    assert state.token is None
    assert state.header("Location") is None
    assert state.header("Cache-Control") is None
    assert state.header_values("Set-Cookie") == []
    assert state.header("x-clerk-auth-status") == "signed-out"
    assert state.header("x-clerk-auth-reason") == reason
    auth = state.to_auth()
    assert auth is not None
    assert not auth.is_authenticated
    assert getattr(auth, "user_id", None) is None


def _assert_signed_in(state: RequestState, *, user_id: str = "user_2local", redirect: bool = False) -> SessionAuth:
    assert (state.status, state.reason, state.message) == ("signed-in", None, None), state.reason
    assert state.token
    if not redirect:
        assert state.header("Location") is None
        assert state.header("Cache-Control") is None
    auth = state.to_auth()
    assert isinstance(auth, SessionAuth)
    assert auth.is_authenticated
    assert auth.user_id == user_id
    return auth


def _handshake_query(redirect_url: str, suffixed: bool, reason: str) -> list[tuple[str, str]]:
    """The first five parameters of every handshake URL, in the reference's order."""
    return [
        ("redirect_url", redirect_url),
        ("__clerk_api_version", API_VERSION),
        ("suffixed_cookies", "true" if suffixed else "false"),
        ("__clerk_hs_reason", reason),
        ("format", "nonce"),
    ]


# -- 52-58: satellites ------------------------------------------------------------------------


def test_s52_satellite_auto_sync_prod_handshakes_on_the_satellite_frontend_api(
    driver: Driver, prod_clerk: LocalClerk
) -> None:
    client = _client(driver, prod_clerk, is_satellite=True, domain="satellite.dev", satellite_auto_sync=True)
    for cookies in ({"__client_uat": "0"}, {}):
        state = _auth(driver, client, _request("https://satellite.dev/path", cookies=cookies))
        _assert_handshake(state, "satellite-needs-syncing")
        assert (state.is_satellite, state.domain) == (True, "satellite.dev")
        base, params = _location(state)
        assert base == "https://clerk.satellite.dev/v1/client/handshake"
        assert params == _handshake_query("https://satellite.dev/path", False, "satellite-needs-syncing")


def test_s52_satellite_auto_sync_dev_redirects_to_sign_in_url(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(
        driver,
        local_clerk,
        is_satellite=True,
        domain="satellite.dev",
        sign_in_url="https://primary.dev/sign-in",
        satellite_auto_sync=True,
    )
    state = _auth(driver, client, _request("http://example.com/path", cookies={"__client_uat": "0"}))
    _assert_handshake(state, "satellite-needs-syncing")
    assert (state.is_satellite, state.domain, state.sign_in_url) == (
        True,
        "satellite.dev",
        "https://primary.dev/sign-in",
    )
    assert (
        state.header("Location") == "https://primary.dev/sign-in?__clerk_redirect_url=http%3A%2F%2Fexample.com%2Fpath"
    )


@pytest.mark.parametrize("auto_sync", [True, False])
def test_s53_satellite_non_browser_request_is_signed_out(
    driver: Driver, prod_clerk: LocalClerk, local_clerk: LocalClerk, auto_sync: bool
) -> None:
    prod = _client(driver, prod_clerk, is_satellite=True, domain="satellite.dev", satellite_auto_sync=auto_sync)
    headers = {"user-agent": "[some-agent]"}
    for url in ("https://satellite.dev/path", "https://satellite.dev/path?__clerk_synced=false"):
        state = _auth(driver, prod, _request(url, dest="empty", cookies={"__client_uat": "0"}, headers=headers))
        _assert_signed_out(state, "session-token-and-uat-missing")
        assert (state.is_satellite, state.domain) == (True, "satellite.dev")
        # A POST navigation is not eligible for the satellite sync either.
        state = _auth(driver, prod, _request(url, method="POST", cookies={"__client_uat": "0"}))
        _assert_signed_out(state, "session-token-and-uat-missing")
    dev = _client(
        driver,
        local_clerk,
        is_satellite=True,
        domain="satellite.dev",
        sign_in_url="https://primary.dev/sign-in",
        satellite_auto_sync=auto_sync,
    )
    request = _request("http://example.com/path", dest="empty", cookies={"__clerk_db_jwt": DB_JWT}, headers=headers)
    _assert_signed_out(_auth(driver, dev, request), "session-token-and-uat-missing")


def test_s54_dev_satellite_returning_from_primary_with_dev_browser_syncs_it(
    driver: Driver, local_clerk: LocalClerk
) -> None:
    client = _client(
        driver,
        local_clerk,
        is_satellite=True,
        domain="satellite.example",
        sign_in_url="http://primary.example/sign-in",
    )
    url = f"http://satellite.example/path?__clerk_synced=true&__clerk_db_jwt={DB_JWT}"
    state = _auth(driver, client, _request(url))
    _assert_handshake(state, "dev-browser-sync")
    assert (state.is_satellite, state.domain) == (True, "satellite.example")
    base, params = _location(state)
    assert base == FAPI  # dev keys ignore the satellite domain
    expected = _handshake_query("http://satellite.example/path?__clerk_synced=true", False, "dev-browser-sync")
    assert params == [*expected, ("__clerk_db_jwt", DB_JWT)]


@pytest.mark.parametrize("auto_sync", [None, False, True])
def test_s54_synced_true_does_not_resync_and_is_signed_out_without_cookies(
    driver: Driver, local_clerk: LocalClerk, prod_clerk: LocalClerk, auto_sync: bool | None
) -> None:
    options: dict[str, Any] = {} if auto_sync is None else {"satellite_auto_sync": auto_sync}
    dev = _client(
        driver,
        local_clerk,
        is_satellite=True,
        domain="satellite.example",
        sign_in_url="http://primary.example/sign-in",
        **options,
    )
    request = _request("http://satellite.example/path?__clerk_synced=true", cookies={"__clerk_db_jwt": DB_JWT})
    state = _auth(driver, dev, request)
    _assert_signed_out(state, "session-token-and-uat-missing")
    assert (state.is_satellite, state.domain, state.sign_in_url) == (
        True,
        "satellite.example",
        "http://primary.example/sign-in",
    )
    prod = _client(driver, prod_clerk, is_satellite=True, domain="satellite.example", **options)
    state = _auth(driver, prod, _request("https://satellite.example/path?__clerk_synced=true"))
    _assert_signed_out(state, "session-token-and-uat-missing")


@pytest.mark.parametrize("auto_sync", [None, False], ids=["unset", "false"])
def test_s55_satellite_without_auto_sync_is_signed_out_unless_needs_sync(
    driver: Driver, prod_clerk: LocalClerk, local_clerk: LocalClerk, auto_sync: bool | None
) -> None:
    options: dict[str, Any] = {} if auto_sync is None else {"satellite_auto_sync": auto_sync}
    prod = _client(driver, prod_clerk, is_satellite=True, domain="satellite.dev", **options)
    dev = _client(
        driver,
        local_clerk,
        is_satellite=True,
        domain="satellite.dev",
        sign_in_url="https://primary.dev/sign-in",
        **options,
    )
    for cookies in ({}, {"__client_uat": "0"}):
        _assert_signed_out(
            _auth(driver, prod, _request("https://satellite.dev/path", cookies=cookies)),
            "session-token-and-uat-missing",
        )
        _assert_signed_out(
            _auth(driver, dev, _request("http://example.com/path", cookies=cookies)), "session-token-and-uat-missing"
        )

    state = _auth(driver, prod, _request("https://satellite.dev/path?__clerk_synced=false"))
    _assert_handshake(state, "satellite-needs-syncing")
    base, params = _location(state)
    assert base == "https://clerk.satellite.dev/v1/client/handshake"
    assert params == _handshake_query(
        "https://satellite.dev/path?__clerk_synced=false", False, "satellite-needs-syncing"
    )

    state = _auth(driver, dev, _request("http://example.com/path?__clerk_synced=false"))
    _assert_handshake(state, "satellite-needs-syncing")
    base, params = _location(state)
    assert base == "https://primary.dev/sign-in"
    assert params == [("__clerk_redirect_url", "http://example.com/path?__clerk_synced=false")]


def test_s56_satellite_sync_loop_is_signed_out_with_the_satellite_message(
    driver: Driver, prod_clerk: LocalClerk, local_clerk: LocalClerk, caplog: pytest.LogCaptureFixture
) -> None:
    loop = {REDIRECT_COUNT: "3"}
    prod = _client(driver, prod_clerk, is_satellite=True, domain="satellite.dev", satellite_auto_sync=True)
    dev = _client(
        driver,
        local_clerk,
        is_satellite=True,
        domain="satellite.dev",
        sign_in_url="https://primary.dev/sign-in",
        satellite_auto_sync=True,
    )
    with caplog.at_level(logging.WARNING, logger="clerk_core"):
        _assert_signed_out(
            _auth(driver, prod, _request("https://satellite.dev/path", cookies=loop)), "satellite-needs-syncing"
        )
        _assert_signed_out(
            _auth(driver, dev, _request("http://example.com/path", cookies=loop)), "satellite-needs-syncing"
        )
    events = [record.getMessage() for record in caplog.records]
    assert events.count("authenticate.satellite_sync_loop") == 2
    assert "authenticate.handshake_loop" not in events

    # Any other loop gets the generic (instance keys) message instead.
    caplog.clear()
    primary = _client(driver, prod_clerk)
    with caplog.at_level(logging.WARNING, logger="clerk_core"):
        state = _auth(driver, primary, _request("https://app.example.com/", cookies={"__client_uat": "12345", **loop}))
    _assert_signed_out(state, "client-uat-but-no-session-token")
    events = [record.getMessage() for record in caplog.records]
    assert "authenticate.handshake_loop" in events
    assert "authenticate.satellite_sync_loop" not in events


def test_s57_dev_primary_answers_satellite_with_dev_browser_and_synced_true(
    driver: Driver, local_clerk: LocalClerk
) -> None:
    client = _client(driver, local_clerk)
    back = "http://localhost:3001/dashboard?tab=1&__clerk_synced=false&q=a%20b"
    cookies = {**_session_cookies(local_clerk, dev=True)}
    state = _auth(
        driver, client, _request(f"http://localhost:3000/sign-in?__clerk_redirect_url={_quote(back)}", cookies=cookies)
    )
    _assert_handshake(state, "primary-responds-to-syncing")
    location = state.header("Location")
    assert location is not None
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "localhost:3001", "/dashboard")
    params = parse_qsl(parts.query, keep_blank_values=True)
    assert sorted(params) == sorted(
        [("tab", "1"), ("q", "a b"), ("__clerk_synced", "true"), ("__clerk_db_jwt", DB_JWT)]
    )
    assert [name for name, _ in params].count("__clerk_synced") == 1  # overwritten, not duplicated
    # The other parameters keep their order.
    assert [name for name, _ in params if name in ("tab", "q")] == ["tab", "q"]


def test_s57_primary_responds_before_dev_browser_sync(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    query_token = "dvb_fromTheQuery"
    url = f"http://localhost:3000/sign-in?__clerk_redirect_url={_quote('http://localhost:3001/dashboard')}&__clerk_db_jwt={query_token}"
    state = _auth(driver, client, _request(url, cookies=_session_cookies(local_clerk, dev=True)))
    _assert_handshake(state, "primary-responds-to-syncing")
    assert state.message == ""
    _, params = _location(state)
    location = state.header("Location")
    assert location is not None and location.startswith("http://localhost:3001/dashboard?")
    assert sorted(params) == [("__clerk_db_jwt", query_token), ("__clerk_synced", "true")]
    # Without any dev browser the satellite still gets __clerk_synced=true.
    state = _auth(
        driver,
        client,
        _request(f"http://localhost:3000/sign-in?__clerk_redirect_url={_quote('http://localhost:3001/')}"),
    )
    _assert_handshake(state, "primary-responds-to-syncing")
    assert state.header("Location") == "http://localhost:3001/?__clerk_synced=true"


def test_s58_dev_satellite_with_valid_token_and_client_uat_is_signed_in(
    driver: Driver, local_clerk: LocalClerk
) -> None:
    client = _client(
        driver, local_clerk, is_satellite=True, sign_in_url="https://localhost:3000/sign-in/", domain="localhost:3001"
    )
    request = _request(
        "http://example.com/path",
        dest="empty",
        cookies=_session_cookies(local_clerk, dev=True),
        headers={"referer": "https://clerk.com"},
    )
    state = _auth(driver, client, request)
    _assert_signed_in(state)
    assert (state.is_satellite, state.sign_in_url, state.domain) == (
        True,
        "https://localhost:3000/sign-in/",
        "localhost:3001",
    )


def test_s58_prod_satellite_with_session_cookies_skips_sync(driver: Driver, prod_clerk: LocalClerk) -> None:
    client = _client(driver, prod_clerk, is_satellite=True, domain="satellite.dev", satellite_auto_sync=True)
    session = prod_clerk.create_session(user_id="user_2sat")
    cookies = prod_clerk.session_cookies(session)
    for request in (
        _request("https://satellite.dev/dashboard", cookies=cookies),
        _request("https://satellite.dev/dashboard", cookies=cookies, headers={"referer": "https://primary.dev/"}),
    ):
        state = _auth(driver, client, request)
        auth = _assert_signed_in(state, user_id="user_2sat")
        assert auth.session_id == session.session_id
        assert state.is_satellite


# -- 59: primary cross-origin sync -------------------------------------------------------------

_PROD_URL = "https://primary.com/dashboard"
_DEV_URL = "http://localhost:3000/dashboard"


@pytest.mark.parametrize(
    ("instance", "referer", "extra", "method", "dest", "syncs"),
    [
        pytest.param("prod", "https://satellite.com/signin", {}, "GET", "document", True, id="prod-foreign-referrer"),
        pytest.param(
            "prod",
            "https://satellite.com/sign-in",
            {"sec-fetch-site": "cross-site"},
            "GET",
            "document",
            True,
            id="prod-foreign-referrer-cross-site",
        ),
        pytest.param(
            "prod",
            "https://primary.com/signin",
            {"host": "primary.com"},
            "GET",
            "document",
            False,
            id="prod-same-origin",
        ),
        pytest.param("prod", None, {"origin": "https://primary.com"}, "GET", "document", False, id="prod-no-referrer"),
        pytest.param("prod", "invalid-url-format", {}, "GET", "document", False, id="prod-invalid-referrer"),
        pytest.param("prod", "https://satellite.com/signin", {}, "POST", "document", False, id="prod-post"),
        pytest.param("prod", "https://satellite.com/signin", {}, "GET", "empty", False, id="prod-non-document"),
        pytest.param(
            "prod",
            "https://clerk.local.dev/v1/client/sign_ins/12345/attempt_first_factor",
            {"sec-fetch-site": "cross-site"},
            "GET",
            "document",
            False,
            id="prod-fapi-host",
        ),
        pytest.param(
            "prod",
            "https://accounts.local.dev/sign-in",
            {"sec-fetch-site": "cross-site"},
            "GET",
            "document",
            False,
            id="prod-derived-accounts-portal",
        ),
        pytest.param(
            "prod",
            "https://foo-bar-13.accounts.dev/sign-in",
            {"sec-fetch-site": "cross-site"},
            "GET",
            "document",
            True,
            id="prod-dev-accounts-portal-not-trusted",
        ),
        pytest.param(
            "prod",
            "https://accounts.foo-bar-13.lcl.dev/sign-in",
            {"sec-fetch-site": "cross-site"},
            "GET",
            "document",
            True,
            id="prod-legacy-dev-accounts-portal-not-trusted",
        ),
        pytest.param(
            "prod",
            "https://primary.com/some-page",
            {"host": "primary.com", "sec-fetch-site": "cross-site"},
            "GET",
            "document",
            False,
            id="prod-referrer-equals-origin-despite-cross-site",
        ),
        pytest.param("dev", "http://localhost:3001/", {}, "GET", "document", True, id="dev-foreign-referrer"),
        pytest.param(
            "dev", "http://localhost:3000", {"host": "localhost:3000"}, "GET", "document", False, id="dev-same-origin"
        ),
        pytest.param(
            "dev",
            "https://foo-bar-13.accounts.dev/sign-in",
            {"sec-fetch-site": "cross-site"},
            "GET",
            "document",
            False,
            id="dev-accounts-portal",
        ),
        pytest.param(
            "dev",
            "https://foo-bar-13.accountsstage.dev/sign-in",
            {"sec-fetch-site": "cross-site"},
            "GET",
            "document",
            False,
            id="dev-staging-accounts-portal",
        ),
        pytest.param(
            "dev",
            "https://accounts.foo-bar-13.lcl.dev/sign-in",
            {"sec-fetch-site": "cross-site"},
            "GET",
            "document",
            False,
            id="dev-legacy-accounts-portal",
        ),
        pytest.param(
            "dev",
            "https://foo-bar-13.clerk.accounts.dev/sign-in",
            {"sec-fetch-site": "cross-site"},
            "GET",
            "document",
            True,
            id="dev-other-instance-fapi-is-not-an-accounts-portal",
        ),
        pytest.param(
            "dev",
            "https://clerk.local.dev/v1/client/sign_ins/1/attempt_first_factor",
            {},
            "GET",
            "document",
            False,
            id="dev-fapi-host",
        ),
    ],
)
def test_s59_primary_cross_origin_sync(
    driver: Driver,
    request: pytest.FixtureRequest,
    instance: str,
    referer: str | None,
    extra: dict[str, str],
    method: str,
    dest: str,
    syncs: bool,
) -> None:
    dev = instance == "dev"
    local: LocalClerk = request.getfixturevalue("local_clerk" if dev else "prod_clerk")
    options: dict[str, Any] = {} if dev else {"domain": "primary.com", "sign_in_url": "https://primary.com/sign-in"}
    client = _client(driver, local, **options)
    cookies = _session_cookies(local, dev=dev)
    headers = dict(extra)
    if referer is not None:
        headers["referer"] = referer
    state = _auth(
        driver,
        client,
        _request(_DEV_URL if dev else _PROD_URL, method=method, dest=dest, cookies=cookies, headers=headers),
    )
    if not syncs:
        _assert_signed_in(state)
        return
    _assert_handshake(state, "primary-domain-cross-origin-sync", message=CROSS_ORIGIN_MESSAGE)
    base, params = _location(state)
    assert base == FAPI
    tail = [("__session", cookies["__session"])] + ([("__clerk_db_jwt", DB_JWT)] if dev else [])
    redirect = _DEV_URL if dev else _PROD_URL
    assert params == [*_handshake_query(redirect, False, "primary-domain-cross-origin-sync"), *tail]
    if not dev:
        assert (state.domain, state.sign_in_url) == ("primary.com", "https://primary.com/sign-in")


@pytest.mark.parametrize("count", [1, 2])
def test_s59_no_cross_origin_sync_inside_a_redirect_loop(driver: Driver, prod_clerk: LocalClerk, count: int) -> None:
    client = _client(driver, prod_clerk, domain="primary.com")
    cookies = {**_session_cookies(prod_clerk, dev=False), REDIRECT_COUNT: str(count)}
    request = _request(_PROD_URL, cookies=cookies, headers={"referer": "https://satellite.com/signin"})
    _assert_signed_in(_auth(driver, client, request))


# -- 67: organization sync, the 14 table cases end to end -----------------------------------------

_ORG_CASES: list[Any] = [
    # (options, path, target): target is ("id"|"slug", value), ("personal", "") or None
    pytest.param(None, "/orgs/org_foo", None, id="none-activates-nothing"),
    pytest.param({"organization_patterns": ["/orgs/:id"]}, "/orgs/org_foo", ("id", "org_foo"), id="id-basic"),
    pytest.param(
        {"organization_patterns": ["/orgs/:id"]}, "/personal-account/my-resource", None, id="mismatch-activates-nothing"
    ),
    pytest.param(
        {"organization_patterns": ["/orgs/:id", "/orgs/:id/", "/orgs/:id/(.*)"]},
        "/orgs/org_foo",
        ("id", "org_foo"),
        id="id-recommended-matchers",
    ),
    pytest.param(
        {"organization_patterns": ["/orgs/:id", "/orgs/:id/", "/orgs/:id/(.*)"]},
        "/orgs/org_foo/",
        ("id", "org_foo"),
        id="id-trailing-slash",
    ),
    pytest.param(
        {"organization_patterns": ["/orgs/:id", "/orgs/:id/", "/orgs/:id/(.*)"]},
        "/orgs/org_foo/nested-resource",
        ("id", "org_foo"),
        id="id-trailing-path",
    ),
    pytest.param(
        {"organization_patterns": ["/orgs/:id/(.*)"]},
        "/orgs/org_foo/nested-resource/and/more/deeply/nested/resources",
        ("id", "org_foo"),
        id="id-many-trailing-components",
    ),
    pytest.param(
        {"organization_patterns": ["/unknown-thing/:any/orgs/:id"]},
        "/unknown-thing/thing/orgs/org_foo",
        ("id", "org_foo"),
        id="id-unrelated-prefix-token",
    ),
    pytest.param({"organization_patterns": ["/orgs/:slug"]}, "/orgs/my-org", ("slug", "my-org"), id="slug"),
    pytest.param(
        {"personal_account_patterns": ["/personal-account"]},
        "/personal-account",
        ("personal", ""),
        id="personal-account",
    ),
    pytest.param(
        {"organization_patterns": ["/orgs/:id", "/orgs/:slug"]}, "/orgs/my-org", ("id", "my-org"), id="id-precedes-slug"
    ),
    pytest.param(
        {"personal_account_patterns": ["/", "/(.*)"], "organization_patterns": ["/orgs/:slug"]},
        "/orgs/my-org",
        ("slug", "my-org"),
        id="org-precedes-personal",
    ),
    pytest.param(
        {"personal_account_patterns": ["/user/:any", "/user/:any/(.*)"]},
        "/user/123/home",
        ("personal", ""),
        id="personal-with-tokens",
    ),
    pytest.param(
        {
            "organization_patterns": [
                "/orgs-by-id/:id",
                "/orgs-by-id/:id/(.*)",
                "/orgs-by-slug/:slug",
                "/orgs-by-slug/:slug/(.*)",
            ],
            "personal_account_patterns": ["/personal-account", "/personal-account/(.*)"],
        },
        "/orgs-by-slug/org_bar/sub-resource",
        ("slug", "org_bar"),
        id="full-config",
    ),
]


def _org_options(options: dict[str, list[str]] | None) -> dict[str, Any]:
    return {} if options is None else {"organization_sync_options": options}


@pytest.mark.parametrize(("options", "path", "target"), _ORG_CASES)
def test_s67_org_sync_mismatch_hands_shake_with_organization_id(
    driver: Driver,
    local_clerk: LocalClerk,
    options: dict[str, list[str]] | None,
    path: str,
    target: tuple[str, str] | None,
) -> None:
    client = _client(driver, local_clerk, **_org_options(options))
    session = local_clerk.create_session(org=ACTIVE_ORG)
    cookies = local_clerk.session_cookies(session, dev_browser=DB_JWT)
    url = f"http://localhost:3000{path}"
    state = _auth(driver, client, _request(url, cookies=cookies))
    if target is None:
        auth = _assert_signed_in(state)
        assert auth.org_id == "org_active"
        return
    _assert_handshake(state, "active-organization-mismatch")
    base, params = _location(state)
    assert base == FAPI
    token = cookies["__session"]
    assert params == [
        *_handshake_query(url, True, "active-organization-mismatch"),
        ("__session", token),
        ("__clerk_db_jwt", DB_JWT),
        ("organization_id", target[1]),
    ]


@pytest.mark.parametrize(("options", "path", "target"), _ORG_CASES)
def test_s67_org_sync_matching_organization_stays_signed_in(
    driver: Driver,
    local_clerk: LocalClerk,
    options: dict[str, list[str]] | None,
    path: str,
    target: tuple[str, str] | None,
) -> None:
    client = _client(driver, local_clerk, **_org_options(options))
    org: dict[str, Any] | None
    if target is None:
        org = ACTIVE_ORG
    elif target[0] == "id":
        org = {"id": target[1], "slug": "some-other-slug", "role": "org:member"}
    elif target[0] == "slug":
        org = {"id": "org_someOtherId", "slug": target[1], "role": "org:member"}
    else:
        org = None  # the personal account: no active organization
    session = local_clerk.create_session(org=org)
    cookies = local_clerk.session_cookies(session, dev_browser=DB_JWT)
    state = _auth(driver, client, _request(f"http://localhost:3000{path}", cookies=cookies))
    auth = _assert_signed_in(state)
    assert auth.org_id == (org["id"] if org else None)
    assert state.header_values("Set-Cookie") == []


@pytest.mark.parametrize("count", [3, 4, 7])
def test_s67_org_sync_loop_counter_of_three_or_more_stays_signed_in(
    driver: Driver, local_clerk: LocalClerk, count: int
) -> None:
    client = _client(driver, local_clerk, organization_sync_options={"organization_patterns": ["/orgs/:slug"]})
    session = local_clerk.create_session(org=ACTIVE_ORG)
    cookies = {**local_clerk.session_cookies(session, dev_browser=DB_JWT), REDIRECT_COUNT: str(count)}
    state = _auth(driver, client, _request("http://localhost:3000/orgs/other-org", cookies=cookies))
    auth = _assert_signed_in(state)
    assert auth.org_slug == "active-org"
    assert state.header_values("Set-Cookie") == []
    assert state.header("Cache-Control") is None


@pytest.mark.parametrize("count", [1, 2])
def test_s67_org_sync_below_loop_limit_still_hands_shake(driver: Driver, local_clerk: LocalClerk, count: int) -> None:
    client = _client(driver, local_clerk, organization_sync_options={"organization_patterns": ["/orgs/:slug"]})
    session = local_clerk.create_session(org=ACTIVE_ORG)
    cookies = {**local_clerk.session_cookies(session, dev_browser=DB_JWT), REDIRECT_COUNT: str(count)}
    state = _auth(driver, client, _request("http://localhost:3000/orgs/other-org", cookies=cookies))
    _assert_handshake(state, "active-organization-mismatch", count=count + 1)
    assert _location(state)[1][-1] == ("organization_id", "other-org")


def test_s67_org_sync_on_a_non_document_request_stays_signed_in(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk, organization_sync_options={"organization_patterns": ["/orgs/:id"]})
    session = local_clerk.create_session(org=ACTIVE_ORG)
    cookies = local_clerk.session_cookies(session, dev_browser=DB_JWT)
    state = _auth(driver, client, _request("http://localhost:3000/orgs/org_foo", dest="empty", cookies=cookies))
    assert _assert_signed_in(state).org_id == "org_active"


# -- 68-73: the handshake service ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "dest", "accept", "eligible"),
    [
        pytest.param("GET", "document", None, True, id="document"),
        pytest.param("GET", "iframe", None, True, id="iframe"),
        pytest.param("GET", None, "text/html,application/xhtml+xml", True, id="text-html-without-dest"),
        pytest.param("POST", "document", None, False, id="post-document"),
        pytest.param("PUT", "document", "text/html", False, id="put-document"),
        pytest.param("GET", "image", "image/png", False, id="image"),
        pytest.param("GET", "empty", "text/html", False, id="empty-dest-with-text-html"),
        pytest.param("GET", None, "application/json", False, id="json-without-dest"),
        pytest.param("GET", None, None, False, id="no-dest-no-accept"),
    ],
)
def test_s68_handshake_eligibility(
    driver: Driver, prod_clerk: LocalClerk, method: str, dest: str | None, accept: str | None, eligible: bool
) -> None:
    client = _client(driver, prod_clerk)
    headers = {"accept": accept} if accept else {}
    request = _request(
        "https://app.example.com/", method=method, dest=dest, cookies={"__client_uat": "12345"}, headers=headers
    )
    state = _auth(driver, client, request)
    if eligible:
        _assert_handshake(state, "client-uat-but-no-session-token")
    else:
        _assert_signed_out(state, "client-uat-but-no-session-token")


def test_s69_handshake_url_parameters_in_reference_order_dev(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    now = time.time()
    token = local_clerk.session_token(now=now)
    cookies = {"__session": token, "__client_uat": str(int(now) + 10), "__clerk_db_jwt": DB_JWT}
    url = "http://localhost:3000/path?foo=bar&__dev_session=legacy&baz=qux"
    state = _auth(driver, client, _request(url, cookies=cookies))
    _assert_handshake(state, "session-token-iat-before-client-uat")
    location = state.header("Location")
    assert location is not None
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", DEFAULT_FRONTEND_API, "/v1/client/handshake")
    assert parse_qsl(parts.query, keep_blank_values=True) == [
        *_handshake_query("http://localhost:3000/path?foo=bar&baz=qux", False, "session-token-iat-before-client-uat"),
        ("__session", token),
        ("__clerk_db_jwt", DB_JWT),
    ]

    # Suffixed cookies are reported as such.
    session = local_clerk.create_session()
    both = local_clerk.session_cookies(session, dev_browser=DB_JWT)
    both = {
        **both,
        "__client_uat": str(int(time.time()) + 10),
        f"__client_uat_{local_clerk.cookie_suffix}": str(int(time.time()) + 10),
    }
    state = _auth(driver, client, _request("http://localhost:3000/", cookies=both))
    _assert_handshake(state, "session-token-iat-before-client-uat")
    assert ("suffixed_cookies", "true") in _location(state)[1]


def test_s69_handshake_url_dev_browser_only_in_dev_and_when_present(
    driver: Driver, local_clerk: LocalClerk, prod_clerk: LocalClerk
) -> None:
    dev = _client(driver, local_clerk)
    # dev-browser-sync: the query token is sent on and stripped from redirect_url.
    state = _auth(driver, dev, _request("http://localhost:3000/path?__clerk_db_jwt=dvb_query&foo=bar"))
    _assert_handshake(state, "dev-browser-sync")
    assert _location(state) == (
        FAPI,
        [
            *_handshake_query("http://localhost:3000/path?foo=bar", False, "dev-browser-sync"),
            ("__clerk_db_jwt", "dvb_query"),
        ],
    )
    # dev-browser-missing: no dev browser token at all, so no __clerk_db_jwt parameter.
    state = _auth(driver, dev, _request("http://localhost:3000/path"))
    _assert_handshake(state, "dev-browser-missing")
    assert _location(state) == (FAPI, _handshake_query("http://localhost:3000/path", False, "dev-browser-missing"))
    # production never sends the dev browser, and no __session when there is none.
    prod = _client(driver, prod_clerk)
    cookies = {"__client_uat": "12345", "__clerk_db_jwt": DB_JWT}
    state = _auth(driver, prod, _request("https://app.example.com/page", cookies=cookies))
    _assert_handshake(state, "client-uat-but-no-session-token")
    assert _location(state) == (
        FAPI,
        _handshake_query("https://app.example.com/page", False, "client-uat-but-no-session-token"),
    )


def test_s69_handshake_url_carries_a_header_session_token(driver: Driver, prod_clerk: LocalClerk) -> None:
    client = _client(driver, prod_clerk)
    expired = prod_clerk.session_token(now=time.time() - 3600)
    request = _request("https://app.example.com/page", headers={"authorization": f"Bearer {expired}"})
    state = _auth(driver, client, request)
    reason = "session-token-expired-refresh-non-eligible-no-refresh-cookie"
    assert state.message is not None and state.message.startswith("JWT is expired")
    _assert_handshake(state, reason, message=state.message)
    assert _location(state) == (
        FAPI,
        [*_handshake_query("https://app.example.com/page", False, reason), ("__session", expired)],
    )


@pytest.mark.parametrize(
    ("proxy_url", "request_url", "base"),
    [
        ("https://my-proxy.example.com", "https://example.com/", "https://my-proxy.example.com/v1/client/handshake"),
        ("https://my-proxy.example.com/", "https://example.com/", "https://my-proxy.example.com/v1/client/handshake"),
        ("https://my-proxy.example.com//", "https://example.com/", "https://my-proxy.example.com/v1/client/handshake"),
        ("https://my-proxy.example.com///", "https://example.com/", "https://my-proxy.example.com/v1/client/handshake"),
        (
            "https://my-proxy.example.com/clerk-proxy//",
            "https://example.com/",
            "https://my-proxy.example.com/clerk-proxy/v1/client/handshake",
        ),
        (
            "https://proxy.example.com/clerk/",
            "https://example.com/",
            "https://proxy.example.com/clerk/v1/client/handshake",
        ),
        (
            "https://api.example.com/v1/clerk///",
            "https://example.com/",
            "https://api.example.com/v1/clerk/v1/client/handshake",
        ),
        (
            "http://localhost:4000/__clerk",
            "http://localhost:3000/",
            "http://localhost:4000/__clerk/v1/client/handshake",
        ),
        ("/__clerk", "https://app.example.com/page", "https://app.example.com/__clerk/v1/client/handshake"),
    ],
)
def test_s69_handshake_url_through_proxy_url(
    driver: Driver, prod_clerk: LocalClerk, proxy_url: str, request_url: str, base: str
) -> None:
    client = _client(driver, prod_clerk, proxy_url=proxy_url)
    state = _auth(driver, client, _request(request_url, cookies={"__client_uat": "12345"}))
    _assert_handshake(state, "client-uat-but-no-session-token")
    location = state.header("Location")
    assert location is not None
    assert location.split("?", 1)[0] == base
    assert "//v1/client/handshake" not in location
    assert _location(state)[1] == _handshake_query(request_url, False, "client-uat-but-no-session-token")


@pytest.mark.parametrize("frontend_api", ["clerk.example.com", "api.clerk.com", "foo-bar-13.clerk.accounts.dev"])
def test_s69_handshake_url_from_a_bare_domain_frontend_api(
    driver: Driver, prod_clerk: LocalClerk, frontend_api: str
) -> None:
    client = _client(driver, prod_clerk, publishable_key=build_publishable_key(frontend_api, live=True))
    state = _auth(driver, client, _request("https://example.com/", cookies={"__client_uat": "12345"}))
    _assert_handshake(state, "client-uat-but-no-session-token")
    assert _location(state)[0] == f"https://{frontend_api}/v1/client/handshake"


def test_s69_handshake_url_keeps_a_complex_redirect_url(driver: Driver, prod_clerk: LocalClerk) -> None:
    client = _client(driver, prod_clerk)
    url = "https://example.com/path?existing=param&q=a%20b#fragment"
    state = _auth(driver, client, _request(url, cookies={"__client_uat": "12345"}))
    _assert_handshake(state, "client-uat-but-no-session-token")
    # The reference deletes the dev-browser parameters through url.searchParams, which writes
    # every parameter out again in the form encoding: "%20" comes back as "+".
    assert dict(_location(state)[1])["redirect_url"] == "https://example.com/path?existing=param&q=a+b#fragment"


def test_s70_dev_invalid_handshake_signature_raises_the_switched_keys_error(
    driver: Driver, local_clerk: LocalClerk, other_keys: KeyPair
) -> None:
    client = _client(driver, local_clerk)
    session_token = local_clerk.session_token()
    forged = mint_handshake_token(
        other_keys,
        handshake_directives(session_token=session_token),
        header={"kid": local_clerk.keys[0].kid},
    )
    with pytest.raises(ConfigurationError) as exc:
        _auth(driver, client, _request(f"http://localhost:3000/page?__clerk_handshake={forged}"))
    assert exc.value.message == (
        "Clerk: Handshake token verification failed due to an invalid signature. "
        "If you have switched Clerk keys locally, clear your cookies and try again."
    )


def test_s70_dev_other_handshake_verification_errors_raise_the_generic_error(
    driver: Driver, local_clerk: LocalClerk
) -> None:
    client = _client(driver, local_clerk)
    with pytest.raises(ConfigurationError) as exc:
        _auth(driver, client, _request("http://localhost:3000/page?__clerk_handshake=not-a-jwt"))
    assert exc.value.message == (
        "Clerk: Handshake token verification failed: Invalid JWT form. A JWT consists of three parts separated by dots. "
        "(reason=token-invalid, token-carrier=unknown)."
    )
    template = local_clerk.handshake_token(
        handshake_directives(session_token=local_clerk.session_token()), cat=JWT_TEMPLATE
    )
    with pytest.raises(ConfigurationError) as exc:
        _auth(driver, client, _request(f"http://localhost:3000/page?__clerk_handshake={template}"))
    assert exc.value.message.startswith("Clerk: Handshake token verification failed: Invalid handshake token category.")
    assert exc.value.message.endswith("(reason=token-invalid, token-carrier=unknown).")


def test_s70_prod_handshake_verification_errors_fall_through(
    driver: Driver, prod_clerk: LocalClerk, other_keys: KeyPair
) -> None:
    client = _client(driver, prod_clerk)
    forged = mint_handshake_token(
        other_keys,
        handshake_directives(session_token=prod_clerk.session_token()),
        header={"kid": prod_clerk.keys[0].kid},
    )
    for bad in (forged, "not-a-jwt"):
        state = _auth(driver, client, _request("https://app.example.com/", cookies={"__clerk_handshake": bad}))
        _assert_signed_out(state, "session-token-and-uat-missing")
        cookies = {"__clerk_handshake": bad, **_session_cookies(prod_clerk, dev=False)}
        _assert_signed_in(_auth(driver, client, _request("https://app.example.com/", cookies=cookies)))


@pytest.mark.parametrize("count", [0, 1, 2])
def test_s71_loop_tracking_increments_the_redirect_count_cookie(
    driver: Driver, prod_clerk: LocalClerk, count: int
) -> None:
    client = _client(driver, prod_clerk)
    cookies = {"__client_uat": "12345"} if count == 0 else {"__client_uat": "12345", REDIRECT_COUNT: str(count)}
    state = _auth(driver, client, _request("https://app.example.com/", cookies=cookies))
    _assert_handshake(state, "client-uat-but-no-session-token", count=count + 1)
    assert state.header("Set-Cookie") == f"__clerk_redirect_count={count + 1}; SameSite=Lax; HttpOnly; Max-Age=2"


def test_s71_loop_tracking_three_redirects_is_a_loop(driver: Driver, prod_clerk: LocalClerk) -> None:
    client = _client(driver, prod_clerk)
    state = _auth(
        driver, client, _request("https://app.example.com/", cookies={"__client_uat": "12345", REDIRECT_COUNT: "3"})
    )
    _assert_signed_out(state, "client-uat-but-no-session-token")


def test_s71_loop_tracking_only_exactly_three_is_a_loop(driver: Driver, prod_clerk: LocalClerk) -> None:
    # The reference's checkAndTrackRedirectLoop tests ``counter === 3``; any other value redirects and counts on.
    client = _client(driver, prod_clerk)
    state = _auth(
        driver, client, _request("https://app.example.com/", cookies={"__client_uat": "12345", REDIRECT_COUNT: "4"})
    )
    _assert_handshake(state, "client-uat-but-no-session-token", count=5)


def _nonce_setup(local: LocalClerk, nonce: str, *, user_id: str = "user_2nonce") -> tuple[str, list[str]]:
    token = local.session_token(sub=user_id)
    directives = handshake_directives(session_token=token, suffix=local.cookie_suffix)
    local.register_handshake_nonce(nonce, directives)
    return token, directives


def test_s72_nonce_payload_becomes_cookies_and_session(
    driver: Driver, prod_clerk: LocalClerk, local_clerk: LocalClerk
) -> None:
    for local, url, via_cookie in (
        (prod_clerk, "https://app.example.com/page", True),
        (local_clerk, "http://localhost:3000/page?__clerk_handshake_nonce=nonce_1", False),
    ):
        token, directives = _nonce_setup(local, "nonce_1")
        client = _client(driver, local)
        cookies = {"__clerk_handshake_nonce": "nonce_1"} if via_cookie else {}
        state = _auth(driver, client, _request(url, cookies=cookies))
        _assert_signed_in(state, user_id="user_2nonce", redirect=not via_cookie)
        assert state.token == token
        assert state.header_values("Set-Cookie") == directives
        assert state.header("Access-Control-Allow-Origin") == "null"
        assert state.header("Access-Control-Allow-Credentials") == "true"
        payload_requests = [r for r in local.requests if r.path == "/v1/clients/handshake_payload"]
        assert len(payload_requests) == 1
        assert payload_requests[0].method == "GET"
        assert payload_requests[0].query == {"nonce": ["nonce_1"]}
        assert payload_requests[0].bearer == local.secret_key


def test_s72_nonce_is_preferred_over_a_handshake_token(driver: Driver, prod_clerk: LocalClerk) -> None:
    token, directives = _nonce_setup(prod_clerk, "nonce_pref")
    client = _client(driver, prod_clerk)
    cookies = {"__clerk_handshake_nonce": "nonce_pref", "__clerk_handshake": "not-a-jwt"}
    state = _auth(driver, client, _request("https://app.example.com/", cookies=cookies))
    _assert_signed_in(state, user_id="user_2nonce")
    assert state.header_values("Set-Cookie") == directives


@pytest.mark.parametrize("fault", ["unknown-nonce", "status", "down", "unauthorized"])
def test_s72_nonce_backend_api_error_is_handled(
    driver: Driver, prod_clerk: LocalClerk, local_clerk: LocalClerk, fault: str
) -> None:
    for local, url in (
        (prod_clerk, "https://app.example.com/page?__clerk_handshake_nonce=nonce_x&foo=bar"),
        (local_clerk, "http://localhost:3000/page?__clerk_handshake_nonce=nonce_x&foo=bar"),
    ):
        if fault != "unknown-nonce":
            _nonce_setup(local, "nonce_x")
            local.set_fault(fault, status=500)  # type: ignore[arg-type]
        client = _client(driver, local)
        state = _auth(driver, client, _request(url))
        assert (state.status, state.reason) == ("signed-out", "session-token-missing")
        assert state.header_values("Set-Cookie") == []
        if local is local_clerk:
            assert state.header("Location") == "http://localhost:3000/page?foo=bar"
            assert state.header("Cache-Control") == "no-store"
        else:
            assert state.header("Location") is None
        local.clear_faults()


def test_s72_handshake_token_becomes_cookies_and_session(
    driver: Driver, prod_clerk: LocalClerk, local_clerk: LocalClerk
) -> None:
    for local, dev in ((prod_clerk, False), (local_clerk, True)):
        token = local.session_token(sub="user_2hs")
        directives = handshake_directives(session_token=token)
        handshake = local.handshake_token(directives)
        client = _client(driver, local)
        if dev:
            request = _request(f"http://localhost:3000/page?__clerk_handshake={handshake}&keep=1")
        else:
            request = _request("https://app.example.com/page", cookies={"__clerk_handshake": handshake})
        state = _auth(driver, client, request)
        _assert_signed_in(state, user_id="user_2hs", redirect=dev)
        assert state.token == token
        assert state.header_values("Set-Cookie") == directives
        assert state.header("Location") == ("http://localhost:3000/page?keep=1" if dev else None)


def test_s72_signed_out_directives_and_no_handshake_at_all(driver: Driver, prod_clerk: LocalClerk) -> None:
    client = _client(driver, prod_clerk)
    signed_out = handshake_directives(session_token=None)
    prod_clerk.register_handshake_nonce("nonce_out", signed_out)
    state = _auth(
        driver, client, _request("https://app.example.com/", cookies={"__clerk_handshake_nonce": "nonce_out"})
    )
    assert (state.status, state.reason, state.message) == ("signed-out", "session-token-missing", "")
    assert state.header_values("Set-Cookie") == signed_out
    # Neither nonce nor token: the normal path, no handshake payload request, no CORS headers.
    before = len(prod_clerk.requests)
    state = _auth(driver, client, _request("https://app.example.com/"))
    _assert_signed_out(state, "session-token-and-uat-missing")
    assert state.header("Access-Control-Allow-Origin") is None
    assert len(prod_clerk.requests) == before


@pytest.mark.parametrize(
    ("query", "cookies", "expected"),
    [
        pytest.param("?__clerk_handshake_nonce=abc123&foo=bar", {}, "?foo=bar", id="nonce"),
        pytest.param("?__clerk_handshake_nonce=abc123&__clerk_help=1", {}, "", id="help-only-handshake-params"),
        pytest.param(
            "?__clerk_handshake_nonce=abc123&__clerk_db_jwt=dev_token&keep=me", {}, "?keep=me", id="dev-browser"
        ),
        pytest.param(
            "?__clerk_handshake_nonce=abc123&__clerk_handshake=token&__clerk_help=1&__clerk_db_jwt=dev&foo=bar&baz=qux",
            {},
            "?foo=bar&baz=qux",
            id="all-at-once",
        ),
        pytest.param("", {"__clerk_handshake_nonce": "abc123"}, "", id="nonce-in-cookie"),
        pytest.param("?__clerk_handshake_nonce=abc123&foo=bar#section-2", {}, "?foo=bar#section-2", id="fragment"),
    ],
)
def test_s73_dev_cleanup_of_handshake_parameters(
    driver: Driver, local_clerk: LocalClerk, query: str, cookies: dict[str, str], expected: str
) -> None:
    token, directives = _nonce_setup(local_clerk, "abc123")
    client = _client(driver, local_clerk)
    state = _auth(driver, client, _request(f"http://localhost:3000/page{query}", cookies=cookies))
    _assert_signed_in(state, user_id="user_2nonce", redirect=True)
    assert state.header_values("Location") == [f"http://localhost:3000/page{expected}"]
    assert state.header("Cache-Control") == "no-store"
    assert state.header_values("Set-Cookie") == directives


def test_s73_dev_cleanup_preserves_encoded_parameters(driver: Driver, local_clerk: LocalClerk) -> None:
    _nonce_setup(local_clerk, "abc123")
    client = _client(driver, local_clerk)
    url = (
        "http://localhost:3000/page?__clerk_handshake_nonce=abc123&q=hello%20world&redirect=%2Fsome%2Fpath%3Ffoo%3Dbar"
    )
    state = _auth(driver, client, _request(url))
    location = state.header("Location")
    assert location is not None
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "localhost:3000", "/page")
    assert parse_qsl(parts.query, keep_blank_values=True) == [("q", "hello world"), ("redirect", "/some/path?foo=bar")]


def test_s73_prod_has_no_location_or_cache_header_but_sets_cookies(driver: Driver, prod_clerk: LocalClerk) -> None:
    token, directives = _nonce_setup(prod_clerk, "abc123")
    client = _client(driver, prod_clerk)
    for request in (
        _request("https://app.example.com/page?__clerk_handshake_nonce=abc123&foo=bar"),
        _request("https://app.example.com/page", cookies={"__clerk_handshake_nonce": "abc123"}),
    ):
        state = _auth(driver, client, request)
        _assert_signed_in(state, user_id="user_2nonce")
        assert state.header("Location") is None
        assert state.header("Cache-Control") is None
        assert state.header_values("Set-Cookie") == directives
        assert any(value.startswith("__session=") for value in state.header_values("Set-Cookie"))


def test_s73_empty_payload_still_cleans_the_url_in_dev(driver: Driver, local_clerk: LocalClerk) -> None:
    local_clerk.register_handshake_nonce("abc123", [])
    client = _client(driver, local_clerk)
    state = _auth(driver, client, _request("http://localhost:3000/page?__clerk_handshake_nonce=abc123&foo=bar"))
    assert (state.status, state.reason, state.message) == ("signed-out", "session-token-missing", "")
    assert state.header_values("Location") == ["http://localhost:3000/page?foo=bar"]
    assert state.header("Cache-Control") == "no-store"
    assert state.header_values("Set-Cookie") == []
