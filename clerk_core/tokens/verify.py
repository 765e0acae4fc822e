"""Verification flows for one client: session tokens, bare JWTs, machine and handshake tokens.

A :class:`Verifier` holds what a client resolved once (decoder, key resolver,
clock, allow-list) and returns *flows*; the client runs them with its sync or
async driver. Nothing here performs I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec

from .._flow import Fetch, Flow, Verify
from .._secret import Secret
from ..api._request import error_from_response, instance_request, read_json
from ..api.models import APIKey, M2MToken, MachineToken, OAuthAccessToken
from ..errors import (
    ClerkError,
    ConfigurationError,
    MachineTokenVerificationError,
    TokenVerificationError,
    TransportError,
)
from ..errors import MachineTokenVerificationErrorCode as Code
from ..errors import TokenVerificationErrorAction as Action
from ..errors import TokenVerificationErrorReason as Reason
from ..jwt import categories
from ..jwt.claims import MISSING, check_algorithm, check_header_type, check_oauth_audience
from ..jwt.decode import Jwt, JwtDecoder
from ..jwt.pem import pem_to_jwk
from ..jwt.verify import KeySource, import_key, key_handle, verify_jwt_flow
from ..options import ClientConfig, VerifyOptions
from ..providers import Clock, JwksCache
from . import machine
from .keys import KeyResolver

__all__ = ["Verifier"]

_FAILED_TO_RESOLVE: Final = "Failed to resolve JWK during verification."
_MISSING_SECRET: Final = (
    "Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance."
)

# Machine tokens verified by the Backend API: token type, path (no version segment),
# body member, and the 404 message.
_OPAQUE: Final[Mapping[str, tuple[str, str, str, type[MachineToken]]]] = {
    machine.M2M_TOKEN: ("m2m_tokens/verify", "token", "Machine token not found", M2MToken),
    machine.OAUTH_TOKEN: (
        "oauth_applications/access_tokens/verify",
        "access_token",
        "OAuth token not found",
        OAuthAccessToken,
    ),
    machine.API_KEY: ("api_keys/verify", "secret", "API key not found", APIKey),
}


class Verifier:
    """The verification flows of one client."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        b64: Callable[[str], bytes],
        clock: Clock,
        jwks_cache: JwksCache,
    ) -> None:
        self.config = config
        self.clock = clock
        self.decoder = JwtDecoder(b64)
        self.keys = KeyResolver(config, jwks_cache, clock)
        self.algorithms = config.algorithms
        self._explicit: dict[tuple[Any, ...], object] = {}

    # -- session tokens ----------------------------------------------------------------------

    def verify_token(self, token: object, options: VerifyOptions) -> Flow[dict[str, Any]]:
        """The reference's ``verifyToken``: decode, refuse M2M tokens, resolve the key, verify."""
        return self.verify_decoded(self.decoder.decode(token), options)

    def verify_decoded(self, jwt: Jwt, options: VerifyOptions) -> Flow[dict[str, Any]]:
        """``verify_token`` for a token already decoded (with this verifier's decoder)."""
        key = self.session_key(jwt, options)
        return (yield from verify_jwt_flow(jwt, options, key=key, algorithms=self.algorithms, now=self.clock))

    def session_key(self, jwt: Jwt, options: VerifyOptions) -> KeySource:
        """The key source for a session token; an M2M token is refused before any key work."""
        if jwt.header.get("cat") == categories.M2M_TOKEN:
            raise TokenVerificationError(
                Reason.TOKEN_INVALID, "Invalid session token category.", action=Action.ENSURE_CLERK_JWT
            )
        return self.keys.key_source(jwt.header.get("kid"), options, failed_to_resolve=_FAILED_TO_RESOLVE)

    def load_jwks(self, options: VerifyOptions) -> Flow[dict[str, dict[str, Any]]]:
        """The instance's JWKS by ``kid`` (from the cache while fresh)."""
        entry = yield from self.keys.jwks_flow(options)
        return {kid: dict(jwk) for kid, jwk in entry.keys.items()}

    # -- bare JWTs with an explicit key ------------------------------------------------------

    def explicit_key(self, key: Mapping[str, Any] | str | Secret) -> KeySource:
        """A key source for a caller-supplied JWK or PEM, importing each (key, alg) once."""
        if isinstance(key, Secret):
            key = key.reveal()
        if isinstance(key, str):
            return _ExplicitKey(self._explicit, pem_to_jwk(key), ("pem", key))
        if isinstance(key, Mapping):
            return _ExplicitKey(self._explicit, key, ("jwk", msgspec.json.encode(dict(key), order="sorted")))
        raise ValueError("The key must be a JWK mapping or a PEM string.")

    def verify_jwt(self, token: object, key: Mapping[str, Any] | str, options: VerifyOptions) -> Flow[dict[str, Any]]:
        """The reference's ``verifyJwt``: header, signature, claims, with the given key."""
        jwt = self.decoder.decode(token)
        try:
            source = self.explicit_key(key)
        except ValueError as exc:
            source = _FailingKey(exc)
        return (yield from verify_jwt_flow(jwt, options, key=source, algorithms=self.algorithms, now=self.clock))

    def has_valid_signature(self, jwt: Jwt | str, key: Mapping[str, Any] | str) -> Flow[bool]:
        """The reference's ``hasValidSignature``: True/False, or ``token-invalid-signature`` if the key fails."""
        if not isinstance(jwt, Jwt):
            jwt = self.decoder.decode(jwt)
        alg = jwt.header.get("alg", MISSING)
        if alg not in self.algorithms:
            raise TokenVerificationError(
                Reason.TOKEN_INVALID_ALGORITHM,
                f"Unsupported algorithm {alg}, expected one of {','.join(self.algorithms)}.",
            )
        try:
            handle = yield from key_handle(self.explicit_key(key), alg)
            valid = yield Verify(alg, handle, jwt.signature, jwt.signing_input)
        except ClerkError:
            raise
        except Exception as exc:
            raise TokenVerificationError(Reason.TOKEN_INVALID_SIGNATURE, str(exc) or type(exc).__name__) from exc
        return bool(valid)

    # -- handshake tokens --------------------------------------------------------------------

    def verify_handshake_token(self, token: object, options: VerifyOptions) -> Flow[dict[str, Any]]:
        """A ``__clerk_handshake`` JWT: header, category, signature; no time or party claims."""
        jwt = self.decoder.decode(token)
        header = jwt.header
        check_header_type(header.get("typ", MISSING), None)
        alg = check_algorithm(header.get("alg", MISSING), self.algorithms)
        if categories.is_non_session_category(header.get("cat")):
            # Checked before any key work: a template or M2M token must never set cookies.
            raise TokenVerificationError(
                Reason.TOKEN_INVALID, "Invalid handshake token category.", action=Action.ENSURE_CLERK_JWT
            )
        key = self.keys.key_source(
            header.get("kid"), options, failed_to_resolve="Failed to resolve JWK during handshake verification."
        )
        try:
            handle = yield from key_handle(key, alg)
            valid = yield Verify(alg, handle, jwt.signature, jwt.signing_input)
        except ClerkError:
            raise
        except Exception as exc:
            raise TokenVerificationError(
                Reason.TOKEN_VERIFICATION_FAILED, f"Error verifying handshake token. Error: {exc}"
            ) from exc
        if not valid:
            raise TokenVerificationError(Reason.TOKEN_INVALID_SIGNATURE, "Handshake signature is invalid.")
        return jwt.payload

    # -- machine tokens ----------------------------------------------------------------------

    def verify_machine_token(
        self, token: str, options: VerifyOptions, machine_secret_key: Secret | None
    ) -> Flow[MachineToken]:
        """The reference's ``verifyMachineAuthToken``: JWTs locally, opaque tokens through the Backend API."""
        if not isinstance(token, str):
            raise MachineTokenVerificationError(Code.TOKEN_INVALID, "Invalid machine token.", token_type=None)
        if machine.is_jwt_format(token):
            return (yield from self._machine_jwt(token, options))
        kind = machine.machine_token_type(token)
        if kind is None:
            raise MachineTokenVerificationError(Code.TOKEN_INVALID, "Unknown machine token type")
        return (yield from self._machine_opaque(token, kind, options, machine_secret_key))

    def _machine_jwt(self, token: str, options: VerifyOptions) -> Flow[MachineToken]:
        try:
            jwt = self.decoder.decode(token)
        except TokenVerificationError as exc:
            raise MachineTokenVerificationError(Code.TOKEN_INVALID, exc.message, token_type=machine.M2M_TOKEN) from exc
        sub = jwt.payload.get("sub")
        typ = jwt.header.get("typ")
        # Machine JWTs are checked for audience and time only: a session-oriented
        # issuer or authorized-parties setting must not reject them.
        scoped = VerifyOptions(
            jwt_key=options.jwt_key,
            secret_key=options.secret_key,
            api_url=options.api_url,
            api_version=options.api_version,
            audience=options.audience,
            clock_skew_ms=options.clock_skew_ms,
            skip_jwks_cache=options.skip_jwks_cache,
        )
        if isinstance(sub, str) and sub.startswith(machine.M2M_SUBJECT_PREFIX):
            cat = jwt.header.get("cat")
            if cat is not None and cat != categories.M2M_TOKEN:
                raise MachineTokenVerificationError(
                    Code.TOKEN_INVALID, "Invalid M2M JWT category.", token_type=machine.M2M_TOKEN
                )
            payload = yield from self._machine_verify(jwt, scoped, machine.M2M_TOKEN)
            return machine.m2m_from_jwt_payload(payload, now=self.clock(), clock_skew_ms=options.clock_skew_ms)
        if typ in machine.OAUTH_ACCESS_TOKEN_TYPES:
            oauth = msgspec.structs.replace(scoped, header_type=machine.OAUTH_ACCESS_TOKEN_TYPES)
            payload = yield from self._machine_verify(jwt, oauth, machine.OAUTH_TOKEN)
            try:
                check_oauth_audience(payload.get("aud", MISSING), options.audience)
            except TokenVerificationError as exc:
                raise MachineTokenVerificationError(
                    Code.TOKEN_VERIFICATION_FAILED, exc.message, token_type=machine.OAUTH_TOKEN
                ) from exc
            return machine.oauth_from_jwt_payload(payload, now=self.clock(), clock_skew_ms=options.clock_skew_ms)
        shown = "missing" if typ is None else str(typ)
        raise MachineTokenVerificationError(
            Code.TOKEN_VERIFICATION_FAILED,
            f"Invalid JWT type: {shown}. Expected one of: at+jwt, application/at+jwt for OAuth, "
            "or sub starting with 'mch_' for M2M",
            token_type=machine.OAUTH_TOKEN,
        )

    def _machine_verify(self, jwt: Jwt, options: VerifyOptions, kind: str) -> Flow[dict[str, Any]]:
        try:
            key = self.keys.key_source(jwt.header.get("kid"), options, failed_to_resolve=_FAILED_TO_RESOLVE)
            return (yield from verify_jwt_flow(jwt, options, key=key, algorithms=self.algorithms, now=self.clock))
        except TokenVerificationError as exc:
            raise MachineTokenVerificationError(Code.TOKEN_VERIFICATION_FAILED, exc.message, token_type=kind) from exc

    def _machine_opaque(
        self, token: str, kind: str, options: VerifyOptions, machine_secret_key: Secret | None
    ) -> Flow[MachineToken]:
        path, member, not_found, model = _OPAQUE[kind]
        secret = (machine_secret_key if kind == machine.M2M_TOKEN else None) or options.secret_key
        if secret is None:
            raise ConfigurationError("secret-key-missing", _MISSING_SECRET)
        request = instance_request(self.config, options, secret, "POST", path, versioned=False, body={member: token})
        try:
            response = yield Fetch(request)
        except TransportError as exc:
            raise MachineTokenVerificationError(Code.UNEXPECTED_ERROR, "Unexpected error", token_type=kind) from exc
        if response.status == 401:
            errors = error_from_response(response).errors
            message = errors[0].message if errors and errors[0].message else "Invalid secret key"
            raise MachineTokenVerificationError(Code.INVALID_SECRET_KEY, message, status=401, token_type=kind)
        if response.status == 404:
            raise MachineTokenVerificationError(Code.TOKEN_INVALID, not_found, status=404, token_type=kind)
        if not 200 <= response.status < 300:
            raise MachineTokenVerificationError(
                Code.UNEXPECTED_ERROR, "Unexpected error", status=response.status, token_type=kind
            )
        try:
            result = msgspec.convert(read_json(response), model)
        except (ValueError, msgspec.ValidationError) as exc:
            raise MachineTokenVerificationError(
                Code.UNEXPECTED_ERROR, "Unexpected error", status=response.status, token_type=kind
            ) from exc
        if isinstance(result, OAuthAccessToken):
            try:
                check_oauth_audience(MISSING if result.aud is None else result.aud, options.audience)
            except TokenVerificationError as exc:
                raise MachineTokenVerificationError(
                    Code.TOKEN_VERIFICATION_FAILED, exc.message, token_type=kind
                ) from exc
        return result


class _ExplicitKey:
    """A key source for a key passed to ``verify_jwt``/``has_valid_signature``."""

    __slots__ = ("_handles", "_identity", "_jwk")

    def __init__(
        self, handles: dict[tuple[Any, ...], object], jwk: Mapping[str, Any], identity: tuple[Any, ...]
    ) -> None:
        self._handles = handles
        self._jwk = jwk
        self._identity = identity

    def cached(self, alg: str) -> object | None:
        return self._handles.get((self._identity, alg))

    def load(self, alg: str) -> Flow[object]:
        handle = yield from import_key(self._jwk, alg)
        if len(self._handles) >= 64:
            self._handles.clear()
        self._handles[(self._identity, alg)] = handle
        return handle


class _FailingKey:
    """A key source whose key could not be read: the failure surfaces as a signature error."""

    __slots__ = ("_error",)

    def __init__(self, error: Exception) -> None:
        self._error = error

    def cached(self, alg: str) -> object | None:
        return None

    def load(self, alg: str) -> Flow[object]:
        raise self._error
        yield  # pragma: no cover - makes this a generator
