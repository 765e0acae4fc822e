"""``Clerk`` and ``AsyncClerk``: one implementation, two drivers.

Both classes build the same pieces (configuration, plugin host, providers,
verifier) in :class:`_ClientBase` and expose the same method names; each
method is one line that runs a flow with :func:`~clerk_core._flow.run_sync`
or awaits it with :func:`~clerk_core._flow.run_async`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypedDict

from ._flow import Engine, Flow, run_async, run_sync
from ._plugins import PluginHost, Providers, current_runtime, missing_transport_message
from ._secret import Secret
from .api.models import MachineToken
from .jwt.decode import Jwt, decode_jwt
from .options import ClientConfig, VerifyOptions, resolve_client_config
from .providers import Flavor
from .tokens.verify import Verifier

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._requests import RequestAuthenticator
    from .api._gen_async import AsyncGroups as _AsyncGroups
    from .api._gen_sync import SyncGroups as _SyncGroups
    from .api.resource import ApiRunner
    from .tokens.organization_sync import OrganizationSyncOptions
    from .tokens.state import RequestState
    from .webhooks import WebhookEvent

else:  # the groups are reached through __getattr__ at run time; the tables are for the type checker
    _AsyncGroups = _SyncGroups = object

#: Options of authenticate_request that are not verification options.
REQUEST_OPTIONS: Final = frozenset(
    {
        "publishable_key",
        "domain",
        "is_satellite",
        "proxy_url",
        "sign_in_url",
        "sign_up_url",
        "after_sign_in_url",
        "after_sign_up_url",
        "satellite_auto_sync",
        "organization_sync_options",
        "accepts_token",
        "machine_secret_key",
    }
)


__all__ = ["AsyncClerk", "AuthenticateRequestOptions", "Clerk", "JwtOptions", "VerifyTokenOptions"]


class JwtOptions(TypedDict, total=False):
    """Claim options of ``verify_jwt`` (and of every verification)."""

    audience: str | Sequence[str] | None
    authorized_parties: Sequence[str] | None
    clock_skew_in_ms: float | None
    issuer: str | Sequence[str] | None
    header_type: str | Sequence[str] | None


class VerifyTokenOptions(JwtOptions, total=False):
    """Per-call options of ``verify_token``; ``None`` means "use the client's"."""

    jwt_key: str | None
    secret_key: str | None
    api_url: str | None
    api_version: str | None
    skip_jwks_cache: bool | None


class AuthenticateRequestOptions(VerifyTokenOptions, total=False):
    """Per-call options of ``authenticate_request``: all of ``verify_token``'s, plus the request-level ones."""

    machine_secret_key: str | None
    publishable_key: str | None
    domain: str | None
    is_satellite: bool | None
    proxy_url: str | None
    sign_in_url: str | None
    sign_up_url: str | None
    after_sign_in_url: str | None
    after_sign_up_url: str | None
    satellite_auto_sync: bool | None
    organization_sync_options: Mapping[str, Sequence[str]] | OrganizationSyncOptions | None
    accepts_token: str | Sequence[str] | None


class _ClientBase:
    """Configuration, plugins and flows shared by the sync and async clients.

    Keyword arguments: the keys (``secret_key``, ``jwt_key``, ``machine_secret_key``;
    else ``CLERK_*`` environment variables, read from ``environ`` if given), the API
    location (``api_url``, ``api_version``), default claim checks (``audience``,
    ``authorized_parties``, ``clock_skew_in_ms``, ``issuer``, ``header_type``), the
    plugins (``plugins`` win over entry points, which win over the shipped
    josepy/niquests backends; ``load_entry_points=False`` skips discovery and
    ``default_backends=False`` leaves the shipped backends out), and network policy
    (``timeout``, ``max_retries``, ``retry_backoff``, ``jwks_cache_ttl``,
    ``jwks_kid_miss_cooldown``, ``algorithms``; see :class:`~clerk_core.options.ClientConfig`).
    """

    _flavor: ClassVar[Flavor]

    def __init__(
        self,
        *,
        secret_key: str | Secret | None = None,
        jwt_key: str | Secret | None = None,
        machine_secret_key: str | Secret | None = None,
        api_url: str | None = None,
        api_version: str | None = None,
        plugins: Sequence[object] = (),
        load_entry_points: bool | None = None,
        default_backends: bool = True,
        audience: str | Sequence[str] | None = None,
        authorized_parties: Sequence[str] | None = None,
        clock_skew_in_ms: float | None = None,
        issuer: str | Sequence[str] | None = None,
        header_type: str | Sequence[str] | None = None,
        publishable_key: str | None = None,
        domain: str | None = None,
        is_satellite: bool = False,
        proxy_url: str | None = None,
        sign_in_url: str | None = None,
        sign_up_url: str | None = None,
        after_sign_in_url: str = "/",
        after_sign_up_url: str = "/",
        satellite_auto_sync: bool = False,
        organization_sync_options: Mapping[str, Sequence[str]] | OrganizationSyncOptions | None = None,
        accepts_token: str | Sequence[str] = "session_token",  # noqa: S107 - a token type, not a secret
        environ: Mapping[str, str] | None = None,
        **policy: Any,
    ) -> None:
        self.config: ClientConfig = resolve_client_config(
            secret_key=secret_key,
            jwt_key=jwt_key,
            machine_secret_key=machine_secret_key,
            api_url=api_url,
            api_version=api_version,
            environ=environ,
            **policy,
        )
        host = PluginHost.shared(plugins, load_entry_points=load_entry_points, default_backends=default_backends)
        providers = host.resolve(current_runtime(self._flavor), self.config)
        self.providers: Providers = providers
        self._plugin_host = host
        self._engine = Engine(
            crypto=providers.crypto,
            transport=providers.transport,
            describe_missing_transport=missing_transport_message(providers.runtime, providers.choices),
        )
        self._verifier = Verifier(
            self.config, b64=providers.b64, clock=providers.clock, jwks_cache=providers.jwks_cache
        )
        self._options = VerifyOptions.from_config(self.config).override(
            audience=audience,
            authorized_parties=authorized_parties,
            clock_skew_in_ms=clock_skew_in_ms,
            issuer=issuer,
            header_type=header_type,
        )
        env = os.environ if environ is None else environ
        # Request-level options are resolved on the first authenticate_request: a program that
        # only verifies tokens never imports the request machinery (cold start).
        self._request_args: dict[str, Any] = {
            "publishable_key": publishable_key or env.get("CLERK_PUBLISHABLE_KEY") or None,
            "domain": domain,
            "is_satellite": is_satellite,
            "proxy_url": proxy_url,
            "sign_in_url": sign_in_url,
            "sign_up_url": sign_up_url,
            "after_sign_in_url": after_sign_in_url,
            "after_sign_up_url": after_sign_up_url,
            "satellite_auto_sync": satellite_auto_sync,
            "organization_sync_options": organization_sync_options,
            "accepts_token": accepts_token,
        }
        self._environ = env
        self._requests: RequestAuthenticator | None = None

    def _request_authenticator(self) -> RequestAuthenticator:
        if self._requests is None:
            from ._requests import RequestAuthenticator

            self._requests = RequestAuthenticator(
                self._verifier,
                self._options,
                self.config.machine_secret_key,
                self._request_args,
                self._environ,
                self._run,
            )
        return self._requests

    def _run(self, flow: Any) -> Any:
        raise NotImplementedError  # each client runs flows with its own driver

    def _authenticate(self, request: object, given: Mapping[str, Any]) -> Flow[RequestState]:
        """The authenticate flow for one request with per-call options applied."""
        authenticator = self._requests or self._request_authenticator()
        if not given:
            return authenticator.default.flow(request)  # built once per client: the common case stays short
        verify = self._verify_options({k: v for k, v in given.items() if k not in REQUEST_OPTIONS})
        return authenticator.flow(request, given, verify)

    def _verify_options(self, given: Mapping[str, Any]) -> VerifyOptions:
        return self._options.override(**given) if given else self._options

    def _jwt_options(self, given: Mapping[str, Any]) -> VerifyOptions:
        # verify_jwt checks only what it is given, like the reference (no client defaults).
        return VerifyOptions().override(**given)

    @property
    def _api_runner(self) -> ApiRunner:
        """How this client runs Backend API calls; built on the first call."""
        runner: ApiRunner | None = self.__dict__.get("_api_runner_")
        if runner is None:
            from .api.groups import runner_for

            runner = self.__dict__["_api_runner_"] = runner_for(self)
        return runner

    if not TYPE_CHECKING:  # typed through the generated group tables instead

        def __getattr__(self, name: str) -> Any:
            """``clerk.users``, ``clerk.organizations``, …: built on first access, then cached."""
            if name.startswith("_"):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            from .api.groups import group

            value = self.__dict__[name] = group(self, name)
            return value

    def decode_jwt(self, token: object) -> Jwt:
        """Decode ``token`` without verifying it (see :func:`clerk_core.decode_jwt`)."""
        return decode_jwt(token, b64=self.providers.b64)  # uncached: callers may mutate it

    def verify_webhook(
        self,
        headers: object,
        body: object,
        *,
        signing_secret: str | None = None,
        tolerance_in_seconds: float = 300,
    ) -> WebhookEvent:
        """Verify a Clerk webhook delivery and return its event (see :func:`clerk_core.webhooks.verify_webhook`).

        No I/O, so it is a plain method on both clients. The secret defaults to
        ``CLERK_WEBHOOK_SIGNING_SECRET`` from the client's ``environ``; the time is the client's clock.
        """
        from .webhooks import verify_webhook

        return verify_webhook(
            headers,
            body,
            signing_secret=signing_secret,
            tolerance_in_seconds=tolerance_in_seconds,
            now=self.providers.clock(),
            environ=self._environ,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={self.config.api_url!r}, runtime={self.providers.runtime.name!r})"


class Clerk(_ClientBase, _SyncGroups):
    """Synchronous client. Build it once and share it: caches and connection pools live in it.

    >>> clerk = Clerk(jwt_key=PEM)          # networkless  # doctest: +SKIP
    >>> claims = clerk.verify_token(token)  # doctest: +SKIP
    """

    _flavor = "sync"

    def verify_token(self, token: object, **options: Unpack[VerifyTokenOptions]) -> dict[str, Any]:
        """Verify a Clerk session token and return its claims (the reference's ``verifyToken``).

        Raises :class:`~clerk_core.errors.TokenVerificationError` whose ``reason`` is the reference's.
        """
        return run_sync(self._verifier.verify_token(token, self._verify_options(options)), self._engine)

    def verify_jwt(
        self, token: object, *, key: Mapping[str, Any] | str, **options: Unpack[JwtOptions]
    ) -> dict[str, Any]:
        """Verify a JWT against ``key`` (a public JWK or PEM) with only the given claim checks."""
        return run_sync(self._verifier.verify_jwt(token, key, self._jwt_options(options)), self._engine)

    def has_valid_signature(self, jwt: Jwt | str, key: Mapping[str, Any] | str) -> bool:
        """Whether ``jwt``'s signature verifies with ``key``; no other check."""
        return run_sync(self._verifier.has_valid_signature(jwt, key), self._engine)

    def verify_machine_token(self, token: str, **options: Unpack[VerifyTokenOptions]) -> MachineToken:
        """Verify an M2M token, OAuth access token or API key (JWTs locally, opaque ones via the API)."""
        flow = self._verifier.verify_machine_token(token, self._verify_options(options), self.config.machine_secret_key)
        return run_sync(flow, self._engine)

    def verify_handshake_token(self, token: str, **options: Unpack[VerifyTokenOptions]) -> dict[str, Any]:
        """Verify a ``__clerk_handshake`` token's category and signature; return its payload."""
        return run_sync(self._verifier.verify_handshake_token(token, self._verify_options(options)), self._engine)

    def load_jwks(self, **options: Unpack[VerifyTokenOptions]) -> dict[str, dict[str, Any]]:
        """The instance's JSON Web Keys by ``kid`` (cached for ``jwks_cache_ttl``)."""
        return run_sync(self._verifier.load_jwks(self._verify_options(options)), self._engine)

    def authenticate_request(self, request: object, **options: Unpack[AuthenticateRequestOptions]) -> RequestState:
        """Decide signed-in, signed-out or handshake for an HTTP request (the reference's ``authenticateRequest``).

        ``request`` is a :class:`~clerk_core.ClerkRequest`, an ASGI scope, a WSGI environ, or any
        object with ``.method``, ``.url`` and ``.headers``. Only configuration errors raise.
        """
        return run_sync(self._authenticate(request, options), self._engine)

    def _run(self, flow: Any) -> Any:
        return run_sync(flow, self._engine)

    def close(self) -> None:
        """Release the transport's connections."""
        transport = self.providers.transport
        if transport is not None and hasattr(transport, "close"):
            transport.close()

    def __enter__(self) -> Clerk:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClerk(_ClientBase, _AsyncGroups):
    """Asynchronous client with the same methods as :class:`Clerk`, awaited."""

    _flavor = "async"

    async def verify_token(self, token: object, **options: Unpack[VerifyTokenOptions]) -> dict[str, Any]:
        """Async :meth:`Clerk.verify_token`."""
        return await run_async(self._verifier.verify_token(token, self._verify_options(options)), self._engine)

    async def verify_jwt(
        self, token: object, *, key: Mapping[str, Any] | str, **options: Unpack[JwtOptions]
    ) -> dict[str, Any]:
        """Async :meth:`Clerk.verify_jwt`."""
        return await run_async(self._verifier.verify_jwt(token, key, self._jwt_options(options)), self._engine)

    async def has_valid_signature(self, jwt: Jwt | str, key: Mapping[str, Any] | str) -> bool:
        """Async :meth:`Clerk.has_valid_signature`."""
        return await run_async(self._verifier.has_valid_signature(jwt, key), self._engine)

    async def verify_machine_token(self, token: str, **options: Unpack[VerifyTokenOptions]) -> MachineToken:
        """Async :meth:`Clerk.verify_machine_token`."""
        flow = self._verifier.verify_machine_token(token, self._verify_options(options), self.config.machine_secret_key)
        return await run_async(flow, self._engine)

    async def verify_handshake_token(self, token: str, **options: Unpack[VerifyTokenOptions]) -> dict[str, Any]:
        """Async :meth:`Clerk.verify_handshake_token`."""
        return await run_async(
            self._verifier.verify_handshake_token(token, self._verify_options(options)), self._engine
        )

    async def load_jwks(self, **options: Unpack[VerifyTokenOptions]) -> dict[str, dict[str, Any]]:
        """Async :meth:`Clerk.load_jwks`."""
        return await run_async(self._verifier.load_jwks(self._verify_options(options)), self._engine)

    async def authenticate_request(
        self, request: object, **options: Unpack[AuthenticateRequestOptions]
    ) -> RequestState:
        """Async :meth:`Clerk.authenticate_request`; its auth objects' ``get_token`` returns awaitables."""
        return await run_async(self._authenticate(request, options), self._engine)

    def _run(self, flow: Any) -> Any:
        return run_async(flow, self._engine)

    async def aclose(self) -> None:
        """Release the transport's connections."""
        transport = self.providers.transport
        if transport is not None:
            if hasattr(transport, "aclose"):
                await transport.aclose()
            elif hasattr(transport, "close"):
                transport.close()

    async def __aenter__(self) -> AsyncClerk:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
