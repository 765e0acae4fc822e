"""PEM public keys to JWKs, parsed properly and in pure Python.

The reference SDK turns a PEM into a JWK by cutting a fixed RSA-2048 prefix
off the base64 text, so other key sizes, other exponents and keys whose
modulus happens to contain the cut marker all break. We decode the DER and
read the ASN.1 structure instead, so any RSA size works, and hand crypto
providers a JWK, the one key format every backend (cryptography, WebCrypto,
pure-Python RSA) accepts.

Accepted: ``PUBLIC KEY`` (SubjectPublicKeyInfo, RFC 5280) and ``RSA PUBLIC
KEY`` (PKCS#1, RFC 8017) armour, or the bare base64 body without armour;
literal ``\\n`` escapes (as env files often carry them) and any whitespace.
"""

from __future__ import annotations

import binascii
import functools
import re
from typing import Final

from .b64 import b64_strict_decode, b64url_encode

__all__ = ["pem_to_jwk"]

_ARMOUR: Final = re.compile(r"-----(BEGIN|END) ([A-Z ]+)-----")
_RSA_ENCRYPTION_OID: Final = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1
_SEQUENCE, _INTEGER, _BIT_STRING, _NULL, _OID = 0x30, 0x02, 0x03, 0x05, 0x06
_MAX_PEM_CHARS: Final = 64 * 1024


def pem_to_jwk(pem: str) -> dict[str, str]:
    """Parse an RSA public key in PEM (or bare base64 DER) into ``{"kty": "RSA", "n", "e"}``.

    Raises ``ValueError`` with a human-readable reason for anything else. Each caller gets
    its own dict; the parse is remembered per process, since a client per tenant or per
    request would otherwise parse the same key every time.
    """
    return dict(_parse(pem))


@functools.lru_cache(maxsize=32)
def _parse(pem: str) -> tuple[tuple[str, str], ...]:
    if len(pem) > _MAX_PEM_CHARS:
        raise ValueError("The PEM key is too large.")
    text = pem.replace("\\r", "").replace("\\n", "\n")
    labels = {m.group(2) for m in _ARMOUR.finditer(text)}
    if len(labels) > 1:
        raise ValueError("The PEM key has mismatched armour.")
    label = labels.pop() if labels else "PUBLIC KEY"
    body = "".join(_ARMOUR.sub("", text).split())
    try:
        der = b64_strict_decode(body.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("The PEM key is not valid base64.") from None
    if label == "RSA PUBLIC KEY":
        return tuple(_rsa_public_key(der).items())
    if label != "PUBLIC KEY":
        raise ValueError(f"Unsupported PEM type {label!r}; expected a public key.")
    return tuple(_spki(der).items())


def _spki(der: bytes) -> dict[str, str]:
    spki = _only(der, _SEQUENCE)
    algorithm, rest = _take(spki, _SEQUENCE)
    bits = _only(rest, _BIT_STRING)
    oid, params = _take(algorithm, _OID)
    if oid != _RSA_ENCRYPTION_OID:
        raise ValueError("The PEM key is not an RSA key.")
    if params and _only(params, _NULL) != b"":
        raise ValueError("The PEM key has malformed algorithm parameters.")
    if not bits or bits[0] != 0:
        raise ValueError("The PEM key has a malformed bit string.")
    return _rsa_public_key(bits[1:])


def _rsa_public_key(der: bytes) -> dict[str, str]:
    n, rest = _take(_only(der, _SEQUENCE), _INTEGER)
    e = _only(rest, _INTEGER)
    return {"kty": "RSA", "n": _unsigned(n), "e": _unsigned(e)}


def _unsigned(value: bytes) -> str:
    if not value or value[0] & 0x80:
        raise ValueError("The PEM key holds a negative or empty integer.")
    if len(value) > 1 and value[0] == 0 and not value[1] & 0x80:
        raise ValueError("The PEM key holds a non-minimal integer.")
    return b64url_encode(value.lstrip(b"\x00") or b"\x00")


def _take(data: bytes, tag: int) -> tuple[bytes, bytes]:
    """Read one DER element of type ``tag``; return its content and what follows."""
    if len(data) < 2 or data[0] != tag:
        raise ValueError("The PEM key is not valid DER.")
    length, offset = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or len(data) < 2 + count or data[2] == 0:
            raise ValueError("The PEM key is not valid DER.")
        length = int.from_bytes(data[2 : 2 + count], "big")
        if length < 0x80:
            raise ValueError("The PEM key is not valid DER.")
        offset += count
    end = offset + length
    if end > len(data):
        raise ValueError("The PEM key is truncated.")
    return data[offset:end], data[end:]


def _only(data: bytes, tag: int) -> bytes:
    content, rest = _take(data, tag)
    if rest:
        raise ValueError("The PEM key has trailing data.")
    return content
