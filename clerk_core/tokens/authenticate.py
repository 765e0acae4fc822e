"""``authenticate_request``: the request-state machine, written once as a flow.

Given a :class:`~clerk_core.tokens.request.ClerkRequest`, decide signed-in,
signed-out or handshake exactly as the reference SDK does (§3.4 of its
behaviour notes), in its order and with its reason strings. The flow yields
effects for key imports, signature checks and the Backend API calls the
handshake nonce and the server-side refresh need; the client's driver
performs them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Final

import msgspec

from .._flow import Fetch, Flow
from .._log import get_logger
from .._secret import Secret
from ..api._request import error_from_response, instance_request, read_json
from ..errors import (
    ConfigurationError,
    MachineTokenVerificationError,
    TokenVerificationError,
)
from ..errors import TokenVerificationErrorReason as TVReason
from ..jwt import categories
from ..jwt.decode import Jwt
from ..jwt.verify import verify_jwt_flow
from ..options import BAPI_VERSION, VerifyOptions
from . import cookies as names
from . import machine
from .context import RequestContext, plain_state_info
from .cookies import SyncStatus
from .handshake import HandshakeFailed, resolve_handshake
from .organization_sync import OrganizationMatcher, OrganizationSyncTarget, needs_organization_sync
from .publishable_key import is_development_secret_key
from .refresh import RefreshError, attempt_refresh
from .request import ClerkRequest, ClerkUrl, SearchParams, coerce_request
from .state import AuthErrorReason, AuthStatus, RequestState, Runner, StateInfo, TokenFlow, signed_in_session
from .verify import Verifier

__all__ = ["AuthenticateFlow", "AuthenticateOptions"]

_log = get_logger("authenticate")

SESSION_TOKEN: Final = machine.SESSION_TOKEN
MACHINE_TYPES: Final = (machine.API_KEY, machine.M2M_TOKEN, machine.OAUTH_TOKEN)
_REDIRECT_LOOP_LIMIT: Final = 3
# Account Portal hosts of development instances, trusted as referrers on non-production instances.
_LEGACY_DEV_SUFFIXES: Final = (".lcl.dev", ".lclstage.dev", ".lclclerk.com")
_CURRENT_DEV_SUFFIXES: Final = (".accounts.dev", ".accountsstage.dev", ".accounts.lclclerk.com")


def _nothing() -> None:
    return None


class AuthenticateOptions(msgspec.Struct, frozen=True, kw_only=True, cache_hash=True):
    """Request-level options of ``authenticate_request``, resolved once per client (overridable per call)."""

    publishable_key: str | None = None
    domain: str | None = None
    is_satellite: bool = False
    proxy_url: str | None = None
    sign_in_url: str | None = None
    sign_up_url: str | None = None
    after_sign_in_url: str = "/"
    after_sign_up_url: str = "/"
    satellite_auto_sync: bool = False
    organization_sync: OrganizationMatcher | None = None
    accepts_token: str | tuple[str, ...] = SESSION_TOKEN


class _Machine:
    """The full decision's helpers, bound to one request (keeps the flow functions short)."""

    __slots__ = ("ctx", "flow", "verifier")

    def __init__(self, flow: AuthenticateFlow, ctx: RequestContext) -> None:
        self.flow = flow
        self.ctx = ctx
        self.verifier = flow.verifier

    @property
    def secret_key(self) -> Secret | None:
        """The secret key this request is verified with (the Backend API calls use it too)."""
        return self.ctx.verify.secret_key

    # -- state builders -------------------------------------------------------------------------

    def _state(self, status: str, **fields: Any) -> RequestState:
        return RequestState(
            status, info=self.ctx.state_info(), runner=self.flow.runner, token_flow=self.flow.token_flow, **fields
        )

    def signed_in(self, token: str, claims: dict[str, Any], headers: Sequence[tuple[str, str]] = ()) -> RequestState:
        flow = self.flow
        return signed_in_session(token, claims, self.ctx.state_info(), flow.runner, flow.token_flow, list(headers))

    def signed_out(
        self,
        reason: str,
        message: str = "",
        headers: Sequence[tuple[str, str]] = (),
        token_type: str | None = SESSION_TOKEN,
    ) -> RequestState:
        return self._not_signed_in(AuthStatus.SIGNED_OUT, reason, message, headers, token_type)

    def handshake(self, reason: str, message: str, headers: Sequence[tuple[str, str]]) -> RequestState:
        return self._not_signed_in(AuthStatus.HANDSHAKE, reason, message, headers, SESSION_TOKEN)

    def _not_signed_in(
        self, status: str, reason: str, message: str, headers: Sequence[tuple[str, str]], token_type: str | None
    ) -> RequestState:
        # Only states that are not signed in carry the x-clerk-auth-* debug headers (as the reference).
        debug = _with_debug_headers(headers, status, reason, message)
        return self._state(status, reason=reason, message=message, token=None, token_type=token_type, headers=debug)

    # -- handshake ------------------------------------------------------------------------------

    def eligible_for_handshake(self) -> bool:
        request = self.ctx.request
        if request.method != "GET":
            return False
        dest = request.sec_fetch_dest
        if dest in ("document", "iframe"):
            return True
        return not dest and (request.accept or "").startswith("text/html")

    def handshake_url(self, reason: str) -> str:
        """The Frontend API handshake URL, byte for byte as the reference builds it."""
        ctx = self.ctx
        base = ctx.frontend_api if ctx.frontend_api.startswith("http") else f"https://{ctx.frontend_api}"
        here = ctx.request.clerk_url
        back = here.search_params()
        back.delete(names.DEV_BROWSER)
        back.delete(names.LEGACY_DEV_BROWSER)
        params = SearchParams()
        params.append(names.SIGN_IN_REDIRECT_PARAM, str(here.with_search(back)))
        params.append(names.API_VERSION_PARAM, BAPI_VERSION)
        params.append(names.SUFFIXED_COOKIES_PARAM, "true" if ctx.suffixed else "false")
        params.append(names.HANDSHAKE_REASON_PARAM, reason)
        params.append(names.HANDSHAKE_FORMAT_PARAM, "nonce")
        session = ctx.session_cookie or ctx.header_token  # the reference's sessionToken: the cookie first
        if session:
            params.append(names.SESSION, session)
        if ctx.instance_type == "development" and ctx.dev_browser:
            params.append(names.DEV_BROWSER, ctx.dev_browser)
        target = self.organization_target()
        if target is not None:
            params.append(names.ORGANIZATION_ID_PARAM, _organization_param(target))
        return f"{base.rstrip('/')}/v1/client/handshake?{params}"

    def maybe_handshake(
        self, reason: str, message: str = "", headers: Sequence[tuple[str, str]] | None = None
    ) -> RequestState:
        if not self.eligible_for_handshake():
            return self.signed_out(reason, message)
        out = list(headers) if headers is not None else [("Location", self.handshake_url(reason))]
        if any(k.lower() == "location" for k, _ in out):
            out.append(("Cache-Control", "no-store"))
        count = self.ctx.redirect_count
        if count == _REDIRECT_LOOP_LIMIT:  # exactly 3, as the reference (its cookie lives 2 s)
            if reason == AuthErrorReason.SATELLITE_COOKIE_NEEDS_SYNCING:
                _log.warning("authenticate.satellite_sync_loop")
            else:
                _log.warning("authenticate.handshake_loop")
            return self.signed_out(reason, message)
        out.append(("Set-Cookie", f"{names.REDIRECT_COUNT}={count + 1}; SameSite=Lax; HttpOnly; Max-Age=2"))
        return self.handshake(reason, message, out)

    def organization_target(self) -> OrganizationSyncTarget | None:
        matcher = self.ctx.options.organization_sync
        if matcher is None:
            return None
        try:
            return matcher.match(self.ctx.request.clerk_url.path)
        except Exception:  # a pattern must never break authentication
            return None


def _organization_param(target: OrganizationSyncTarget) -> str:
    if target.kind == "personal_account":
        return ""
    return target.organization_id or target.organization_slug or ""


def _with_debug_headers(
    headers: Sequence[tuple[str, str]], status: str, reason: str | None, message: str | None
) -> list[tuple[str, str]]:
    out = [
        (k, v)
        for k, v in headers
        if k.lower() not in ("x-clerk-auth-message", "x-clerk-auth-reason", "x-clerk-auth-status")
    ]
    # Header values must be latin-1 text without line breaks; a message that is not is dropped, as the reference does.
    for name, value in (
        ("x-clerk-auth-message", message),
        ("x-clerk-auth-reason", reason),
        ("x-clerk-auth-status", status),
    ):
        if value and _header_safe(value):
            out.append((name, value))
    return out


def _header_safe(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return "\r" not in value and "\n" not in value


# -- the flow --------------------------------------------------------------------------------


@dataclasses.dataclass(eq=False, kw_only=True, slots=True)
class AuthenticateFlow:
    """``authenticate_request`` bound to one client's options: :meth:`flow` decides one request.

    Everything that does not change between requests (the options, the keys, whether
    the common path applies, the state info it echoes) is resolved here once, so the
    common API request (a session token in the Authorization header of a plain,
    non-satellite, non-proxied app) costs little more than verifying its token.
    """

    verifier: Verifier
    verify: VerifyOptions
    options: AuthenticateOptions
    machine_secret_key: Secret | None
    runner: Runner | None = None
    token_flow: TokenFlow | None = None
    warn_missing_azp: Callable[[], None] = _nothing
    _lean: bool = dataclasses.field(init=False)
    _info: StateInfo | None = dataclasses.field(init=False, default=None)

    def __post_init__(self) -> None:
        options = self.options
        self._lean = (
            options.accepts_token == SESSION_TOKEN
            and self.verify.secret_key is not None
            and not options.is_satellite
            and not options.proxy_url
        )

    def flow(self, request: object) -> Flow[RequestState]:
        """Decide the request's state in the reference's order (§3.4).

        ``request``: a :class:`ClerkRequest`, or what :func:`coerce_request` takes.
        """
        if type(request) is not ClerkRequest:
            request = coerce_request(request)
        token = request.authorization_token
        if not token or not self._lean:
            return (yield from self._decide(request, token, None))
        # Resolved on first use, not at construction: a bad publishable key raises per request, as in the reference.
        info = self._info or self._plain_info()
        verifier = self.verifier
        # An opaque machine token (mt_, oat_, ak_) never decodes: a JWT header's first character is e, I, C or D.
        jwt = verifier.decoder.decode_or_none(token)
        if jwt is None or not _is_session_jwt(jwt):
            return (yield from self._decide(request, token, None))
        verify = self.verify
        try:
            key = verifier.session_key(jwt, verify)
            claims = yield from verify_jwt_flow(
                jwt, verify, key=key, algorithms=verifier.algorithms, now=verifier.clock
            )
        except TokenVerificationError as exc:
            return (yield from self._decide(request, token, exc))
        return signed_in_session(token, claims, info, self.runner, self.token_flow)

    def _plain_info(self) -> StateInfo:
        info = self._info = plain_state_info(self.options)
        return info

    def _decide(
        self, request: ClerkRequest, token: str | None, failure: TokenVerificationError | None
    ) -> Flow[RequestState]:
        """The full decision, with a request context; ``failure`` is the lean path's verification error."""
        options, verify, verifier = self.options, self.verify, self.verifier
        accepts = options.accepts_token
        machine_secret_key = self.machine_secret_key
        if accepts != machine.M2M_TOKEN and verify.secret_key is None:
            raise ConfigurationError(
                "secret-key-missing",
                "Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance.",
            )
        if accepts == machine.M2M_TOKEN and verify.secret_key is None and machine_secret_key is None:
            raise ConfigurationError(
                "secret-key-missing",
                "Missing Clerk Secret Key or Machine Secret Key. An m2m_token needs one of them.",
            )
        ctx = RequestContext(request, options, verify, verifier.clock(), verifier.decoder)
        if options.is_satellite and accepts != machine.M2M_TOKEN:
            _assert_satellite(ctx, verify.secret_key)
        m = _Machine(self, ctx)
        if failure is not None:
            return (yield from _session_error(m, failure, "header"))
        if isinstance(accepts, tuple):
            kind = (_token_type(ctx, token) or SESSION_TOKEN) if token else SESSION_TOKEN
            if kind not in accepts:
                # The reference's signedOutInvalidToken(): no instance context is echoed back.
                return RequestState(
                    AuthStatus.SIGNED_OUT,
                    reason=AuthErrorReason.TOKEN_TYPE_MISMATCH,
                    message="",
                    token=None,
                    token_type=None,
                    headers=_with_debug_headers((), AuthStatus.SIGNED_OUT, AuthErrorReason.TOKEN_TYPE_MISMATCH, ""),
                    info=StateInfo(),
                    runner=self.runner,
                )
        if token:
            if accepts == "any" or isinstance(accepts, tuple):
                return (yield from _any_token(m, token))
            if accepts == SESSION_TOKEN:
                return (yield from _header_session(m, token))
            return (yield from _machine_token(m, token, accepts))
        if accepts in MACHINE_TYPES:
            return m.signed_out(AuthErrorReason.NO_TOKEN_IN_HEADER, token_type=accepts)
        return (yield from _cookie_path(m))


def _assert_satellite(ctx: RequestContext, secret_key: Secret | None) -> None:
    options = ctx.options
    if not options.sign_in_url and secret_key is not None and is_development_secret_key(secret_key.reveal()):
        raise ConfigurationError(
            "invalid-option", "Missing signInUrl. Pass a signInUrl for dev instances if an app is satellite"
        )
    if options.sign_in_url:
        from urllib.parse import urlsplit

        parts = urlsplit(options.sign_in_url)
        if not parts.scheme or not parts.netloc:
            raise ConfigurationError("invalid-option", "The signInUrl needs to have a absolute url format.")
        if f"{parts.scheme}://{parts.netloc}" == ctx.request.origin:
            raise ConfigurationError(
                "invalid-option", "The signInUrl needs to be on a different origin than your satellite application."
            )
    if not (ctx.proxy_url or options.domain):
        raise ConfigurationError(
            "invalid-option",
            "Missing domain and proxyUrl. A satellite application needs to specify a domain or a proxyUrl",
        )


def _is_session_jwt(jwt: Jwt) -> bool:
    """Neither a machine JWT nor a JWT of another category (a template token, SEC-340)."""
    header = jwt.header
    cat = header.get("cat")
    if cat is not None and cat != categories.SESSION_TOKEN and cat != categories.IGNORE:
        return False
    return machine.jwt_type(header, jwt.payload) is None


def _token_type(ctx: RequestContext, token: str) -> str | None:
    """The machine type of a header token, decoding it at most once per request."""
    kind = machine.prefix_type(token)
    if kind is not None or not machine.is_jwt_format(token):
        return kind
    jwt = ctx.decoded(token)
    return None if jwt is None else machine.jwt_type(jwt.header, jwt.payload)


def _header_session(m: _Machine, token: str) -> Flow[RequestState]:
    # An opaque machine token (mt_, oat_, ak_) is judged as a session JWT that does not
    # decode (token-invalid), as the reference does; only machine JWTs are a type mismatch.
    jwt = m.ctx.decoded(token)
    if jwt is None:
        return (yield from _session_error(m, _decode_error(m, token), "header"))
    if not _is_session_jwt(jwt):
        return m.signed_out(AuthErrorReason.TOKEN_TYPE_MISMATCH)
    try:
        claims = yield from m.verifier.verify_decoded(jwt, m.ctx.verify)
    except TokenVerificationError as exc:
        return (yield from _session_error(m, exc, "header"))
    return m.signed_in(token, claims)


def _decode_error(m: _Machine, token: str) -> TokenVerificationError:
    try:
        m.verifier.decoder.decode(token)
    except TokenVerificationError as exc:
        return exc
    raise AssertionError("the token decoded on the second attempt")  # pragma: no cover


def _any_token(m: _Machine, token: str) -> Flow[RequestState]:
    kind = _token_type(m.ctx, token)
    if kind is not None:
        return (yield from _verify_machine(m, token, kind))
    try:
        claims = yield from m.verifier.verify_token(token, m.ctx.verify)
    except TokenVerificationError as exc:
        return (yield from _session_error(m, exc, "header"))
    return m.signed_in(token, claims)


def _machine_token(m: _Machine, token: str, accepts: str) -> Flow[RequestState]:
    kind = _token_type(m.ctx, token)
    if kind != accepts:
        return m.signed_out(AuthErrorReason.TOKEN_TYPE_MISMATCH, token_type=accepts)
    return (yield from _verify_machine(m, token, kind))


def _verify_machine(m: _Machine, token: str, kind: str) -> Flow[RequestState]:
    try:
        data = yield from m.verifier.verify_machine_token(token, m.ctx.verify, m.flow.machine_secret_key)
    except MachineTokenVerificationError as exc:
        return m.signed_out(exc.code, exc.full_message, token_type=kind)
    return m._state(
        AuthStatus.SIGNED_IN, reason=None, message=None, token=token, token_type=kind, headers=[], machine=data
    )


def _cookie_path(m: _Machine) -> Flow[RequestState]:
    ctx = m.ctx
    ctx.load_cookies()
    request = ctx.request
    development = ctx.instance_type == "development"
    if ctx.handshake_nonce or ctx.handshake_token:
        try:
            return (yield from resolve_handshake(m))
        except TokenVerificationError as exc:
            if development:
                if exc.reason == TVReason.TOKEN_INVALID_SIGNATURE:
                    raise ConfigurationError(
                        "handshake-invalid-signature",
                        "Clerk: Handshake token verification failed due to an invalid signature. "
                        "If you have switched Clerk keys locally, clear your cookies and try again.",
                    ) from exc
                raise ConfigurationError(
                    "handshake-verification-failed", f"Clerk: Handshake token verification failed: {exc.full_message}."
                ) from exc
            _log.warning("authenticate.handshake_unresolved", reason=exc.reason)
        except HandshakeFailed as exc:
            if development:
                raise ConfigurationError("handshake-verification-failed", str(exc)) from exc
            _log.warning("authenticate.handshake_unresolved", reason="session-verification-failed")

    query = request.query
    options = ctx.options
    eligible_for_sync = options.is_satellite and request.sec_fetch_dest == "document" and request.method == "GET"
    synced = query(names.SYNCED_PARAM)
    needs_sync = synced == "false"
    sync_completed = synced == "true"
    has_cookies = bool(ctx.session_cookie or ctx.client_uat)
    skip_sync = options.satellite_auto_sync is not True and not has_cookies and not needs_sync
    if eligible_for_sync and not sync_completed:
        if skip_sync:
            return m.signed_out(AuthErrorReason.SESSION_TOKEN_AND_UAT_MISSING)
        if not has_cookies or needs_sync:
            if not development:
                return m.maybe_handshake(AuthErrorReason.SATELLITE_COOKIE_NEEDS_SYNCING)
            assert options.sign_in_url is not None  # asserted for dev satellites
            sign_in = ClerkUrl.parse(options.sign_in_url)
            params = sign_in.search_params()
            params.append(names.REDIRECT_URL_PARAM, str(request.clerk_url))
            location = str(sign_in.with_search(params))
            return m.maybe_handshake(AuthErrorReason.SATELLITE_COOKIE_NEEDS_SYNCING, "", [("Location", location)])

    back = query(names.REDIRECT_URL_PARAM)
    if development and not options.is_satellite and back:
        satellite = ClerkUrl.parse(back)
        params = satellite.search_params()
        if ctx.dev_browser:
            params.append(names.DEV_BROWSER, ctx.dev_browser)
        params.set(names.SYNCED_PARAM, SyncStatus.COMPLETED)
        location = str(satellite.with_search(params))
        return m.maybe_handshake(AuthErrorReason.PRIMARY_RESPONDS_TO_SYNCING, "", [("Location", location)])

    if development and query(names.DEV_BROWSER) is not None:
        return m.maybe_handshake(AuthErrorReason.DEV_BROWSER_SYNC)
    if development and not ctx.dev_browser:
        return m.maybe_handshake(AuthErrorReason.DEV_BROWSER_MISSING)
    if not ctx.client_uat and not ctx.session_cookie:
        return m.signed_out(AuthErrorReason.SESSION_TOKEN_AND_UAT_MISSING)
    if not ctx.client_uat and ctx.session_cookie:
        return m.maybe_handshake(AuthErrorReason.SESSION_TOKEN_WITHOUT_CLIENT_UAT)
    if ctx.client_uat and not ctx.session_cookie:
        return m.maybe_handshake(AuthErrorReason.CLIENT_UAT_WITHOUT_SESSION_TOKEN)

    token = ctx.session_cookie
    assert token is not None
    decoded = ctx.decoded(token)
    if decoded is None:
        return (yield from _session_error(m, _decode_error(m, token), "cookie"))
    if not _is_session_jwt(decoded):
        return m.signed_out(AuthErrorReason.TOKEN_TYPE_MISMATCH)
    iat = decoded.payload.get("iat")
    if isinstance(iat, (int, float)) and not isinstance(iat, bool) and iat < ctx.client_uat:
        return m.maybe_handshake(AuthErrorReason.SESSION_TOKEN_IAT_BEFORE_CLIENT_UAT)
    try:
        claims = yield from m.verifier.verify_decoded(decoded, ctx.verify)
    except TokenVerificationError as exc:
        return (yield from _session_error(m, exc, "cookie"))
    if not claims.get("azp"):
        m.flow.warn_missing_azp()
    state = m.signed_in(token, claims)
    if _cross_origin_sync_needed(ctx):
        return m.maybe_handshake(
            AuthErrorReason.PRIMARY_DOMAIN_CROSS_ORIGIN_SYNC,
            "Cross-origin request from satellite domain requires handshake",
        )
    target = m.organization_target() if claims.get("sub") else None
    if target is not None:
        auth = state.to_auth()  # only now: parsing the claims is not free
        if auth is not None and needs_organization_sync(
            target, org_id=getattr(auth, "org_id", None), org_slug=getattr(auth, "org_slug", None)
        ):
            if ctx.redirect_count >= _REDIRECT_LOOP_LIMIT:
                _log.warning("authenticate.organization_sync_loop")
                return state
            handshake = m.maybe_handshake(AuthErrorReason.ACTIVE_ORGANIZATION_MISMATCH)
            if handshake.status == AuthStatus.HANDSHAKE:
                return handshake
    return state


def _cross_origin_sync_needed(ctx: RequestContext) -> bool:
    request = ctx.request
    options = ctx.options
    if options.is_satellite or request.method != "GET" or request.sec_fetch_dest != "document":
        return False
    if ctx.redirect_count != 0 or not request.referrer:
        return False
    try:
        referrer = ClerkUrl.parse(request.referrer)
    except ValueError:
        return False
    if not referrer.host or referrer.origin == request.clerk_url.origin:
        return False
    fapi_host = ctx.frontend_api.split("://", 1)[-1].strip("/")
    known = {fapi_host}
    if fapi_host.startswith("clerk."):
        known.add("accounts." + fapi_host[len("clerk.") :])
    if referrer.host in known:
        return False
    return not (ctx.instance_type != "production" and _is_dev_accounts_portal(referrer.host))


def _is_dev_accounts_portal(host: str) -> bool:
    """``accounts.<x>.lcl.dev``-style legacy portals, or ``<x>.accounts.dev`` but not another
    instance's Frontend API (``<x>.clerk.accounts.dev``)."""
    if host.startswith("accounts.") and host.endswith(_LEGACY_DEV_SUFFIXES):
        return True
    return any(host.endswith(suffix) and not host.endswith(".clerk" + suffix) for suffix in _CURRENT_DEV_SUFFIXES)


def _session_error(m: _Machine, error: TokenVerificationError, carrier: str) -> Flow[RequestState]:
    """The reference's ``handleSessionTokenError``: refresh if eligible, else handshake or signed out."""
    ctx = m.ctx
    ctx.load_cookies()  # the header path reads the refresh cookie too, as the reference does
    request = ctx.request
    refresh_error: str | None
    if error.reason == TVReason.TOKEN_EXPIRED and ctx.refresh_cookie and request.method == "GET":
        refreshed = yield from attempt_refresh(m, ctx.header_token if carrier == "header" else ctx.session_cookie)
        if isinstance(refreshed, RequestState):
            return refreshed
        refresh_error = refreshed
    elif request.method != "GET":
        refresh_error = RefreshError.NON_ELIGIBLE_NON_GET
    elif not ctx.refresh_cookie:
        refresh_error = RefreshError.NON_ELIGIBLE_NO_COOKIE
    else:
        refresh_error = None
    error.token_carrier = carrier  # type: ignore[assignment]
    if error.reason == TVReason.TOKEN_EXPIRED:
        reason = f"{AuthErrorReason.SESSION_TOKEN_EXPIRED}-refresh-{'null' if refresh_error is None else refresh_error}"
        return m.maybe_handshake(reason, error.full_message)
    if error.reason == TVReason.TOKEN_NOT_ACTIVE_YET:
        return m.maybe_handshake(AuthErrorReason.SESSION_TOKEN_NBF, error.full_message)
    if error.reason == TVReason.TOKEN_IAT_IN_THE_FUTURE:
        return m.maybe_handshake(AuthErrorReason.SESSION_TOKEN_IAT_IN_THE_FUTURE, error.full_message)
    return m.signed_out(error.reason, error.full_message)


def session_token_flow(verifier: Verifier, secret: Secret, verify: VerifyOptions) -> TokenFlow:
    """``get_token(template=…)``: ``POST /v1/sessions/{sid}/tokens[/{template}]`` and return its ``jwt``."""

    def flow(session_id: str, template: str | None, expires_in_seconds: int | None) -> Flow[str]:
        path = f"sessions/{session_id}/tokens" + (f"/{template}" if template else "")
        body = {"expires_in_seconds": expires_in_seconds} if expires_in_seconds is not None else None
        request = instance_request(verifier.config, verify, secret, "POST", path, body=body)
        response = yield Fetch(request)
        if not 200 <= response.status < 300:
            raise error_from_response(response)
        body_json = read_json(response)
        jwt = body_json.get("jwt") if isinstance(body_json, dict) else None
        if not isinstance(jwt, str):
            raise ValueError("The Backend API returned no token.")
        return jwt

    return flow


def normalise_accepts_token(value: object) -> str | tuple[str, ...]:
    """``accepts_token``: one type, ``"any"``, or a list of types (kept as a tuple)."""
    known = (SESSION_TOKEN, *MACHINE_TYPES)
    if isinstance(value, str):
        if value != "any" and value not in known:
            raise ConfigurationError("invalid-option", f"accepts_token must be 'any' or one of {known}.")
        return value
    if isinstance(value, (list, tuple, set, frozenset)) and all(v in known for v in value):
        return tuple(value)
    raise ConfigurationError("invalid-option", f"accepts_token must be 'any', one of {known}, or a list of them.")
