"""Strict base64url at C speed.

JWS segments are unpadded base64url (RFC 7515 §2). We accept exactly that: no
padding, no ``+`` or ``/``, no whitespace, and no stray bits in the last
character, so a token has one spelling only (a lenient decoder lets an attacker
mint many strings for one token, which defeats replay caches and logs).
``bytes.translate`` plus msgspec's base64 decoder does the work in C; the Python
around it is a handful of O(1) checks. ``binascii`` in strict mode decodes PEM
bodies, where speed does not matter.
"""

from __future__ import annotations

import binascii
import sys
from typing import Final

import msgspec

__all__ = ["b64_strict_decode", "b64url_decode", "b64url_encode"]

_TO_STD: Final = bytes.maketrans(b"-_", b"+/")
_FROM_STD: Final = bytes.maketrans(b"+/", b"-_")
_PADDING: Final = (b"", None, b"==", b"=")
# For a final group of 2 or 3 characters, the last character carries 4 or 2
# bits that must be zero in the canonical encoding.
_UNUSED_BITS_MASK: Final = {2: 0x0F, 3: 0x03}
_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUE: Final = {c: i for i, c in enumerate(_ALPHABET)}
_quoted_base64: Final = msgspec.json.Decoder(bytes)
_STD_ALPHABET: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


if sys.version_info >= (3, 11):

    def b64_strict_decode(data: bytes) -> bytes:
        """Standard base64, refusing characters outside the alphabet (``binascii.Error``)."""
        return binascii.a2b_base64(data, strict_mode=True)

else:  # Python 3.10 has no strict_mode: refuse stray characters first (also in C).

    def b64_strict_decode(data: bytes) -> bytes:
        """Standard base64, refusing characters outside the alphabet (``binascii.Error``)."""
        if data.translate(None, _STD_ALPHABET) or b"=" in data.rstrip(b"="):
            raise binascii.Error("not base64")
        return binascii.a2b_base64(data)


def b64url_decode(text: str) -> bytes:
    """Decode canonical unpadded base64url; raise ``ValueError`` for anything else."""
    # A JSON string's escapes would be decoded before the base64: refuse them up front.
    if "+" in text or "/" in text or "=" in text or "\\" in text:
        raise ValueError("not base64url")
    tail = len(text) & 3
    padding = _PADDING[tail]
    if padding is None:
        raise ValueError("impossible base64 length")
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError("not base64url") from None
    try:
        # msgspec decodes a quoted base64 string at about twice binascii's speed, and every
        # token pays for two segments; what it refuses, binascii in strict mode refuses too.
        decoded = _quoted_base64.decode(b'"' + raw.translate(_TO_STD) + padding + b'"')
    except msgspec.DecodeError:
        raise ValueError("not base64url") from None
    if tail and _VALUE[text[-1]] & _UNUSED_BITS_MASK[tail]:
        raise ValueError("non-canonical base64url")
    return decoded


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url text of ``data``."""
    return binascii.b2a_base64(data, newline=False).translate(_FROM_STD).rstrip(b"=").decode("ascii")
