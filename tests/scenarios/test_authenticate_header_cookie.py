"""Reference scenarios 32-51 (clerk-js-backend.md §9.1: "authenticateRequest — header", "— cookie"
and "Refresh"), one named test each, through Clerk and AsyncClerk, against a local Clerk instance
over real sockets.

Requests mirror the reference's ``request.test.ts``: ``GET http://clerk.com/path`` with
``host: example.com``, ``user-agent: Mozilla/TestAgent`` and ``sec-fetch-dest: document`` (a
document navigation, so a handshake is possible) unless a test says otherwise. The default
``local_clerk`` is a development instance (``pk_test_``): its cookie path wants a dev-browser
token (``__clerk_db_jwt``), included where the reference includes one. ``prod_clerk`` is a
production instance (``pk_live_``) with the same keys and Frontend API.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from clerk_core.jwt.decode import decode_jwt
from clerk_core.testing import (
    KeyPair,
    LocalClerk,
    LocalSession,
    build_publishable_key,
    mint_session_token,
    mint_template_token,
)
from clerk_core.testing.cookies import session_directives
from clerk_core.tokens.request import ClerkRequest
from clerk_core.tokens.state import RequestState, SessionAuth
from tests.conftest import Driver

URL = "http://clerk.com/path"
#: What the SDK sees as the request URL: the Host header wins over the URL's host.
CLERK_URL = "http://example.com/path"
DEFAULT_HEADERS: Mapping[str, str] = {
    "host": "example.com",
    "user-agent": "Mozilla/TestAgent",
    "sec-fetch-dest": "document",
}
APP_URL = "https://app.example.com/dashboard"
APP_ORIGIN = "https://app.example.com"
APP_HEADERS: Mapping[str, str] = {"host": "app.example.com", "origin": APP_ORIGIN}
DEV_BROWSER = "deadbeef"
HOUR = 3600
AZP_EVENT = "authenticate.session_cookie_without_azp"


# -- helpers ---------------------------------------------------------------------------------


def _request(
    headers: Mapping[str, str] | None = None,
    cookies: Mapping[str, str] | None = None,
    *,
    url: str = URL,
    method: str = "GET",
) -> ClerkRequest:
    merged = dict(DEFAULT_HEADERS)
    if cookies:
        merged["cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    merged.update(headers or {})
    return ClerkRequest(method, url, merged)


def _client(driver: Driver, local: LocalClerk, **options: Any) -> Any:
    options.setdefault("publishable_key", local.publishable_key)
    return driver.client(secret_key=local.secret_key, api_url=local.api_url, environ={}, **options)


def _authenticate(driver: Driver, client: Any, request: ClerkRequest, **options: Any) -> RequestState:
    state = driver.call(client, "authenticate_request", request, **options)
    assert isinstance(state, RequestState)
    return state


def _payload(token: str) -> dict[str, Any]:
    return dict(decode_jwt(token).payload)


def _resolve(driver: Driver, value: Any) -> Any:
    """A value from an auth object: awaited when it came from an AsyncClerk."""
    return driver.loop.run_until_complete(value) if driver.loop is not None else value


def _refresh_requests(local: LocalClerk) -> list[Any]:
    return [r for r in local.requests if r.path.endswith("/refresh")]


def _assert_context(state: RequestState, **expected: Any) -> None:
    """The options echoed into every state (the reference's matchers check them): none given here."""
    context = {"proxy_url": "", "is_satellite": False, "domain": "", "sign_in_url": "", "sign_up_url": ""}
    context.update(expected)
    assert {name: getattr(state, name) for name in context} == context
    assert state.publishable_key.startswith(("pk_test_", "pk_live_"))


def _assert_signed_in(driver: Driver, state: RequestState, token: str) -> SessionAuth:
    assert (state.status, state.reason, state.message) == ("signed-in", None, None)
    _assert_context(state)
    assert state.token == token
    assert state.token_type == "session_token"
    assert state.is_authenticated
    for name in ("x-clerk-auth-status", "x-clerk-auth-reason", "x-clerk-auth-message", "Location"):
        assert state.header(name) is None, name
    auth = state.to_auth()
    assert isinstance(auth, SessionAuth)
    payload = _payload(token)
    assert auth.is_authenticated
    assert auth.session_claims == payload
    assert (auth.session_id, auth.user_id) == (payload["sid"], payload["sub"])
    assert (auth.org_id, auth.org_role, auth.org_slug) == (None, None, None)
    assert _resolve(driver, auth.get_token()) == token
    return auth


def _assert_signed_out(state: RequestState, reason: str, message: str = "", **context: Any) -> None:
    assert (state.status, state.reason, state.message) == ("signed-out", reason, message)
    _assert_context(state, **context)
    assert state.token is None
    assert state.token_type == "session_token"
    assert not state.is_authenticated
    assert state.header("Location") is None
    assert state.header("Cache-Control") is None
    assert state.header_values("Set-Cookie") == []
    assert state.header("x-clerk-auth-status") == "signed-out"
    assert state.header("x-clerk-auth-reason") == reason
    assert state.header("x-clerk-auth-message") == (message or None)
    auth = state.to_auth()
    assert isinstance(auth, SessionAuth)
    assert not auth.is_authenticated
    assert auth.session_claims is None
    assert (auth.session_id, auth.user_id, auth.org_id, auth.org_role, auth.org_slug) == (None,) * 5


def _assert_handshake(
    state: RequestState,
    local: LocalClerk,
    reason: str,
    *,
    message: str = "",
    session: str | None = None,
    dev_browser: str | None = None,
    redirect_url: str = CLERK_URL,
) -> dict[str, list[str]]:
    """Check a handshake state and its redirect; returns the handshake URL's query."""
    assert (state.status, state.reason) == ("handshake", reason)
    _assert_context(state)
    if message.endswith("…"):
        assert state.message is not None
        assert state.message.startswith(message[:-1])
    else:
        assert state.message == message
    assert state.token is None
    assert state.token_type == "session_token"
    assert not state.is_authenticated
    assert state.to_auth() is None
    location = state.header("Location")
    assert location is not None
    assert location.startswith(f"https://{local.frontend_api}/v1/client/handshake?")
    query = parse_qs(urlsplit(location).query, keep_blank_values=True)
    assert query["redirect_url"] == [redirect_url]
    assert query["__clerk_api_version"] == ["2026-05-12"]
    assert query["__clerk_hs_reason"] == [reason]
    assert query["format"] == ["nonce"]
    assert query.get("__session") == ([session] if session else None)
    assert query.get("__clerk_db_jwt") == ([dev_browser] if dev_browser else None)
    assert state.header("Cache-Control") == "no-store"
    assert "__clerk_redirect_count=1; SameSite=Lax; HttpOnly; Max-Age=2" in state.header_values("Set-Cookie")
    assert state.header("x-clerk-auth-status") == "handshake"
    assert state.header("x-clerk-auth-reason") == reason
    assert state.header("x-clerk-auth-message") == (state.message or None)
    return query


class _Records(logging.Handler):
    """Collects the ``clerk_core`` log records at WARNING and above."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def events(self, name: str) -> list[logging.LogRecord]:
        return [record for record in self.records if record.getMessage() == name]


@pytest.fixture
def warnings_log() -> Iterator[_Records]:
    logger = logging.getLogger("clerk_core")
    handler = _Records()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def prod_clerk(clerk_keys: KeyPair) -> Iterator[LocalClerk]:
    """A production instance (``pk_live_``) of the same Frontend API and keys as ``local_clerk``."""
    with LocalClerk(keys=[clerk_keys], publishable_key=build_publishable_key(live=True)) as local:
        yield local


# -- authenticateRequest — header ------------------------------------------------------------


def test_s32_authorization_without_scheme_and_with_basic_do_not_throw(
    driver: Driver, local_clerk: LocalClerk, other_keys: KeyPair
) -> None:
    client = _client(driver, local_clerk)
    # A value without a scheme is the token itself: with a JWKS holding no keys it is signed out.
    local_clerk.set_fault("empty_keys")
    forged = mint_session_token(other_keys, header={"kid": local_clerk.keys[0].kid})
    state = _authenticate(driver, client, _request({"authorization": forged}))
    assert (state.status, state.reason, state.token_type) == (
        "signed-out",
        "jwk-remote-failed-to-load",
        "session_token",
    )
    local_clerk.clear_faults()
    # ... and a valid one without a scheme signs in.
    token = local_clerk.session_token()
    _assert_signed_in(driver, _authenticate(driver, client, _request({"authorization": token})), token)
    # Basic credentials are not a token: the request goes down the cookie path (no dev browser).
    jwks_before = local_clerk.jwks_requests
    state = _authenticate(driver, client, _request({"authorization": "Basic dXNlcjpwYXNzd29yZA=="}))
    _assert_handshake(state, local_clerk, "dev-browser-missing")
    assert local_clerk.jwks_requests == jwks_before


def test_s33_jwks_without_keys_is_signed_out_with_full_message(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    local_clerk.set_fault("empty_keys")
    state = _authenticate(driver, client, _request({"authorization": f"Bearer {local_clerk.session_token()}"}))
    _assert_signed_out(
        state,
        "jwk-remote-failed-to-load",
        "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com. Contact support@clerk.com "
        "(reason=jwk-remote-failed-to-load, token-carrier=header)",
    )


def test_s34_valid_header_token_is_signed_in(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    token = local_clerk.session_token()
    state = _authenticate(driver, client, _request({"authorization": f"Bearer {token}"}))
    auth = _assert_signed_in(driver, state, token)
    assert (auth.user_id, auth.session_id) == ("user_2local", "sess_2local")
    assert local_clerk.jwks_requests == 1


def test_s35_azp_not_in_authorized_parties_is_signed_out(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    request = _request({"authorization": f"Bearer {local_clerk.session_token()}"})
    state = _authenticate(driver, client, request, authorized_parties=["whatever"])
    _assert_signed_out(
        state,
        "token-invalid-authorized-parties",
        'Invalid JWT Authorized party claim (azp) "http://localhost:3000". Expected "whatever". '
        "(reason=token-invalid-authorized-parties, token-carrier=header)",
    )
    # The same token passes when its azp is listed.
    assert _authenticate(driver, client, request, authorized_parties=["http://localhost:3000"]).is_authenticated


def test_s36_expired_header_token_handshake_for_documents_signed_out_otherwise(
    driver: Driver, local_clerk: LocalClerk
) -> None:
    client = _client(driver, local_clerk)
    expired = local_clerk.session_token(now=time.time() - HOUR)
    reason = "session-token-expired-refresh-non-eligible-no-refresh-cookie"
    state = _authenticate(driver, client, _request({"authorization": f"Bearer {expired}"}))
    _assert_handshake(state, local_clerk, reason, message="JWT is expired…", session=expired)
    assert state.message is not None
    assert state.message.endswith("(reason=token-expired, token-carrier=header)")
    # Not a document navigation: the same reason, signed out, no redirect.
    api = _request({"authorization": f"Bearer {expired}", "sec-fetch-dest": "empty"})
    state = _authenticate(driver, client, api)
    assert state.message is not None
    _assert_signed_out(state, reason, state.message)
    assert state.message.startswith("JWT is expired")


def test_s37_invalid_signature_and_malformed_header_tokens_are_signed_out(
    driver: Driver, local_clerk: LocalClerk, other_keys: KeyPair
) -> None:
    client = _client(driver, local_clerk)
    forged = mint_session_token(other_keys, header={"kid": local_clerk.keys[0].kid})
    state = _authenticate(driver, client, _request({"authorization": f"Bearer {forged}"}))
    _assert_signed_out(
        state,
        "token-invalid-signature",
        "JWT signature is invalid. (reason=token-invalid-signature, token-carrier=header)",
    )
    state = _authenticate(driver, client, _request({"authorization": "Bearer test_header_token"}))
    _assert_signed_out(
        state,
        "token-invalid",
        "Invalid JWT form. A JWT consists of three parts separated by dots. (reason=token-invalid, token-carrier=header)",
    )


def test_s38_jwt_template_token_in_header_or_cookie_is_a_type_mismatch(
    driver: Driver, local_clerk: LocalClerk, prod_clerk: LocalClerk
) -> None:
    template = mint_template_token(local_clerk.keys[0], "supabase", claims={"sid": None})
    iat = _payload(template)["iat"]
    client = _client(driver, local_clerk)
    state = _authenticate(driver, client, _request({"authorization": f"Bearer {template}"}))
    _assert_signed_out(state, "token-type-mismatch")
    # In the cookie, on a development instance (with a dev browser) and on a production one.
    dev_cookies = {"__clerk_db_jwt": DEV_BROWSER, "__client_uat": str(iat - 10), "__session": template}
    _assert_signed_out(_authenticate(driver, client, _request(cookies=dev_cookies)), "token-type-mismatch")
    prod = _client(driver, prod_clerk)
    prod_cookies = {"__client_uat": str(iat - 10), "__session": template}
    _assert_signed_out(_authenticate(driver, prod, _request(cookies=prod_cookies)), "token-type-mismatch")
    # Rejected by category before any verification: no key was fetched.
    assert (local_clerk.jwks_requests, prod_clerk.jwks_requests) == (0, 0)


def test_s39_header_token_without_azp_is_signed_in_without_warning(
    driver: Driver, local_clerk: LocalClerk, warnings_log: _Records
) -> None:
    client = _client(driver, local_clerk)
    for _ in range(3):
        token = local_clerk.session_token(azp=None)
        assert "azp" not in _payload(token)
        _assert_signed_in(driver, _authenticate(driver, client, _request({"authorization": f"Bearer {token}"})), token)
    assert warnings_log.events(AZP_EVENT) == []


# -- authenticateRequest — cookie ------------------------------------------------------------


def test_s40_production_without_cookies_is_signed_out(driver: Driver, prod_clerk: LocalClerk) -> None:
    client = _client(driver, prod_clerk)
    _assert_signed_out(_authenticate(driver, client, _request()), "session-token-and-uat-missing")
    assert prod_clerk.requests == []


def test_s41_development_without_dev_browser_or_client_uat_handshakes(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    token = local_clerk.session_token()
    # No dev browser: with a session cookie, and with no cookies at all.
    state = _authenticate(driver, client, _request(cookies={"__session": token}))
    _assert_handshake(state, local_clerk, "dev-browser-missing", session=token)
    _assert_handshake(_authenticate(driver, client, _request()), local_clerk, "dev-browser-missing")
    # A dev browser and a session but no client_uat.
    state = _authenticate(driver, client, _request(cookies={"__clerk_db_jwt": DEV_BROWSER, "__session": token}))
    _assert_handshake(state, local_clerk, "session-token-but-no-client-uat", session=token, dev_browser=DEV_BROWSER)
    assert local_clerk.jwks_requests == 0


def test_s42_client_uat_without_session_handshakes(driver: Driver, prod_clerk: LocalClerk) -> None:
    client = _client(driver, prod_clerk)
    state = _authenticate(driver, client, _request(cookies={"__client_uat": "12345"}))
    _assert_handshake(state, prod_clerk, "client-uat-but-no-session-token")


def test_s43_client_uat_zero_without_session_is_signed_out(driver: Driver, prod_clerk: LocalClerk) -> None:
    client = _client(driver, prod_clerk)
    state = _authenticate(driver, client, _request(cookies={"__client_uat": "0"}))
    _assert_signed_out(state, "session-token-and-uat-missing")


def test_s44_client_uat_after_token_iat_handshakes(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    token = local_clerk.session_token()
    cookies = {"__clerk_db_jwt": DEV_BROWSER, "__client_uat": str(_payload(token)["iat"] + 10), "__session": token}
    state = _authenticate(driver, client, _request(cookies=cookies))
    _assert_handshake(state, local_clerk, "session-token-iat-before-client-uat", session=token, dev_browser=DEV_BROWSER)
    assert local_clerk.jwks_requests == 0  # decided before verification


def test_s45_malformed_cookie_token_is_signed_out(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    token = local_clerk.session_token(claims={"sub": None})
    cookies = {"__clerk_db_jwt": DEV_BROWSER, "__client_uat": str(_payload(token)["iat"] - 10), "__session": token}
    _assert_signed_out(
        _authenticate(driver, client, _request(cookies=cookies)),
        "token-verification-failed",
        "Subject claim (sub) is required and must be a string. Received undefined. Make sure that this is a valid "
        "Clerk-generated JWT. (reason=token-verification-failed, token-carrier=cookie)",
    )


def test_s45_valid_cookie_token_is_signed_in(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    token = local_clerk.session_token()
    cookies = {"__clerk_db_jwt": DEV_BROWSER, "__client_uat": str(_payload(token)["iat"] - 10), "__session": token}
    _assert_signed_in(driver, _authenticate(driver, client, _request(cookies=cookies)), token)
    # iat equal to client_uat is accepted too.
    cookies["__client_uat"] = str(_payload(token)["iat"])
    _assert_signed_in(driver, _authenticate(driver, client, _request(cookies=cookies)), token)


def test_s45_expired_cookie_token_handshakes(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    expired = local_clerk.session_token(now=time.time() - HOUR)
    cookies = {"__clerk_db_jwt": DEV_BROWSER, "__client_uat": str(_payload(expired)["iat"] - 10), "__session": expired}
    state = _authenticate(driver, client, _request(cookies=cookies))
    _assert_handshake(
        state,
        local_clerk,
        "session-token-expired-refresh-non-eligible-no-refresh-cookie",
        message="JWT is expired…",
        session=expired,
        dev_browser=DEV_BROWSER,
    )
    assert state.message is not None
    assert state.message.endswith("(reason=token-expired, token-carrier=cookie)")


def test_s46_m2m_jwt_in_session_cookie_is_a_type_mismatch(
    driver: Driver, local_clerk: LocalClerk, prod_clerk: LocalClerk
) -> None:
    m2m = prod_clerk.m2m_token()
    iat = _payload(m2m)["iat"]
    prod = _client(driver, prod_clerk)
    state = _authenticate(driver, prod, _request(cookies={"__client_uat": str(iat - 10), "__session": m2m}))
    _assert_signed_out(state, "token-type-mismatch")
    dev = _client(driver, local_clerk)
    cookies = {"__clerk_db_jwt": DEV_BROWSER, "__client_uat": str(iat - 10), "__session": m2m}
    _assert_signed_out(_authenticate(driver, dev, _request(cookies=cookies)), "token-type-mismatch")
    assert (local_clerk.jwks_requests, prod_clerk.jwks_requests) == (0, 0)


def test_s47_cloudfront_user_agent_and_forwarded_proto_are_signed_in(driver: Driver, prod_clerk: LocalClerk) -> None:
    client = _client(driver, prod_clerk)
    token = prod_clerk.session_token()
    cookies = {"__client_uat": "12345", "__session": token}
    state = _authenticate(driver, client, _request({"user-agent": "Amazon CloudFront"}, cookies))
    _assert_signed_in(driver, state, token)
    behind_cloudfront = {"user-agent": "Amazon CloudFront", "cloudfront-forwarded-proto": "https"}
    _assert_signed_in(driver, _authenticate(driver, client, _request(behind_cloudfront, cookies)), token)


def test_s47_cloudfront_forwarded_proto_sets_the_redirect_scheme(driver: Driver, prod_clerk: LocalClerk) -> None:
    client = _client(driver, prod_clerk)
    headers = {"cloudfront-forwarded-proto": "https", "x-forwarded-proto": "http"}
    state = _authenticate(driver, client, _request(headers, {"__client_uat": "12345"}))
    _assert_handshake(state, prod_clerk, "client-uat-but-no-session-token", redirect_url="https://example.com/path")


def test_s48_cookie_token_without_azp_warns_once_per_client(
    driver: Driver, prod_clerk: LocalClerk, warnings_log: _Records
) -> None:
    client = _client(driver, prod_clerk)
    # With azp: signed in, no warning.
    for _ in range(3):
        token = prod_clerk.session_token()
        cookies = {"__client_uat": str(_payload(token)["iat"]), "__session": token}
        _assert_signed_in(driver, _authenticate(driver, client, _request(cookies=cookies)), token)
    assert warnings_log.events(AZP_EVENT) == []
    # Without azp: still signed in, one warning however many requests.
    for _ in range(10):
        token = prod_clerk.session_token(azp=None)
        assert "azp" not in _payload(token)
        cookies = {"__client_uat": str(_payload(token)["iat"]), "__session": token}
        _assert_signed_in(driver, _authenticate(driver, client, _request(cookies=cookies)), token)
    (record,) = warnings_log.events(AZP_EVENT)
    assert record.levelno == logging.WARNING
    assert record.name.startswith("clerk_core")


def test_s49_post_document_client_uat_without_session_is_signed_out(driver: Driver, prod_clerk: LocalClerk) -> None:
    client = _client(driver, prod_clerk)
    state = _authenticate(driver, client, _request(cookies={"__client_uat": "12345"}, method="POST"))
    _assert_signed_out(state, "client-uat-but-no-session-token")


def test_s49_post_document_satellite_needing_sync_is_signed_out(driver: Driver, prod_clerk: LocalClerk) -> None:
    satellite: dict[str, Any] = {
        "is_satellite": True,
        "sign_in_url": "https://primary.dev/sign-in",
        "domain": "satellite.dev",
    }
    client = _client(driver, prod_clerk, **satellite)
    state = _authenticate(driver, client, _request(cookies={"__client_uat": "0"}, method="POST"))
    _assert_signed_out(state, "session-token-and-uat-missing", **satellite)


def test_s49_post_document_iat_before_client_uat_is_signed_out(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    token = local_clerk.session_token()
    cookies = {"__clerk_db_jwt": DEV_BROWSER, "__client_uat": str(_payload(token)["iat"] + 10), "__session": token}
    state = _authenticate(driver, client, _request(cookies=cookies, method="POST"))
    _assert_signed_out(state, "session-token-iat-before-client-uat")


# -- refresh ---------------------------------------------------------------------------------


def _expired_browser(local: LocalClerk, dev_browser: str | None = None) -> tuple[LocalSession, dict[str, str]]:
    """A session whose browser holds Clerk's full cookie set with a session token an hour old."""
    session = local.create_session()
    return session, local.session_cookies(session, now=time.time() - HOUR, dev_browser=dev_browser)


@pytest.mark.parametrize("dest", ["document", "empty"])
@pytest.mark.parametrize("instance", ["production", "development"])
def test_s50_expired_token_with_refresh_cookie_is_refreshed(
    driver: Driver, request: pytest.FixtureRequest, instance: str, dest: str
) -> None:
    local: LocalClerk = request.getfixturevalue("prod_clerk" if instance == "production" else "local_clerk")
    session, cookies = _expired_browser(local, DEV_BROWSER if instance == "development" else None)
    expired = cookies["__session"]
    client = _client(driver, local)
    # Any GET is refreshed, a document navigation or not.
    state = _authenticate(driver, client, _request({**APP_HEADERS, "sec-fetch-dest": dest}, cookies, url=APP_URL))
    assert state.token is not None and state.token != expired
    auth = _assert_signed_in(driver, state, state.token)
    assert (auth.session_id, auth.user_id) == (session.session_id, session.user_id)
    assert _payload(state.token)["azp"] == APP_ORIGIN
    # The Set-Cookie headers are exactly the directives the instance returned (suffixed cookies in use).
    assert state.header_values("Set-Cookie") == session_directives(state.token, suffix=local.cookie_suffix)
    (refresh,) = _refresh_requests(local)
    assert (refresh.method, refresh.path) == ("POST", f"/v1/sessions/{session.session_id}/refresh")
    assert refresh.query == {"suffixed_cookies": ["true"]}
    assert refresh.bearer == local.secret_key
    body = json.loads(refresh.body)
    assert body["format"] == "cookie"
    assert body["expired_token"] == expired
    assert body["refresh_token"] == session.refresh_token
    assert body["request_origin"] == APP_ORIGIN
    assert body["request_headers"]["user-agent"] == ["Mozilla/TestAgent"]


@pytest.mark.parametrize(
    ("case", "method", "reason"),
    [
        ("wrong-refresh-token", "GET", "session-token-expired-refresh-refresh_token_invalid"),
        ("session-ended", "GET", "session-token-expired-refresh-resource_not_found"),
        ("backend-down", "GET", "session-token-expired-refresh-fetch-error"),
        ("no-refresh-cookie", "GET", "session-token-expired-refresh-non-eligible-no-refresh-cookie"),
        ("post", "POST", "session-token-expired-refresh-non-eligible-non-get"),
    ],
)
def test_s50_refresh_failures_name_their_cause(
    driver: Driver, prod_clerk: LocalClerk, case: str, method: str, reason: str
) -> None:
    session, cookies = _expired_browser(prod_clerk)
    expired = cookies["__session"]
    refresh_cookie = f"__refresh_{prod_clerk.cookie_suffix}"
    client = _client(driver, prod_clerk)
    if case == "wrong-refresh-token":
        cookies[refresh_cookie] = "not-the-refresh-token"
    elif case == "session-ended":
        assert prod_clerk.end_session(session.session_id)
    elif case == "backend-down":
        driver.call(client, "load_jwks")  # keys cached: only the refresh call meets the outage
        prod_clerk.set_fault("down")
    elif case == "no-refresh-cookie":
        del cookies[refresh_cookie]
    state = _authenticate(driver, client, _request(APP_HEADERS, cookies, url=APP_URL, method=method))
    if method == "GET":
        _assert_handshake(state, prod_clerk, reason, message="JWT is expired…", session=expired, redirect_url=APP_URL)
    else:
        assert state.message is not None
        _assert_signed_out(state, reason, state.message)
        assert state.message.startswith("JWT is expired")
    assert state.message is not None
    assert state.message.endswith("(reason=token-expired, token-carrier=cookie)")
    if case in ("wrong-refresh-token", "session-ended", "backend-down"):
        assert _refresh_requests(prod_clerk), "the refresh was attempted"
    else:
        assert _refresh_requests(prod_clerk) == []


def test_s51_no_refresh_without_suffixed_refresh_cookie(driver: Driver, prod_clerk: LocalClerk) -> None:
    session, cookies = _expired_browser(prod_clerk)
    del cookies[f"__refresh_{prod_clerk.cookie_suffix}"]
    client = _client(driver, prod_clerk)
    reason = "session-token-expired-refresh-non-eligible-no-refresh-cookie"
    state = _authenticate(driver, client, _request(APP_HEADERS, cookies, url=APP_URL))
    assert (state.status, state.reason) == ("handshake", reason)
    # An un-suffixed __refresh cookie is not a refresh cookie.
    cookies["__refresh"] = session.refresh_token
    state = _authenticate(driver, client, _request(APP_HEADERS, cookies, url=APP_URL))
    assert (state.status, state.reason) == ("handshake", reason)
    assert _refresh_requests(prod_clerk) == []


def test_s51_no_refresh_when_token_not_expired(driver: Driver, prod_clerk: LocalClerk) -> None:
    session = prod_clerk.create_session()
    cookies = prod_clerk.session_cookies(session)
    token = cookies["__session"]
    client = _client(driver, prod_clerk)
    # Valid token and client_uat: signed in as is, no Set-Cookie.
    state = _authenticate(driver, client, _request(APP_HEADERS, cookies, url=APP_URL))
    _assert_signed_in(driver, state, token)
    assert state.header_values("Set-Cookie") == []
    # client_uat missing: a handshake, not a refresh (the reference's case).
    only = {"__session": token, f"__refresh_{prod_clerk.cookie_suffix}": session.refresh_token}
    state = _authenticate(driver, client, _request(cookies=only))
    _assert_handshake(state, prod_clerk, "session-token-but-no-client-uat", session=token)
    assert _refresh_requests(prod_clerk) == []


def test_s51_suffixed_refresh_cookie_preferred_over_unsuffixed(driver: Driver, prod_clerk: LocalClerk) -> None:
    session, browser = _expired_browser(prod_clerk)
    expired = browser["__session"]
    cookies = {
        "__client_uat": browser["__client_uat"],
        "__session": expired,
        f"__refresh_{prod_clerk.cookie_suffix}": session.refresh_token,
        "__refresh": "should_not_be_used",
    }
    client = _client(driver, prod_clerk)
    state = _authenticate(driver, client, _request(APP_HEADERS, cookies, url=APP_URL))
    assert state.token is not None
    _assert_signed_in(driver, state, state.token)
    # Un-suffixed cookies in use: the instance answers with un-suffixed directives.
    assert state.header_values("Set-Cookie") == session_directives(state.token)
    (refresh,) = _refresh_requests(prod_clerk)
    assert refresh.query == {"suffixed_cookies": ["false"]}
    body = json.loads(refresh.body)
    assert (body["refresh_token"], body["expired_token"]) == (session.refresh_token, expired)
