"""Shared helpers for the conformance tests: find and parse the read-only vectors.

The vectors live beside the project, in ``../shared/vectors`` relative to the
project root (see that folder's ``README.md``). They are test data, not code,
and must be present: a missing file makes the tests that need it *fail* with
a message naming the expected path, never skip.

Collection must not crash when a file is missing (that would interrupt the
whole suite), so :func:`params` returns a single ``vectors-missing``
parameter instead; the test then asks for the data through :func:`load_json`,
which fails with the clear message.

The base64url oracle here (:func:`b64url_strict`) is written on the stdlib
on purpose, independently of ``clerk_core.jwt.b64``, so that the expectations
for JWS structure are not computed by the code under test.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from clerk_core import Jwt, RawJwt, TokenVerificationError

if TYPE_CHECKING:
    from _pytest.mark.structures import ParameterSet

__all__ = [
    "ACCEPTED",
    "MISSING_PARAM",
    "VECTORS_DIR",
    "Compact",
    "Outcome",
    "b64url_strict",
    "core_outcome",
    "int_b64url",
    "jwt_for_signature",
    "load_json",
    "params",
    "public_jwk",
    "split_compact",
]

#: ``<project root>/../shared/vectors``; the project root is two levels above this file.
VECTORS_DIR: Final = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"

#: The value a parametrized test receives when its vector file is missing.
MISSING_PARAM: Final = -1

#: :func:`core_outcome` for a signature that verified or claims that were returned.
ACCEPTED: Final = True

#: JWK members that only a private (or symmetric) key carries.
_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")


def _path(relative: str) -> Path:
    return VECTORS_DIR / relative


@functools.cache
def _load(relative: str) -> Any:
    with _path(relative).open(encoding="utf-8") as handle:
        return json.load(handle)


def load_json(relative: str) -> Any:
    """The parsed JSON of ``VECTORS_DIR/relative``; fails the calling test if the file is missing."""
    path = _path(relative)
    if not path.is_file():
        pytest.fail(
            f"Conformance vector file is missing: {path}\n"
            f"The tests expect the shared, read-only vectors at {VECTORS_DIR} "
            "(../shared/vectors beside the project root). They are required, not optional.",
            pytrace=False,
        )
    return _load(relative)


def params(relative: str, build: Callable[[Any], Iterable[ParameterSet]], *prefix: object) -> list[ParameterSet]:
    """``build(parsed file)`` as a parameter list, or one ``vectors-missing`` parameter if the file is absent.

    ``build`` returns ``pytest.param`` values. When the file is missing, the one
    parameter is ``(*prefix, MISSING_PARAM)``; the test then calls
    :func:`load_json`, which fails it with a clear message.
    """
    if not _path(relative).is_file():
        return [pytest.param(*prefix, MISSING_PARAM, id=f"vectors-missing:{relative}")]
    return list(build(_load(relative)))


def int_b64url(hex_value: str) -> str:
    """Unpadded base64url of the minimal big-endian bytes of a hex integer (a JWK ``n`` or ``e``)."""
    value = int(hex_value, 16)
    raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_strict(text: str) -> bytes | None:
    """Decode canonical unpadded base64url (RFC 7515 §2), or ``None`` for any other spelling.

    No padding, no ``+``/``/``, no whitespace or other characters, and the
    unused low bits of the last character must be zero (checked by re-encoding).
    """
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != text:
        return None
    return raw


@dataclass(frozen=True)
class Compact:
    """A JWS compact serialization that is structurally sound (three canonical segments, JSON-object header)."""

    text: str
    header_b64: str
    payload_b64: str
    signature_b64: str
    header: dict[str, Any]
    payload: bytes
    signature: bytes

    @property
    def signing_input(self) -> bytes:
        return f"{self.header_b64}.{self.payload_b64}".encode("ascii")

    @property
    def alg(self) -> object:
        return self.header.get("alg")

    @property
    def payload_is_claims_set(self) -> bool:
        """Whether the payload is a JSON object, as a JWT's must be (RFC 7519 §7.2 step 10)."""
        try:
            return isinstance(json.loads(self.payload), dict)
        except ValueError:
            return False


def split_compact(text: object) -> Compact | None:
    """Parse a JWS compact serialization strictly; ``None`` if it is malformed in any way."""
    if not isinstance(text, str):
        return None
    parts = text.split(".")
    if len(parts) != 3:
        return None
    decoded = [b64url_strict(part) for part in parts]
    header_raw, payload, signature = decoded
    if header_raw is None or payload is None or signature is None:
        return None
    try:
        header = json.loads(header_raw)
    except ValueError:
        return None
    if not isinstance(header, dict):
        return None
    return Compact(
        text=text,
        header_b64=parts[0],
        payload_b64=parts[1],
        signature_b64=parts[2],
        header=header,
        payload=payload,
        signature=signature,
    )


def jwt_for_signature(compact: Compact) -> Jwt:
    """A :class:`clerk_core.Jwt` for ``has_valid_signature``, whatever the payload holds.

    The core's decoder requires a JWT payload (a JSON object); JOSE vectors sign
    arbitrary bytes (``"foo"``, RFC 7520's prose). ``has_valid_signature`` accepts
    a decoded ``Jwt`` and reads only the header, the signature and the raw
    segments (the signing input), so the claims are left empty here. Everything
    the signature check depends on comes from the vector unchanged.
    """
    return Jwt(
        header=dict(compact.header),
        payload={},
        signature=compact.signature,
        raw=RawJwt(
            header=compact.header_b64,
            payload=compact.payload_b64,
            signature=compact.signature_b64,
            text=compact.text,
        ),
    )


def public_jwk(jwk: Mapping[str, Any]) -> dict[str, Any]:
    """The public part of a JWK: every member except the private ones."""
    return {name: value for name, value in jwk.items() if name not in _PRIVATE_MEMBERS}


Outcome = bool | str
"""What the core did: True/False from ``has_valid_signature`` (:data:`ACCEPTED` also for
claims returned by ``verify_jwt``), or the ``reason`` of the ``TokenVerificationError`` it raised."""


def core_outcome(label: str, call: Callable[[], object]) -> Outcome:
    """Run a core call; anything but a bool, claims or ``TokenVerificationError`` fails the test."""
    try:
        result = call()
    except TokenVerificationError as exc:
        return exc.reason
    except Exception as exc:
        pytest.fail(f"{label}: raised {type(exc).__name__}: {exc} (only TokenVerificationError may escape)")
    if isinstance(result, bool):
        return result
    assert isinstance(result, dict), f"{label}: unexpected result {result!r}"
    return ACCEPTED
