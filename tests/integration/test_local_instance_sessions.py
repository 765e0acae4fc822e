"""The local Clerk instance's session routes over real sockets: handshake payloads, refresh and tokens."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from clerk_core.jwt.categories import IGNORE, JWT_TEMPLATE, SESSION_TOKEN
from clerk_core.testing import (
    KeyPair,
    LocalClerk,
    LocalSession,
    build_publishable_key,
    cookie_suffix,
    default_keypair,
    handshake_directives,
    mint_session_token,
    mint_template_token,
)

CONNECTION_ERRORS = (urllib.error.URLError, ConnectionError, http.client.HTTPException)
ORIGIN = "https://app.example.com"
HOUR = 3600


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return default_keypair()


@pytest.fixture
def clerk(keys: KeyPair) -> Iterator[LocalClerk]:
    with LocalClerk(keys=[keys]) as instance:
        yield instance


def call(
    clerk: LocalClerk,
    path: str,
    *,
    method: str = "GET",
    bearer: str | None = "secret",
    body: Any = None,
    raw: bytes | None = None,
    timeout: float = 5.0,
) -> tuple[int, Any]:
    """Send one request; return the status and the parsed JSON body (HTTP errors included).

    ``bearer="secret"`` (the default) stands for the instance's secret key; ``None`` sends none.
    """
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(clerk.api_url + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if bearer is not None:
        request.add_header("Authorization", f"Bearer {clerk.secret_key if bearer == 'secret' else bearer}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def error_code(body: Any) -> str:
    assert body["clerk_trace_id"]
    (error,) = body["errors"]
    assert error["message"] and error["long_message"]
    return str(error["code"])


def decode(token: str, keys: KeyPair, *, verify_exp: bool = True) -> dict[str, Any]:
    """Verify with PyJWT against the instance key (signature, exp, nbf, iat)."""
    return jwt.decode(token, keys.public_key, algorithms=["RS256"], options={"verify_exp": verify_exp})


def expired_token(clerk: LocalClerk, session: LocalSession, **kwargs: Any) -> str:
    """A session token the instance signed for ``session`` an hour ago (long expired)."""
    return clerk.session_token(sub=session.user_id, sid=session.session_id, now=time.time() - HOUR, **kwargs)


def refresh_body(clerk: LocalClerk, session: LocalSession, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "format": "cookie",
        "expired_token": expired_token(clerk, session),
        "refresh_token": session.refresh_token,
        "request_origin": ORIGIN,
        "request_headers": {"accept": ["text/html"], "cookie": ["__session=…"]},
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not None}


def refresh(
    clerk: LocalClerk, session_id: str, body: Any, *, suffixed: bool | None = None, **kw: Any
) -> tuple[int, Any]:
    query = "" if suffixed is None else f"?suffixed_cookies={'true' if suffixed else 'false'}"
    return call(clerk, f"/v1/sessions/{session_id}/refresh{query}", method="POST", body=body, **kw)


def cookie_name(directive: str) -> str:
    return directive.split("=", 1)[0]


def cookie_value(directive: str) -> str:
    return directive.split(";", 1)[0].split("=", 1)[1]


# -- publishable key, frontend API, cookie suffix ------------------------------------------


def test_publishable_key_defaults(clerk: LocalClerk) -> None:
    assert clerk.publishable_key == "pk_test_" + base64.b64encode(b"clerk.local.dev$").decode()
    assert clerk.publishable_key == build_publishable_key() == "pk_test_Y2xlcmsubG9jYWwuZGV2JA=="
    assert clerk.frontend_api == "clerk.local.dev"
    digest = hashlib.sha1(clerk.publishable_key.encode(), usedforsecurity=False).digest()
    assert clerk.cookie_suffix == base64.urlsafe_b64encode(digest).decode()[:8]
    assert len(clerk.cookie_suffix) == 8


def test_cookie_suffix_matches_clerk_vectors() -> None:
    # Vectors from @clerk/shared's keys tests.
    assert cookie_suffix("pk_live_Y2xlcmsuY2xlcmsuZGV2JA") == "1Z8AzTQD"
    assert cookie_suffix("pk_test_Y2xlcmsuY2xlcmsuZGV2JA") == "QvfNY2dr"


def test_custom_publishable_key_sets_frontend_api_suffix_and_issuer(keys: KeyPair) -> None:
    pk = build_publishable_key("clerk.shop.test", live=True)
    assert pk.startswith("pk_live_")
    with LocalClerk(keys=[keys], publishable_key=pk) as clerk:
        assert clerk.frontend_api == "clerk.shop.test"
        assert clerk.cookie_suffix == cookie_suffix(pk)
        session = clerk.create_session()
        status, body = call(clerk, f"/v1/sessions/{session.session_id}/tokens", method="POST")
        assert status == 200
        assert decode(body["jwt"], keys)["iss"] == "https://clerk.shop.test"
    # Clerk's dashboard keys often come without base64 padding; both parse.
    assert LocalClerk(publishable_key="pk_test_Y2xlcmsuY2xlcmsuZGV2JA").frontend_api == "clerk.clerk.dev"


@pytest.mark.parametrize(
    "bad", ["sk_test_abc", "pk_test_", "pk_test_!!!!", "pk_test_" + base64.b64encode(b"nodollar").decode()]
)
def test_invalid_publishable_key_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="publishable key"):
        LocalClerk(publishable_key=bad)


# -- directives ----------------------------------------------------------------------------


def test_handshake_directives_signed_in(keys: KeyPair) -> None:
    token = mint_session_token(keys, now=1_750_000_000)
    assert handshake_directives(session_token=token) == [
        f"__session={token}; Path=/; Secure; SameSite=Lax",
        "__client_uat=1750000000; Path=/; Max-Age=315360000; Secure; SameSite=Lax",
    ]


def test_handshake_directives_suffixed_domain_and_explicit_uat() -> None:
    assert handshake_directives(
        session_token="a.b.c", client_uat="1700000000", suffix="Ab-_1234", domain="example.com"
    ) == [
        "__session=a.b.c; Path=/; Domain=example.com; Secure; SameSite=Lax",
        "__session_Ab-_1234=a.b.c; Path=/; Domain=example.com; Secure; SameSite=Lax",
        "__client_uat=1700000000; Path=/; Domain=example.com; Max-Age=315360000; Secure; SameSite=Lax",
        "__client_uat_Ab-_1234=1700000000; Path=/; Domain=example.com; Max-Age=315360000; Secure; SameSite=Lax",
    ]


@pytest.mark.parametrize("empty", [None, ""])
def test_handshake_directives_signed_out_clears_session(empty: str | None) -> None:
    assert handshake_directives(session_token=empty, suffix="sfx", secure=False) == [
        "__session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax",
        "__session_sfx=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax",
        "__client_uat=0; Path=/; Max-Age=315360000; SameSite=Lax",
        "__client_uat_sfx=0; Path=/; Max-Age=315360000; SameSite=Lax",
    ]


def test_handshake_directives_unreadable_token_uses_now() -> None:
    before = int(time.time())
    uat = int(cookie_value(handshake_directives(session_token="opaque")[1]))
    assert before <= uat <= int(time.time())


# -- GET /v1/clients/handshake_payload -----------------------------------------------------


def test_handshake_payload_round_trip(clerk: LocalClerk) -> None:
    session = clerk.create_session()
    token = clerk.session_cookies(session)["__session"]
    directives = handshake_directives(session_token=token, suffix=clerk.cookie_suffix)
    clerk.register_handshake_nonce("nonce_abc", directives)

    for _ in range(2):  # a nonce stays readable
        status, body = call(clerk, "/v1/clients/handshake_payload?nonce=nonce_abc")
        assert (status, body) == (200, {"directives": directives})

    request = clerk.requests[-1]
    assert (request.method, request.path, request.query) == (
        "GET",
        "/v1/clients/handshake_payload",
        {"nonce": ["nonce_abc"]},
    )


def test_handshake_payload_errors(clerk: LocalClerk) -> None:
    clerk.register_handshake_nonce("known", ["__client_uat=0; Path=/"])
    status, body = call(clerk, "/v1/clients/handshake_payload?nonce=unknown")
    assert (status, error_code(body)) == (404, "resource_not_found")
    status, body = call(clerk, "/v1/clients/handshake_payload")
    assert (status, error_code(body)) == (400, "bad_request")
    for bearer in (None, "sk_test_wrong", clerk.machine_secret_key):
        status, body = call(clerk, "/v1/clients/handshake_payload?nonce=known", bearer=bearer)
        assert (status, error_code(body)) == (401, "clerk_key_invalid")
    with pytest.raises(ValueError, match="nonce"):
        clerk.register_handshake_nonce("", [])


# -- POST /v1/sessions/{id}/refresh --------------------------------------------------------


def test_refresh_cookie_format_unsuffixed(clerk: LocalClerk, keys: KeyPair) -> None:
    session = clerk.create_session(user_id="user_refresh")
    body = refresh_body(clerk, session)
    old = decode(body["expired_token"], keys, verify_exp=False)
    with pytest.raises(jwt.ExpiredSignatureError):
        decode(body["expired_token"], keys)

    status, answer = refresh(clerk, session.session_id, body, suffixed=False)
    assert status == 200
    assert answer["object"] == "cookies"
    (directive,) = answer["cookies"]
    assert cookie_name(directive) == "__session"
    assert directive.endswith("; Path=/; Secure; SameSite=Lax")

    fresh = decode(cookie_value(directive), keys)  # signature and time claims check out
    header = jwt.get_unverified_header(cookie_value(directive))
    assert header["cat"] == SESSION_TOKEN
    assert header["kid"] == keys.kid
    assert fresh["iat"] > old["iat"]
    assert fresh["exp"] > time.time()
    assert (fresh["sid"], fresh["sub"]) == (session.session_id, "user_refresh")
    assert fresh["azp"] == ORIGIN
    assert fresh["iss"] == "https://clerk.local.dev"


def test_refresh_suffixed_cookies(clerk: LocalClerk, keys: KeyPair) -> None:
    session = clerk.create_session()
    body = refresh_body(clerk, session, request_origin="http://localhost:3000")
    status, answer = refresh(clerk, session.session_id, body, suffixed=True)
    assert status == 200
    names = [cookie_name(d) for d in answer["cookies"]]
    assert names == ["__session", f"__session_{clerk.cookie_suffix}"]
    values = {cookie_value(d) for d in answer["cookies"]}
    assert len(values) == 1
    decode(values.pop(), keys)
    # An http origin (a development app) gets no Secure attribute.
    assert all("Secure" not in d for d in answer["cookies"])

    # Without the query parameter the cookies are not suffixed.
    status, answer = refresh(clerk, session.session_id, body)
    assert [cookie_name(d) for d in answer["cookies"]] == ["__session"]


def test_refresh_token_format_is_the_default(clerk: LocalClerk, keys: KeyPair) -> None:
    session = clerk.create_session(org={"id": "org_1", "slug": "acme", "role": "org:admin"})
    body = refresh_body(clerk, session, format=None, expired_token=expired_token(clerk, session, version=2))
    status, answer = refresh(clerk, session.session_id, body)
    assert status == 200
    assert set(answer) == {"object", "jwt"}
    assert answer["object"] == "token"
    claims = decode(answer["jwt"], keys)
    assert claims["v"] == 2  # the token version follows the expired token
    assert claims["o"] == {"id": "org_1", "rol": "admin", "slg": "acme"}

    status, answer = refresh(clerk, session.session_id, {**body, "format": "token"})
    assert (status, answer["object"]) == (200, "token")


def test_refresh_accepts_unexpired_and_kidless_tokens(clerk: LocalClerk, keys: KeyPair) -> None:
    session = clerk.create_session()
    current = clerk.session_token(sub=session.user_id, sid=session.session_id, header={"kid": None})
    status, _ = refresh(clerk, session.session_id, refresh_body(clerk, session, expired_token=current))
    assert status == 200
    ignore_cat = clerk.session_token(sub=session.user_id, sid=session.session_id, cat=IGNORE)
    status, _ = refresh(clerk, session.session_id, refresh_body(clerk, session, expired_token=ignore_cat))
    assert status == 200


def test_refresh_rejects_wrong_refresh_token(clerk: LocalClerk) -> None:
    session = clerk.create_session()
    other = clerk.create_session()
    for wrong in ("", "not-the-token", other.refresh_token):
        status, body = refresh(clerk, session.session_id, refresh_body(clerk, session, refresh_token=wrong))
        assert (status, error_code(body)) == (401, "refresh_token_invalid")


def test_refresh_rejects_foreign_expired_tokens(clerk: LocalClerk, keys: KeyPair) -> None:
    session = clerk.create_session(user_id="user_a")
    other = clerk.create_session(user_id="user_b")
    stranger = KeyPair.generate(bits=1024, kid=keys.kid)  # same kid, different key
    candidates = [
        expired_token(clerk, other),  # another session's token
        clerk.session_token(sub="user_b", sid=session.session_id),  # right sid, wrong user
        mint_session_token(stranger, sub=session.user_id, sid=session.session_id),  # not this instance's key
        mint_template_token(keys, "t", sub=session.user_id, sid=session.session_id),  # a template token
        expired_token(clerk, session)[:-4] + "AAAA",  # tampered signature
        "not-a-jwt",
        "",
    ]
    for token in candidates:
        status, body = refresh(clerk, session.session_id, refresh_body(clerk, session, expired_token=token))
        assert (status, error_code(body)) == (401, "expired_token_invalid"), token


def test_refresh_unknown_session_and_auth(clerk: LocalClerk) -> None:
    session = clerk.create_session()
    body = refresh_body(clerk, session)
    status, answer = refresh(clerk, "sess_unknown", body)
    assert (status, error_code(answer)) == (404, "resource_not_found")
    for bearer in (None, "sk_test_wrong", clerk.machine_secret_key):
        status, answer = refresh(clerk, session.session_id, body, bearer=bearer)
        assert (status, error_code(answer)) == (401, "clerk_key_invalid")
    assert clerk.end_session(session.session_id) is True
    assert clerk.end_session(session.session_id) is False
    status, answer = refresh(clerk, session.session_id, body)
    assert (status, error_code(answer)) == (404, "resource_not_found")


@pytest.mark.parametrize(
    "change",
    [
        {"refresh_token": None},
        {"expired_token": None},
        {"request_origin": None},
        {"expired_token": 42},
        {"format": "jwt"},
        {"request_headers": ["accept"]},
        {"suffixed_cookies": True},  # belongs in the query string
    ],
)
def test_refresh_rejects_malformed_bodies(clerk: LocalClerk, change: dict[str, Any]) -> None:
    session = clerk.create_session()
    status, body = refresh(clerk, session.session_id, refresh_body(clerk, session, **change))
    assert (status, error_code(body)) == (400, "bad_request")


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b"null"])
def test_refresh_rejects_non_object_bodies(clerk: LocalClerk, raw: bytes) -> None:
    session = clerk.create_session()
    status, body = call(clerk, f"/v1/sessions/{session.session_id}/refresh", method="POST", raw=raw)
    assert (status, error_code(body)) == (400, "bad_request")


# -- POST /v1/sessions/{id}/tokens[/{template}] --------------------------------------------


def test_create_session_token(clerk: LocalClerk, keys: KeyPair) -> None:
    session = clerk.create_session(user_id="user_tok", org={"id": "org_9", "slug": "s", "role": "org:member"})
    status, body = call(clerk, f"/v1/sessions/{session.session_id}/tokens", method="POST")
    assert status == 200
    assert set(body) == {"object", "jwt"} and body["object"] == "token"
    claims = decode(body["jwt"], keys)
    assert jwt.get_unverified_header(body["jwt"])["cat"] == SESSION_TOKEN
    assert (claims["sub"], claims["sid"], claims["org_id"]) == ("user_tok", session.session_id, "org_9")
    assert claims["exp"] - claims["iat"] == 60

    status, body = call(
        clerk, f"/v1/sessions/{session.session_id}/tokens", method="POST", body={"expires_in_seconds": 600}
    )
    claims = decode(body["jwt"], keys)
    assert (status, claims["exp"] - claims["iat"]) == (200, 600)

    status, body = call(
        clerk, f"/v1/sessions/{session.session_id}/tokens", method="POST", body={"expires_in_seconds": None}
    )
    assert status == 200


def test_create_template_token(clerk: LocalClerk, keys: KeyPair) -> None:
    session = clerk.create_session(user_id="user_tpl")
    status, body = call(clerk, f"/v1/sessions/{session.session_id}/tokens/custom_hasura", method="POST")
    assert status == 200 and body["object"] == "token"
    header = jwt.get_unverified_header(body["jwt"])
    assert (header["cat"], header["kid"]) == (JWT_TEMPLATE, keys.kid)
    claims = decode(body["jwt"], keys)
    assert (claims["sub"], claims["sid"], claims["template"]) == ("user_tpl", session.session_id, "custom_hasura")
    assert claims["jti"] and claims["iss"] == "https://clerk.local.dev"
    assert claims["exp"] - claims["iat"] == 60

    status, body = call(
        clerk, f"/v1/sessions/{session.session_id}/tokens/custom_hasura", method="POST", body={"expires_in_seconds": 45}
    )
    claims = decode(body["jwt"], keys)
    assert (status, claims["exp"] - claims["iat"]) == (200, 45)


def test_registered_template_claims_and_lifetime(clerk: LocalClerk, keys: KeyPair) -> None:
    session = clerk.create_session()
    clerk.register_jwt_template("my tpl", claims={"role": "editor", "azp": None}, lifetime=300)
    status, body = call(clerk, f"/v1/sessions/{session.session_id}/tokens/my%20tpl", method="POST")
    assert status == 200
    claims = decode(body["jwt"], keys)
    assert (claims["role"], claims["template"], claims["exp"] - claims["iat"]) == ("editor", "my tpl", 300)
    assert "azp" not in claims
    with pytest.raises(ValueError, match="lifetime"):
        clerk.register_jwt_template("x", lifetime=0)


@pytest.mark.parametrize("suffix", ["", "/tpl"])
def test_token_routes_errors(clerk: LocalClerk, suffix: str) -> None:
    session = clerk.create_session()
    path = f"/v1/sessions/{session.session_id}/tokens{suffix}"
    status, body = call(clerk, f"/v1/sessions/sess_unknown/tokens{suffix}", method="POST")
    assert (status, error_code(body)) == (404, "resource_not_found")
    for bearer in (None, "sk_test_wrong"):
        status, body = call(clerk, path, method="POST", bearer=bearer)
        assert (status, error_code(body)) == (401, "clerk_key_invalid")
    for bad in (29, 315_360_001, "60", True, 60.5):
        status, body = call(clerk, path, method="POST", body={"expires_in_seconds": bad})
        assert (status, error_code(body)) == (400, "bad_request"), bad
    status, body = call(clerk, path, method="POST", raw=b"[1]")
    assert (status, error_code(body)) == (400, "bad_request")
    status, body = call(clerk, path)  # GET is not a route
    assert (status, error_code(body)) == (404, "resource_not_found")


# -- faults apply to the session routes ----------------------------------------------------


def test_faults_apply_to_session_routes(clerk: LocalClerk) -> None:
    session = clerk.create_session()
    clerk.register_handshake_nonce("n", ["__client_uat=0; Path=/"])
    body = refresh_body(clerk, session)

    clerk.set_fault("status", times=1, status=503)
    status, answer = refresh(clerk, session.session_id, body)
    assert (status, error_code(answer)) == (503, "internal_error")

    clerk.set_fault("unauthorized", times=1)
    status, answer = call(clerk, f"/v1/sessions/{session.session_id}/tokens/t", method="POST")
    assert (status, error_code(answer)) == (401, "clerk_key_invalid")

    clerk.set_fault("down", times=1)
    with pytest.raises(CONNECTION_ERRORS):
        call(clerk, "/v1/clients/handshake_payload?nonce=n")

    assert call(clerk, "/v1/clients/handshake_payload?nonce=n")[0] == 200
    assert refresh(clerk, session.session_id, body)[0] == 200


# -- sessions, cookies, reset, reprs -------------------------------------------------------


def test_create_session_defaults_and_overrides(clerk: LocalClerk) -> None:
    first, second = clerk.create_session(), clerk.create_session()
    assert first.session_id.startswith("sess_") and first.session_id != second.session_id
    assert first.user_id == "user_2local"
    assert len(first.refresh_token) >= 32 and first.refresh_token != second.refresh_token
    pinned = clerk.create_session(session_id="sess_pinned", refresh_token="rt_pinned", user_id="user_x")
    assert (pinned.session_id, pinned.refresh_token, pinned.user_id) == ("sess_pinned", "rt_pinned", "user_x")
    with pytest.raises(AttributeError):
        pinned.user_id = "user_y"  # type: ignore[misc]
    with_org = clerk.create_session(org={"id": "org_1"})
    assert {with_org, pinned} == {with_org, pinned}  # hashable even with an org mapping
    with pytest.raises(TypeError):
        with_org.org["id"] = "org_2"  # type: ignore[index]


def test_session_cookies(clerk: LocalClerk, keys: KeyPair) -> None:
    session = clerk.create_session()
    sfx = clerk.cookie_suffix
    cookies = clerk.session_cookies(session)
    assert set(cookies) == {"__session", f"__session_{sfx}", "__client_uat", f"__client_uat_{sfx}", f"__refresh_{sfx}"}
    assert cookies["__session"] == cookies[f"__session_{sfx}"]
    assert cookies[f"__refresh_{sfx}"] == session.refresh_token
    claims = decode(cookies["__session"], keys)
    assert (claims["sid"], claims["sub"]) == (session.session_id, session.user_id)
    assert cookies["__client_uat"] == cookies[f"__client_uat_{sfx}"]
    assert int(cookies["__client_uat"]) <= claims["iat"]

    old = clerk.session_cookies(session, suffix="custom", now=time.time() - HOUR)
    assert "__refresh_custom" in old and "__session_custom" in old
    assert int(old["__client_uat"]) <= decode(old["__session"], keys, verify_exp=False)["iat"]
    with pytest.raises(jwt.ExpiredSignatureError):
        decode(old["__session"], keys)

    # A browser's expired cookies refresh into a fresh token.
    body = refresh_body(clerk, session, expired_token=old["__session"], refresh_token=old["__refresh_custom"])
    assert refresh(clerk, session.session_id, body)[0] == 200


def test_reset_forgets_sessions_nonces_and_templates(clerk: LocalClerk) -> None:
    session = clerk.create_session()
    clerk.register_handshake_nonce("n", ["x=1"])
    clerk.register_jwt_template("t", claims={"k": "v"})
    clerk.reset()
    assert call(clerk, "/v1/clients/handshake_payload?nonce=n")[0] == 404
    assert call(clerk, f"/v1/sessions/{session.session_id}/tokens", method="POST")[0] == 404
    assert clerk.requests[-1].path == f"/v1/sessions/{session.session_id}/tokens"


def test_reprs_hold_no_refresh_token_or_secret(clerk: LocalClerk) -> None:
    session = clerk.create_session(refresh_token="rt_reprsecret_123")
    body = refresh_body(clerk, session)
    assert refresh(clerk, session.session_id, body, suffixed=True)[0] == 200
    (request,) = [r for r in clerk.requests if r.path.endswith("/refresh")]
    assert b"rt_reprsecret_123" in request.body  # recorded exactly as sent
    texts = [repr(session), str(session), repr(request), str(request), repr(clerk), str(clerk)]
    for text in texts:
        assert "rt_reprsecret_123" not in text
        assert clerk.secret_key not in text
        assert body["expired_token"] not in text
    assert "refresh_token=***" in repr(session)
    assert session.session_id in repr(session)
