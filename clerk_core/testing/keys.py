"""RSA key pairs for a local Clerk instance.

Keys are generated at runtime and never written to the repository. Generating a
2048-bit RSA key takes tens of milliseconds, so tests should share
:func:`default_keypair` unless they need a second, distinct key (rotation, kid
mismatch, wrong-key signatures).
"""

from __future__ import annotations

import base64
import functools
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["KeyPair", "default_keypair", "int_to_b64url"]

#: The kid Clerk would use for an instance; a recognisable local value.
DEFAULT_KID = "ins_local_1"

#: Algorithms a Clerk instance signs with (RSASSA-PKCS1-v1_5).
_RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})


def int_to_b64url(value: int) -> str:
    """Encode a non-negative integer as unpadded base64url, big-endian, minimal length (RFC 7518 §6.3)."""
    length = max(1, (value.bit_length() + 7) // 8)
    return base64.urlsafe_b64encode(value.to_bytes(length, "big")).rstrip(b"=").decode("ascii")


class KeyPair:
    """An RSA signing key with the identifiers Clerk publishes in its JWKS.

    The repr names the kid, algorithm and size only: private material is reachable through
    attributes, never printed.
    """

    __slots__ = ("_private_key", "alg", "kid")

    def __init__(
        self,
        private_key: rsa.RSAPrivateKey,
        *,
        kid: str = DEFAULT_KID,
        alg: str = "RS256",
    ) -> None:
        """Wrap an existing ``cryptography`` RSA private key."""
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise TypeError("KeyPair needs an RSA private key")
        if alg not in _RSA_ALGORITHMS:
            raise ValueError(f"Unsupported algorithm for an RSA key pair: {alg!r}")
        self._private_key = private_key
        #: Key id placed in the JWKS and in minted tokens' headers.
        self.kid = kid
        #: JWS algorithm advertised in the JWKS and used by the mint helpers.
        self.alg = alg

    @classmethod
    def generate(cls, bits: int = 2048, kid: str = DEFAULT_KID, alg: str = "RS256") -> KeyPair:
        """Generate a fresh RSA key (public exponent 65537, as Clerk uses)."""
        return cls(
            rsa.generate_private_key(public_exponent=65537, key_size=bits),
            kid=kid,
            alg=alg,
        )

    @classmethod
    def from_pem(cls, pem: str | bytes, *, kid: str = DEFAULT_KID, alg: str = "RS256") -> KeyPair:
        """Load an unencrypted PKCS#8 (or PKCS#1) RSA private key PEM."""
        data = pem.encode("ascii") if isinstance(pem, str) else pem
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("KeyPair.from_pem needs an RSA private key")
        return cls(key, kid=kid, alg=alg)

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The ``cryptography`` private key object."""
        return self._private_key

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The ``cryptography`` public key object."""
        return self._private_key.public_key()

    @property
    def bits(self) -> int:
        """Modulus size in bits."""
        return self._private_key.key_size

    @property
    def public_pem(self) -> str:
        """SubjectPublicKeyInfo PEM, the form Clerk shows as the "JWT public key"."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    @property
    def private_pem(self) -> str:
        """Unencrypted PKCS#8 PEM of the private key."""
        return self._private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")

    @property
    def public_jwk(self) -> dict[str, Any]:
        """The public JWK exactly as Clerk's JWKS lists it: use, kty, kid, alg, n, e."""
        numbers = self.public_key.public_numbers()
        return {
            "use": "sig",
            "kty": "RSA",
            "kid": self.kid,
            "alg": self.alg,
            "n": int_to_b64url(numbers.n),
            "e": int_to_b64url(numbers.e),
        }

    @property
    def private_jwk(self) -> dict[str, Any]:
        """The public JWK plus the private members d, p, q, dp, dq, qi."""
        numbers = self._private_key.private_numbers()
        jwk = self.public_jwk
        jwk.update(
            d=int_to_b64url(numbers.d),
            p=int_to_b64url(numbers.p),
            q=int_to_b64url(numbers.q),
            dp=int_to_b64url(numbers.dmp1),
            dq=int_to_b64url(numbers.dmq1),
            qi=int_to_b64url(numbers.iqmp),
        )
        return jwk

    def __repr__(self) -> str:
        return f"KeyPair(kid={self.kid!r}, alg={self.alg!r}, bits={self.bits})"


@functools.cache
def default_keypair() -> KeyPair:
    """A process-wide RS256 key with kid ``ins_local_1``, generated on first use.

    Cached because key generation dominates the cost of a small test suite; treat the
    returned object as read-only.
    """
    return KeyPair.generate()
