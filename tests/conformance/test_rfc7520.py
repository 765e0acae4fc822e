"""RFC 7520 ("Examples of Protecting Content Using JOSE") §4.1-4.4 through the provider and the core.

* §4.1 RS256: the published compact JWS verifies with the public part of the
  cookbook key, through the josepy provider and through the core
  (``has_valid_signature`` with the JWK and with the same key as a PEM);
  a tampered payload or signature is refused.
* §4.2 PS384 and §4.3 ES512: refused by the default allow-list
  (``token-invalid-algorithm``); accepted by a client built with
  ``algorithms=("PS384",)`` / ``("ES512",)``, which runs the provider's
  RSASSA-PSS and ECDSA (P1363 ``r‖s``) paths.
* §4.4 HS256: refused (not an allowed algorithm, and cannot be allowed), and
  an ``oct`` key never binds to any algorithm (``check_key_binding``).

The cookbook's payload is prose, not a JWT claims set, so the core's decoder
refuses the published token *text* (``token-invalid``, asserted below); the
published signatures are checked at the signature level by handing
``has_valid_signature`` a ``Jwt`` made of the example's own segments
(``vectors.jwt_for_signature``). To run ``verify_jwt`` end to end as well, the
tests also sign a small claims set with the cookbook's own private keys (the
§4.1 re-signature is checked to reproduce the published signature first).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import pytest
from clerk_plugins.josepy_crypto import JosepyCrypto
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from clerk_core import Clerk, ConfigurationError, Jwt
from clerk_core.jwt.algorithms import DEFAULT_ALGORITHMS, KEY_TYPES
from clerk_core.jwt.verify import check_key_binding
from tests.conformance.vectors import (
    Compact,
    b64url_strict,
    core_outcome,
    jwt_for_signature,
    load_json,
    public_jwk,
    split_compact,
)

RS256_FILE: Final = "jose-cookbook/jws/4_1.rsa_v15_signature.json"
PS384_FILE: Final = "jose-cookbook/jws/4_2.rsa-pss_signature.json"
ES512_FILE: Final = "jose-cookbook/jws/4_3.ecdsa_signature.json"
HS256_FILE: Final = "jose-cookbook/jws/4_4.hmac-sha2_integrity_protection.json"
EXAMPLES: Final = {"4.1": RS256_FILE, "4.2": PS384_FILE, "4.3": ES512_FILE, "4.4": HS256_FILE}

TOKEN_INVALID: Final = "token-invalid"
TOKEN_INVALID_ALGORITHM: Final = "token-invalid-algorithm"
TOKEN_INVALID_SIGNATURE: Final = "token-invalid-signature"
TOKEN_VERIFICATION_FAILED: Final = "token-verification-failed"

_HASHES: Final[dict[str, hashes.HashAlgorithm]] = {
    "256": hashes.SHA256(),
    "384": hashes.SHA384(),
    "512": hashes.SHA512(),
}
_EC_SIZE: Final = {"P-256": 32, "P-384": 48, "P-521": 66}
_EC_CURVES: Final[dict[str, ec.EllipticCurve]] = {
    "P-256": ec.SECP256R1(),
    "P-384": ec.SECP384R1(),
    "P-521": ec.SECP521R1(),
}


# -- the examples ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One RFC 7520 JWS example: its algorithm, the full cookbook key, and the parsed compact output."""

    section: str
    alg: str
    key: dict[str, Any]
    compact: Compact

    @property
    def public(self) -> dict[str, Any]:
        return public_jwk(self.key)


def _example(file: str) -> Example:
    data = load_json(file)
    section = data["title"]
    compact = split_compact(data["output"]["compact"])
    assert compact is not None, f"{file}: output.compact is not a well-formed JWS"
    return Example(section=section, alg=data["input"]["alg"], key=dict(data["input"]["key"]), compact=compact)


def _b64url_int(text: str) -> int:
    raw = b64url_strict(text)
    assert raw is not None, f"not canonical base64url: {text!r}"
    return int.from_bytes(raw, "big")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _rsa_pem(jwk: Mapping[str, Any], form: str) -> str:
    """The RSA public key of ``jwk`` as PEM, built with ``cryptography`` from ``n`` and ``e``."""
    key = rsa.RSAPublicNumbers(_b64url_int(jwk["e"]), _b64url_int(jwk["n"])).public_key()
    formats = {"spki": serialization.PublicFormat.SubjectPublicKeyInfo, "pkcs1": serialization.PublicFormat.PKCS1}
    return key.public_bytes(serialization.Encoding.PEM, formats[form]).decode("ascii")


def _sign(jwk: Mapping[str, Any], alg: str, signing_input: bytes) -> bytes:
    """Sign like a JWS issuer with the cookbook's private key (RS/PS/ES, or HS for ``oct``)."""
    hash_ = _HASHES[alg[2:]]
    if alg.startswith("HS"):
        key = b64url_strict(jwk["k"])
        assert key is not None
        return hmac.new(key, signing_input, getattr(hashlib, hash_.name)).digest()
    if alg.startswith(("RS", "PS")):
        n, e = _b64url_int(jwk["n"]), _b64url_int(jwk["e"])
        private = rsa.RSAPrivateNumbers(
            p=_b64url_int(jwk["p"]),
            q=_b64url_int(jwk["q"]),
            d=_b64url_int(jwk["d"]),
            dmp1=_b64url_int(jwk["dp"]),
            dmq1=_b64url_int(jwk["dq"]),
            iqmp=_b64url_int(jwk["qi"]),
            public_numbers=rsa.RSAPublicNumbers(e, n),
        ).private_key()
        pad = (
            padding.PKCS1v15()
            if alg.startswith("RS")
            else padding.PSS(mgf=padding.MGF1(hash_), salt_length=hash_.digest_size)  # RFC 7518 §3.5
        )
        return private.sign(signing_input, pad, hash_)
    curve = jwk["crv"]
    ec_key = ec.EllipticCurvePrivateNumbers(
        _b64url_int(jwk["d"]),
        ec.EllipticCurvePublicNumbers(_b64url_int(jwk["x"]), _b64url_int(jwk["y"]), _EC_CURVES[curve]),
    ).private_key()
    r, s = decode_dss_signature(ec_key.sign(signing_input, ec.ECDSA(hash_)))
    size = _EC_SIZE[curve]
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")  # RFC 7518 §3.4: JWS carries r‖s


def _mint(example: Example) -> str:
    """A JWT with the example's protected header and a claims set, signed with the example's private key."""
    now = int(time.time())
    claims = {"sub": "user_rfc7520", "iat": now - 10, "exp": now + 600}
    return _sign_jwt(example.key, example.alg, example.compact.header, claims)


def _sign_jwt(jwk: Mapping[str, Any], alg: str, header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    header_b64 = _b64url(json.dumps(header, separators=(",", ":")).encode())
    payload_b64 = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = _sign(jwk, alg, f"{header_b64}.{payload_b64}".encode("ascii"))
    return f"{header_b64}.{payload_b64}.{_b64url(signature)}"


def _tamper_payload(text: str) -> str:
    """Same header and signature, a changed payload (claims: another ``sub``; otherwise one byte more)."""
    compact = split_compact(text)
    assert compact is not None
    return f"{compact.header_b64}.{_b64url(_tampered_bytes(compact))}.{compact.signature_b64}"


def _tampered_bytes(compact: Compact) -> bytes:
    if compact.payload_is_claims_set:
        claims = json.loads(compact.payload)
        claims["sub"] = claims.get("sub", "") + "x"
        return json.dumps(claims, separators=(",", ":")).encode()
    return compact.payload + b"!"


def _tamper_signature(text: str) -> str:
    """Same header and payload, the signature with one bit flipped."""
    compact = split_compact(text)
    assert compact is not None
    flipped = bytes([compact.signature[0] ^ 0x01]) + compact.signature[1:]
    return f"{compact.header_b64}.{compact.payload_b64}.{_b64url(flipped)}"


def _jwt(text: str) -> Jwt:
    compact = split_compact(text)
    assert compact is not None
    return jwt_for_signature(compact)


# -- fixtures -------------------------------------------------------------------------------------


def _client(*algorithms: str) -> Clerk:
    options: dict[str, Any] = {"algorithms": algorithms} if algorithms else {}
    client = Clerk(load_entry_points=False, environ={}, **options)
    assert isinstance(client.providers.crypto, JosepyCrypto), "these tests exercise the josepy provider"
    return client


@pytest.fixture(scope="module")
def clerk() -> Clerk:
    """Networkless, default allow-list (RS256, RS384, RS512)."""
    client = _client()
    assert client.config.algorithms == DEFAULT_ALGORITHMS
    return client


@pytest.fixture(scope="module")
def provider() -> JosepyCrypto:
    return JosepyCrypto()


@pytest.fixture(scope="module")
def rs256() -> Example:
    return _example(RS256_FILE)


@pytest.fixture(scope="module")
def hs256() -> Example:
    return _example(HS256_FILE)


# -- every example is what the RFC says ------------------------------------------------------------


@pytest.mark.parametrize("section", list(EXAMPLES))
def test_example_is_self_consistent(section: str) -> None:
    """``output.compact`` is the protected header, the payload and ``signing.sig``, as published."""
    data = load_json(EXAMPLES[section])
    example = _example(EXAMPLES[section])
    signing = data["signing"]
    assert example.compact.header == signing["protected"]
    assert example.compact.header["alg"] == example.alg
    assert example.compact.header_b64 == signing["protected_b64u"]
    assert example.compact.signing_input.decode("ascii") == signing["sig-input"]
    assert example.compact.signature_b64 == signing["sig"]
    assert example.compact.payload == data["input"]["payload"].encode("utf-8")
    assert not example.compact.payload_is_claims_set  # prose, not claims: see the module docstring


def test_rs256_reproduces_published_signature(rs256: Example) -> None:
    """RSASSA-PKCS1-v1_5 is deterministic: our signer (used to mint JWTs below) reproduces §4.1 exactly."""
    assert _sign(rs256.key, "RS256", rs256.compact.signing_input) == rs256.compact.signature


# -- §4.1 RS256 -----------------------------------------------------------------------------------


def test_rs256_provider(provider: JosepyCrypto, rs256: Example) -> None:
    handle = provider.import_key(rs256.public, "RS256")
    assert provider.verify("RS256", handle, rs256.compact.signature, rs256.compact.signing_input) is True
    tampered = split_compact(_tamper_payload(rs256.compact.text))
    assert tampered is not None
    assert provider.verify("RS256", handle, rs256.compact.signature, tampered.signing_input) is False
    flipped = split_compact(_tamper_signature(rs256.compact.text))
    assert flipped is not None
    assert provider.verify("RS256", handle, flipped.signature, rs256.compact.signing_input) is False


def test_rs256_published_text_is_not_a_jwt(clerk: Clerk, rs256: Example) -> None:
    """The core takes JWTs: the §4.1 text (prose payload) is refused as malformed, never verified."""
    text = rs256.compact.text
    assert core_outcome("4.1 text", lambda: clerk.has_valid_signature(text, rs256.public)) == TOKEN_INVALID
    assert core_outcome("4.1 text", lambda: clerk.verify_jwt(text, key=rs256.public)) == TOKEN_INVALID


@pytest.mark.parametrize("key_form", ["jwk", "pem-spki", "pem-pkcs1"])
def test_rs256_core_signature(clerk: Clerk, rs256: Example, key_form: str) -> None:
    """§4.1's published signature through ``has_valid_signature``, with the key as a JWK and as PEM."""
    key = rs256.public if key_form == "jwk" else _rsa_pem(rs256.public, key_form.removeprefix("pem-"))
    text = rs256.compact.text
    assert core_outcome("4.1", lambda: clerk.has_valid_signature(_jwt(text), key)) is True
    tampered_payload = _tamper_payload(text)
    assert core_outcome("4.1 payload", lambda: clerk.has_valid_signature(_jwt(tampered_payload), key)) is False
    tampered_signature = _tamper_signature(text)
    assert core_outcome("4.1 signature", lambda: clerk.has_valid_signature(_jwt(tampered_signature), key)) is False


@pytest.mark.parametrize("key_form", ["jwk", "pem-spki", "pem-pkcs1"])
def test_rs256_core_verify_jwt(clerk: Clerk, rs256: Example, key_form: str) -> None:
    """A JWT signed with the §4.1 key and header passes ``verify_jwt``; tampering is a signature error."""
    key = rs256.public if key_form == "jwk" else _rsa_pem(rs256.public, key_form.removeprefix("pem-"))
    token = _mint(rs256)
    assert clerk.verify_jwt(token, key=key)["sub"] == "user_rfc7520"
    assert core_outcome("minted", lambda: clerk.has_valid_signature(token, key)) is True
    for tampered in (_tamper_payload(token), _tamper_signature(token)):
        assert core_outcome("tampered", partial(clerk.verify_jwt, tampered, key=key)) == TOKEN_INVALID_SIGNATURE
        assert core_outcome("tampered", partial(clerk.has_valid_signature, tampered, key)) is False


# -- §4.2 PS384 and §4.3 ES512 --------------------------------------------------------------------

WIDENED: Final = [pytest.param(PS384_FILE, id="4.2-PS384"), pytest.param(ES512_FILE, id="4.3-ES512")]


@pytest.mark.parametrize("file", WIDENED)
def test_default_allow_list_refuses(clerk: Clerk, file: str) -> None:
    example = _example(file)
    label = f"{example.section} ({example.alg})"
    published = _jwt(example.compact.text)
    assert core_outcome(label, lambda: clerk.has_valid_signature(published, example.public)) == TOKEN_INVALID_ALGORITHM
    token = _mint(example)
    assert core_outcome(label, lambda: clerk.verify_jwt(token, key=example.public)) == TOKEN_INVALID_ALGORITHM
    assert core_outcome(label, lambda: clerk.has_valid_signature(token, example.public)) == TOKEN_INVALID_ALGORITHM


@pytest.mark.parametrize("file", WIDENED)
def test_widened_allow_list_accepts(file: str) -> None:
    example = _example(file)
    label = f"{example.section} ({example.alg})"
    client = _client(example.alg)
    key, text = example.public, example.compact.text
    assert core_outcome(label, lambda: client.has_valid_signature(_jwt(text), key)) is True
    assert core_outcome(label, lambda: client.has_valid_signature(_jwt(_tamper_payload(text)), key)) is False
    assert core_outcome(label, lambda: client.has_valid_signature(_jwt(_tamper_signature(text)), key)) is False
    token = _mint(example)
    assert client.verify_jwt(token, key=key)["sub"] == "user_rfc7520"
    assert core_outcome(label, lambda: client.verify_jwt(_tamper_payload(token), key=key)) == TOKEN_INVALID_SIGNATURE
    assert core_outcome(label, lambda: client.verify_jwt(_tamper_signature(token), key=key)) == TOKEN_INVALID_SIGNATURE


@pytest.mark.parametrize("file", WIDENED)
def test_widened_provider_path(provider: JosepyCrypto, file: str) -> None:
    """The provider alone: PSS with salt = hash length, ECDSA with raw r‖s of 2 x 66 bytes."""
    example = _example(file)
    handle = provider.import_key(example.public, example.alg)
    compact = example.compact
    assert provider.verify(example.alg, handle, compact.signature, compact.signing_input) is True
    assert provider.verify(example.alg, handle, compact.signature, compact.signing_input + b"!") is False
    assert provider.verify(example.alg, handle, compact.signature[:-1], compact.signing_input) is False


@pytest.mark.parametrize("file", WIDENED)
def test_widened_allow_list_is_exact(rs256: Example, file: str) -> None:
    """``algorithms=`` replaces the allow-list: a PS384-only or ES512-only client refuses RS256."""
    example = _example(file)
    client = _client(example.alg)
    token = _mint(rs256)
    assert core_outcome("RS256", lambda: client.verify_jwt(token, key=rs256.public)) == TOKEN_INVALID_ALGORITHM


# -- §4.4 HS256 -----------------------------------------------------------------------------------


def test_hs256_published_mac_is_genuine(hs256: Example) -> None:
    """The §4.4 MAC is correct, so every refusal below is policy, not a bad MAC."""
    assert _sign(hs256.key, "HS256", hs256.compact.signing_input) == hs256.compact.signature


def test_hs256_refused_by_default(clerk: Clerk, hs256: Example) -> None:
    published = _jwt(hs256.compact.text)
    assert core_outcome("4.4", lambda: clerk.has_valid_signature(published, hs256.key)) == TOKEN_INVALID_ALGORITHM
    token = _mint(hs256)
    assert core_outcome("4.4", lambda: clerk.verify_jwt(token, key=hs256.key)) == TOKEN_INVALID_ALGORITHM


def test_hs256_refused_with_every_algorithm_allowed(hs256: Example) -> None:
    client = _client(*KEY_TYPES)
    token = _mint(hs256)
    assert core_outcome("4.4", lambda: client.verify_jwt(token, key=hs256.key)) == TOKEN_INVALID_ALGORITHM


def test_hs256_cannot_be_allowed() -> None:
    with pytest.raises(ConfigurationError):
        Clerk(load_entry_points=False, environ={}, algorithms=("HS256",))


@pytest.mark.parametrize("alg", [*KEY_TYPES, "HS256"])
def test_oct_key_never_binds(hs256: Example, alg: str) -> None:
    with pytest.raises(ValueError, match="key type 'oct'"):
        check_key_binding(hs256.key, alg)


def test_oct_key_cannot_verify_rs256(clerk: Clerk, rs256: Example, hs256: Example) -> None:
    """Key confusion: an RS256 token presented with the ``oct`` key is never accepted."""
    published = _jwt(rs256.compact.text)
    assert core_outcome("oct", lambda: clerk.has_valid_signature(published, hs256.key)) == TOKEN_INVALID_SIGNATURE
    token = _mint(rs256)
    assert core_outcome("oct", lambda: clerk.verify_jwt(token, key=hs256.key)) == TOKEN_VERIFICATION_FAILED


def test_provider_refuses_oct_key(provider: JosepyCrypto, hs256: Example) -> None:
    for alg in ("RS256", "HS256"):
        with pytest.raises(ValueError):
            provider.import_key(hs256.key, alg)


def test_hs256_signed_with_rsa_public_key_is_refused(rs256: Example) -> None:
    """The classic confusion: an HS256 token whose MAC key is the verifier's RSA public key (PEM or JWK)."""
    pem = _rsa_pem(rs256.public, "spki")
    header = {"alg": "HS256", "kid": rs256.key["kid"]}
    forged_with = {"kty": "oct", "k": _b64url(pem.encode("ascii"))}
    now = int(time.time())
    token = _sign_jwt(forged_with, "HS256", header, {"sub": "attacker", "exp": now + 600})
    client = _client(*KEY_TYPES)
    keys: tuple[str | dict[str, Any], ...] = (pem, rs256.public)
    for key in keys:
        assert core_outcome("forged", partial(client.verify_jwt, token, key=key)) == TOKEN_INVALID_ALGORITHM
        assert core_outcome("forged", partial(client.has_valid_signature, token, key)) == TOKEN_INVALID_ALGORITHM
