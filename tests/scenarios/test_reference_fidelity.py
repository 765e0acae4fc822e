"""Reference fidelity: satellites, suffixed cookies, auth-object fields, opaque machine
tokens and byte-exact redirect URLs, each decided as ``@clerk/backend`` 3.x decides it
(``authenticateContext.ts``, ``authObjects.ts``, ``request.ts``, ``handshake.ts``).

Every ``authenticate_request`` goes through both drivers against a local Clerk instance
over real loopback sockets. Expected ``Location`` values are whole strings: they are what
the reference's ``URL``/``URLSearchParams`` calls produce for the same request.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import pytest

from clerk_core.testing import LocalClerk, build_publishable_key, handshake_directives
from clerk_core.testing.cookies import DEFAULT_FRONTEND_API
from clerk_core.tokens.request import ClerkRequest
from clerk_core.tokens.state import InvalidTokenAuth, MachineAuth, RequestState, SessionAuth
from tests.conftest import Driver

API_VERSION = "2026-05-12"
DB_JWT = "dvb_2localDevBrowserToken"
SATELLITE_DOMAIN = "satellite.example"
SATELLITE_FAPI = f"clerk.{SATELLITE_DOMAIN}"
PROD_PK = build_publishable_key(DEFAULT_FRONTEND_API, live=True)
ORG_FIELDS = ("org_id", "org_role", "org_slug", "org_permissions")


def _client(driver: Driver, local: LocalClerk, **options: Any) -> Any:
    options.setdefault("publishable_key", local.publishable_key)
    return driver.client(secret_key=local.secret_key, api_url=local.api_url, environ={}, **options)


def _satellite(driver: Driver, local: LocalClerk, **options: Any) -> Any:
    return _client(driver, local, is_satellite=True, domain=SATELLITE_DOMAIN, **options)


def _request(
    url: str,
    *,
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
    return ClerkRequest("GET", url, given)


def _auth(driver: Driver, client: Any, request: ClerkRequest) -> RequestState:
    state = driver.call(client, "authenticate_request", request)
    assert isinstance(state, RequestState)
    return state


def _q(value: str) -> str:
    """``encodeURIComponent``-style escaping as URLSearchParams writes a value ("*" kept)."""
    return quote(value, safe="*").replace("%20", "+")


# -- 1. satellites ------------------------------------------------------------------------------


def test_production_satellite_reads_its_own_session_cookie(driver: Driver, prod_clerk: LocalClerk) -> None:
    now = time.time()
    token = prod_clerk.session_token(now=now, iss=f"https://{SATELLITE_FAPI}", sub="user_sat")
    cookies = {"__session": token, "__client_uat": str(int(now) - 10)}
    state = _auth(driver, _satellite(driver, prod_clerk), _request("https://satellite.example/", cookies=cookies))
    assert (state.status, state.reason, state.token) == ("signed-in", None, token)
    auth = state.to_auth()
    assert isinstance(auth, SessionAuth) and auth.user_id == "user_sat"


@pytest.mark.parametrize("dest", ["document", "empty"])
def test_production_satellite_ignores_a_cookie_issued_by_the_primary(
    driver: Driver, prod_clerk: LocalClerk, dest: str
) -> None:
    now = time.time()
    primary = prod_clerk.session_token(now=now)  # iss https://clerk.local.dev: the primary's Frontend API
    cookies = {"__session": primary, "__client_uat": str(int(now) - 10)}
    request = _request("https://satellite.example/", cookies=cookies, dest=dest)
    state = _auth(driver, _satellite(driver, prod_clerk), request)
    assert (state.status, state.reason, state.token) == ("signed-out", "session-token-and-uat-missing", None)


def test_production_satellite_hands_an_expired_cookie_to_its_own_frontend_api(
    driver: Driver, prod_clerk: LocalClerk
) -> None:
    now = time.time()
    expired = prod_clerk.session_token(now=now - 3600, iss=f"https://{SATELLITE_FAPI}")
    cookies = {"__session": expired, "__client_uat": str(int(now) - 7200)}
    state = _auth(
        driver, _satellite(driver, prod_clerk), _request("https://satellite.example/dashboard?tab=1", cookies=cookies)
    )
    reason = "session-token-expired-refresh-non-eligible-no-refresh-cookie"
    assert (state.status, state.reason) == ("handshake", reason)
    assert state.header("Location") == (
        f"https://{SATELLITE_FAPI}/v1/client/handshake"
        "?redirect_url=https%3A%2F%2Fsatellite.example%2Fdashboard%3Ftab%3D1"
        f"&__clerk_api_version={API_VERSION}&suffixed_cookies=false&__clerk_hs_reason={reason}"
        f"&format=nonce&__session={expired}"
    )


# -- 2. suffixed mode reads suffixed cookies only -----------------------------------------------


@pytest.mark.parametrize(("dest", "status"), [("document", "handshake"), ("empty", "signed-out")])
def test_suffixed_mode_ignores_an_unsuffixed_dev_browser_cookie(
    driver: Driver, local_clerk: LocalClerk, dest: str, status: str
) -> None:
    now = time.time()
    # The unsuffixed __session belongs to another instance on the same eTLD+1: suffixed mode.
    other = local_clerk.session_token(now=now, iss="https://clerk.other-app.dev")
    mine = local_clerk.session_token(now=now)
    suffix = local_clerk.cookie_suffix
    cookies = {
        "__session": other,
        "__client_uat": str(int(now) - 10),
        "__clerk_db_jwt": "dvb_otherInstance",
        f"__session_{suffix}": mine,
        f"__client_uat_{suffix}": str(int(now) - 10),
    }
    request = _request("http://localhost:3000/", cookies=cookies, dest=dest)
    state = _auth(driver, _client(driver, local_clerk), request)
    assert (state.status, state.reason) == (status, "dev-browser-missing")
    if status == "handshake":
        location = state.header("Location")
        assert location is not None and "suffixed_cookies=true" in location
        assert "dvb_otherInstance" not in location
    # With the suffixed dev-browser cookie the same browser is signed in.
    cookies[f"__clerk_db_jwt_{suffix}"] = DB_JWT
    signed_in = _auth(driver, _client(driver, local_clerk), _request("http://localhost:3000/", cookies=cookies))
    assert (signed_in.status, signed_in.token) == ("signed-in", mine)


# -- 3. auth objects as authObjects.ts builds them ------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
def test_signed_in_without_an_organization_has_none_org_fields(
    driver: Driver, local_clerk: LocalClerk, version: int
) -> None:
    token = local_clerk.session_token(sub="user_noorg", version=version)
    state = _auth(driver, _client(driver, local_clerk), _request("http://localhost:3000/", headers=_bearer(token)))
    auth = state.to_auth()
    assert isinstance(auth, SessionAuth) and auth.is_authenticated
    assert {name: getattr(auth, name) for name in ORG_FIELDS} == dict.fromkeys(ORG_FIELDS)
    assert auth.to_dict()["org_permissions"] is None


@pytest.mark.parametrize("version", [1, 2])
def test_signed_in_with_an_organization_without_permissions_has_an_empty_list(
    driver: Driver, local_clerk: LocalClerk, version: int
) -> None:
    org = {"id": "org_1", "slug": "acme", "role": "org:member", "permissions": []}
    token = local_clerk.session_token(sub="user_org", org=org, version=version)
    state = _auth(driver, _client(driver, local_clerk), _request("http://localhost:3000/", headers=_bearer(token)))
    auth = state.to_auth()
    assert isinstance(auth, SessionAuth)
    assert (auth.org_id, auth.org_slug, auth.org_role) == ("org_1", "acme", "org:member")
    # v1 carries the list as issued; v2 derives it from fea/per/fpm, which are empty here.
    assert auth.org_permissions == []


def test_signed_out_and_machine_objects_have_none_org_fields(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    signed_out = _auth(driver, client, _request("http://localhost:3000/", dest="empty")).to_auth()
    assert isinstance(signed_out, SessionAuth) and not signed_out.is_authenticated
    assert {name: getattr(signed_out, name) for name in ORG_FIELDS} == dict.fromkeys(ORG_FIELDS)
    for kind in ("api_key", "m2m_token", "oauth_token"):
        state = driver.call(
            client, "authenticate_request", _request("http://localhost:3000/", dest="empty"), accepts_token=kind
        )
        machine = state.to_auth()
        assert isinstance(machine, MachineAuth) and not machine.is_authenticated
        assert (machine.id, machine.subject, machine.scopes, machine.user_id, machine.org_id) == (None,) * 5
    invalid = driver.call(
        client,
        "authenticate_request",
        _request("http://localhost:3000/", headers=_bearer(local_clerk.m2m_token())),
        accepts_token=["session_token", "api_key"],
    ).to_auth()
    assert isinstance(invalid, InvalidTokenAuth)


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# -- 4. opaque machine tokens under the default accepts_token -----------------------------------


@pytest.mark.parametrize("prefix", ["mt_", "oat_", "ak_"])
def test_opaque_machine_token_as_session_token_is_token_invalid(
    driver: Driver, local_clerk: LocalClerk, prefix: str
) -> None:
    token = prefix + secrets.token_hex(16)
    state = _auth(driver, _client(driver, local_clerk), _request("http://localhost:3000/", headers=_bearer(token)))
    assert (state.status, state.reason, state.token_type) == ("signed-out", "token-invalid", "session_token")
    assert state.message == (
        "Invalid JWT form. A JWT consists of three parts separated by dots. (reason=token-invalid, token-carrier=header)"
    )
    assert local_clerk.requests == []  # never sent to a machine-token verification endpoint


def test_machine_jwt_as_session_token_is_a_type_mismatch(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _client(driver, local_clerk)
    for token in (local_clerk.m2m_token(), local_clerk.oauth_token()):
        state = _auth(driver, client, _request("http://localhost:3000/", headers=_bearer(token)))
        assert (state.status, state.reason, state.message) == ("signed-out", "token-type-mismatch", "")


# -- 5. redirect URLs byte-identical to the reference ------------------------------------------


def test_dev_primary_answering_a_satellite_appends_dev_browser_then_synced(
    driver: Driver, local_clerk: LocalClerk
) -> None:
    cookies = local_clerk.session_cookies(local_clerk.create_session(), dev_browser=DB_JWT)
    client = _client(driver, local_clerk)
    back = "http://localhost:3001/dashboard?tab=1"
    state = _auth(
        driver, client, _request(f"http://localhost:3000/sign-in?__clerk_redirect_url={_q(back)}", cookies=cookies)
    )
    assert (state.status, state.reason) == ("handshake", "primary-responds-to-syncing")
    assert (
        state.header("Location") == f"http://localhost:3001/dashboard?tab=1&__clerk_db_jwt={DB_JWT}&__clerk_synced=true"
    )
    # An existing __clerk_synced is set in place; the query is written out again ("%20" → "+").
    back = "http://localhost:3001/dashboard?tab=1&__clerk_synced=false&q=a%20b"
    state = _auth(
        driver, client, _request(f"http://localhost:3000/sign-in?__clerk_redirect_url={_q(back)}", cookies=cookies)
    )
    assert state.header("Location") == (
        f"http://localhost:3001/dashboard?tab=1&__clerk_synced=true&q=a+b&__clerk_db_jwt={DB_JWT}"
    )


def test_dev_satellite_sync_appends_the_redirect_url_to_the_sign_in_url(
    driver: Driver, local_clerk: LocalClerk
) -> None:
    client = _satellite(
        driver, local_clerk, sign_in_url="https://primary.example/sign-in?lang=en%20GB", satellite_auto_sync=True
    )
    state = _auth(driver, client, _request("http://localhost:3001/dashboard?x=1&y=%7E"))
    assert (state.status, state.reason) == ("handshake", "satellite-needs-syncing")
    # The current URL is the value as the reference's URL holds it: its query untouched.
    assert state.header("Location") == (
        "https://primary.example/sign-in?lang=en+GB"
        "&__clerk_redirect_url=http%3A%2F%2Flocalhost%3A3001%2Fdashboard%3Fx%3D1%26y%3D%257E"
    )


def test_handshake_url_is_byte_identical_with_cookie_session_first(driver: Driver, local_clerk: LocalClerk) -> None:
    now = time.time()
    cookie_token = local_clerk.session_token(now=now)
    expired_header = local_clerk.session_token(now=now - 3600)
    cookies = {"__session": cookie_token, "__client_uat": str(int(now) - 10), "__clerk_db_jwt": DB_JWT}
    url = "http://localhost:3000/p?a=b%20c&__clerk_db_jwt=q1&star=*&tilde=~"
    request = _request(url, cookies=cookies, headers=_bearer(expired_header))
    state = _auth(driver, _client(driver, local_clerk), request)
    reason = "session-token-expired-refresh-non-eligible-no-refresh-cookie"
    assert (state.status, state.reason) == ("handshake", reason)
    # redirect_url: the URL without __clerk_db_jwt, its query re-serialised; __session: the
    # cookie's token, which the reference prefers to the header's; __clerk_db_jwt: from the query.
    assert state.header("Location") == (
        f"https://{DEFAULT_FRONTEND_API}/v1/client/handshake"
        "?redirect_url=http%3A%2F%2Flocalhost%3A3000%2Fp%3Fa%3Db%2Bc%26star%3D*%26tilde%3D%257E"
        f"&__clerk_api_version={API_VERSION}&suffixed_cookies=false&__clerk_hs_reason={reason}"
        f"&format=nonce&__session={cookie_token}&__clerk_db_jwt=q1"
    )


def test_dev_handshake_resolution_redirects_to_the_cleaned_url(driver: Driver, local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token()
    nonce = "nonce_" + secrets.token_hex(8)
    local_clerk.register_handshake_nonce(nonce, handshake_directives(session_token=token))
    url = f"http://localhost:3000/p?__clerk_handshake_nonce={nonce}&a=b%20c&__clerk_help=1&keep"
    state = _auth(driver, _client(driver, local_clerk), _request(url))
    assert (state.status, state.token) == ("signed-in", token)
    assert state.header("Location") == "http://localhost:3000/p?a=b+c&keep="
