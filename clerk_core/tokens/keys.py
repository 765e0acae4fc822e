"""Where verification keys come from: a PEM public key, or the instance's JWKS.

Resolution order (the reference's): ``jwt_key`` (networkless) > ``secret_key``
(JWKS from the Backend API) > ``jwk-failed-to-resolve``.

The JWKS policy improves on the reference while keeping its reasons:

* cache scope = API URL | API version | secret-key fingerprint, so one
  instance's keys never verify another instance's tokens;
* concurrent cold-cache verifications share one fetch (:class:`~clerk_core._flow.Once`);
* an unknown ``kid`` refetches at most once per cooldown window, so forged kids
  cannot cause a fetch storm;
* every fetch has a timeout; transport errors, 429 and 5xx are retried with
  exponential back-off and jitter; a rejected secret key is never retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import msgspec

from .._flow import Fetch, Flow, Once, Sleep
from .._log import get_logger
from .._secret import Secret
from ..api._request import error_from_response, instance_request, read_json
from ..errors import TokenVerificationError, TokenVerificationErrorCode, TransportError
from ..errors import TokenVerificationErrorAction as Action
from ..errors import TokenVerificationErrorReason as Reason
from ..jwt.pem import pem_to_jwk
from ..jwt.verify import KeySource, import_key
from ..options import ClientConfig, VerifyOptions
from ..providers import Clock, HttpResponse, JwksCache, JwksEntry

__all__ = ["KeyResolver", "load_jwk_from_pem"]

_log = get_logger("jwks")
# The reference lists the cached kids after the message; we do not, as they are
# other instances' ids when one process serves several instances.
_KID_MISMATCH_ACTION: Final = (
    "Go to your Dashboard and validate your secret and public keys are correct. "
    f"{Action.CONTACT_SUPPORT} if the issue persists."
)
_PEM_CACHE_SIZE: Final = 16


class _JwksBody(msgspec.Struct, kw_only=True):
    keys: list[dict[str, Any]]


def load_jwk_from_pem(pem: str | Secret | None) -> dict[str, str]:
    """The reference's ``loadClerkJwkFromPem``: a PEM public key as a JWK.

    Raises ``jwk-local-missing`` when no key is given and ``ValueError`` when the
    text is not an RSA public key.
    """
    text = pem.reveal() if isinstance(pem, Secret) else pem
    if not text or not text.strip():
        raise TokenVerificationError(Reason.LOCAL_JWK_MISSING, "Missing local JWK.", action=Action.SET_CLERK_JWT_KEY)
    return pem_to_jwk(text)


class KeyResolver:
    """Resolves a token's key handle for one client; owns the PEM and JWKS caches."""

    def __init__(self, config: ClientConfig, cache: JwksCache, clock: Clock) -> None:
        self._config = config
        self._cache = cache
        self._clock = clock
        self._pem: dict[Secret, _PemKey] = {}

    def key_source(self, kid: object, options: VerifyOptions, *, failed_to_resolve: str) -> KeySource:
        """Where the key of a token with this ``kid`` comes from under ``options``."""
        pem = options.jwt_key
        if pem is not None:
            # One long-lived source per PEM: a warm lookup is a dict probe, not an allocation.
            source = self._pem.get(pem)
            if source is None:
                if len(self._pem) >= _PEM_CACHE_SIZE:
                    self._pem.clear()
                source = self._pem[pem] = _PemKey(pem)
            return source
        if options.secret_key is not None:
            return _JwksKey(self, kid, options)
        raise TokenVerificationError(Reason.JWK_FAILED_TO_RESOLVE, failed_to_resolve, action=Action.SET_CLERK_JWT_KEY)

    def cached_jwks_handle(self, kid: object, alg: str, options: VerifyOptions) -> object | None:
        """The imported handle for ``kid`` if its key set is cached, fresh and already imported."""
        assert options.secret_key is not None
        entry = self._cache.get(_scope(options, options.secret_key))
        if entry is None or options.skip_jwks_cache or self._clock() - entry.fetched_at >= self._config.jwks_cache_ttl:
            return None
        return entry.handles.get((kid, alg)) if isinstance(kid, str) else None

    # -- JWKS --------------------------------------------------------------------------------

    def jwks_flow(self, options: VerifyOptions) -> Flow[JwksEntry]:
        """The instance's key set: cached while fresh, else fetched (one fetch for concurrent callers)."""
        secret = options.secret_key
        if secret is None:
            raise TokenVerificationError(
                Reason.REMOTE_JWK_FAILED_TO_LOAD,
                "Failed to load JWKS from Clerk Backend or Frontend API.",
                action=Action.CONTACT_SUPPORT,
            )
        scope = _scope(options, secret)
        entry = self._cache.get(scope)
        if entry is None or options.skip_jwks_cache or self._clock() - entry.fetched_at >= self._config.jwks_cache_ttl:
            entry = yield self._refresh(scope, options, seen=entry)
        return entry

    def jwks_handle(self, kid: object, alg: str, options: VerifyOptions) -> Flow[object]:
        """The handle for ``kid`` from the instance's key set, refetching an unknown kid at most once per cooldown."""
        entry = yield from self.jwks_flow(options)
        # A missing or non-string kid can never match: it must not trigger a refetch.
        wanted = kid if isinstance(kid, str) and kid else None
        jwk = entry.keys.get(wanted) if wanted else None
        if jwk is None and wanted and self._clock() - entry.fetched_at >= self._config.jwks_kid_miss_cooldown:
            _log.info("jwks.kid_miss_refetch", kid=wanted[:64])
            assert options.secret_key is not None  # jwks_flow refused None
            entry = yield self._refresh(_scope(options, options.secret_key), options, seen=entry)
            jwk = entry.keys.get(wanted)
        if jwk is None:
            raise TokenVerificationError(
                Reason.JWK_KID_MISMATCH,
                f"Unable to find a signing key in JWKS that matches the kid='{_js_kid(kid)}' of the provided "
                "session token. Please make sure that the __session cookie or the HTTP authorization header "
                "contain a Clerk-generated session JWT.",
                action=_KID_MISMATCH_ACTION,
            )
        assert wanted is not None
        handle = entry.handles.get((wanted, alg))
        if handle is None:
            handle = yield from import_key(jwk, alg)
            entry.handles[(wanted, alg)] = handle
        return handle

    def _refresh(self, scope: str, options: VerifyOptions, *, seen: JwksEntry | None) -> Once:
        def flow() -> Flow[JwksEntry]:
            current = self._cache.get(scope)
            if current is not None and current is not seen and not options.skip_jwks_cache:
                return current  # another caller refreshed while we were deciding to
            entry = yield from self._fetch(options)
            self._cache.put(scope, entry)
            return entry

        return Once(("jwks", scope), flow)

    def _fetch(self, options: VerifyOptions) -> Flow[JwksEntry]:
        secret = options.secret_key
        assert secret is not None
        config = self._config
        request = instance_request(config, options, secret, "GET", "jwks")
        attempt = 0
        while True:
            try:
                response: HttpResponse = yield Fetch(request)
            except TransportError as exc:
                failure = f"Error loading Clerk JWKS from {request.url}: {exc.message}"
                retry = True
            else:
                if 200 <= response.status < 300:
                    keys = _parse_keys(response)
                    if keys is not None:
                        return _entry(keys, self._clock())
                    failure = f"Error loading Clerk JWKS from {request.url}: the response is not a JWKS."
                    retry = True
                else:
                    _raise_if_key_rejected(response)
                    failure = f"Error loading Clerk JWKS from {request.url} with code={response.status}"
                    # Other 4xx answers (a 401 without that code, 403, 404) will not change on retry.
                    retry = response.status == 429 or response.status >= 500
            _log.warning("jwks.fetch_failed", attempt=attempt + 1, retry=retry, detail=failure)
            if not retry or attempt >= config.max_retries:
                raise TokenVerificationError(Reason.REMOTE_JWK_FAILED_TO_LOAD, failure, action=Action.CONTACT_SUPPORT)
            import random  # lazily: only a failing fetch needs it

            yield Sleep(config.retry_backoff * (2**attempt) * (1 + random.random()))  # noqa: S311 - jitter, not a secret
            attempt += 1


class _PemKey:
    """A key source for a PEM public key (``jwt_key``): parsed once, imported once per algorithm."""

    __slots__ = ("_handles", "_jwk", "_pem")

    def __init__(self, pem: Secret) -> None:
        self._pem = pem
        self._jwk: dict[str, str] | None = None
        self._handles: dict[str, object] = {}

    def cached(self, alg: str) -> object | None:
        return self._handles.get(alg)

    def load(self, alg: str) -> Flow[object]:
        jwk = self._jwk
        if jwk is None:
            jwk = self._jwk = load_jwk_from_pem(self._pem)
        handle = yield from import_key(jwk, alg)
        self._handles[alg] = handle
        return handle


class _JwksKey:
    """A key source for the instance's JWKS (``secret_key``)."""

    __slots__ = ("_kid", "_options", "_resolver")

    def __init__(self, resolver: KeyResolver, kid: object, options: VerifyOptions) -> None:
        self._resolver = resolver
        self._kid = kid
        self._options = options

    def cached(self, alg: str) -> object | None:
        return self._resolver.cached_jwks_handle(self._kid, alg, self._options)

    def load(self, alg: str) -> Flow[object]:
        return self._resolver.jwks_handle(self._kid, alg, self._options)


def _scope(options: VerifyOptions, secret: Secret) -> str:
    """One Clerk instance as seen by this client: never share keys across instances."""
    return f"{options.api_url}|{options.api_version}|{secret.fingerprint}"


def _parse_keys(response: HttpResponse) -> list[dict[str, Any]] | None:
    try:
        return msgspec.convert(read_json(response), _JwksBody).keys
    except (ValueError, msgspec.ValidationError):
        return None


def _entry(keys: list[dict[str, Any]], now: float) -> JwksEntry:
    by_kid: dict[str, Mapping[str, Any]] = {k["kid"]: k for k in keys if isinstance(k.get("kid"), str)}
    if not by_kid:
        raise TokenVerificationError(
            Reason.REMOTE_JWK_FAILED_TO_LOAD,
            "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com.",
            action=Action.CONTACT_SUPPORT,
        )
    return JwksEntry(by_kid, now)


def _raise_if_key_rejected(response: HttpResponse) -> None:
    """An error carrying ``clerk_key_invalid`` means the secret key is wrong: final, never retried."""
    error = error_from_response(response)
    invalid = [e for e in error.errors if e.code == TokenVerificationErrorCode.INVALID_SECRET_KEY]
    if invalid:
        message = invalid[0].message or "The Clerk secret key is invalid."
        raise TokenVerificationError(Reason.INVALID_SECRET_KEY, message, action=Action.CONTACT_SUPPORT)


def _js_kid(kid: object) -> str:
    if kid is None:
        return "undefined"
    return str(kid)[:128]
