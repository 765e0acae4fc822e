"""The local Clerk instance over real sockets: JWKS, machine-token routes, faults and minting."""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from clerk_core.jwt.categories import M2M_TOKEN, SESSION_TOKEN
from clerk_core.testing import (
    KeyPair,
    LocalClerk,
    default_keypair,
    mint_handshake_token,
    mint_m2m_token,
    mint_oauth_token,
    mint_session_token,
    sign_jwt,
)

NOW = 1_750_000_000

CONNECTION_ERRORS = (urllib.error.URLError, ConnectionError, http.client.HTTPException)


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
    bearer: str | None = None,
    body: dict[str, Any] | None = None,
    timeout: float = 5.0,
) -> tuple[int, dict[str, str], bytes]:
    """Send one request; return status, lower-cased headers and raw body (HTTP errors included)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(clerk.api_url + path, data=data, method="POST" if data else "GET")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if bearer is not None:
        request.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        with error:
            return (
                error.code,
                {k.lower(): v for k, v in error.headers.items()},
                error.read(),
            )


def error_code(raw: bytes) -> str:
    body = json.loads(raw)
    assert body["clerk_trace_id"]
    (error,) = body["errors"]
    assert error["message"] and error["long_message"]
    return str(error["code"])


# -- JWKS ---------------------------------------------------------------------------------


def test_jwks_served_with_secret_key(clerk: LocalClerk, keys: KeyPair) -> None:
    status, headers, raw = call(clerk, "/v1/jwks", bearer=clerk.secret_key)
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(raw) == {"keys": [keys.public_jwk]}
    assert set(keys.public_jwk) == {"use", "kty", "kid", "alg", "n", "e"}
    assert keys.public_jwk["e"] == "AQAB"
    assert clerk.jwks_requests == 1
    (recorded,) = clerk.requests
    assert (recorded.method, recorded.path) == ("GET", "/v1/jwks")
    assert recorded.bearer == clerk.secret_key


@pytest.mark.parametrize("bearer", [None, "sk_test_wrong", "machine"])
def test_jwks_rejects_wrong_key(clerk: LocalClerk, bearer: str | None) -> None:
    credential = clerk.machine_secret_key if bearer == "machine" else bearer
    status, _, raw = call(clerk, "/v1/jwks", bearer=credential)
    assert status == 401
    assert error_code(raw) == "clerk_key_invalid"
    assert clerk.jwks_requests == 1


def test_jwks_key_rotation(clerk: LocalClerk, keys: KeyPair) -> None:
    second = KeyPair.generate(bits=1024, kid="ins_local_2")
    clerk.add_key(second)
    _, _, raw = call(clerk, "/v2025-01-01/jwks", bearer=clerk.secret_key)
    assert [k["kid"] for k in json.loads(raw)["keys"]] == [keys.kid, "ins_local_2"]
    clerk.set_keys([second])
    _, _, raw = call(clerk, "/v1/jwks", bearer=clerk.secret_key)
    assert json.loads(raw) == {"keys": [second.public_jwk]}
    token = clerk.session_token(now=NOW)
    assert jwt.get_unverified_header(token)["kid"] == "ins_local_2"


def test_unknown_path_is_404(clerk: LocalClerk) -> None:
    status, _, raw = call(clerk, "/v1/nothing", bearer=clerk.secret_key)
    assert status == 404
    assert error_code(raw) == "resource_not_found"


# -- faults -------------------------------------------------------------------------------


def test_fault_down_closes_connection(clerk: LocalClerk) -> None:
    clerk.set_fault("down")
    with pytest.raises(CONNECTION_ERRORS):
        call(clerk, "/v1/jwks", bearer=clerk.secret_key)
    assert clerk.jwks_requests == 1


def test_fault_slow_delays_answer(clerk: LocalClerk) -> None:
    clerk.set_fault("slow", delay=0.2, times=1)
    started = time.monotonic()
    status, _, _ = call(clerk, "/v1/jwks", bearer=clerk.secret_key)
    assert status == 200
    assert time.monotonic() - started >= 0.2


def test_fault_slow_times_out_client_and_stop_is_prompt(keys: KeyPair) -> None:
    instance = LocalClerk(keys=[keys]).start()
    instance.set_fault("slow", delay=30)
    with pytest.raises(CONNECTION_ERRORS + (TimeoutError,)):
        call(instance, "/v1/jwks", bearer=instance.secret_key, timeout=0.2)
    started = time.monotonic()
    instance.stop()
    assert time.monotonic() - started < 2
    assert not instance.running


@pytest.mark.parametrize("status", [500, 503, 429])
def test_fault_status(clerk: LocalClerk, status: int) -> None:
    clerk.set_fault("status", status=status)
    got, _, raw = call(clerk, "/v1/jwks", bearer=clerk.secret_key)
    assert got == status
    assert error_code(raw) == "internal_error"


def test_fault_bad_json(clerk: LocalClerk) -> None:
    clerk.set_fault("bad_json")
    status, headers, raw = call(clerk, "/v1/jwks", bearer=clerk.secret_key)
    assert status == 200
    assert headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        json.loads(raw)


def test_fault_empty_keys(clerk: LocalClerk) -> None:
    clerk.set_fault("empty_keys")
    status, _, raw = call(clerk, "/v1/jwks", bearer=clerk.secret_key)
    assert (status, json.loads(raw)) == (200, {"keys": []})


def test_fault_unauthorized_even_with_right_key(clerk: LocalClerk) -> None:
    clerk.set_fault("unauthorized")
    status, _, raw = call(clerk, "/v1/jwks", bearer=clerk.secret_key)
    assert status == 401
    assert error_code(raw) == "clerk_key_invalid"


def test_fault_times_then_recovers(clerk: LocalClerk) -> None:
    clerk.set_fault("status", times=2)
    statuses = [call(clerk, "/v1/jwks", bearer=clerk.secret_key)[0] for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert clerk.jwks_requests == 3


def test_fault_until_cleared_and_reset(clerk: LocalClerk) -> None:
    clerk.set_fault("empty_keys")
    for _ in range(3):
        assert json.loads(call(clerk, "/v1/jwks", bearer=clerk.secret_key)[2]) == {"keys": []}
    clerk.clear_faults()
    assert json.loads(call(clerk, "/v1/jwks", bearer=clerk.secret_key)[2])["keys"]
    clerk.set_fault("down")
    clerk.register_machine_token("api_key", "ak_x")
    clerk.reset()
    assert (clerk.jwks_requests, clerk.requests) == (0, [])
    assert call(clerk, "/v1/jwks", bearer=clerk.secret_key)[0] == 200
    assert call(clerk, "/api_keys/verify", bearer=clerk.secret_key, body={"secret": "ak_x"})[0] == 404


def test_fault_applies_to_machine_routes(clerk: LocalClerk) -> None:
    clerk.register_machine_token("m2m_token", "mt_abc")
    clerk.set_fault("status", status=502, times=1)
    path, body = "/m2m_tokens/verify", {"token": "mt_abc"}
    assert call(clerk, path, bearer=clerk.secret_key, body=body)[0] == 502
    assert call(clerk, path, bearer=clerk.secret_key, body=body)[0] == 200


def test_set_fault_validates() -> None:
    instance = LocalClerk(keys=[])
    with pytest.raises(ValueError):
        instance.set_fault("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        instance.set_fault("slow", delay=-1)


# -- machine tokens -----------------------------------------------------------------------

MACHINE_ROUTES = [
    ("m2m_token", "/m2m_tokens/verify", "token", "machine_to_machine_token"),
    (
        "oauth_token",
        "/oauth_applications/access_tokens/verify",
        "access_token",
        "clerk_idp_oauth_access_token",
    ),
    ("api_key", "/api_keys/verify", "secret", "api_key"),
]


@pytest.mark.parametrize(("kind", "path", "member", "object_name"), MACHINE_ROUTES)
def test_machine_token_verify(clerk: LocalClerk, kind: Any, path: str, member: str, object_name: str) -> None:
    token = {
        "m2m_token": "mt_secret1",
        "oauth_token": "oat_secret1",
        "api_key": "ak_secret1",
    }[kind]
    registered = clerk.register_machine_token(kind, token, scopes=["read"], claims={"k": "v"})
    assert registered["object"] == object_name
    assert {
        "id",
        "subject",
        "revoked",
        "expired",
        "expiration",
        "created_at",
        "updated_at",
    } <= set(registered)

    status, headers, raw = call(clerk, path, bearer=clerk.secret_key, body={member: token})
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(raw) == registered

    # also reachable under /v1 for clients that always prefix the version
    assert call(clerk, "/v1" + path, bearer=clerk.secret_key, body={member: token})[0] == 200

    status, _, raw = call(clerk, path, bearer=clerk.secret_key, body={member: token + "x"})
    assert status == 404
    assert error_code(raw) == "resource_not_found"

    status, _, raw = call(clerk, path, bearer="sk_test_wrong", body={member: token})
    assert status == 401
    assert error_code(raw) == "clerk_key_invalid"

    status, _, raw = call(clerk, path, bearer=clerk.secret_key, body={"nope": token})
    assert status == 400
    assert error_code(raw) == "bad_request"

    recorded = clerk.requests[0]
    assert (recorded.method, recorded.path) == ("POST", path)
    assert json.loads(recorded.body) == {member: token}
    assert recorded.headers["content-type"] == "application/json"


def test_machine_token_kinds_are_separate(clerk: LocalClerk) -> None:
    clerk.register_machine_token("api_key", "ak_only")
    assert (
        call(
            clerk,
            "/m2m_tokens/verify",
            bearer=clerk.secret_key,
            body={"token": "ak_only"},
        )[0]
        == 404
    )


def test_machine_secret_key_accepted_for_m2m_only(clerk: LocalClerk) -> None:
    clerk.register_machine_token("m2m_token", "mt_m", subject="mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk")
    clerk.register_machine_token("api_key", "ak_a")
    status, _, raw = call(
        clerk,
        "/m2m_tokens/verify",
        bearer=clerk.machine_secret_key,
        body={"token": "mt_m"},
    )
    assert status == 200
    assert json.loads(raw)["subject"] == "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk"
    status, _, _ = call(
        clerk,
        "/api_keys/verify",
        bearer=clerk.machine_secret_key,
        body={"secret": "ak_a"},
    )
    assert status == 401


def test_oauth_deprecated_secret_member(clerk: LocalClerk) -> None:
    clerk.register_machine_token("oauth_token", "oat_dep", client_id="client_x")
    status, _, raw = call(
        clerk,
        "/oauth_applications/access_tokens/verify",
        bearer=clerk.secret_key,
        body={"secret": "oat_dep"},
    )
    assert (status, json.loads(raw)["client_id"]) == (200, "client_x")


# -- minting ------------------------------------------------------------------------------


def decode(token: str, keys: KeyPair, **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify with PyJWT against the public PEM, at the pinned clock."""
    header = jwt.get_unverified_header(token)
    checks: Any = {
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": False,
        **options,
    }
    claims = jwt.decode(token, keys.public_pem, algorithms=["RS256", "RS384", "RS512"], options=checks)
    return header, claims


def test_session_token_v1(keys: KeyPair) -> None:
    org = {
        "id": "org_1",
        "slug": "acme",
        "role": "org:admin",
        "permissions": ["org:sys:read"],
    }
    token = mint_session_token(keys, now=NOW, org=org, claims={"fva": [1, -1], "azp": None})
    header, claims = decode(token, keys)
    assert header == {
        "typ": "JWT",
        "alg": "RS256",
        "kid": keys.kid,
        "cat": SESSION_TOKEN,
    }
    assert claims == {
        "exp": NOW + 60,
        "iat": NOW,
        "iss": "https://clerk.local.dev",
        "nbf": NOW - 5,
        "sid": "sess_2local",
        "sub": "user_2local",
        "org_id": "org_1",
        "org_role": "org:admin",
        "org_slug": "acme",
        "org_permissions": ["org:sys:read"],
        "fva": [1, -1],
    }


def test_session_token_v2_and_pinned_times(keys: KeyPair) -> None:
    org = {
        "id": "org_1",
        "slug": "acme",
        "role": "org:admin",
        "features": "o:reservations,u:dashboard",
        "per": "read,manage",
        "fpm": "2,3",
    }
    token = mint_session_token(
        keys,
        now=NOW,
        version=2,
        org=org,
        iat=NOW - 100,
        exp=NOW - 1,
        nbf=NOW - 200,
        cat=None,
    )
    header, claims = decode(token, keys)
    assert "cat" not in header
    assert claims["v"] == 2
    assert claims["o"] == {
        "id": "org_1",
        "rol": "admin",
        "slg": "acme",
        "per": "read,manage",
        "fpm": "2,3",
    }
    assert claims["fea"] == "o:reservations,u:dashboard"
    assert (claims["iat"], claims["exp"], claims["nbf"]) == (
        NOW - 100,
        NOW - 1,
        NOW - 200,
    )
    assert claims["azp"] == "http://localhost:3000"


def test_session_token_verifies_with_pyjwt_time_checks(keys: KeyPair) -> None:
    token = mint_session_token(keys)
    claims = jwt.decode(token, keys.public_pem, algorithms=["RS256"])
    assert claims["sub"] == "user_2local"
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(
            mint_session_token(keys, now=time.time() - 3600),
            keys.public_pem,
            algorithms=["RS256"],
        )


def test_header_overrides_remove_members(keys: KeyPair) -> None:
    token = mint_session_token(keys, now=NOW, header={"typ": None, "kid": "other", "x": 1})
    header, _ = decode(token, keys)
    assert header == {"alg": "RS256", "kid": "other", "cat": SESSION_TOKEN, "x": 1}


def test_m2m_token(keys: KeyPair) -> None:
    token = mint_m2m_token(keys, now=NOW, aud=["mch_a"], claims={"extra": True})
    header, claims = decode(token, keys)
    assert header == {"typ": "JWT", "alg": "RS256", "kid": keys.kid, "cat": M2M_TOKEN}
    assert claims["sub"].startswith("mch_")
    assert claims == {
        "exp": NOW + 60,
        "iat": NOW,
        "jti": "mt_2local",
        "nbf": NOW - 5,
        "sub": "mch_2local",
        "scopes": "mch_other",
        "aud": ["mch_a"],
        "extra": True,
    }


def test_oauth_token(keys: KeyPair) -> None:
    token = mint_oauth_token(keys, now=NOW, ttl=120)
    header, claims = decode(token, keys)
    assert header == {"typ": "at+jwt", "alg": "RS256", "kid": keys.kid}
    assert claims["client_id"] == "client_2local"
    assert claims["scope"] == "read write"
    assert claims["jti"] == "oat_2local"
    assert claims["exp"] - claims["iat"] == 120
    alt = mint_oauth_token(keys, now=NOW, typ="application/at+jwt")
    assert jwt.get_unverified_header(alt)["typ"] == "application/at+jwt"


def test_handshake_token(keys: KeyPair) -> None:
    directives = ["__session=abc; Path=/", "__client_uat=1; Path=/"]
    token = mint_handshake_token(keys, directives, now=NOW)
    header, claims = decode(token, keys)
    assert header["cat"] == SESSION_TOKEN
    assert claims == {"exp": NOW + 60, "handshake": directives, "iat": NOW}


def test_local_clerk_mint_helpers_use_first_key(clerk: LocalClerk, keys: KeyPair) -> None:
    for token in (
        clerk.session_token(now=NOW),
        clerk.m2m_token(now=NOW),
        clerk.oauth_token(now=NOW),
        clerk.handshake_token(["a=b"], now=NOW),
    ):
        header, _ = decode(token, keys)
        assert header["kid"] == keys.kid


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
def test_sign_jwt_with_pem_and_jwk(keys: KeyPair, algorithm: str) -> None:
    payload = {"sub": "user_x", "iat": 123}
    from_pem = sign_jwt(payload, keys.private_pem, algorithm=algorithm)
    header, claims = decode(from_pem, keys)
    assert header == {"typ": "JWT", "alg": algorithm}
    assert claims == payload  # iat is not overwritten
    from_jwk = sign_jwt(payload, keys.private_jwk, algorithm=algorithm)
    header, claims = decode(from_jwk, keys)
    assert header == {"typ": "JWT", "alg": algorithm, "kid": keys.kid}
    assert claims == payload
    # unpadded base64url segments, compact JSON
    first = from_jwk.split(".")[0]
    assert "=" not in from_jwk
    assert base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)).decode() == (
        f'{{"typ":"JWT","alg":"{algorithm}","kid":"{keys.kid}"}}'
    )


def test_sign_jwt_with_minimal_jwk(keys: KeyPair) -> None:
    jwk = {k: v for k, v in keys.private_jwk.items() if k in {"kty", "n", "e", "d"}}
    header, claims = decode(sign_jwt({"a": 1}, jwk), keys)
    assert "kid" not in header
    assert claims == {"a": 1}


def test_sign_jwt_rejects_public_keys_and_missing_algorithm(keys: KeyPair) -> None:
    with pytest.raises(ValueError, match="sign_jwt needs a private key"):
        sign_jwt({}, keys.public_pem)
    with pytest.raises(ValueError, match="sign_jwt needs a private key"):
        sign_jwt({}, keys.public_jwk)
    with pytest.raises(ValueError, match="No algorithm specified"):
        sign_jwt({}, keys, algorithm="")
    with pytest.raises(ValueError):
        sign_jwt({}, keys, algorithm="HS256")


# -- secrets stay out of reprs ------------------------------------------------------------


def test_reprs_hide_secrets(clerk: LocalClerk, keys: KeyPair) -> None:
    token = clerk.session_token(now=NOW)
    clerk.register_machine_token("api_key", "ak_reprsecret")
    call(clerk, "/v1/jwks?__session=" + token, bearer=clerk.secret_key)
    call(
        clerk,
        "/api_keys/verify",
        bearer=clerk.secret_key,
        body={"secret": "ak_reprsecret"},
    )
    private = keys.private_jwk
    texts = [repr(keys), str(keys), repr(clerk), str(clerk)]
    texts += [repr(r) for r in clerk.requests] + [str(r) for r in clerk.requests]
    for text in texts:
        for secret in (
            clerk.secret_key,
            clerk.machine_secret_key,
            token,
            "ak_reprsecret",
            private["d"],
            private["p"],
        ):
            assert secret not in text
        assert "PRIVATE KEY" not in text
    assert "kid='ins_local_1'" in repr(keys)
    assert "/v1/jwks" in repr(clerk.requests[0])


def test_default_secrets_are_random_and_prefixed() -> None:
    a, b = LocalClerk(keys=[]), LocalClerk(keys=[])
    assert a.secret_key.startswith("sk_test_")
    assert a.machine_secret_key.startswith("ak_")
    assert a.secret_key != b.secret_key
    assert a.machine_secret_key != b.machine_secret_key
    assert not a.running
    with pytest.raises(RuntimeError):
        _ = a.api_url


def test_start_stop_restart(keys: KeyPair) -> None:
    instance = LocalClerk(keys=[keys])
    with instance:
        assert instance.api_url.startswith("http://127.0.0.1:")
        assert instance.jwks_url == instance.api_url + "/v1/jwks"
        with pytest.raises(RuntimeError):
            instance.start()
    assert not instance.running
    instance.stop()  # idempotent
    with instance:
        assert call(instance, "/v1/jwks", bearer=instance.secret_key)[0] == 200
