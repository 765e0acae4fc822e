"""Request authentication for one client: options resolved once, one flow per request.

Kept out of :mod:`clerk_core._client` so that a program which only verifies tokens
never imports the request machinery (ClerkRequest, states, publishable keys,
organization sync): the client builds a :class:`RequestAuthenticator` on its
first ``authenticate_request``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from ._client import REQUEST_OPTIONS
from ._flow import Flow
from ._log import get_logger
from ._secret import Secret
from .options import VerifyOptions
from .tokens.authenticate import AuthenticateFlow, AuthenticateOptions, normalise_accepts_token, session_token_flow
from .tokens.organization_sync import OrganizationSyncOptions, compile_organization_sync
from .tokens.publishable_key import auto_proxy_url
from .tokens.state import RequestState, Runner, TokenFlow
from .tokens.verify import Verifier

__all__ = ["RequestAuthenticator"]

_log = get_logger("authenticate")


def _organization_sync(value: object) -> OrganizationSyncOptions | None:
    if value is None or isinstance(value, OrganizationSyncOptions):
        return value
    if isinstance(value, Mapping):
        return OrganizationSyncOptions(
            organization_patterns=tuple(value.get("organization_patterns", ())),
            personal_account_patterns=tuple(value.get("personal_account_patterns", ())),
        )
    raise TypeError("organization_sync_options must be a mapping or OrganizationSyncOptions")


def _authenticate_options(base: AuthenticateOptions, given: Mapping[str, Any]) -> AuthenticateOptions:
    changes: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        if name == "accepts_token":
            changes[name] = normalise_accepts_token(value)
        elif name == "organization_sync_options":
            sync = _organization_sync(value)
            changes["organization_sync"] = compile_organization_sync(sync) if sync else None
        else:
            changes[name] = value
    return msgspec.structs.replace(base, **changes) if changes else base


class RequestAuthenticator:
    """The request-level options and flows of one client."""

    def __init__(
        self,
        verifier: Verifier,
        verify: VerifyOptions,
        machine_secret_key: Secret | None,
        request_args: Mapping[str, Any],
        environ: Mapping[str, str],
        runner: Runner,
    ) -> None:
        self._verifier = verifier
        self._verify = verify
        self._machine_secret = machine_secret_key
        self._runner = runner
        options = _authenticate_options(AuthenticateOptions(), request_args)
        if not options.proxy_url:  # Vercel production deployments proxy the Frontend API themselves
            auto = auto_proxy_url(options.publishable_key or "", proxy_url=None, domain=options.domain, environ=environ)
            if auto:
                options = msgspec.structs.replace(options, proxy_url=auto)
        self.options = options
        self._token_flow = self._make_token_flow(verify)
        self._warned_missing_azp = False
        #: The flow for requests without per-call options: built once, so a request pays only for its own work.
        self.default = self._bind(verify, options, machine_secret_key, self._token_flow)

    def _bind(
        self,
        verify: VerifyOptions,
        options: AuthenticateOptions,
        machine_secret: Secret | None,
        token_flow: TokenFlow | None,
    ) -> AuthenticateFlow:
        return AuthenticateFlow(
            verifier=self._verifier,
            verify=verify,
            options=options,
            machine_secret_key=machine_secret,
            runner=self._runner,
            token_flow=token_flow,
            warn_missing_azp=self._warn_missing_azp,
        )

    def _make_token_flow(self, verify: VerifyOptions) -> TokenFlow | None:
        return session_token_flow(self._verifier, verify.secret_key, verify) if verify.secret_key else None

    def _warn_missing_azp(self) -> None:
        # Once per client: the reference's per-request warning flooded logs (clerk/javascript#8231).
        if not self._warned_missing_azp:
            self._warned_missing_azp = True
            _log.warning("authenticate.session_cookie_without_azp")

    def flow(self, request: object, given: Mapping[str, Any], verify: VerifyOptions) -> Flow[RequestState]:
        """The authenticate flow for one request with per-call options ``given`` (and ``verify`` built from them)."""
        request_level = {k: v for k, v in given.items() if k in REQUEST_OPTIONS and k != "machine_secret_key"}
        options = _authenticate_options(self.options, request_level)
        machine_key = given.get("machine_secret_key")
        machine_secret = Secret(machine_key) if machine_key else self._machine_secret
        token_flow = self._token_flow if verify is self._verify else self._make_token_flow(verify)
        return self._bind(verify, options, machine_secret, token_flow).flow(request)
