"""Crypto provider on josepy and cryptography (the CPython default).

RSA keys (what Clerk signs with) are built straight from the JWK's ``n`` and
``e`` with ``cryptography``, josepy's own backend; josepy is imported only for
other key types (EC), because ``import josepy`` costs ~75 ms (it loads
``cryptography.x509`` for ``x5c`` headers) and networkless verification must
start fast. Each key handle carries its prebuilt padding and hash objects, so
``verify`` is a single OpenSSL call.

josepy trusts the header ``alg`` and raises ``TypeError``/``KeyError`` on
mismatches; the core has already enforced the allow-list and the key-type
binding, and every library exception is mapped to ``ValueError`` here.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Mapping
from typing import Any, Final

from clerk_core.hookspecs import hookimpl
from clerk_core.jwt.b64 import b64url_decode
from clerk_core.options import ClientConfig
from clerk_core.providers import Runtime

__all__ = ["JosepyCrypto", "clerk_crypto_backend"]

_HASH_BITS: Final = {"256": 256, "384": 384, "512": 512}
_EC_SIZES: Final = {"ES256": 32, "ES384": 48, "ES512": 66}
_EC_CURVES: Final = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}


class _KeyHandle:
    """A public key bound to one algorithm, with its padding and hash ready."""

    __slots__ = ("alg", "ec_size", "hash", "key", "padding")

    def __init__(self, key: Any, alg: str, padding: Any, hash_: Any, ec_size: int = 0) -> None:
        self.key = key
        self.alg = alg
        self.padding = padding
        self.hash = hash_
        self.ec_size = ec_size

    def __repr__(self) -> str:
        return f"KeyHandle(alg={self.alg!r})"


#: Imported keys shared by every client in the process, by algorithm and key material. A
#: handle is immutable and cryptography's keys are thread-safe; building one costs more
#: than building a client, and multi-tenant apps build a client per tenant or per request.
_HANDLES: dict[tuple[str, ...], _KeyHandle] = {}
_HANDLES_MAX: Final = 64


def _identity(jwk: Mapping[str, Any], alg: str) -> tuple[str, ...] | None:
    members = ("kty", "n", "e") if alg[:2] in ("RS", "PS") else ("kty", "crv", "x", "y")
    values = [jwk.get(member) for member in members]
    strings = [value for value in values if isinstance(value, str)]
    if len(strings) != len(values):
        return None  # left to the import to refuse
    return (alg, *strings)


class JosepyCrypto:
    """Sync crypto provider: ``import_key`` + ``verify``."""

    def __init__(self) -> None:
        from cryptography.exceptions import InvalidSignature

        self._invalid_signature = InvalidSignature

    def import_key(self, jwk: Mapping[str, Any], alg: str) -> _KeyHandle:
        """Build a key handle for ``alg`` from a public JWK; ``ValueError`` if unusable."""
        identity = _identity(jwk, alg)
        handle = _HANDLES.get(identity) if identity is not None else None
        if handle is None:
            handle = self._import(jwk, alg)
            if identity is not None:
                if len(_HANDLES) >= _HANDLES_MAX:
                    _HANDLES.clear()
                _HANDLES[identity] = handle
        return handle

    def _import(self, jwk: Mapping[str, Any], alg: str) -> _KeyHandle:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        family, bits = alg[:2], _HASH_BITS.get(alg[2:])
        if bits is None or family not in ("RS", "PS", "ES"):
            raise ValueError(f"Unsupported algorithm {alg!r}.")
        hash_types: dict[int, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
            256: hashes.SHA256,
            384: hashes.SHA384,
            512: hashes.SHA512,
        }
        hash_ = hash_types[bits]()
        try:
            if family in ("RS", "PS"):
                key = rsa.RSAPublicNumbers(_int(jwk, "e"), _int(jwk, "n")).public_key()
                pad = (
                    padding.PKCS1v15()
                    if family == "RS"
                    else padding.PSS(mgf=padding.MGF1(hash_), salt_length=padding.PSS.DIGEST_LENGTH)
                )
                return _KeyHandle(key, alg, pad, hash_)
            from cryptography.hazmat.primitives.asymmetric import ec  # EC keys only: ~2 ms to import

            key = self._ec_key(jwk)
            if getattr(key, "curve", None) is None or key.curve.name != _EC_CURVES[alg]:
                raise ValueError(f"The EC key's curve does not fit {alg}.")
            return _KeyHandle(key, alg, ec.ECDSA(hash_), hash_, _EC_SIZES[alg])
        except ValueError:
            raise
        except Exception as exc:  # josepy and cryptography raise several types for bad keys
            raise ValueError(f"The JWK could not be imported: {type(exc).__name__}") from exc

    @staticmethod
    def _ec_key(jwk: Mapping[str, Any]) -> Any:
        from josepy.jwk import JWK

        # josepy wraps the cryptography key in a comparable proxy that delegates calls.
        parsed: Any = JWK.from_json(dict(jwk))
        return parsed.key

    def verify(self, alg: str, key: object, signature: bytes, data: bytes) -> bool:
        """True iff ``signature`` is valid for ``data``."""
        if not isinstance(key, _KeyHandle) or key.alg != alg:
            raise ValueError("The key handle does not belong to this algorithm.")
        try:
            if key.ec_size:
                signature = _der_from_raw(signature, key.ec_size)
                key.key.verify(signature, data, key.padding)
            else:
                key.key.verify(signature, data, key.padding, key.hash)
        except self._invalid_signature:
            return False
        except ValueError:
            return False
        return True


def _int(jwk: Mapping[str, Any], member: str) -> int:
    value = jwk.get(member)
    if not isinstance(value, str) or not value:
        raise ValueError(f"The JWK member {member!r} is missing.")
    try:
        return int.from_bytes(b64url_decode(value), "big")
    except ValueError:
        raise ValueError(f"The JWK member {member!r} is not base64url.") from None


def _der_from_raw(signature: bytes, size: int) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    if len(signature) != 2 * size:
        raise ValueError("ECDSA signature has the wrong length.")
    return encode_dss_signature(int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big"))


@hookimpl(trylast=True)
def clerk_crypto_backend(runtime: Runtime, options: ClientConfig) -> JosepyCrypto | None:
    """Serve sync and async clients wherever ``cryptography`` is importable."""
    return JosepyCrypto() if _cryptography_available() else None


@functools.cache
def _cryptography_available() -> bool:
    # Asked once per process: the file-system search would cost more than building the client.
    return importlib.util.find_spec("cryptography") is not None
