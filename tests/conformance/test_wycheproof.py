"""Project Wycheproof vectors (C2SP/wycheproof, ``testvectors_v1``) against the provider and the core.

Two layers are exercised:

* **The josepy crypto provider**, with the RSASSA-PKCS1-v1_5 files for RS256,
  RS384 and RS512 (every case, one test each, ids like ``RS256-tc42``): the
  group's public key is imported as a JWK built from ``publicKey.modulus`` and
  ``publicKey.publicExponent``, then ``verify(alg, handle, sig, msg)`` must be
  True for ``valid`` and False for ``invalid`` cases, and must never raise.
* **The core** (``Clerk.has_valid_signature`` / ``Clerk.verify_jwt``), with
  every case of ``json_web_signature_test.json`` (ids like ``JWS-RS256-tc33``,
  ``JWS-malformed-tc9``). Only ``TokenVerificationError`` may escape.

The JWS vectors sign arbitrary payloads (``"foo"``, an integer, RFC 7520's
prose), not JWT claims sets, and the core's decoder refuses a payload that is
not a JSON object (``token-invalid``) before it looks at the signature. So each
JWS case is run twice: once as the token text an application would pass (where
that refusal is the expected outcome) and once at the signature level, by
handing ``has_valid_signature`` a ``Jwt`` built from the vector's own segments
(see ``vectors.jwt_for_signature``); that is where RS* cases must verify and
every other algorithm must meet the allow-list (``token-invalid-algorithm``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

import pytest
from clerk_plugins.josepy_crypto import JosepyCrypto

from clerk_core import Clerk
from clerk_core.jwt.algorithms import DEFAULT_ALGORITHMS, KEY_TYPES
from tests.conformance.vectors import (
    Compact,
    core_outcome,
    int_b64url,
    jwt_for_signature,
    load_json,
    params,
    split_compact,
)

if TYPE_CHECKING:
    from _pytest.mark.structures import ParameterSet

RSA_FILES: Final = {
    "RS256": "wycheproof/rsa_signature_2048_sha256_test.json",
    "RS384": "wycheproof/rsa_signature_2048_sha384_test.json",
    "RS512": "wycheproof/rsa_signature_2048_sha512_test.json",
}
RSA_SHA: Final = {"RS256": "SHA-256", "RS384": "SHA-384", "RS512": "SHA-512"}
JWS_FILE: Final = "wycheproof/json_web_signature_test.json"

TOKEN_INVALID: Final = "token-invalid"
TOKEN_INVALID_ALGORITHM: Final = "token-invalid-algorithm"
TOKEN_INVALID_SIGNATURE: Final = "token-invalid-signature"

#: Every algorithm the core knows (all asymmetric), for the widened allow-list pass.
ALL_ALGORITHMS: Final = tuple(KEY_TYPES)

#: ``acceptable`` cases and what the provider does with them (asserted, not skipped).
#: All three are the DigestInfo without the NULL parameter (flag ``MissingNull``).
#: RFC 8017 §9.2 note 2 allows a verifier to accept that legacy encoding but does
#: not require it; pyca/cryptography (OpenSSL) rejects it, so the provider
#: returns False. Clerk never signs that way, so rejecting is the safe choice.
#: A new ``acceptable`` case in a future vector file fails the test until it is
#: recorded here with a decision.
ACCEPTABLE_OUTCOMES: Final[dict[tuple[str, int], bool]] = {
    ("RS256", 8): False,
    ("RS384", 8): False,
    ("RS512", 8): False,
}

#: JWS cases Wycheproof marks ``valid`` although their base64url is not canonical.
#: Our decoder is deliberately stricter than RFC 7515 readers that skip stray
#: characters (one spelling per token), so the core refuses both as malformed
#: (``token-invalid``). Both are HS256 as well, which the allow-list refuses anyway.
NON_CANONICAL_VALID: Final = {
    372: "a '?' inserted into the header segment (InvalidCharacterInsertedInHeader)",
    373: "a '?' inserted into the payload segment (InvalidCharacterInsertedInPayload)",
}
# Data note: tcIds 367 and 370 ("invalidBase64Padding", "...InPayload") are marked
# invalid but, in this snapshot, their token text is byte-identical to tcId 357
# ("ValidMac", valid): the padding they were meant to carry is absent. All three
# are HS256, so the core's expected outcome (token-invalid-algorithm) is the same.

#: With every asymmetric algorithm allowed, four RFC 7520 figures that Wycheproof
#: marks ``valid`` are refused by the core's key binding (``check_key_binding``):
#: the vector's JWK names another algorithm in its ``alg`` member than the token
#: uses (RFC 7517 §4.4 lets a verifier insist on that member).
KEY_BINDING_REFUSALS: Final = {
    346: "Figure 20: PS384 token, key says 'alg': 'PS256'",
    347: "Figure 27: ES512 token, key says 'alg': 'ES521' (not a JWA name)",
    350: "Figure 20 (key_ops variant): PS384 token, key says 'alg': 'PS256'",
    351: "Figure 27 (key_ops variant): ES512 token, key says 'alg': 'ES521'",
}

# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def provider() -> JosepyCrypto:
    return JosepyCrypto()


@pytest.fixture(scope="module")
def clerk() -> Clerk:
    """A networkless client with the default allow-list (RS256, RS384, RS512)."""
    client = Clerk(load_entry_points=False, environ={})
    assert isinstance(client.providers.crypto, JosepyCrypto)
    assert client.config.algorithms == DEFAULT_ALGORITHMS
    return client


@pytest.fixture(scope="module")
def wide_clerk() -> Clerk:
    """A networkless client allowing every asymmetric algorithm (to reach the provider's PS/ES paths)."""
    client = Clerk(load_entry_points=False, environ={}, algorithms=ALL_ALGORITHMS)
    assert isinstance(client.providers.crypto, JosepyCrypto)
    return client


# -- RSASSA-PKCS1-v1_5 through the provider -------------------------------------------------------


def _rsa_params(alg: str) -> list[ParameterSet]:
    def build(data: Any) -> Iterator[ParameterSet]:
        for group in data["testGroups"]:
            for case in group["tests"]:
                yield pytest.param(alg, case["tcId"], id=f"{alg}-tc{case['tcId']}")

    return params(RSA_FILES[alg], build, alg)


@functools.cache
def _rsa_index(alg: str) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    data = load_json(RSA_FILES[alg])
    return {case["tcId"]: (group, case) for group in data["testGroups"] for case in group["tests"]}


def _rsa_jwk(group: dict[str, Any]) -> dict[str, str]:
    """The group's public key as a JWK, built from the hex modulus and exponent."""
    key = group["publicKey"]
    return {"kty": "RSA", "n": int_b64url(key["modulus"]), "e": int_b64url(key["publicExponent"])}


def _label(alg: str, tc_id: int, case: dict[str, Any]) -> str:
    return f"{alg} tcId {tc_id} [{case['result']}] {case['comment']!r} flags={case['flags']}"


@pytest.mark.parametrize("alg", list(RSA_FILES))
def test_rsa_file_inventory(alg: str) -> None:
    """Every case is collected once, the JWKs we build match the file's, and the acceptable set is known."""
    data = load_json(RSA_FILES[alg])
    cases = [case for group in data["testGroups"] for case in group["tests"]]
    assert len(cases) == data["numberOfTests"]
    assert len({case["tcId"] for case in cases}) == len(cases), "duplicate tcIds would hide cases"
    for group in data["testGroups"]:
        assert group["type"] == "RsassaPkcs1Verify"
        assert group["sha"] == RSA_SHA[alg]
        built = _rsa_jwk(group)
        assert (built["n"], built["e"]) == (group["keyJwk"]["n"], group["keyJwk"]["e"])
    acceptable = {(alg, case["tcId"]) for case in cases if case["result"] == "acceptable"}
    assert acceptable == {key for key in ACCEPTABLE_OUTCOMES if key[0] == alg}


@pytest.mark.parametrize(
    ("alg", "tc_id"),
    [*_rsa_params("RS256"), *_rsa_params("RS384"), *_rsa_params("RS512")],
)
def test_rsa_pkcs1_v1_5_provider(provider: JosepyCrypto, alg: str, tc_id: int) -> None:
    group, case = _rsa_index(alg)[tc_id]
    label = _label(alg, tc_id, case)
    result = case["result"]
    group_has_valid = any(other["result"] == "valid" for other in group["tests"])
    refusal: ValueError | None = None
    try:
        handle = provider.import_key(_rsa_jwk(group), alg)
    except ValueError as exc:
        refusal = exc
    if refusal is not None:
        # A refused key counts as rejection, but only for a group without valid cases.
        assert not group_has_valid, f"{label}: the key of a group with valid cases was refused: {refusal}"
        assert result == "invalid", f"{label}: key refused for a {result} case: {refusal}"
        return
    try:
        verified = provider.verify(alg, handle, bytes.fromhex(case["sig"]), bytes.fromhex(case["msg"]))
    except Exception as exc:
        pytest.fail(f"{label}: verify raised {type(exc).__name__}: {exc} (must return False, never raise)")
    if result == "acceptable":
        assert (alg, tc_id) in ACCEPTABLE_OUTCOMES, f"{label}: unrecorded acceptable case; verify gave {verified}"
        assert verified is ACCEPTABLE_OUTCOMES[(alg, tc_id)], f"{label}: verify gave {verified}"
    else:
        assert verified is (result == "valid"), f"{label}: verify gave {verified}"


# -- JSON Web Signature vectors through the core --------------------------------------------------


@functools.cache
def _jws_index() -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    data = load_json(JWS_FILE)
    return {case["tcId"]: (group, case) for group in data["testGroups"] for case in group["tests"]}


def _jws_key(group: dict[str, Any]) -> dict[str, Any]:
    """The verification key: the group's ``public`` JWK; HMAC groups only have the ``oct`` key (``private``)."""
    key = group.get("public", group["private"])
    assert isinstance(key, dict)
    return key


def _jws_id(compact: Compact | None, tc_id: int) -> str:
    alg = "malformed" if compact is None else str(compact.alg)
    return f"JWS-{alg}-tc{tc_id}"


def _jws_params(select: Callable[[Compact | None], bool]) -> list[ParameterSet]:
    def build(data: Any) -> Iterable[ParameterSet]:
        for group in data["testGroups"]:
            for case in group["tests"]:
                compact = split_compact(case["jws"])
                if select(compact):
                    yield pytest.param(case["tcId"], id=_jws_id(compact, case["tcId"]))

    return params(JWS_FILE, build)


def _jws_label(tc_id: int, group: dict[str, Any], case: dict[str, Any]) -> str:
    return f"JWS tcId {tc_id} [{case['result']}] group {group['comment']!r} case {case['comment']!r}"


def _is_widened_only(compact: Compact | None) -> bool:
    return compact is not None and compact.alg in ALL_ALGORITHMS and compact.alg not in DEFAULT_ALGORITHMS


def test_jws_file_inventory() -> None:
    """Every case is collected once and the explicit-expectation tables name real ``valid`` cases."""
    data = load_json(JWS_FILE)
    cases = {case["tcId"]: case for group in data["testGroups"] for case in group["tests"]}
    assert len(cases) == data["numberOfTests"]
    assert {case["result"] for case in cases.values()} <= {"valid", "invalid"}
    for tc_id in [*NON_CANONICAL_VALID, *KEY_BINDING_REFUSALS]:
        assert cases[tc_id]["result"] == "valid", tc_id
    for tc_id in NON_CANONICAL_VALID:
        assert split_compact(cases[tc_id]["jws"]) is None, f"tcId {tc_id} is canonical after all"


@pytest.mark.parametrize("tc_id", _jws_params(lambda _compact: True))
def test_jws_core_default_allow_list(clerk: Clerk, tc_id: int) -> None:
    group, case = _jws_index()[tc_id]
    label = _jws_label(tc_id, group, case)
    key, text, valid = _jws_key(group), case["jws"], case["result"] == "valid"
    compact = split_compact(text)

    # 1. The token text, as an application would pass it.
    as_text = core_outcome(label, lambda: clerk.has_valid_signature(text, key))
    verified = core_outcome(label, lambda: clerk.verify_jwt(text, key=key))
    if compact is None:
        # Not three canonical base64url segments with a JSON-object header: refused as malformed.
        if valid:
            assert tc_id in NON_CANONICAL_VALID, f"{label}: a valid case the strict oracle calls malformed"
        assert (as_text, verified) == (TOKEN_INVALID, TOKEN_INVALID), label
        return
    if not compact.payload_is_claims_set:
        # Not a JWT (RFC 7519 §7.2: the payload must be a JSON object): refused before any signature work.
        assert (as_text, verified) == (TOKEN_INVALID, TOKEN_INVALID), label

    # 2. The signature, with the vector's own segments (the payload is not parsed as claims).
    by_signature = core_outcome(label, lambda: clerk.has_valid_signature(jwt_for_signature(compact), key))
    if compact.alg in DEFAULT_ALGORITHMS:
        if valid:
            assert by_signature is True, f"{label}: a valid {compact.alg} signature was refused ({by_signature})"
        else:
            assert by_signature is not True, f"{label}: an invalid {compact.alg} token was accepted"
    else:
        # HS256, ES256, PS*, ES512, "none"/"NONE": never accepted, refused by the allow-list.
        assert by_signature == TOKEN_INVALID_ALGORITHM, f"{label}: alg {compact.alg!r} gave {by_signature}"

    if compact.payload_is_claims_set:
        # A real JWT: the text path must agree with the signature path; verify_jwt may add claim errors.
        assert as_text == by_signature, label
        if by_signature is not True:
            assert verified is not True, f"{label}: verify_jwt accepted a token whose signature check failed"


@pytest.mark.parametrize("tc_id", _jws_params(_is_widened_only))
def test_jws_core_widened_allow_list(wide_clerk: Clerk, tc_id: int) -> None:
    """PS* and ES* cases with every asymmetric algorithm allowed: the provider's PSS and ECDSA paths."""
    group, case = _jws_index()[tc_id]
    label = _jws_label(tc_id, group, case)
    compact = split_compact(case["jws"])
    assert compact is not None, label
    jwt, key = jwt_for_signature(compact), _jws_key(group)
    by_signature = core_outcome(label, lambda: wide_clerk.has_valid_signature(jwt, key))
    if tc_id in KEY_BINDING_REFUSALS:
        assert by_signature == TOKEN_INVALID_SIGNATURE, f"{label}: {KEY_BINDING_REFUSALS[tc_id]}: {by_signature}"
    elif case["result"] == "valid":
        assert by_signature is True, f"{label}: a valid {compact.alg} signature was refused ({by_signature})"
    else:
        assert by_signature is not True, f"{label}: an invalid {compact.alg} token was accepted"
