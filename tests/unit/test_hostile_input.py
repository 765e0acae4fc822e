"""Hostile tokens and keys: each gives a clear TokenVerificationError, never another exception."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clerk_core import Clerk, TokenVerificationError, decode_jwt
from clerk_core.jwt.b64 import b64url_encode
from clerk_core.jwt.decode import MAX_TOKEN_CHARS
from clerk_core.jwt.pem import pem_to_jwk
from clerk_core.testing import KeyPair, mint_session_token, sign_jwt
from tests.conftest import FIXED_NOW, PinnedClock


def _segment(value: Any) -> str:
    return b64url_encode(json.dumps(value).encode())


def _unsigned(header: Any, payload: Any, signature: bytes = b"") -> str:
    return f"{_segment(header)}.{_segment(payload)}.{b64url_encode(signature)}"


@pytest.fixture(scope="module")
def clerk() -> Clerk:
    from clerk_core.testing import default_keypair

    return Clerk(jwt_key=default_keypair().public_pem, plugins=[PinnedClock()], load_entry_points=False, environ={})


def _reason(clerk: Clerk, token: object) -> str:
    with pytest.raises(TokenVerificationError) as exc:
        clerk.verify_token(token)
    return exc.value.reason


def _sign_raw(payload: bytes, keys: KeyPair) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signing_input = f"{_segment({'alg': 'RS256', 'typ': 'JWT', 'kid': keys.kid})}.{b64url_encode(payload)}"
    signature = keys.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url_encode(signature)}"


CLAIMS = {"sub": "user_1", "sid": "sess_1", "iat": int(FIXED_NOW), "exp": int(FIXED_NOW) + 60}


def test_alg_none_is_refused(clerk: Clerk) -> None:
    assert _reason(clerk, _unsigned({"alg": "none", "typ": "JWT"}, CLAIMS)) == "token-invalid-algorithm"
    assert _reason(clerk, _unsigned({"alg": "None"}, CLAIMS, b"x")) == "token-invalid-algorithm"


def test_hs256_signed_with_the_public_pem_is_refused(clerk: Clerk, keys: KeyPair) -> None:
    header = _segment({"alg": "HS256", "typ": "JWT", "kid": keys.kid})
    payload = _segment(CLAIMS)
    mac = hmac.new(keys.public_pem.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert _reason(clerk, f"{header}.{payload}.{b64url_encode(mac)}") == "token-invalid-algorithm"


def test_key_of_the_wrong_type_is_refused_before_the_provider(keys: KeyPair) -> None:
    token = mint_session_token(keys, now=FIXED_NOW)
    client = Clerk(plugins=[PinnedClock()], load_entry_points=False, environ={})
    ec_key = {
        "kty": "EC",
        "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    }
    for key in (
        ec_key,
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "RSA"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        [],
        42,
    ):
        with pytest.raises(TokenVerificationError) as exc:
            client.verify_jwt(token, key=key)  # type: ignore[arg-type]
        assert exc.value.reason == "token-verification-failed", key


@pytest.mark.parametrize("mangle", ["pad", "plus", "slash", "space", "noncanonical", "newline"])
def test_non_canonical_base64url_is_refused(clerk: Clerk, keys: KeyPair, mangle: str) -> None:
    header, payload, signature = mint_session_token(keys, now=FIXED_NOW).split(".")
    if mangle == "pad":
        payload += "=" * (-len(payload) % 4 or 4)
    elif mangle == "plus":
        signature = signature.replace("-", "+") if "-" in signature else "+" + signature[1:]
    elif mangle == "slash":
        signature = signature.replace("_", "/") if "_" in signature else "/" + signature[1:]
    elif mangle == "space":
        payload = payload[:5] + " " + payload[5:]
    elif mangle == "newline":
        signature += "\n"
    else:  # a different spelling of the same bytes: flip unused low bits of the last character
        assert len(signature) % 4 == 2
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        signature = signature[:-1] + alphabet[alphabet.index(signature[-1]) | 1]
    assert _reason(clerk, f"{header}.{payload}.{signature}") == "token-invalid"


@pytest.mark.parametrize("token", ["a.b", "a.b.c.d", "", ".", "..", "....", "x" * 100])
def test_wrong_number_of_parts(clerk: Clerk, token: str) -> None:
    assert _reason(clerk, token) == "token-invalid"


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1,2]",
        b'"string"',
        b"42",
        b"null",
        b"true",
        b"\xff\xfe",
        b'{"a":NaN}',
        b'{"a":1',
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_non_json_or_non_object_segments(clerk: Clerk, payload: bytes) -> None:
    token = f"{_segment({'alg': 'RS256'})}.{b64url_encode(payload)}.AAAA"
    assert _reason(clerk, token) == "token-invalid"
    token = f"{b64url_encode(payload)}.{_segment(CLAIMS)}.AAAA"
    assert _reason(clerk, token) == "token-invalid"


def test_huge_token_is_refused_early(clerk: Clerk) -> None:
    huge = "A" * (4 * 1024 * 1024)
    started = time.perf_counter()
    for token in (f"{huge}.{huge}.{huge}", f"e30.{huge}.AA", "." * MAX_TOKEN_CHARS):
        assert _reason(clerk, token) == "token-invalid"
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", "1999999999"),
        ("exp", True),
        ("exp", None),
        ("exp", 1e400),
        ("exp", [1]),
        ("nbf", False),
        ("nbf", "0"),
        ("iat", {}),
        ("iat", -1e400),
        ("sub", 123),
        ("sub", None),
        ("sub", ["user_1"]),
    ],
)
def test_claims_of_the_wrong_type(keys: KeyPair, claim: str, value: object) -> None:
    client = Clerk(jwt_key=keys.public_pem, plugins=[PinnedClock()], load_entry_points=False, environ={})
    # JSON has no Infinity literal, but 1e400 overflows to it when decoded.
    payload = json.dumps({**CLAIMS, claim: value}).replace("-Infinity", "-1e400").replace("Infinity", "1e400")
    token = _sign_raw(payload.encode(), keys)
    with pytest.raises(TokenVerificationError) as exc:
        client.verify_token(token)
    # An overflowing number is refused by the JSON decoder itself (the reference reads it as
    # Infinity and never expires the token); every other wrong type fails the claim check.
    overflow = isinstance(value, float) and abs(value) == float("inf")
    assert exc.value.reason == ("token-invalid" if overflow else "token-verification-failed")


def test_bad_pem_keys_fail_clearly(keys: KeyPair) -> None:
    token = mint_session_token(keys, now=FIXED_NOW)
    other_type = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    for pem in (
        "garbage",
        "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----",
        other_type,
        keys.private_pem,
        "QUJD",
        "A" * 70000,
    ):
        client = Clerk(jwt_key=pem, plugins=[PinnedClock()], load_entry_points=False, environ={})
        with pytest.raises(TokenVerificationError) as exc:
            client.verify_token(token)
        assert exc.value.reason == "token-verification-failed"
        assert pem not in str(exc.value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(st.text(max_size=300), st.binary(max_size=300), st.integers(), st.none(), st.lists(st.text(max_size=3)))
)
def test_any_input_decodes_or_raises_token_invalid(value: object) -> None:
    try:
        decode_jwt(value)
    except TokenVerificationError as exc:
        assert exc.reason == "token-invalid"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(
    header=st.dictionaries(st.sampled_from(["alg", "typ", "kid", "cat", "x"]), json_values, max_size=5),
    payload=st.dictionaries(
        st.sampled_from(["sub", "exp", "nbf", "iat", "azp", "aud", "sid"]), json_values, max_size=7
    ),
    sign=st.booleans(),
)
def test_any_signed_or_unsigned_token_verifies_or_raises_a_typed_error(
    header: dict[str, Any], payload: dict[str, Any], sign: bool
) -> None:
    from clerk_core.testing import default_keypair

    keys = default_keypair()
    client = Clerk(
        jwt_key=keys.public_pem,
        audience="aud",
        authorized_parties=["azp"],
        plugins=[PinnedClock()],
        load_entry_points=False,
        environ={},
    )
    token = (
        sign_jwt(payload, keys, header={k: v for k, v in header.items() if k != "alg"})
        if sign
        else _unsigned(header, payload, b"sig")
    )
    try:
        claims = client.verify_token(token)
    except TokenVerificationError as exc:
        assert exc.reason.startswith(("token-", "jwk-"))
    else:
        assert sign and isinstance(claims["sub"], str)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_pem_text_parses_or_raises_value_error(text: str) -> None:
    try:
        jwk = pem_to_jwk(text)
    except ValueError:
        return
    assert jwk["kty"] == "RSA"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_der_parses_or_raises_value_error(der: bytes) -> None:
    try:
        pem_to_jwk(base64.b64encode(der).decode())
    except ValueError:
        pass
