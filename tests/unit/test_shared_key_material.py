"""Key material parsed once per process: clients built per request stay correct and cheap.

Imported key handles, parsed PEM keys and the plugin availability checks are shared between
clients. Sharing must never let one key stand in for another, hand a caller a dict another
caller can change, or turn a bad key into an accepted one.
"""

from __future__ import annotations

import pytest
from clerk_plugins.josepy_crypto import JosepyCrypto

from clerk_core import TokenVerificationError
from clerk_core.jwt.b64 import b64url_decode
from clerk_core.jwt.pem import pem_to_jwk
from clerk_core.testing import KeyPair
from clerk_core.testing.minting import mint_session_token
from tests.conftest import Driver


def test_same_key_same_alg_shares_one_handle_across_providers(keys: KeyPair) -> None:
    jwk = keys.public_jwk
    first = JosepyCrypto().import_key(jwk, "RS256")
    assert JosepyCrypto().import_key(dict(jwk), "RS256") is first
    assert JosepyCrypto().import_key(jwk, "RS512") is not first
    assert JosepyCrypto().import_key(jwk, "RS512").alg == "RS512"


def test_another_key_never_reuses_a_handle(keys: KeyPair, other_keys: KeyPair) -> None:
    crypto = JosepyCrypto()
    mine = crypto.import_key(keys.public_jwk, "RS256")
    theirs = crypto.import_key(other_keys.public_jwk, "RS256")
    assert mine is not theirs
    token = mint_session_token(other_keys)
    signing_input, _, signature = token.rpartition(".")
    raw = b64url_decode(signature)
    assert crypto.verify("RS256", theirs, raw, signing_input.encode()) is True
    assert crypto.verify("RS256", mine, raw, signing_input.encode()) is False


def test_a_bad_key_still_fails_after_a_good_one_was_cached(keys: KeyPair) -> None:
    crypto = JosepyCrypto()
    crypto.import_key(keys.public_jwk, "RS256")
    broken = {**keys.public_jwk, "n": "AQAB"}  # a 17-bit modulus
    with pytest.raises(ValueError):
        crypto.import_key(broken, "RS256")
    with pytest.raises(ValueError):
        crypto.import_key({**keys.public_jwk, "n": 12345}, "RS256")


def test_parsed_pem_is_handed_out_as_independent_dicts(keys: KeyPair) -> None:
    first = pem_to_jwk(keys.public_pem)
    first["n"] = "tampered"
    second = pem_to_jwk(keys.public_pem)
    assert second["n"] == keys.public_jwk["n"]
    assert second is not first


@pytest.mark.parametrize("segment", ["\\u0041", "QQ\\u003d", 'Q"Q', "QQ\\", "\\/"])
def test_base64url_refuses_json_escapes_and_quotes(segment: str) -> None:
    with pytest.raises(ValueError):
        b64url_decode(segment)


def test_base64url_decodes_every_length_and_the_url_alphabet() -> None:
    assert b64url_decode("") == b""
    assert b64url_decode("QQ") == b"A"
    assert b64url_decode("QUI") == b"AB"
    assert b64url_decode("QUJD") == b"ABC"
    assert b64url_decode("-_8") == b"\xfb\xff"
    for bad in ("Q", "QUJDR", "QQ==", "+/8", "Q Q"):
        with pytest.raises(ValueError):
            b64url_decode(bad)


def test_clients_built_per_request_verify_with_their_own_key(
    driver: Driver, keys: KeyPair, other_keys: KeyPair
) -> None:
    token = mint_session_token(keys)
    for _ in range(3):
        client = driver.client(jwt_key=keys.public_pem)
        assert driver.call(client, "verify_token", token)["sub"] == "user_2local"
        stranger = driver.client(jwt_key=other_keys.public_pem)
        with pytest.raises(TokenVerificationError) as caught:
            driver.call(stranger, "verify_token", token)
        assert caught.value.reason == "token-invalid-signature"
