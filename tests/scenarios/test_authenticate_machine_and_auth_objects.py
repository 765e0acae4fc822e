"""Reference scenarios 60-66 and 74-83 (clerk-js-backend.md §9.1: "Machine / acceptsToken",
"Context / request" and "Auth objects / states"), one named test each, through Clerk and
AsyncClerk, against a local Clerk instance over real sockets.

Requests are ``GET http://example.com/path`` without ``sec-fetch-dest`` (not a document
navigation, so states that could hand-shake come back signed out) unless a test says otherwise.
Cookie-path tests use a production publishable key for the local Frontend API
(``clerk.local.dev``), so no dev-browser token is needed; the default ``local_clerk`` key is a
development one.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from clerk_core import AsyncClerk, Clerk, ConfigurationError
from clerk_core.jwt.decode import decode_jwt
from clerk_core.testing import LocalClerk, build_publishable_key
from clerk_core.testing import cookie_suffix as local_cookie_suffix
from clerk_core.tokens.private_data import strip_private_data
from clerk_core.tokens.publishable_key import cookie_suffix
from clerk_core.tokens.request import ClerkRequest
from clerk_core.tokens.state import (
    InvalidTokenAuth,
    MachineAuth,
    RequestState,
    SessionAuth,
    debug_request_state,
)
from tests.conftest import Driver

URL = "http://example.com/path"
FRONTEND_API = "clerk.local.dev"
#: A production key for the local Frontend API: the cookie path needs no dev-browser token.
PK_LIVE_LOCAL = build_publishable_key(FRONTEND_API, live=True)
SUFFIX_LIVE_LOCAL = cookie_suffix(PK_LIVE_LOCAL)
MACHINE_TYPES = ("api_key", "oauth_token", "m2m_token")
DEBUG_HEADERS = ("x-clerk-auth-status", "x-clerk-auth-reason", "x-clerk-auth-message")
NOT_FOUND = {
    "api_key": "API key not found",
    "oauth_token": "OAuth token not found",
    "m2m_token": "Machine token not found",
}
#: The state of an opaque machine token sent where a session token is expected (reference wording).
OPAQUE_AS_SESSION = (
    "Invalid JWT form. A JWT consists of three parts separated by dots. (reason=token-invalid, token-carrier=header)"
)
VERIFY_PATHS = {
    "api_key": "/api_keys/verify",
    "oauth_token": "/oauth_applications/access_tokens/verify",
    "m2m_token": "/m2m_tokens/verify",
}


# -- helpers ---------------------------------------------------------------------------------


def _request(
    headers: Mapping[str, str] | None = None,
    cookies: Mapping[str, str] | None = None,
    *,
    url: str = URL,
    method: str = "GET",
) -> ClerkRequest:
    merged: dict[str, str] = {"user-agent": "Mozilla/TestAgent"}
    if cookies:
        merged["cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    merged.update(headers or {})
    return ClerkRequest(method, url, merged)


def _bearer(token: str, **headers: str) -> ClerkRequest:
    return _request({"authorization": f"Bearer {token}", **headers})


def _client(driver: Driver, local: LocalClerk, **options: Any) -> Clerk | AsyncClerk:
    options.setdefault("secret_key", local.secret_key)
    options.setdefault("publishable_key", local.publishable_key)
    options.setdefault("environ", {})
    return driver.client(api_url=local.api_url, **options)


def _authenticate(driver: Driver, client: Clerk | AsyncClerk, request: object, **options: Any) -> RequestState:
    state = driver.call(client, "authenticate_request", request, **options)
    assert isinstance(state, RequestState)
    return state


def _resolve(driver: Driver, value: Any) -> Any:
    """``get_token()`` returns a value from Clerk and an awaitable from AsyncClerk."""
    if driver.flavor == "async":
        assert driver.loop is not None
        return driver.loop.run_until_complete(value)
    return value


def _opaque(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _machine_token(local: LocalClerk, kind: str, **fields: Any) -> str:
    """A registered opaque machine token of ``kind`` (verified by the local Backend API)."""
    token = _opaque({"api_key": "ak_", "oauth_token": "oat_", "m2m_token": "mt_"}[kind])
    local.register_machine_token(kind, token, **fields)  # type: ignore[arg-type]
    return token


def _verify_calls(local: LocalClerk) -> list[str]:
    return [r.path for r in local.requests if r.path.endswith("/verify")]


def _machine_auth(state: RequestState) -> MachineAuth:
    auth = state.to_auth()
    assert isinstance(auth, MachineAuth)
    return auth


def _session_auth(state: RequestState, **options: Any) -> SessionAuth:
    auth = state.to_auth(**options)
    assert isinstance(auth, SessionAuth)
    return auth


def _debug_headers(state: RequestState) -> dict[str, str | None]:
    return {name: state.header(name) for name in DEBUG_HEADERS}


def _assert_machine_unauthenticated(auth: MachineAuth, driver: Driver, token_type: str) -> None:
    assert auth.token_type == token_type
    assert auth.is_authenticated is False
    assert (auth.id, auth.subject, auth.scopes, auth.name, auth.claims) == (None, None, None, None, None)
    assert (auth.user_id, auth.org_id, auth.machine_id, auth.client_id) == (None, None, None, None)
    assert _resolve(driver, auth.get_token()) is None
    assert auth.has(role="org:admin") is False


def _cookie_state(driver: Driver, local: LocalClerk, cookies: Mapping[str, str], **options: Any) -> RequestState:
    client = _client(driver, local, publishable_key=options.pop("publishable_key", PK_LIVE_LOCAL))
    return _authenticate(driver, client, _request(cookies=cookies), **options)


# -- 60. each machine type: valid → authenticated, invalid → unauthenticated with the code ----


@pytest.mark.parametrize("subject_kind", ["user", "org"])
def test_s60_valid_api_key_is_authenticated(driver: Driver, local_clerk: LocalClerk, subject_kind: str) -> None:
    subject = f"{subject_kind}_2vYVtestTESTtestTESTtestTESTtest"
    token = _machine_token(
        local_clerk,
        "api_key",
        id="ak_ey966f1b1xf93586b2debdcadb0b3bd1",
        subject=subject,
        name="CI key",
        claims={"foo": "bar"},
        scopes=["read:foo", "write:bar"],
    )
    client = _client(driver, local_clerk)
    state = _authenticate(driver, client, _bearer(token), accepts_token="api_key")
    assert (state.status, state.reason, state.message, state.token_type) == ("signed-in", None, None, "api_key")
    assert state.token == token
    assert state.is_authenticated is True
    auth = _machine_auth(state)
    assert auth.is_authenticated is True
    assert (auth.id, auth.subject, auth.name) == ("ak_ey966f1b1xf93586b2debdcadb0b3bd1", subject, "CI key")
    assert auth.scopes == ["read:foo", "write:bar"]
    assert auth.claims == {"foo": "bar"}
    if subject_kind == "user":
        assert (auth.user_id, auth.org_id) == (subject, None)
    else:
        assert (auth.user_id, auth.org_id) == (None, subject)
    (call,) = [r for r in local_clerk.requests if r.path.endswith("/verify")]
    assert (call.method, call.path) == ("POST", "/api_keys/verify")
    assert json.loads(call.body) == {"secret": token}
    assert call.bearer == local_clerk.secret_key


@pytest.mark.parametrize("form", ["opaque", "jwt"])
def test_s60_valid_m2m_token_is_authenticated(driver: Driver, local_clerk: LocalClerk, form: str) -> None:
    if form == "opaque":
        token = _machine_token(
            local_clerk,
            "m2m_token",
            id="mt_ey966f1b1xf93586b2debdcadb0b3bd1",
            subject="mch_2vYVtestTESTtestTESTtestTESTtest",
            scopes=["mch_1xxxxx", "mch_2xxxxx"],
            claims={"foo": "bar"},
        )
    else:
        token = local_clerk.m2m_token(
            sub="mch_2vYVtestTESTtestTESTtestTESTtest",
            jti="mt_ey966f1b1xf93586b2debdcadb0b3bd1",
            scopes="mch_1xxxxx mch_2xxxxx",
            claims={"foo": "bar"},
        )
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token), accepts_token="m2m_token")
    assert (state.status, state.token_type, state.token) == ("signed-in", "m2m_token", token)
    auth = _machine_auth(state)
    assert auth.id == "mt_ey966f1b1xf93586b2debdcadb0b3bd1"
    assert auth.subject == auth.machine_id == "mch_2vYVtestTESTtestTESTtestTESTtest"
    assert auth.scopes == ["mch_1xxxxx", "mch_2xxxxx"]
    assert auth.claims is not None and auth.claims["foo"] == "bar"
    assert (auth.user_id, auth.org_id, auth.client_id) == (None, None, None)
    assert _verify_calls(local_clerk) == (["/m2m_tokens/verify"] if form == "opaque" else [])


@pytest.mark.parametrize("form", ["opaque", "jwt"])
def test_s60_valid_oauth_token_is_authenticated(driver: Driver, local_clerk: LocalClerk, form: str) -> None:
    if form == "opaque":
        token = _machine_token(
            local_clerk,
            "oauth_token",
            id="oat_2VTWUzvGC5UhdJCNx6xG1D98edc",
            subject="user_2vYVtestTESTtestTESTtestTESTtest",
            client_id="client_2VTWUzvGC5UhdJCNx6xG1D98edc",
            scopes=["read:foo", "write:bar"],
        )
    else:
        token = local_clerk.oauth_token(
            sub="user_2vYVtestTESTtestTESTtestTESTtest",
            client_id="client_2VTWUzvGC5UhdJCNx6xG1D98edc",
            jti="oat_2VTWUzvGC5UhdJCNx6xG1D98edc",
            scope="read:foo write:bar",
        )
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token), accepts_token="oauth_token")
    assert (state.status, state.token_type, state.token) == ("signed-in", "oauth_token", token)
    auth = _machine_auth(state)
    assert auth.id == "oat_2VTWUzvGC5UhdJCNx6xG1D98edc"
    assert auth.subject == auth.user_id == "user_2vYVtestTESTtestTESTtestTESTtest"
    assert auth.client_id == "client_2VTWUzvGC5UhdJCNx6xG1D98edc"
    assert auth.scopes == ["read:foo", "write:bar"]
    assert (auth.org_id, auth.machine_id) == (None, None)
    assert _verify_calls(local_clerk) == (["/oauth_applications/access_tokens/verify"] if form == "opaque" else [])


@pytest.mark.parametrize("kind", MACHINE_TYPES)
def test_s60_unknown_machine_token_is_unauthenticated_token_invalid(
    driver: Driver, local_clerk: LocalClerk, kind: str
) -> None:
    token = _opaque({"api_key": "ak_", "oauth_token": "oat_", "m2m_token": "mt_"}[kind])  # never registered
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token), accepts_token=kind)
    assert (state.status, state.reason, state.token_type) == ("signed-out", "token-invalid", kind)
    assert state.token is None and state.is_authenticated is False
    assert _verify_calls(local_clerk) == [VERIFY_PATHS[kind]]
    _assert_machine_unauthenticated(_machine_auth(state), driver, kind)


@pytest.mark.parametrize("kind", MACHINE_TYPES)
def test_s60_unauthenticated_machine_message_is_the_full_error_message(
    driver: Driver, local_clerk: LocalClerk, kind: str
) -> None:
    # request.ts::handleMachineError: message = err.getFullMessage(), as in request.test.ts
    # (`${errorMessage} (code=token-invalid, status=404)`), also sent as x-clerk-auth-message.
    token = _opaque({"api_key": "ak_", "oauth_token": "oat_", "m2m_token": "mt_"}[kind])
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token), accepts_token=kind)
    expected = f"{NOT_FOUND[kind]} (code=token-invalid, status=404)"
    assert state.message == expected
    assert state.header("x-clerk-auth-message") == expected


@pytest.mark.parametrize("kind", MACHINE_TYPES)
@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [("unauthorized", 401, "secret-key-invalid"), ("status", 500, "unexpected-error")],
)
def test_s60_backend_errors_map_to_machine_error_codes(
    driver: Driver, local_clerk: LocalClerk, kind: str, fault: str, status: int, code: str
) -> None:
    token = _machine_token(local_clerk, kind)
    client = _client(driver, local_clerk, max_retries=0)
    local_clerk.set_fault(fault, status=status)  # type: ignore[arg-type]
    try:
        state = _authenticate(driver, client, _bearer(token), accepts_token=kind)
    finally:
        local_clerk.clear_faults()
    assert (state.status, state.reason, state.token_type) == ("signed-out", code, kind)
    assert state.header("x-clerk-auth-reason") == code
    _assert_machine_unauthenticated(_machine_auth(state), driver, kind)


@pytest.mark.parametrize("kind", ["m2m_token", "oauth_token"])
def test_s60_expired_machine_jwt_is_unauthenticated_token_verification_failed(
    driver: Driver, local_clerk: LocalClerk, kind: str
) -> None:
    old = time.time() - 3600
    token = local_clerk.m2m_token(now=old) if kind == "m2m_token" else local_clerk.oauth_token(now=old)
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token), accepts_token=kind)
    assert (state.status, state.reason, state.token_type) == ("signed-out", "token-verification-failed", kind)
    _assert_machine_unauthenticated(_machine_auth(state), driver, kind)


# -- 61. m2m_token and the machine secret key -------------------------------------------------


@pytest.mark.parametrize("where", ["client", "per-call"])
def test_s61_m2m_token_verified_with_the_machine_secret_key(
    driver: Driver, local_clerk: LocalClerk, where: str
) -> None:
    token = _machine_token(local_clerk, "m2m_token", subject="mch_machine")
    machine_key = local_clerk.machine_secret_key
    if where == "client":
        # No instance secret key and no publishable key: neither is needed for m2m_token.
        client = _client(driver, local_clerk, secret_key=None, publishable_key=None, machine_secret_key=machine_key)
        state = _authenticate(driver, client, _bearer(token), accepts_token="m2m_token")
    else:
        client = _client(driver, local_clerk)
        state = _authenticate(driver, client, _bearer(token), accepts_token="m2m_token", machine_secret_key=machine_key)
    assert (state.status, state.token_type) == ("signed-in", "m2m_token")
    assert _machine_auth(state).machine_id == "mch_machine"
    (call,) = [r for r in local_clerk.requests if r.path.endswith("/verify")]
    assert call.path == "/m2m_tokens/verify"
    assert call.bearer == machine_key  # preferred over the instance secret key


def test_s61_m2m_token_without_any_secret_key_raises_configuration_error(
    driver: Driver, local_clerk: LocalClerk
) -> None:
    token = _machine_token(local_clerk, "m2m_token")
    client = _client(driver, local_clerk, secret_key=None, publishable_key=None)
    with pytest.raises(ConfigurationError, match=r"(?i)machine secret key"):
        _authenticate(driver, client, _bearer(token), accepts_token="m2m_token")
    assert local_clerk.requests == []


# -- 62. "any" accepts every machine type and session tokens ----------------------------------


@pytest.mark.parametrize("kind", MACHINE_TYPES)
def test_s62_any_accepts_each_machine_type(driver: Driver, local_clerk: LocalClerk, kind: str) -> None:
    token = _machine_token(local_clerk, kind, subject="user_any" if kind != "m2m_token" else "mch_any")
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token), accepts_token="any")
    assert (state.status, state.token_type, state.token) == ("signed-in", kind, token)
    auth = _machine_auth(state)
    assert auth.token_type == kind and auth.is_authenticated


def test_s62_any_accepts_machine_jwts(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk, accepts_token="any")
    m2m = _authenticate(driver, client, _bearer(local_clerk.m2m_token(sub="mch_jwt")))
    oauth = _authenticate(driver, client, _bearer(local_clerk.oauth_token(sub="user_jwt")))
    assert (m2m.status, m2m.token_type, _machine_auth(m2m).machine_id) == ("signed-in", "m2m_token", "mch_jwt")
    assert (oauth.status, oauth.token_type, _machine_auth(oauth).user_id) == ("signed-in", "oauth_token", "user_jwt")


def test_s62_any_accepts_session_tokens_in_header_and_cookie(driver: Driver, local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token(sub="user_any", sid="sess_any")
    client = _client(driver, local_clerk, publishable_key=PK_LIVE_LOCAL)
    header = _authenticate(driver, client, _bearer(token), accepts_token="any")
    assert (header.status, header.token_type, header.token) == ("signed-in", "session_token", token)
    assert _session_auth(header).user_id == "user_any"
    cookie = _authenticate(
        driver,
        client,
        _request(cookies={"__session": token, "__client_uat": str(int(time.time()) - 60)}),
        accepts_token="any",
    )
    assert (cookie.status, cookie.token_type, cookie.token) == ("signed-in", "session_token", token)
    assert _session_auth(cookie).session_id == "sess_any"


# -- 63. type mismatches ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "accepts"),
    [
        ("api_key", "oauth_token"),
        ("oauth_token", "m2m_token"),
        ("m2m_token", "api_key"),
        ("session_token", "m2m_token"),
        ("session_token", "api_key"),
        ("oauth_jwt", "m2m_token"),
        ("m2m_jwt", "oauth_token"),
    ],
)
def test_s63_machine_type_mismatch_is_unauthenticated_for_the_requested_type(
    driver: Driver, local_clerk: LocalClerk, given: str, accepts: str
) -> None:
    if given == "session_token":
        token = local_clerk.session_token()
    elif given == "oauth_jwt":
        token = local_clerk.oauth_token()
    elif given == "m2m_jwt":
        token = local_clerk.m2m_token()
    else:
        token = _machine_token(local_clerk, given)
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token), accepts_token=accepts)
    assert (state.status, state.reason, state.message) == ("signed-out", "token-type-mismatch", "")
    assert (state.token_type, state.token) == (accepts, None)
    assert _debug_headers(state) == {
        "x-clerk-auth-status": "signed-out",
        "x-clerk-auth-reason": "token-type-mismatch",
        "x-clerk-auth-message": None,
    }
    _assert_machine_unauthenticated(_machine_auth(state), driver, accepts)
    assert local_clerk.requests == []  # rejected before any verification call


@pytest.mark.parametrize("given", ["api_key", "oauth_token", "m2m_token", "oauth_jwt", "m2m_jwt"])
def test_s63_machine_token_where_session_token_expected_is_signed_out(
    driver: Driver, local_clerk: LocalClerk, given: str
) -> None:
    if given == "oauth_jwt":
        token = local_clerk.oauth_token()
    elif given == "m2m_jwt":
        token = local_clerk.m2m_token()
    else:
        token = _machine_token(local_clerk, given)
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token), accepts_token="session_token")
    if given.endswith("_jwt"):
        # A machine JWT is recognised as such: a type mismatch.
        assert (state.status, state.reason, state.message) == ("signed-out", "token-type-mismatch", "")
    else:
        # An opaque machine token is judged as a session JWT that does not decode, as the reference does.
        assert (state.status, state.reason, state.message) == ("signed-out", "token-invalid", OPAQUE_AS_SESSION)
    assert state.token_type == "session_token"
    auth = _session_auth(state)
    assert auth.is_authenticated is False
    assert (auth.user_id, auth.session_id, auth.org_id, auth.session_claims) == (None, None, None, None)
    assert local_clerk.requests == []


# -- 64. arrays of accepted types ---------------------------------------------------------------


def test_s64_machine_token_in_the_array_is_verified(driver: Driver, local_clerk: LocalClerk) -> None:
    token = _machine_token(local_clerk, "api_key", subject="user_arr")
    state = _authenticate(
        driver, _client(driver, local_clerk), _bearer(token), accepts_token=["api_key", "oauth_token"]
    )
    assert (state.status, state.token_type) == ("signed-in", "api_key")
    assert _machine_auth(state).user_id == "user_arr"


def test_s64_session_token_in_header_with_session_token_in_the_array(driver: Driver, local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token(sub="user_arr", sid="sess_arr")
    state = _authenticate(
        driver, _client(driver, local_clerk), _bearer(token), accepts_token=["session_token", "api_key"]
    )
    assert (state.status, state.token_type, state.token) == ("signed-in", "session_token", token)
    auth = _session_auth(state)
    assert (auth.user_id, auth.session_id) == ("user_arr", "sess_arr")


def test_s64_session_token_in_cookie_with_session_token_in_the_array(driver: Driver, local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token(sub="user_cookie")
    cookies = {"__session": token, "__client_uat": str(int(time.time()) - 60)}
    state = _cookie_state(driver, local_clerk, cookies, accepts_token=["session_token", "api_key"])
    assert state.token_type is not None
    assert state.reason != "token-type-mismatch"
    assert (state.status, state.token_type) == ("signed-in", "session_token")
    assert _session_auth(state).user_id == "user_cookie"


def test_s64_machine_token_with_a_mixed_array(driver: Driver, local_clerk: LocalClerk) -> None:
    token = _machine_token(local_clerk, "m2m_token", subject="mch_mixed")
    state = _authenticate(
        driver, _client(driver, local_clerk), _bearer(token), accepts_token=["session_token", "m2m_token"]
    )
    assert (state.status, state.token_type) == ("signed-in", "m2m_token")
    assert _machine_auth(state).machine_id == "mch_mixed"


@pytest.mark.parametrize("given", ["m2m_token", "session_token", "none"])
def test_s64_type_not_in_the_array_is_an_invalid_token(driver: Driver, local_clerk: LocalClerk, given: str) -> None:
    accepts = ["api_key", "m2m_token"] if given == "none" else ["api_key", "oauth_token"]
    if given == "none":  # a signed-in browser, but the route takes machine tokens only
        session = local_clerk.session_token()
        request = _request(cookies={"__session": session, "__client_uat": str(int(time.time()) - 60)})
    elif given == "session_token":
        request = _bearer(local_clerk.session_token())
    else:
        request = _bearer(_machine_token(local_clerk, "m2m_token"))
    state = _authenticate(driver, _client(driver, local_clerk), request, accepts_token=accepts)
    assert (state.status, state.reason, state.message) == ("signed-out", "token-type-mismatch", "")
    assert (state.token_type, state.token, state.is_authenticated) == (None, None, False)
    assert state.header("x-clerk-auth-reason") == "token-type-mismatch"
    auth = state.to_auth()
    assert isinstance(auth, InvalidTokenAuth)
    assert (auth.token_type, auth.is_authenticated) == (None, False)
    assert _resolve(driver, auth.get_token()) is None
    assert auth.has(role="org:admin") is False
    assert auth.debug() == {}
    assert local_clerk.requests == []


def test_s64_invalid_token_state_carries_no_instance_context(driver: Driver, local_clerk: LocalClerk) -> None:
    # authStatus.ts::signedOutInvalidToken: publishableKey, proxyUrl, domain and every URL are ''.
    client = _client(
        driver,
        local_clerk,
        sign_in_url="https://accounts.example.com/sign-in",
        sign_up_url="https://accounts.example.com/sign-up",
        proxy_url="https://proxy.example.com/__clerk",
    )
    state = _authenticate(driver, client, _bearer(local_clerk.session_token()), accepts_token=["api_key"])
    assert state.reason == "token-type-mismatch" and state.token_type is None
    assert (state.publishable_key, state.proxy_url, state.domain, state.is_satellite) == ("", "", "", False)
    assert (state.sign_in_url, state.sign_up_url, state.after_sign_in_url, state.after_sign_up_url) == ("", "", "", "")


# -- 65. machine tokens are never read from cookies ---------------------------------------------


@pytest.mark.parametrize("kind", MACHINE_TYPES)
def test_s65_machine_token_in_cookie_is_unauthenticated(driver: Driver, local_clerk: LocalClerk, kind: str) -> None:
    token = _machine_token(local_clerk, kind)
    state = _authenticate(
        driver, _client(driver, local_clerk), _request(cookies={"__session": token}), accepts_token=kind
    )
    assert (state.status, state.reason, state.token_type, state.token) == (
        "signed-out",
        "No token in header",
        kind,
        None,
    )
    assert state.message == ""
    _assert_machine_unauthenticated(_machine_auth(state), driver, kind)
    assert local_clerk.requests == []


# -- 66. the default accepted type is session_token ---------------------------------------------


def test_s66_default_accepts_token_is_session_token(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    session = _authenticate(driver, client, _bearer(local_clerk.session_token(sub="user_default")))
    assert (session.status, session.token_type) == ("signed-in", "session_token")
    assert _session_auth(session).user_id == "user_default"
    api_key = _authenticate(driver, client, _bearer(_machine_token(local_clerk, "api_key")))
    assert (api_key.status, api_key.reason, api_key.message, api_key.token_type) == (
        "signed-out",
        "token-invalid",
        OPAQUE_AS_SESSION,
        "session_token",
    )
    m2m_jwt = _authenticate(driver, client, _bearer(local_clerk.m2m_token()))
    assert (m2m_jwt.status, m2m_jwt.reason, m2m_jwt.token_type) == (
        "signed-out",
        "token-type-mismatch",
        "session_token",
    )
    assert _verify_calls(local_clerk) == []
    # Even when the JWKS cannot be used, the state is a session-token state.
    broken = _client(driver, local_clerk)
    local_clerk.set_fault("empty_keys")
    try:
        failed = _authenticate(driver, broken, _bearer(local_clerk.session_token()))
    finally:
        local_clerk.clear_faults()
    assert (failed.status, failed.token_type) == ("signed-out", "session_token")


# -- 74. suffixed vs un-suffixed cookies, end to end --------------------------------------------


@pytest.mark.parametrize(
    "case",
    ["unsuffixed-only", "both-valid", "clerkjs-downgrade", "other-app-on-same-site", "suffixed-uat-signed-out"],
)
def test_s74_suffixed_cookie_selection(driver: Driver, local_clerk: LocalClerk, case: str) -> None:
    now = int(time.time())
    uat = str(now - 120)
    plain = local_clerk.session_token(sub="user_plain", sid="sess_plain", iss=f"https://{FRONTEND_API}", now=now - 30)
    suffixed = local_clerk.session_token(sub="user_sfx", sid="sess_sfx", iss=f"https://{FRONTEND_API}", now=now - 30)
    sfx = SUFFIX_LIVE_LOCAL
    cookies: dict[str, str]
    if case == "unsuffixed-only":
        cookies, expected = {"__session": plain, "__client_uat": uat}, "user_plain"
    elif case == "both-valid":
        cookies = {"__session": plain, "__client_uat": uat, f"__session_{sfx}": suffixed, f"__client_uat_{sfx}": uat}
        expected = "user_sfx"
    elif case == "clerkjs-downgrade":  # the un-suffixed session is newer: an old ClerkJS wrote it
        plain = local_clerk.session_token(sub="user_plain", iss=f"https://{FRONTEND_API}", now=now)
        cookies = {"__session": plain, "__client_uat": uat, f"__session_{sfx}": suffixed, f"__client_uat_{sfx}": uat}
        expected = "user_plain"
    elif case == "other-app-on-same-site":  # the un-suffixed cookie belongs to another instance
        plain = local_clerk.session_token(sub="user_plain", iss="https://clerk.other-app.example")
        cookies = {"__session": plain, "__client_uat": uat, f"__session_{sfx}": suffixed, f"__client_uat_{sfx}": uat}
        expected = "user_sfx"
    else:  # suffixed __client_uat says signed out, un-suffixed says signed in
        cookies = {"__session": plain, "__client_uat": uat, f"__client_uat_{sfx}": "0"}
        expected = "user_plain"
    state = _cookie_state(driver, local_clerk, cookies)
    assert (state.status, state.reason) == ("signed-in", None)
    assert _session_auth(state).user_id == expected
    assert state.token == (plain if expected == "user_plain" else suffixed)


def test_s74_suffixed_session_with_signed_out_suffixed_uat_reads_suffixed(
    driver: Driver, local_clerk: LocalClerk
) -> None:
    # prod: __client_uat and the suffixed one both "0", both sessions present → suffixed set,
    # whose client_uat 0 with a session asks for a handshake (signed out on a non-document request).
    sfx = SUFFIX_LIVE_LOCAL
    plain = local_clerk.session_token(sub="user_plain")
    suffixed = local_clerk.session_token(sub="user_sfx")
    cookies = {"__session": plain, "__client_uat": "0", f"__session_{sfx}": suffixed, f"__client_uat_{sfx}": "0"}
    state = _cookie_state(driver, local_clerk, cookies)
    assert (state.status, state.reason) == ("signed-out", "session-token-but-no-client-uat")


# -- 75. proxy URL resolution ---------------------------------------------------------------------


FORWARDED = {"x-forwarded-proto": "https", "x-forwarded-host": "myapp.example.com"}


@pytest.mark.parametrize(
    ("proxy_url", "headers", "expected"),
    [
        ("/__clerk", FORWARDED, "https://myapp.example.com/__clerk"),
        ("/__clerk", {}, "http://localhost:3000/__clerk"),
        ("https://custom.proxy.com/__clerk", FORWARDED, "https://custom.proxy.com/__clerk"),
    ],
)
def test_s75_relative_proxy_url_resolved_against_forwarded_origin(
    driver: Driver, local_clerk: LocalClerk, proxy_url: str, headers: dict[str, str], expected: str
) -> None:
    url = "http://localhost:3000/path"
    client = _client(driver, local_clerk, proxy_url=proxy_url)
    # Development key, document navigation, no dev-browser token → handshake via the proxy.
    request = _request({**headers, "sec-fetch-dest": "document"}, url=url)
    state = _authenticate(driver, client, request)
    assert (state.status, state.reason) == ("handshake", "dev-browser-missing")
    assert state.proxy_url == expected
    location = state.header("location")
    assert location is not None and location.startswith(f"{expected}/v1/client/handshake?")
    # Per-call proxy_url too, on a signed-out production state.
    prod = _client(driver, local_clerk, publishable_key=PK_LIVE_LOCAL)
    signed_out = _authenticate(driver, prod, _request(headers, url=url), proxy_url=proxy_url)
    assert (signed_out.status, signed_out.proxy_url) == ("signed-out", expected)
    assert debug_request_state(signed_out)["proxy_url"] == expected


VERCEL = {"VERCEL_TARGET_ENV": "production", "VERCEL_PROJECT_PRODUCTION_URL": "myapp-abc123.vercel.app"}


@pytest.mark.parametrize(
    ("case", "environ", "options", "expected"),
    [
        ("vercel-production", VERCEL, {}, "https://myapp-abc123.vercel.app/__clerk"),
        ("development-key", VERCEL, {"publishable_key": build_publishable_key(FRONTEND_API)}, ""),
        ("no-vercel-env", {}, {}, ""),
        ("disabled", {**VERCEL, "CLERK_DISABLE_AUTO_PROXY": "true"}, {}, ""),
        ("explicit-proxy", VERCEL, {"proxy_url": "https://custom-proxy.example.com/__clerk"}, None),
        ("explicit-domain", VERCEL, {"domain": "clerk.myapp.com"}, ""),
    ],
)
def test_s75_auto_proxy_on_vercel_production(
    driver: Driver,
    local_clerk: LocalClerk,
    case: str,
    environ: dict[str, str],
    options: dict[str, str],
    expected: str | None,
) -> None:
    options = {"publishable_key": PK_LIVE_LOCAL, **options}
    client = _client(driver, local_clerk, environ=environ, **options)
    state = _authenticate(driver, client, _request(url="https://myapp-abc123.vercel.app/dashboard"))
    assert state.status == "signed-out"
    assert state.proxy_url == (options["proxy_url"] if expected is None else expected)


# -- 76. cookie suffix vectors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("publishable_key", "suffix"),
    [
        ("pk_live_Y2xlcmsuY2xlcmsuZGV2JA", "1Z8AzTQD"),
        ("pk_test_Y2xlcmsuY2xlcmsuZGV2JA", "QvfNY2dr"),
        ("pk_test_ZW5vdWdoLWFscGFjYS04Mi5jbGVyay5hY2NvdW50cy5sY2xjbGVyay5jb20k", "jtYvyt_H"),
        ("pk_test_eHh4eHh4LXhhYWFhYS1hYS5jbGVyay5hY2NvdW50cy5sY2xjbGVyay5jb20k", "tZJdb-5s"),
    ],
)
def test_s76_cookie_suffix_vectors(publishable_key: str, suffix: str) -> None:
    assert cookie_suffix(publishable_key) == suffix
    assert local_cookie_suffix(publishable_key) == suffix
    assert len(suffix) == 8 and all(c.isalnum() or c in "-_" for c in suffix)


@pytest.mark.parametrize(
    ("publishable_key", "suffix"),
    [("pk_live_Y2xlcmsuY2xlcmsuZGV2JA", "1Z8AzTQD"), ("pk_test_Y2xlcmsuY2xlcmsuZGV2JA", "QvfNY2dr")],
)
def test_s76_authenticate_request_reads_cookies_with_the_suffix(
    driver: Driver, local_clerk: LocalClerk, publishable_key: str, suffix: str
) -> None:
    token = local_clerk.session_token(sub="user_suffix")
    uat = str(int(time.time()) - 60)
    cookies = {f"__session_{suffix}": token, f"__client_uat_{suffix}": uat, f"__clerk_db_jwt_{suffix}": "dvb_test"}
    state = _cookie_state(driver, local_clerk, cookies, publishable_key=publishable_key)
    assert (state.status, state.token) == ("signed-in", token)
    assert _session_auth(state).user_id == "user_suffix"
    wrong = {f"__session_{'A' * 8}": token, f"__client_uat_{'A' * 8}": uat, "__clerk_db_jwt": "dvb_test"}
    missed = _cookie_state(driver, local_clerk, wrong, publishable_key=publishable_key)
    assert (missed.status, missed.reason) == ("signed-out", "session-token-and-uat-missing")


# -- 77. ClerkRequest behaviour as authenticate_request sees it ----------------------------------


def test_s77_cookie_parsing_survives_headers_simple_cookie_rejects(driver: Driver, local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token(sub="user_cookie")
    uat = str(int(time.time()) - 60)
    # http.cookies.SimpleCookie gives up on the whole header at `theme=dark mode` and `legacy="…`.
    header = f'theme=dark mode; legacy="unterminated; __session={token}; __client_uat={uat}'
    client = _client(driver, local_clerk, publishable_key=PK_LIVE_LOCAL)
    state = _authenticate(driver, client, _request({"cookie": header}))
    assert (state.status, state.token) == ("signed-in", token)
    assert _session_auth(state).user_id == "user_cookie"


def test_s77_cookie_parsing_first_value_wins_and_encoded_delimiters_are_data(
    driver: Driver, local_clerk: LocalClerk
) -> None:
    first = local_clerk.session_token(sub="user_first")
    second = local_clerk.session_token(sub="user_second")
    uat = str(int(time.time()) - 60)
    client = _client(driver, local_clerk, publishable_key=PK_LIVE_LOCAL)
    dup = _authenticate(
        driver, client, _request({"cookie": f"__session={first}; __client_uat={uat}; __session={second}"})
    )
    assert (dup.status, _session_auth(dup).user_id) == ("signed-in", "user_first")
    # An encoded ";" does not start a new cookie: no __session is forged out of another value.
    forged = _authenticate(
        driver, client, _request({"cookie": f"note=x%3B%20__session%3D{second}; __client_uat={uat}"})
    )
    assert (forged.status, forged.reason) == ("signed-out", "client-uat-but-no-session-token")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "http://localhost:3000/path?foo=bar"),
        ({"x-forwarded-host": "example.com"}, "http://example.com/path?foo=bar"),
        (
            {"x-forwarded-host": "example.com,example-2.com", "x-forwarded-proto": "https,http"},
            "https://example.com/path?foo=bar",
        ),
        (
            {"x-forwarded-host": "example.com", "x-forwarded-proto": "https", "host": "example-host.com"},
            "https://example.com/path?foo=bar",
        ),
        ({"host": "example-host.com"}, "http://example-host.com/path?foo=bar"),
        ({"host": "example.com", "cloudfront-forwarded-proto": "https"}, "https://example.com/path?foo=bar"),
    ],
)
def test_s77_clerk_url_from_forwarded_host_and_proto(
    driver: Driver, local_clerk: LocalClerk, headers: dict[str, str], expected: str
) -> None:
    # The handshake redirect_url is the URL the browser used, as seen through proxies.
    client = _client(driver, local_clerk)
    request = _request({**headers, "sec-fetch-dest": "document"}, url="http://localhost:3000/path?foo=bar")
    state = _authenticate(driver, client, request)
    assert (state.status, state.reason) == ("handshake", "dev-browser-missing")
    location = state.header("location")
    assert location is not None
    query = parse_qs(urlsplit(location).query)
    assert query["redirect_url"] == [expected]


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNzd29yZA==", "bearer {token}", "Token {token}", "{garbage}"],
)
def test_s77_authorization_header_without_bearer_scheme_does_not_throw(
    driver: Driver, local_clerk: LocalClerk, authorization: str
) -> None:
    value = authorization.format(token=local_clerk.session_token(), garbage="not-a-jwt")
    client = _client(driver, local_clerk, publishable_key=PK_LIVE_LOCAL)
    state = _authenticate(driver, client, _request({"authorization": value}))
    assert state.status == "signed-out"
    if " " in value:  # another scheme: no header token, so the (empty) cookie path decides
        assert state.reason == "session-token-and-uat-missing"
    else:  # a lone value is taken whole as the header token
        assert state.reason == "token-invalid"


def test_s77_authorization_header_without_scheme_is_the_token(driver: Driver, local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token(sub="user_raw")
    client = _client(driver, local_clerk, publishable_key=PK_LIVE_LOCAL)
    state = _authenticate(driver, client, _request({"authorization": token}))
    assert (state.status, state.token) == ("signed-in", token)
    assert _session_auth(state).user_id == "user_raw"


def test_s77_framework_request_shapes(driver: Driver, local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token(sub="user_shapes")
    client = _client(driver, local_clerk)
    asgi = {
        "type": "http",
        "method": "GET",
        "scheme": "https",
        "path": "/path",
        "raw_path": b"/path",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"example.com"), (b"authorization", f"Bearer {token}".encode())],
        "server": ("127.0.0.1", 8000),
    }
    wsgi = {
        "REQUEST_METHOD": "GET",
        "wsgi.url_scheme": "https",
        "SERVER_NAME": "example.com",
        "SERVER_PORT": "443",
        "PATH_INFO": "/path",
        "QUERY_STRING": "",
        "HTTP_HOST": "example.com",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
    }

    class FrameworkRequest:
        method = "GET"
        url = "https://example.com/path"
        headers: Mapping[str, str] = {"Authorization": f"Bearer {token}"}

    for request in (asgi, wsgi, FrameworkRequest()):
        state = _authenticate(driver, client, request)
        assert (state.status, state.token) == ("signed-in", token), type(request)
        assert _session_auth(state).user_id == "user_shapes"


# -- 78. request states and their debug headers -------------------------------------------------


def test_s78_signed_in_state_has_no_debug_headers(driver: Driver, local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token()
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token))
    assert (state.status, state.reason, state.message, state.token) == ("signed-in", None, None, token)
    assert state.is_authenticated is True and state.is_signed_in is True
    assert _debug_headers(state) == dict.fromkeys(DEBUG_HEADERS)
    machine = _authenticate(
        driver, _client(driver, local_clerk), _bearer(_machine_token(local_clerk, "api_key")), accepts_token="api_key"
    )
    assert machine.status == "signed-in"
    assert _debug_headers(machine) == dict.fromkeys(DEBUG_HEADERS)


def test_s78_signed_out_state_has_debug_headers(driver: Driver, local_clerk: LocalClerk) -> None:
    expired = local_clerk.session_token(now=time.time() - 3600)
    client = _client(driver, local_clerk, publishable_key=PK_LIVE_LOCAL)
    state = _authenticate(driver, client, _bearer(expired))  # not a document request: no handshake
    assert state.status == "signed-out"
    assert state.reason == "session-token-expired-refresh-non-eligible-no-refresh-cookie"
    assert state.message and state.message.startswith("JWT is expired")
    assert state.token is None and state.is_authenticated is False and state.is_signed_in is False
    assert _debug_headers(state) == {
        "x-clerk-auth-status": "signed-out",
        "x-clerk-auth-reason": state.reason,
        "x-clerk-auth-message": state.message,
    }
    auth = _session_auth(state)
    assert auth.is_authenticated is False
    assert _resolve(driver, auth.get_token()) is None
    assert auth.has(role="org:admin") is False


def test_s78_handshake_state_has_debug_headers_and_no_auth_object(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)  # development key, no dev-browser token
    state = _authenticate(driver, client, _request({"sec-fetch-dest": "document"}))
    assert (state.status, state.reason, state.token) == ("handshake", "dev-browser-missing", None)
    assert state.is_authenticated is False
    assert state.header("x-clerk-auth-status") == "handshake"
    assert state.header("x-clerk-auth-reason") == "dev-browser-missing"
    assert state.header("x-clerk-auth-message") is None  # empty message: no header
    location = state.header("location")
    assert location is not None and location.startswith(f"https://{FRONTEND_API}/v1/client/handshake?")
    assert state.header("cache-control") == "no-store"
    assert any(v.startswith("__clerk_redirect_count=1") for v in state.header_values("set-cookie"))
    assert state.to_auth() is None


def test_s78_unicode_messages_do_not_break_headers(driver: Driver, local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token(azp="https://\u2603-evil.example/\ufffd")
    client = _client(driver, local_clerk, authorized_parties=["http://localhost:3000"])
    state = _authenticate(driver, client, _bearer(token))
    assert (state.status, state.reason) == ("signed-out", "token-invalid-authorized-parties")
    assert state.message is not None and "\u2603" in state.message  # the message keeps the text
    assert state.header("x-clerk-auth-status") == "signed-out"
    assert state.header("x-clerk-auth-reason") == "token-invalid-authorized-parties"
    assert state.header("x-clerk-auth-message") is None  # not a header value: dropped, not raised
    for name, value in state.headers:
        name.encode("latin-1")
        value.encode("latin-1")


def test_s78_debug_request_state_keys(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk, publishable_key=PK_LIVE_LOCAL, domain="example.com")
    token = local_clerk.session_token()
    signed_in = _authenticate(driver, client, _bearer(token))
    signed_out = _authenticate(driver, client, _request())
    keys = {
        "is_signed_in",
        "is_authenticated",
        "proxy_url",
        "reason",
        "message",
        "publishable_key",
        "is_satellite",
        "domain",
    }
    for state in (signed_in, signed_out):
        debug = debug_request_state(state)
        assert set(debug) == keys
        assert token not in repr(debug)
    assert debug_request_state(signed_out) == {
        "is_signed_in": False,
        "is_authenticated": False,
        "proxy_url": "",
        "reason": "session-token-and-uat-missing",
        "message": "",
        "publishable_key": PK_LIVE_LOCAL,
        "is_satellite": False,
        "domain": "example.com",
    }
    assert debug_request_state(signed_in)["is_signed_in"] is True
    assert debug_request_state(signed_in)["reason"] is None


# -- 79. get_token, templates and debug() ------------------------------------------------------


def test_s79_get_token_returns_the_raw_token(driver: Driver, local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token()
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token))
    auth = _session_auth(state)
    assert _resolve(driver, auth.get_token()) == token
    assert [r for r in local_clerk.requests if "/sessions/" in r.path] == []


@pytest.mark.parametrize("expires_in_seconds", [None, 120])
def test_s79_get_token_with_template_calls_the_backend_api(
    driver: Driver, local_clerk: LocalClerk, expires_in_seconds: int | None
) -> None:
    session = local_clerk.create_session(user_id="user_tpl")
    local_clerk.register_jwt_template("integration", claims={"aud": "partner"}, lifetime=300)
    token = local_clerk.session_token(sub=session.user_id, sid=session.session_id)
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token))
    auth = _session_auth(state)
    if expires_in_seconds is None:
        jwt = _resolve(driver, auth.get_token(template="integration"))
    else:
        jwt = _resolve(driver, auth.get_token(template="integration", expires_in_seconds=expires_in_seconds))
    assert isinstance(jwt, str) and jwt != token
    (call,) = [r for r in local_clerk.requests if "/sessions/" in r.path]
    assert (call.method, call.path) == ("POST", f"/v1/sessions/{session.session_id}/tokens/integration")
    assert call.bearer == local_clerk.secret_key
    body = json.loads(call.body) if call.body.strip() else {}
    assert body == ({} if expires_in_seconds is None else {"expires_in_seconds": expires_in_seconds})
    payload = decode_jwt(jwt).payload
    assert (payload["template"], payload["sub"], payload["sid"], payload["aud"]) == (
        "integration",
        "user_tpl",
        session.session_id,
        "partner",
    )
    assert payload["exp"] - payload["iat"] == (300 if expires_in_seconds is None else expires_in_seconds)


def test_s79_get_token_with_expires_in_seconds_only_mints_a_session_token(
    driver: Driver, local_clerk: LocalClerk
) -> None:
    # authObjects.ts::createGetToken fetches when `template || expiresInSeconds !== undefined`:
    # POST /v1/sessions/{sid}/tokens with {"expires_in_seconds": n}.
    session = local_clerk.create_session(user_id="user_exp")
    token = local_clerk.session_token(sub=session.user_id, sid=session.session_id)
    auth = _session_auth(_authenticate(driver, _client(driver, local_clerk), _bearer(token)))
    jwt = _resolve(driver, auth.get_token(expires_in_seconds=90))
    calls = [r for r in local_clerk.requests if "/sessions/" in r.path]
    assert [(r.method, r.path) for r in calls] == [("POST", f"/v1/sessions/{session.session_id}/tokens")]
    assert json.loads(calls[0].body) == {"expires_in_seconds": 90}
    payload = decode_jwt(jwt).payload
    assert payload["exp"] - payload["iat"] == 90


def test_s79_debug_output_never_contains_the_full_token(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    session_token = local_clerk.session_token()
    machine_token = _machine_token(local_clerk, "api_key")
    jwt_m2m = local_clerk.m2m_token()
    states = [
        _authenticate(driver, client, _bearer(session_token)),
        _authenticate(driver, client, _bearer(machine_token), accepts_token="api_key"),
        _authenticate(driver, client, _bearer(jwt_m2m), accepts_token="m2m_token"),
        _authenticate(driver, client, _bearer(session_token), accepts_token="api_key"),
    ]
    for state in states:
        auth = state.to_auth()
        assert auth is not None
        shown = repr(auth.debug()) + repr(auth) + repr(state) + repr(debug_request_state(state))
        for secret in (session_token, machine_token, jwt_m2m, local_clerk.secret_key):
            assert secret not in shown
    assert states[0].status == "signed-in" and states[1].status == "signed-in" and states[2].status == "signed-in"


# -- 80. has() through real v1 and v2 session tokens --------------------------------------------


def _has_auth(driver: Driver, local: LocalClerk, **mint: Any) -> SessionAuth:
    token = local.session_token(**mint)
    state = _authenticate(driver, _client(driver, local), _bearer(token))
    assert state.status == "signed-in", state.reason
    return _session_auth(state)


def test_s80_has_with_v1_org_claims(driver: Driver, local_clerk: LocalClerk) -> None:
    org = {"id": "org_1", "slug": "acme", "role": "org:admin", "permissions": ["org:f1:read", "org:f2:manage"]}
    auth = _has_auth(driver, local_clerk, org=org)
    assert (auth.org_id, auth.org_slug, auth.org_role) == ("org_1", "acme", "org:admin")
    assert auth.org_permissions == ["org:f1:read", "org:f2:manage"]
    assert auth.has(role="org:admin") is True
    assert auth.has(role="admin") is True
    assert auth.has(role="org:member") is False
    assert auth.has(permission="org:f1:read") is True
    assert auth.has(permission="org:f1") is False
    assert auth.has(permission="org:f2:manage") is True
    assert auth.has(permission="org:f2") is False
    assert auth.has(feature="org:reservations") is False
    assert auth.has(feature="org:impersonation") is False


def test_s80_has_with_v1_legacy_unprefixed_role(driver: Driver, local_clerk: LocalClerk) -> None:
    auth = _has_auth(driver, local_clerk, org={"id": "org_1", "slug": "acme", "role": "admin", "permissions": []})
    assert auth.has(role="admin") is True
    assert auth.has(role="org:admin") is True
    assert auth.has(role="basic_member") is False


def test_s80_has_without_an_active_org(driver: Driver, local_clerk: LocalClerk) -> None:
    auth = _has_auth(driver, local_clerk)
    assert auth.user_id == "user_2local" and auth.org_id is None
    assert auth.has(role="org:admin") is False
    assert auth.has(permission="org:f1:read") is False


@pytest.mark.parametrize("raw_role", ["admin", "org:admin"])
def test_s80_has_with_v2_role_with_and_without_org_prefix(
    driver: Driver, local_clerk: LocalClerk, raw_role: str
) -> None:
    claims = {
        "o": {"id": "org_1", "rol": raw_role, "slg": "acme", "per": "read,manage", "fpm": "3"},
        "fea": "o:reservations,o:impersonation",
    }
    auth = _has_auth(driver, local_clerk, version=2, claims=claims)
    assert (auth.org_id, auth.org_slug) == ("org_1", "acme")
    if raw_role == "admin":  # Clerk issues o.rol without the prefix; the auth object adds it
        assert auth.org_role == "org:admin"
    assert auth.has(role="org:admin") is True
    assert auth.has(role="admin") is True
    assert auth.has(role="org:member") is False
    assert auth.has(permission="org:reservations:read") is True
    assert auth.has(permission="reservations:read") is True  # prefixed with org: before comparing
    assert auth.has(permission="org:reservations:manage") is True
    assert auth.has(permission="org:reservations") is False
    assert auth.has(permission="org:impersonation:read") is False
    assert auth.has(permission="org:impersonation:manage") is False
    assert auth.has(feature="org:reservations") is True
    assert auth.has(feature="org:impersonation") is True


def _billing_auth(driver: Driver, local: LocalClerk) -> SessionAuth:
    org = {
        "id": "org_1",
        "slug": "acme",
        "role": "org:member",
        "per": "read,manage",
        "fpm": "2,3",
        "features": "o:reservations,u:dashboard,uo:support-chat,o:impersonation",
    }
    return _has_auth(driver, local, version=2, org=org, claims={"pla": "u:pro,o:business"})


def test_s80_has_billing_with_scopes(driver: Driver, local_clerk: LocalClerk) -> None:
    auth = _billing_auth(driver, local_clerk)
    assert auth.org_role == "org:member"
    assert sorted(auth.org_permissions or []) == [
        "org:reservations:manage",
        "org:support-chat:manage",
        "org:support-chat:read",
    ]
    expectations = {
        ("permission", "org:reservations:read"): False,
        ("permission", "org:reservations:manage"): True,
        ("permission", "org:support-chat:read"): True,
        ("permission", "org:support-chat:manage"): True,
        ("permission", "u:dashboard:manage"): False,
        ("permission", "u:dashboard:read"): False,
        ("feature", "org:reservations"): True,
        ("feature", "user:reservations"): False,
        ("feature", "org:impersonation"): True,
        ("feature", "user:impersonation"): False,
        ("feature", "org:dashboard"): False,
        ("feature", "user:dashboard"): True,
        ("feature", "org:support-chat"): True,
        ("feature", "user:support-chat"): True,
        ("plan", "org:business"): True,
        ("plan", "user:business"): False,
        ("plan", "org:pro"): False,
        ("plan", "user:pro"): True,
    }
    actual = {(kind, value): auth.has(**{kind: value}) for kind, value in expectations}
    assert actual == expectations


def test_s80_has_billing_without_scopes(driver: Driver, local_clerk: LocalClerk) -> None:
    auth = _billing_auth(driver, local_clerk)
    assert auth.has(feature="reservations") is True  # the org has it
    assert auth.has(feature="dashboard") is True  # the user has it
    assert auth.has(feature="pro") is False  # a plan, not a feature
    assert auth.has(feature="impersonation") is True
    assert auth.has(plan="pro") is True
    assert auth.has(plan="business") is True


# -- 81. machine auth objects ----------------------------------------------------------------


@pytest.mark.parametrize("kind", MACHINE_TYPES)
def test_s81_authenticated_machine_object(driver: Driver, local_clerk: LocalClerk, kind: str) -> None:
    subject = {"api_key": "user_81", "oauth_token": "user_81", "m2m_token": "mch_81"}[kind]
    token = _machine_token(local_clerk, kind, id=f"id_{kind}", subject=subject, scopes=["a", "b"])
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token), accepts_token=kind)
    auth = _machine_auth(state)
    assert (auth.token_type, auth.is_authenticated, auth.id, auth.subject) == (kind, True, f"id_{kind}", subject)
    assert auth.scopes == ["a", "b"]
    assert _resolve(driver, auth.get_token()) == token
    assert auth.has(role="org:admin") is False
    assert auth.has(permission="org:x:read") is False
    assert auth.has(scope="a") is False
    assert token not in repr(auth.debug())
    fields = (auth.user_id, auth.org_id, auth.machine_id)
    assert (
        fields
        == {
            "api_key": ("user_81", None, None),
            "oauth_token": ("user_81", None, None),
            "m2m_token": (None, None, "mch_81"),
        }[kind]
    )


@pytest.mark.parametrize("kind", MACHINE_TYPES)
def test_s81_unauthenticated_machine_object(driver: Driver, local_clerk: LocalClerk, kind: str) -> None:
    state = _authenticate(driver, _client(driver, local_clerk), _request(), accepts_token=kind)
    assert (state.status, state.reason, state.token_type) == ("signed-out", "No token in header", kind)
    _assert_machine_unauthenticated(_machine_auth(state), driver, kind)


def test_s81_strip_private_data_from_user_and_organization() -> None:
    user: dict[str, Any] = {
        "id": "user_1",
        "public_metadata": {"plan": "pro"},
        "private_metadata": {"ssn": "123"},
        "_raw": {
            "id": "user_1",
            "private_metadata": {"ssn": "123"},
            "organization_memberships": [{"organization": {"id": "org_1", "private_metadata": {"secret": 1}}}],
        },
    }
    organization: dict[str, Any] = {
        "id": "org_1",
        "privateMetadata": {"secret": 1},
        "raw": {"private_metadata": {"secret": 1}},
    }
    auth_object: dict[str, Any] = {"user_id": "user_1", "user": user, "organization": organization}
    snapshot = json.dumps(auth_object, sort_keys=True)
    stripped = strip_private_data(auth_object)
    assert json.dumps(auth_object, sort_keys=True) == snapshot  # the input is not mutated
    assert stripped["user_id"] == "user_1"
    assert "private_metadata" not in stripped["user"]
    assert stripped["user"]["public_metadata"] == {"plan": "pro"}
    assert "private_metadata" not in stripped["user"]["_raw"]
    membership = stripped["user"]["_raw"]["organization_memberships"][0]
    assert membership == {"organization": {"id": "org_1"}}
    assert "privateMetadata" not in stripped["organization"]
    assert stripped["organization"]["raw"] == {}
    assert "secret" not in json.dumps(stripped) and "ssn" not in json.dumps(stripped)


# -- 82. the auth object matches the accepted token type ---------------------------------------


def test_s82_auth_object_for_accepted_token(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    token = _machine_token(local_clerk, "api_key", subject="user_82")
    request = _bearer(token)
    # "any": the verified object as is.
    any_auth = _machine_auth(_authenticate(driver, client, request, accepts_token="any"))
    assert (any_auth.token_type, any_auth.is_authenticated, any_auth.user_id) == ("api_key", True, "user_82")
    # Matching single type: as is.
    match = _machine_auth(_authenticate(driver, client, request, accepts_token="api_key"))
    assert (match.token_type, match.is_authenticated) == ("api_key", True)
    # Array miss: an invalid-token object.
    miss = _authenticate(driver, client, request, accepts_token=["m2m_token", "oauth_token"]).to_auth()
    assert isinstance(miss, InvalidTokenAuth) and miss.token_type is None and miss.is_authenticated is False
    # Single machine miss: an unauthenticated object of the requested machine type.
    machine_miss = _machine_auth(_authenticate(driver, client, request, accepts_token="m2m_token"))
    assert (machine_miss.token_type, machine_miss.id, machine_miss.is_authenticated) == ("m2m_token", None, False)
    # Single session miss: a signed-out session object.
    session_miss = _session_auth(_authenticate(driver, client, request, accepts_token="session_token"))
    assert (session_miss.token_type, session_miss.is_authenticated, session_miss.user_id) == (
        "session_token",
        False,
        None,
    )


# -- pending sessions (§3.12 treatPendingAsSignedOut) ---------------------------------------------


def test_s82_pending_session_is_signed_out_by_default(driver: Driver, local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token(sub="user_pending", sid="sess_pending", claims={"sts": "pending"})
    state = _authenticate(driver, _client(driver, local_clerk), _bearer(token))
    assert state.status == "signed-in"  # the token is valid; only the auth object differs
    pending = _session_auth(state)
    assert (pending.is_authenticated, pending.session_status) == (False, "pending")
    assert (pending.user_id, pending.session_id, pending.session_claims) == (None, None, None)
    assert _resolve(driver, pending.get_token()) is None
    assert pending.has(role="org:admin") is False
    kept = _session_auth(state, treat_pending_as_signed_out=False)
    assert (kept.is_authenticated, kept.session_status) == (True, "pending")
    assert (kept.user_id, kept.session_id) == ("user_pending", "sess_pending")
    assert _resolve(driver, kept.get_token()) == token
    active = _authenticate(
        driver, _client(driver, local_clerk), _bearer(local_clerk.session_token(claims={"sts": "active"}))
    )
    active_auth = _session_auth(active)
    assert (active_auth.is_authenticated, active_auth.session_status) == (True, "active")


# -- 83. has() combinatorics, fail-closed, fpm decoding -------------------------------------------


def test_s83_has_combinations_and_fail_closed(driver: Driver, local_clerk: LocalClerk) -> None:
    org = {"id": "org_1", "slug": "acme", "role": "org:admin", "permissions": ["org:f1:read"]}
    fresh = _has_auth(driver, local_clerk, org=org, claims={"fva": [5, 5]})
    stale = _has_auth(driver, local_clerk, org=org, claims={"fva": [30, 30]})
    assert fresh.has() is False  # nothing asked
    assert fresh.has(role="org:admin", permission="org:f1:read") is True
    assert fresh.has(role="org:admin", permission="org:f2:read") is False
    assert fresh.has(role="org:member", permission="org:f1:read") is False
    assert fresh.has(reverification="strict") is True
    assert stale.has(reverification="strict") is False
    assert stale.has(reverification="moderate") is True
    assert stale.has(reverification="lax") is True
    assert fresh.has(role="org:admin", reverification="strict") is True
    assert stale.has(role="org:admin", reverification="strict") is False  # AND across dimensions
    assert fresh.has(role=123) is False  # non-string values fail closed, no exception
    assert fresh.has(permission=["org:f1:read"]) is False
    assert fresh.has(feature=None, plan=None) is False
    assert fresh.has(reverification="bogus") is False


def test_s83_v2_permission_masks_beyond_2_pow_53_and_malformed(driver: Driver, local_clerk: LocalClerk) -> None:
    per = ",".join(f"p{i}" for i in range(64))
    big = _has_auth(
        driver,
        local_clerk,
        version=2,
        org={
            "id": "org_1",
            "slug": "acme",
            "role": "org:admin",
            "per": per,
            "fpm": str(2**60 + 1),
            "features": "o:big",
        },
    )
    assert sorted(big.org_permissions or []) == ["org:big:p0", "org:big:p60"]
    assert big.has(permission="org:big:p60") is True
    assert big.has(permission="org:big:p59") is False
    malformed = _has_auth(
        driver,
        local_clerk,
        version=2,
        org={"id": "org_1", "slug": "acme", "role": "org:admin", "per": "read,manage", "fpm": "3x", "features": "o:x"},
    )
    assert malformed.org_permissions == []
    assert malformed.has(permission="org:x:read") is False
    assert malformed.has(role="org:admin") is True  # the rest of the token still works
