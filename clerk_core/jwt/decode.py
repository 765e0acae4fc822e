"""Decoding compact JWTs: one split, strict base64url, msgspec JSON.

Decoding checks form only, never trust: nothing here looks at the signature
or the claims. Every failure is a :class:`TokenVerificationError` with reason
``token-invalid``, whatever the input (wrong type, wrong shape, bad base64,
bad JSON, a JSON value that is not an object, absurd size).
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from ..errors import TokenVerificationError, TokenVerificationErrorReason
from ..providers import Base64UrlDecoder
from .b64 import b64url_decode

__all__ = ["MAX_TOKEN_CHARS", "Jwt", "JwtDecoder", "RawJwt", "decode_jwt"]

#: Longest token accepted, in characters. Session cookies are capped at 4 KiB by
#: browsers; this leaves room for template tokens and stops oversized input early.
MAX_TOKEN_CHARS: Final = 32 * 1024
#: Distinct headers remembered per decoder: tokens of one instance share a few.
_HEADER_CACHE_SIZE: Final = 64

MESSAGE_FORM: Final = "Invalid JWT form. A JWT consists of three parts separated by dots."
MESSAGE_DECODE: Final = "Invalid JWT form. The header, payload, or signature could not be decoded."
MESSAGE_TOO_LARGE: Final = f"Invalid JWT form. The token is longer than {MAX_TOKEN_CHARS} characters."

_json_object: Final = msgspec.json.Decoder(dict[str, Any])


class RawJwt(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The token's original text and segments (the signing input is built from these)."""

    header: str
    payload: str
    signature: str
    text: str

    def __repr__(self) -> str:  # a token is a bearer credential: never print it
        return f"RawJwt(<{len(self.text)} chars>)"


class Jwt(msgspec.Struct, frozen=True, kw_only=True):
    """A decoded, *unverified* JWT."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signature: bytes
    raw: RawJwt

    @property
    def signing_input(self) -> bytes:
        """``header.payload`` exactly as received: what the signature covers."""
        return f"{self.raw.header}.{self.raw.payload}".encode("ascii")

    def __repr__(self) -> str:
        return f"Jwt(header={self.header!r}, claims={sorted(self.payload)!r})"


def _invalid(message: str) -> TokenVerificationError:
    return TokenVerificationError(
        TokenVerificationErrorReason.TOKEN_INVALID,
        message,
        action=None,
    )


def _split(token: object) -> tuple[str, str, str, str]:
    if isinstance(token, (bytes, bytearray, memoryview)):
        try:
            token = bytes(token).decode("ascii")
        except UnicodeDecodeError:
            raise _invalid(MESSAGE_DECODE) from None
    if not isinstance(token, str):
        raise _invalid(MESSAGE_FORM)
    if len(token) > MAX_TOKEN_CHARS:
        raise _invalid(MESSAGE_TOO_LARGE)
    parts = token.split(".")
    if len(parts) != 3:
        raise _invalid(MESSAGE_FORM)
    header, payload, signature = parts
    return header, payload, signature, token


class JwtDecoder:
    """Decodes tokens with a given base64url decoder, remembering recently seen headers.

    One lives in each client. Headers repeat (an instance signs with a few keys),
    so a header segment seen before costs one dict lookup instead of a base64
    and a JSON decode. Cached headers are shared: never mutate ``Jwt.header``
    of a token decoded here; :func:`decode_jwt` gives you a private copy.
    """

    __slots__ = ("_b64", "_headers")

    def __init__(self, b64: Base64UrlDecoder = b64url_decode) -> None:
        self._b64 = b64
        self._headers: dict[str, dict[str, Any]] = {}

    def decode(self, token: object) -> Jwt:
        """Decode ``token``; raise ``TokenVerificationError(token-invalid)`` on any defect."""
        h, p, s, text = _split(token)
        b64 = self._b64
        try:
            header = self._headers.get(h)
            if header is None:
                header = _json_object.decode(b64(h))
                if len(self._headers) >= _HEADER_CACHE_SIZE:
                    self._headers.clear()
                self._headers[h] = header
            payload = _json_object.decode(b64(p))
            signature = b64(s)
        except (ValueError, msgspec.DecodeError):
            raise _invalid(MESSAGE_DECODE) from None
        return Jwt(
            header=header, payload=payload, signature=signature, raw=RawJwt(header=h, payload=p, signature=s, text=text)
        )

    def decode_or_none(self, token: object) -> Jwt | None:
        """:meth:`decode`, with None instead of an error (for classification, not verification)."""
        try:
            return self.decode(token)
        except TokenVerificationError:
            return None


def decode_jwt(token: object, *, b64: Base64UrlDecoder = b64url_decode) -> Jwt:
    """Decode a compact JWT without verifying it (the reference's ``decodeJwt``).

    Raises :class:`~clerk_core.errors.TokenVerificationError` with reason
    ``token-invalid`` for anything that is not three canonical base64url
    segments whose first two hold JSON objects.
    """
    return JwtDecoder(b64).decode(token)
