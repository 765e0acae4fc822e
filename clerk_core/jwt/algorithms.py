"""The algorithm table: which JWS algorithms exist, which key type each binds to.

The core owns this table, not the crypto provider: libraries such as josepy
trust the header's ``alg`` and raise ``TypeError`` on a key-type mismatch, so
we reject anything outside the allow-list, and any key whose type does not
fit the algorithm, before a provider is ever called.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["DEFAULT_ALGORITHMS", "KEY_TYPES", "supported_list"]

#: Algorithm → the JWK ``kty`` it must be verified with.
KEY_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "RS256": "RSA",
        "RS384": "RSA",
        "RS512": "RSA",
        "PS256": "RSA",
        "PS384": "RSA",
        "PS512": "RSA",
        "ES256": "EC",
        "ES384": "EC",
        "ES512": "EC",
    }
)

#: What Clerk signs with and the reference SDK accepts: RSASSA-PKCS1-v1_5.
DEFAULT_ALGORITHMS: Final = ("RS256", "RS384", "RS512")


def supported_list(algorithms: tuple[str, ...]) -> str:
    """The allow-list as the reference prints it in messages: ``RS256,RS384,RS512``."""
    return ",".join(algorithms)
