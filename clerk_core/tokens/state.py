"""Request states and auth objects: what ``authenticate_request`` hands the application.

A :class:`RequestState` says signed-in, signed-out or handshake, why (``reason``,
byte-identical to the reference's, also sent as ``x-clerk-auth-reason``), and
which response headers to send (``Location``, ``Set-Cookie``, ``Cache-Control``,
``x-clerk-auth-*``). :meth:`RequestState.to_auth` gives the auth object an app
authorizes with: a session (signed in or out), a machine, or an invalid token.

Auth objects made by an :class:`~clerk_core.AsyncClerk` return awaitables from
``get_token``; those made by :class:`~clerk_core.Clerk` return values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec

from .._flow import Flow
from ..api.models import APIKey, M2MToken, MachineToken, OAuthAccessToken
from .authorization import check_authorization
from .session_claims import SessionClaims, parse_session_claims

__all__ = [
    "AuthErrorReason",
    "AuthStatus",
    "InvalidTokenAuth",
    "MachineAuth",
    "RequestState",
    "SessionAuth",
    "StateInfo",
    "debug_request_state",
    "signed_in_session",
]

#: Runs a flow with the client's driver: a value (sync client) or an awaitable (async client).
Runner = Callable[[Flow[Any]], Any]
#: Makes the flow that fetches a session token from a template through the Backend API.
TokenFlow = Callable[[str, str | None, int | None], Flow[str]]


class AuthStatus:
    """The three outcomes of ``authenticate_request``."""

    SIGNED_IN: Final = "signed-in"
    SIGNED_OUT: Final = "signed-out"
    HANDSHAKE: Final = "handshake"


class AuthErrorReason:
    """The reference's ``AuthErrorReason`` values (request-level reasons)."""

    CLIENT_UAT_WITHOUT_SESSION_TOKEN: Final = "client-uat-but-no-session-token"
    DEV_BROWSER_MISSING: Final = "dev-browser-missing"
    DEV_BROWSER_SYNC: Final = "dev-browser-sync"
    PRIMARY_RESPONDS_TO_SYNCING: Final = "primary-responds-to-syncing"
    PRIMARY_DOMAIN_CROSS_ORIGIN_SYNC: Final = "primary-domain-cross-origin-sync"
    SATELLITE_COOKIE_NEEDS_SYNCING: Final = "satellite-needs-syncing"
    SESSION_TOKEN_AND_UAT_MISSING: Final = "session-token-and-uat-missing"
    SESSION_TOKEN_MISSING: Final = "session-token-missing"
    SESSION_TOKEN_EXPIRED: Final = "session-token-expired"
    SESSION_TOKEN_IAT_BEFORE_CLIENT_UAT: Final = "session-token-iat-before-client-uat"
    SESSION_TOKEN_NBF: Final = "session-token-nbf"
    SESSION_TOKEN_IAT_IN_THE_FUTURE: Final = "session-token-iat-in-the-future"
    SESSION_TOKEN_WITHOUT_CLIENT_UAT: Final = "session-token-but-no-client-uat"
    ACTIVE_ORGANIZATION_MISMATCH: Final = "active-organization-mismatch"
    TOKEN_TYPE_MISMATCH: Final = "token-type-mismatch"
    UNEXPECTED_ERROR: Final = "unexpected-error"
    #: The reference's literal reason when a machine token was required but none was sent.
    NO_TOKEN_IN_HEADER: Final = "No token in header"


class SessionAuth:
    """A session auth object: signed in (``is_authenticated``) or signed out (all identity fields None)."""

    token_type: Final = "session_token"

    def __init__(
        self,
        *,
        claims: Mapping[str, Any] | None,
        token: str | None,
        runner: Runner | None = None,
        token_flow: TokenFlow | None = None,
        session_status: str | None = None,
    ) -> None:
        parsed = parse_session_claims(claims) if claims is not None else None
        self._parsed: SessionClaims | None = parsed
        self._token = token
        self._runner = runner
        self._token_flow = token_flow
        self.is_authenticated = parsed is not None and token is not None
        # Signed out: every identity field is None (session_status may still say "pending").
        view = parsed if self.is_authenticated else None
        self.session_claims: dict[str, Any] | None = dict(claims) if view is not None and claims is not None else None
        self.session_id = view.session_id if view else None
        self.session_status = view.session_status if view else session_status
        self.actor = view.actor if view else None
        self.user_id = view.user_id if view else None
        self.org_id = view.org_id if view else None
        self.org_role = view.org_role if view else None
        self.org_slug = view.org_slug if view else None
        self.org_permissions = view.org_permissions if view else None
        self.factor_verification_age = view.factor_verification_age if view else None

    def has(self, **params: Any) -> bool:
        """Authorization check: ``role=``, ``permission=``, ``feature=``, ``plan=``, ``reverification=``.

        Fails closed: False when signed out, when nothing is asked, or on malformed input.
        """
        if not self.is_authenticated or self._parsed is None:
            return False
        return check_authorization(self._parsed, **params)

    def get_token(self, *, template: str | None = None, expires_in_seconds: int | None = None) -> Any:
        """The raw session token, or (with ``template``) a template token minted by the Backend API.

        Signed out: None. From an async client the result is an awaitable.
        """
        if self._runner is None:
            return self._token if self.is_authenticated and template is None and expires_in_seconds is None else None
        if not self.is_authenticated:
            return self._runner(_value(None))
        if template is None and expires_in_seconds is None:
            return self._runner(_value(self._token))
        assert self._token_flow is not None
        assert self.session_id is not None
        return self._runner(self._token_flow(self.session_id, template, expires_in_seconds))

    def debug(self) -> dict[str, Any]:
        """Identity fields for logging: never the token."""
        return {
            "is_authenticated": self.is_authenticated,
            "user_id": self.user_id,
            "session_id": self.session_id,
            "session_status": self.session_status,
            "org_id": self.org_id,
            "token": _truncate(self._token),
        }

    def to_dict(self) -> dict[str, Any]:
        """A serialisable view (the reference's ``makeAuthObjectSerializable``)."""
        return {
            "token_type": self.token_type,
            "is_authenticated": self.is_authenticated,
            "session_claims": self.session_claims,
            "session_id": self.session_id,
            "session_status": self.session_status,
            "actor": self.actor,
            "user_id": self.user_id,
            "org_id": self.org_id,
            "org_role": self.org_role,
            "org_slug": self.org_slug,
            "org_permissions": self.org_permissions,
            "factor_verification_age": self.factor_verification_age,
        }

    def __repr__(self) -> str:
        state = "signed-in" if self.is_authenticated else "signed-out"
        return f"SessionAuth({state}, user_id={self.user_id!r}, session_id={self.session_id!r}, org_id={self.org_id!r})"


class MachineAuth:
    """An auth object for a machine token (API key, M2M token, OAuth access token)."""

    def __init__(
        self, token_type: str, *, token: str | None, data: MachineToken | None, runner: Runner | None = None
    ) -> None:
        self.token_type = token_type
        self._token = token
        self._runner = runner
        self.is_authenticated = data is not None
        self.id = data.id if data else None
        self.subject = data.subject if data else None
        self.scopes = list(data.scopes) if data else None
        self.claims = getattr(data, "claims", None) if data else None
        self.name = data.name if isinstance(data, APIKey) else None
        subject = self.subject or ""
        self.user_id: str | None = None
        self.org_id: str | None = None
        self.machine_id: str | None = None
        self.client_id: str | None = None
        if isinstance(data, APIKey):
            self.user_id = subject if subject.startswith("user_") else None
            self.org_id = subject if subject.startswith("org_") else None
        elif isinstance(data, M2MToken):
            self.machine_id = subject
        elif isinstance(data, OAuthAccessToken):
            self.user_id = subject
            self.client_id = data.client_id

    def has(self, **params: Any) -> bool:
        """Machines carry no roles or permissions: always False (as the reference)."""
        return False

    def get_token(self) -> Any:
        """The raw machine token (None when unauthenticated); an awaitable from an async client."""
        token = self._token if self.is_authenticated else None
        if self._runner is None:
            return token
        return self._runner(_value(token))

    def debug(self) -> dict[str, Any]:
        """Identity fields for logging: never the token."""
        return {"token_type": self.token_type, "id": self.id, "subject": self.subject, "token": _truncate(self._token)}

    def __repr__(self) -> str:
        return f"MachineAuth({self.token_type}, authenticated={self.is_authenticated}, subject={self.subject!r})"


class InvalidTokenAuth:
    """The auth object when the token's type is not one the route accepts."""

    token_type: Final = None
    is_authenticated: Final = False

    def __init__(self, runner: Runner | None = None) -> None:
        self._runner = runner

    def has(self, **params: Any) -> bool:
        """Always False."""
        return False

    def get_token(self) -> Any:
        """Always None (an awaitable of None from an async client)."""
        return None if self._runner is None else self._runner(_value(None))

    def debug(self) -> dict[str, Any]:
        """Nothing to show."""
        return {}

    def __repr__(self) -> str:
        return "InvalidTokenAuth()"


AuthObject = SessionAuth | MachineAuth | InvalidTokenAuth


class StateInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The configuration a state echoes back (the same for every request of a client)."""

    publishable_key: str = ""
    proxy_url: str = ""
    is_satellite: bool = False
    domain: str = ""
    sign_in_url: str = ""
    sign_up_url: str = ""
    after_sign_in_url: str = ""
    after_sign_up_url: str = ""


class RequestState:
    """The outcome of ``authenticate_request``: status, reason, headers to send, and ``to_auth()``."""

    __slots__ = (
        "_claims",
        "_info",
        "_machine",
        "_runner",
        "_token_flow",
        "headers",
        "message",
        "reason",
        "status",
        "token",
        "token_type",
    )

    def __init__(
        self,
        status: str,
        *,
        reason: str | None,
        message: str | None,
        token: str | None,
        token_type: str | None,
        headers: list[tuple[str, str]],
        info: StateInfo,
        claims: Mapping[str, Any] | None = None,
        machine: MachineToken | None = None,
        runner: Runner | None = None,
        token_flow: TokenFlow | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        self.token = token
        self.token_type = token_type
        #: Response headers to send, in order; ``Set-Cookie`` may repeat.
        self.headers = headers
        self._info = info
        self._claims = claims
        self._machine = machine
        self._runner = runner
        self._token_flow = token_flow

    publishable_key = property(lambda self: self._info.publishable_key, doc="The publishable key in use.")
    proxy_url = property(lambda self: self._info.proxy_url, doc="The proxy URL, resolved against the request.")
    is_satellite = property(lambda self: self._info.is_satellite, doc="Whether the app is a satellite.")
    domain = property(lambda self: self._info.domain, doc="The satellite domain.")
    sign_in_url = property(lambda self: self._info.sign_in_url, doc="The sign-in URL option.")
    sign_up_url = property(lambda self: self._info.sign_up_url, doc="The sign-up URL option.")
    after_sign_in_url = property(lambda self: self._info.after_sign_in_url, doc="After-sign-in URL option.")
    after_sign_up_url = property(lambda self: self._info.after_sign_up_url, doc="After-sign-up URL option.")

    @property
    def is_authenticated(self) -> bool:
        """True only when signed in."""
        return self.status == AuthStatus.SIGNED_IN

    is_signed_in = is_authenticated

    def header(self, name: str) -> str | None:
        """The last value of a response header (case-insensitive)."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found

    def header_values(self, name: str) -> list[str]:
        """Every value of a response header, e.g. all ``Set-Cookie`` directives."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def to_auth(self, *, treat_pending_as_signed_out: bool = True) -> AuthObject | None:
        """The auth object for this state; None for a handshake (the response is a redirect)."""
        if self.status == AuthStatus.HANDSHAKE:
            return None
        if self.token_type is None:
            return InvalidTokenAuth(self._runner)
        if self.token_type != "session_token":
            data = self._machine if self.status == AuthStatus.SIGNED_IN else None
            return MachineAuth(self.token_type, token=self.token, data=data, runner=self._runner)
        if self.status == AuthStatus.SIGNED_IN and self._claims is not None:
            if treat_pending_as_signed_out and self._claims.get("sts") == "pending":
                return SessionAuth(claims=None, token=None, runner=self._runner, session_status="pending")
            return SessionAuth(claims=self._claims, token=self.token, runner=self._runner, token_flow=self._token_flow)
        return SessionAuth(claims=None, token=None, runner=self._runner)

    def __repr__(self) -> str:
        return f"RequestState(status={self.status!r}, reason={self.reason!r}, token_type={self.token_type!r})"


def signed_in_session(
    token: str,
    claims: Mapping[str, Any],
    info: StateInfo,
    runner: Runner | None,
    token_flow: TokenFlow | None,
    headers: list[tuple[str, str]] | None = None,
) -> RequestState:
    """A signed-in session state, built without keyword parsing: it is every authenticated request's result."""
    state = RequestState.__new__(RequestState)
    state.status = AuthStatus.SIGNED_IN
    state.reason = state.message = None
    state.token = token
    state.token_type = "session_token"
    state.headers = [] if headers is None else headers
    state._info = info
    state._claims = claims
    state._machine = None
    state._runner = runner
    state._token_flow = token_flow
    return state


def debug_request_state(state: RequestState) -> dict[str, Any]:
    """The reference's ``debugRequestState``: what to log about a state (no tokens)."""
    return {
        "is_signed_in": state.is_signed_in,
        "is_authenticated": state.is_authenticated,
        "proxy_url": state.proxy_url,
        "reason": state.reason,
        "message": state.message,
        "publishable_key": state.publishable_key,
        "is_satellite": state.is_satellite,
        "domain": state.domain,
    }


def _value(value: Any) -> Flow[Any]:
    return value
    yield  # pragma: no cover - makes this a generator


def _truncate(token: str | None) -> str | None:
    return token[:7] if token else None
