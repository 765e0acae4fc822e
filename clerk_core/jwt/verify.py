"""The JWT verify flow: header checks, signature, then claims.

The signature is checked before any claim so that a forged token learns
nothing from claim errors (the reference calls this out as an oracle guard).
Keys come from a :class:`KeySource` supplied by the caller, so the same flow
serves a PEM key, a JWKS, or a key handed in; a cached key costs no effect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from .._flow import Flow, ImportKey, Verify
from ..errors import ClerkError, TokenVerificationError
from ..errors import TokenVerificationErrorAction as Action
from ..errors import TokenVerificationErrorReason as Reason
from ..options import VerifyOptions
from .algorithms import KEY_TYPES
from .claims import MISSING, check_algorithm, check_claims, check_header_type
from .decode import Jwt

__all__ = ["KeySource", "check_key_binding", "import_key", "key_handle", "verify_jwt_flow"]


class KeySource(Protocol):
    """Where one token's key comes from: a PEM, a JWKS, or a key the caller hands in."""

    def cached(self, alg: str) -> object | None:
        """The imported key handle if it is ready now (the hot path: no effect, no frame)."""

    def load(self, alg: str) -> Flow[object]:
        """Resolve, import and remember the key handle for ``alg``."""


def check_key_binding(jwk: Mapping[str, Any], alg: str) -> None:
    """Refuse a JWK that does not fit ``alg``: wrong type, other algorithm, not a verify key.

    Raises ``ValueError``; callers turn it into the reason their context needs.
    """
    if not isinstance(jwk, Mapping):
        raise ValueError("The key is not a JWK object.")
    kty = jwk.get("kty")
    if kty != KEY_TYPES.get(alg):
        raise ValueError(f"The key type {kty!r} cannot verify {alg} signatures.")
    key_alg = jwk.get("alg")
    if key_alg is not None and key_alg != alg:
        raise ValueError(f"The key is for {key_alg!r}, the token is signed with {alg!r}.")
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise ValueError(f"The key's use {use!r} is not 'sig'.")
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        raise ValueError("The key's key_ops do not allow 'verify'.")
    if "d" in jwk:
        raise ValueError("A private key was given where a public verification key is required.")


def import_key(jwk: Mapping[str, Any], alg: str) -> Flow[object]:
    """Check the binding, then have the crypto provider import ``jwk`` for ``alg``."""
    check_key_binding(jwk, alg)
    handle = yield ImportKey(jwk, alg)
    return handle


def key_handle(key: KeySource, alg: str) -> Flow[object]:
    """The key handle for ``alg``: cached, or loaded through the source's flow."""
    handle = key.cached(alg)
    if handle is None:
        handle = yield from key.load(alg)
    return handle


def verify_jwt_flow(
    jwt: Jwt,
    options: VerifyOptions,
    *,
    key: KeySource,
    algorithms: tuple[str, ...],
    now: Callable[[], float],
) -> Flow[dict[str, Any]]:
    """The reference's ``verifyJwt`` after decoding: typ, alg, signature, then claims."""
    header = jwt.header
    check_header_type(header.get("typ", MISSING), options.header_type)
    alg = check_algorithm(header.get("alg", MISSING), algorithms)
    # Written out rather than delegated: on the hot path the key is cached and the
    # signature check is the only effect, so no nested generator frames are created.
    handle = key.cached(alg)
    try:
        if handle is None:
            handle = yield from key.load(alg)
        valid = yield Verify(alg, handle, jwt.signature, jwt.signing_input)
    except ClerkError:
        raise  # key resolution and configuration failures keep their own reasons
    except Exception as exc:
        # The reference interpolates an Error object, which prints as "Error: <message>".
        raise TokenVerificationError(
            Reason.TOKEN_VERIFICATION_FAILED,
            f"Error verifying JWT signature. Error: {_describe(exc)}",
            action=Action.ENSURE_CLERK_JWT,
        ) from exc
    if not valid:
        raise TokenVerificationError(Reason.TOKEN_INVALID_SIGNATURE, "JWT signature is invalid.")
    check_claims(jwt.payload, options, now())
    return jwt.payload


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__
