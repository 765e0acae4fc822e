"""Reference scenarios 1-17 (clerk-js-backend.md §9.1, "JWT primitives"), one named test each.

End-to-end checks go through both drivers (the ``driver`` fixture); the
assertion grids call the claim checks directly with a pinned ``now``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from clerk_plugins.josepy_crypto import JosepyCrypto

from clerk_core import TokenVerificationError, decode_jwt
from clerk_core.jwt.claims import check_audience, check_claims, check_header_type
from clerk_core.options import VerifyOptions
from clerk_core.testing import KeyPair, mint_oauth_token, mint_session_token, sign_jwt
from tests.conftest import FIXED_NOW, Driver, PinnedClock

A = "http://audience.example"
O = "http://audience-other.example"
INVALID = "http://invalid-audience.example"
NOW_TEXT = "Mon, 24 Oct 2022 21:50:50 GMT"


def _reason(exc: pytest.ExceptionInfo[TokenVerificationError]) -> tuple[str, str]:
    return exc.value.reason, exc.value.message


def _options(**given: Any) -> VerifyOptions:
    return VerifyOptions().override(**given)


def _claims(**claims: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"sub": "user_1", "exp": FIXED_NOW + 60}
    base.update(claims)
    return {k: v for k, v in base.items() if v is not None}


def test_s01_decode_returns_header_payload_signature_and_raw(keys: KeyPair) -> None:
    token = mint_session_token(keys, now=FIXED_NOW)
    jwt = decode_jwt(token)
    header, payload, signature = token.split(".")
    assert jwt.header == {"alg": "RS256", "cat": "cl_B7d4PD111AAA", "kid": "ins_local_1", "typ": "JWT"}
    assert jwt.payload["sub"] == "user_2local"
    assert jwt.payload["iat"] == int(FIXED_NOW)
    assert isinstance(jwt.signature, bytes)
    assert len(jwt.signature) == 256
    assert (jwt.raw.header, jwt.raw.payload, jwt.raw.signature, jwt.raw.text) == (header, payload, signature, token)
    assert jwt.signing_input == f"{header}.{payload}".encode()


@pytest.mark.parametrize("value", [None, "", 42, "null", "undefined", "whatever", "42", "a.b", "a.b.c.d", "..."])
def test_s02_decode_rejects_non_tokens(value: object) -> None:
    with pytest.raises(TokenVerificationError) as exc:
        decode_jwt(value)
    assert _reason(exc) == (
        "token-invalid",
        "Invalid JWT form. A JWT consists of three parts separated by dots.",
    )


@pytest.mark.parametrize("token", ["aaa.bbb.ccc", "YWJj.YWJj.YWJj", "e30.W10.", "!!!.e30.AA", "e30.bnVsbA.AA"])
def test_s03_decode_rejects_bad_base64url_and_non_object_json(token: str) -> None:
    with pytest.raises(TokenVerificationError) as exc:
        decode_jwt(token)
    assert _reason(exc) == (
        "token-invalid",
        "Invalid JWT form. The header, payload, or signature could not be decoded.",
    )


def test_s04_has_valid_signature_with_jwk_pem_and_wrong_key(driver: Driver, keys: KeyPair, other_keys: KeyPair) -> None:
    client = driver.client()
    token = mint_session_token(keys, now=FIXED_NOW)
    assert driver.call(client, "has_valid_signature", token, keys.public_jwk) is True
    assert driver.call(client, "has_valid_signature", token, keys.public_pem) is True
    assert driver.call(client, "has_valid_signature", decode_jwt(token), keys.public_pem) is True
    wrong = dict(other_keys.public_jwk, kid=keys.kid)
    assert driver.call(client, "has_valid_signature", token, wrong) is False
    assert driver.call(client, "has_valid_signature", token, other_keys.public_pem) is False


@pytest.mark.parametrize("parties", [["http://localhost:3000"], ["", "http://localhost:3000"]])
def test_s05_verify_jwt_returns_payload_when_azp_is_authorized(
    driver: Driver, keys: KeyPair, clock: PinnedClock, parties: list[str]
) -> None:
    client = driver.client(plugins=[clock])
    token = mint_session_token(keys, now=FIXED_NOW)
    payload = driver.call(client, "verify_jwt", token, key=keys.public_jwk, authorized_parties=parties)
    assert payload == decode_jwt(token).payload


def test_s06_header_type_default_explicit_and_oauth_types(driver: Driver, keys: KeyPair, clock: PinnedClock) -> None:
    client = driver.client(plugins=[clock])
    session = mint_session_token(keys, now=FIXED_NOW)
    assert driver.call(client, "verify_jwt", session, key=keys.public_jwk)["sub"] == "user_2local"
    assert driver.call(client, "verify_jwt", session, key=keys.public_jwk, header_type="JWT")["sid"] == "sess_2local"
    for typ in ("at+jwt", "application/at+jwt"):
        oauth = mint_oauth_token(keys, now=FIXED_NOW, typ=typ)
        types = ["at+jwt", "application/at+jwt"]
        assert driver.call(client, "verify_jwt", oauth, key=keys.public_jwk, header_type=types)["sub"] == "user_2local"
    untyped = mint_session_token(keys, now=FIXED_NOW, header={"typ": None})
    assert driver.call(client, "verify_jwt", untyped, key=keys.public_jwk)["sub"] == "user_2local"
    check_header_type("at+jwt", ("at+jwt",))


@pytest.mark.parametrize(
    ("typ", "allowed", "message"),
    [
        ("JWT", ("at+jwt",), 'Invalid JWT type "JWT". Expected "at+jwt".'),
        (..., ("at+jwt",), 'Invalid JWT type undefined. Expected "at+jwt".'),
        ("at+jwt", ("JWT",), 'Invalid JWT type "at+jwt". Expected "JWT".'),
        (
            "custom-type",
            ("at+jwt", "application/at+jwt"),
            'Invalid JWT type "custom-type". Expected "at+jwt, application/at+jwt".',
        ),
        ("", None, 'Invalid JWT type "". Expected "JWT".'),
        ("Aloha", None, 'Invalid JWT type "Aloha". Expected "JWT".'),
    ],
)
def test_s07_header_type_mismatch_is_rejected(
    driver: Driver, keys: KeyPair, clock: PinnedClock, typ: object, allowed: tuple[str, ...] | None, message: str
) -> None:
    client = driver.client(plugins=[clock])
    token = mint_session_token(keys, now=FIXED_NOW, header={"typ": None if typ is ... else typ})
    options = {} if allowed is None else {"header_type": list(allowed)}
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_jwt", token, key=keys.public_jwk, **options)
    assert _reason(exc) == ("token-invalid", message)
    assert exc.value.action == "Make sure that this is a valid Clerk-generated JWT."


PASSING_AUD: list[tuple[object, object]] = [
    (None, None),
    (None, A),
    (None, [A]),
    ("", None),
    ("", A),
    ("", [A]),
    ("", [A, O]),
    (A, None),
    ([A], None),
    (A, ""),
    ([A], ""),
    ([A, O], ""),
    ([], A),
    ([None, None], A),
    ([False, False], A),
    (["", ""], [A]),
    (["", ""], [A, O]),
    (A, []),
    (A, ["", ""]),
    ([A], ["", ""]),
    ([A, O], ["", ""]),
    (A, A),
    (A, [A, O]),
    ([A], [A, O]),
    ([A, O], [A]),
    (42, A),
    ([A, 42], [O]),  # not strings: the reference does not check them
]
FAILING_AUD: list[tuple[object, object, str]] = [
    (A, INVALID, f'Invalid JWT audience claim (aud) "{A}". Is not included in "["{INVALID}"]".'),
    (
        A,
        "http://audience.exam",
        f'Invalid JWT audience claim (aud) "{A}". Is not included in "["http://audience.exam"]".',
    ),
    (
        [A, O],
        "http://audience.exam",
        f'Invalid JWT audience claim array (aud) ["{A}","{O}"]. Is not included in "["http://audience.exam"]".',
    ),
    ([A], [INVALID], f'Invalid JWT audience claim array (aud) ["{A}"]. Is not included in "["{INVALID}"]".'),
    (
        "http://audience.exam",
        A,
        f'Invalid JWT audience claim (aud) "http://audience.exam". Is not included in "["{A}"]".',
    ),
    (
        "http://audience.exam",
        [A, O],
        f'Invalid JWT audience claim (aud) "http://audience.exam". Is not included in "["{A}","{O}"]".',
    ),
]


@pytest.mark.parametrize(("aud", "audience"), PASSING_AUD)
def test_s08_audience_passes(aud: object, audience: object) -> None:
    check_audience(aud, _options(audience=audience).audience)


@pytest.mark.parametrize(("aud", "audience", "message"), FAILING_AUD)
def test_s08_audience_mismatch_and_substrings_fail(aud: object, audience: object, message: str) -> None:
    with pytest.raises(TokenVerificationError) as exc:
        check_audience(aud, _options(audience=audience).audience)
    assert _reason(exc) == ("token-verification-failed", message)


def test_s08_audience_end_to_end(driver: Driver, keys: KeyPair, clock: PinnedClock) -> None:
    client = driver.client(plugins=[clock])
    token = mint_session_token(keys, now=FIXED_NOW, claims={"aud": ["https://other.example", "https://my.example"]})
    assert driver.call(client, "verify_jwt", token, key=keys.public_jwk, audience="https://my.example")["aud"]
    with pytest.raises(TokenVerificationError, match="Invalid JWT audience claim array"):
        driver.call(client, "verify_jwt", token, key=keys.public_jwk, audience="https://attacker.example")


@pytest.mark.parametrize(
    ("skew", "seconds_after_exp", "accepted"),
    [
        (0, 1, False),
        (None, 1, True),
        (math.nan, 1, True),
        (math.nan, 60, False),
        (math.inf, 3600, False),
        (-math.inf, 1, True),
    ],
)
def test_s09_clock_skew_zero_is_honoured_and_non_finite_falls_back_to_5s(
    driver: Driver, keys: KeyPair, skew: float | None, seconds_after_exp: int, accepted: bool
) -> None:
    token = mint_session_token(keys, now=FIXED_NOW)
    exp = decode_jwt(token).payload["exp"]
    client = driver.client(plugins=[PinnedClock(exp + seconds_after_exp)])
    options = {} if skew is None else {"clock_skew_in_ms": skew}
    if accepted:
        assert driver.call(client, "verify_jwt", token, key=keys.public_jwk, **options)["exp"] == exp
    else:
        with pytest.raises(TokenVerificationError, match="JWT is expired"):
            driver.call(client, "verify_jwt", token, key=keys.public_jwk, **options)


def test_s10_signature_error_comes_before_claim_errors(driver: Driver, keys: KeyPair, clock: PinnedClock) -> None:
    client = driver.client(plugins=[clock])
    good = mint_session_token(keys, now=FIXED_NOW)
    expired = mint_session_token(keys, now=FIXED_NOW - 3600, claims={"sub": None})
    forged = ".".join(expired.split(".")[:2] + [good.split(".")[2]])
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_jwt", forged, key=keys.public_jwk)
    assert _reason(exc) == ("token-invalid-signature", "JWT signature is invalid.")


@pytest.mark.parametrize(
    ("alg", "shown"),
    [
        ("", '""'),
        ("ES256", '"ES256"'),
        ("PS512", '"PS512"'),
        ("none", '"none"'),
        ("Aloha", '"Aloha"'),
        (..., "undefined"),
    ],
)
def test_s11_missing_or_unsupported_algorithm(
    driver: Driver, keys: KeyPair, clock: PinnedClock, alg: object, shown: str
) -> None:
    client = driver.client(plugins=[clock])
    token = mint_session_token(keys, now=FIXED_NOW)
    header, payload, signature = token.split(".")
    import json

    from clerk_core.jwt.b64 import b64url_encode

    forged_header = dict(decode_jwt(token).header)
    if alg is ...:
        del forged_header["alg"]
    else:
        forged_header["alg"] = alg
    forged = f"{b64url_encode(json.dumps(forged_header).encode())}.{payload}.{signature}"
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_jwt", forged, key=keys.public_jwk)
    assert _reason(exc) == ("token-invalid-algorithm", f"Invalid JWT algorithm {shown}. Supported: RS256,RS384,RS512.")


def test_s12_missing_sub_fails(driver: Driver, keys: KeyPair, clock: PinnedClock) -> None:
    client = driver.client(plugins=[clock])
    token = mint_session_token(keys, now=FIXED_NOW, claims={"sub": None})
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_jwt", token, key=keys.public_jwk)
    assert _reason(exc) == (
        "token-verification-failed",
        "Subject claim (sub) is required and must be a string. Received undefined.",
    )
    check_claims(_claims(sub=""), _options(), FIXED_NOW)  # an empty string is a string


@pytest.mark.parametrize(
    ("azp", "parties", "message"),
    [
        ("azp", [""], 'Invalid JWT Authorized party claim (azp) "azp". Expected "".'),
        ("azp", ["azp-1"], 'Invalid JWT Authorized party claim (azp) "azp". Expected "azp-1".'),
        (None, ["azp-1", "azp-2"], 'Invalid JWT Authorized party claim (azp) undefined. Expected "azp-1,azp-2".'),
        ("", ["azp-1"], 'Invalid JWT Authorized party claim (azp) "". Expected "azp-1".'),
    ],
)
def test_s13_azp_rejected_when_parties_configured(azp: str | None, parties: list[str], message: str) -> None:
    with pytest.raises(TokenVerificationError) as exc:
        check_claims(_claims(azp=azp), _options(authorized_parties=parties), FIXED_NOW)
    assert _reason(exc) == ("token-invalid-authorized-parties", message)
    assert exc.value.action is None


@pytest.mark.parametrize(
    ("azp", "parties"), [(None, None), ("", None), ("azp", None), ("azp", []), ("azp", ["azp"]), ("azp", ["", "azp"])]
)
def test_s13_azp_accepted(azp: str | None, parties: list[str] | None) -> None:
    check_claims(_claims(azp=azp), _options(authorized_parties=parties), FIXED_NOW)


def _fmt(seconds: float) -> str:
    from clerk_core.jwt.claims import _utc

    return _utc(math.trunc(seconds) * 1000)


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (1666648250000, "Mon, 24 Oct 2022 21:50:50 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
        (-53190893656009, "Thu, 12 Jun 0284 15:45:43 GMT"),  # JavaScript pads years to four digits
        (-62167219200000, "Sat, 01 Jan 0000 00:00:00 GMT"),
        (-8.64e15, "Tue, 20 Apr -271821 00:00:00 GMT"),  # the first instant a Date can hold
        (8.64e15, "Sat, 13 Sep 275760 00:00:00 GMT"),  # and the last
        (8.64e15 + 1, "Invalid Date"),
        (float("nan"), "Invalid Date"),
    ],
)
def test_dates_in_messages_print_as_javascript_to_utc_string(ms: float, text: str) -> None:
    from clerk_core.jwt.claims import _utc

    assert _utc(ms) == text


@pytest.mark.parametrize(
    ("exp_offset", "skew", "expired"),
    [(-5, 0, True), (-5, 6000, False), (0, 0, True), (0, 1000, False), (5, 0, False), (5, 6000, False)],
)
def test_s14_expiry_grid(exp_offset: int, skew: int, expired: bool) -> None:
    claims = _claims(exp=FIXED_NOW + exp_offset)
    options = _options(clock_skew_in_ms=skew)
    if not expired:
        check_claims(claims, options, FIXED_NOW)
        return
    with pytest.raises(TokenVerificationError) as exc:
        check_claims(claims, options, FIXED_NOW)
    assert _reason(exc) == (
        "token-expired",
        f"JWT is expired. Expiry date: {_fmt(FIXED_NOW + exp_offset)}, Current date: {NOW_TEXT}.",
    )


@pytest.mark.parametrize("claim", ["nbf", "iat"])
@pytest.mark.parametrize(
    ("offset", "skew", "ok"),
    [(None, 0, True), (-5, 0, True), (-5, 6000, True), (0, 0, True), (0, 1, True), (5, 6000, True), (5, 0, False)],
)
def test_s15_not_before_and_issued_at_grid(claim: str, offset: int | None, skew: int, ok: bool) -> None:
    claims = _claims(**{claim: None if offset is None else FIXED_NOW + offset})
    options = _options(clock_skew_in_ms=skew)
    if ok:
        check_claims(claims, options, FIXED_NOW)
        return
    with pytest.raises(TokenVerificationError) as exc:
        check_claims(claims, options, FIXED_NOW)
    when = _fmt(FIXED_NOW + 5)
    expected = {
        "nbf": (
            "token-not-active-yet",
            f"JWT cannot be used prior to not before date claim (nbf). Not before date: {when}; Current date: {NOW_TEXT};",
        ),
        "iat": (
            "token-iat-in-the-future",
            f"JWT issued at date claim (iat) is in the future. Issued at date: {when}; Current date: {NOW_TEXT};",
        ),
    }[claim]
    assert _reason(exc) == expected


def test_s16_key_import_accepts_public_keys_and_refuses_the_rest(
    driver: Driver, keys: KeyPair, clock: PinnedClock
) -> None:
    crypto = JosepyCrypto()
    assert crypto.import_key(keys.public_jwk, "RS256") is not None
    client = driver.client(plugins=[clock])
    token = mint_session_token(keys, now=FIXED_NOW)
    assert driver.call(client, "verify_jwt", token, key=keys.public_pem)["sub"] == "user_2local"
    refused: list[Any] = [
        keys.private_jwk,
        "not a key",
        {},
        keys.private_pem,
        dict(keys.public_jwk, use="enc"),
        dict(keys.public_jwk, alg="RS512"),
    ]
    for key in refused:
        with pytest.raises(TokenVerificationError) as exc:
            driver.call(client, "verify_jwt", token, key=key)
        assert exc.value.reason == "token-verification-failed", key
        assert exc.value.message.startswith("Error verifying JWT signature. Error: ")
    with pytest.raises(ValueError, match="sign_jwt needs a private key"):
        sign_jwt({"sub": "x"}, keys.public_pem)
    with pytest.raises(ValueError, match="sign_jwt needs a private key"):
        sign_jwt({"sub": "x"}, keys.public_jwk)


@pytest.mark.parametrize("form", ["jwk", "pkcs8"])
def test_s17_sign_jwt_round_trips(driver: Driver, keys: KeyPair, clock: PinnedClock, form: str) -> None:
    client = driver.client(plugins=[clock])
    payload = {"sub": "user_1", "sid": "sess_1", "iat": int(FIXED_NOW), "exp": int(FIXED_NOW) + 7 * 86400}
    signing_key: Any = keys.private_jwk if form == "jwk" else keys.private_pem
    verify_key: Any = keys.public_jwk if form == "jwk" else keys.public_pem
    token = sign_jwt(payload, signing_key, header={"kid": keys.kid})
    assert driver.call(client, "verify_jwt", token, key=verify_key) == payload
