"""Handshake resolution: turning a handshake nonce or token into cookies and a session.

After Clerk's Frontend API redirects back, the request carries a nonce (the
current protocol: the directives are fetched from the Backend API) or a signed
handshake token (legacy). Each directive becomes a ``Set-Cookie``; the
``__session`` one is verified and decides the state. Development instances are
also sent back to the URL without the handshake parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from .._flow import Fetch, Flow
from .._log import get_logger
from ..api._request import instance_request, read_json
from ..errors import TokenVerificationError, TransportError
from ..errors import TokenVerificationErrorReason as TVReason
from . import cookies as names
from .state import AuthErrorReason, RequestState

if TYPE_CHECKING:
    from .authenticate import _Machine

__all__ = ["HandshakeFailed", "handshake_payload", "resolve_handshake"]

_log = get_logger("authenticate")
#: Development instances retry a handshake session token with a day of clock skew (as the reference).
_HANDSHAKE_CLOCK_SKEW_MS: Final = 86_400_000.0


class HandshakeFailed(Exception):
    """The handshake's session token could not be verified (production falls through)."""


def resolve_handshake(m: _Machine) -> Flow[RequestState]:
    ctx = m.ctx
    headers: list[tuple[str, str]] = [
        ("Access-Control-Allow-Origin", "null"),
        ("Access-Control-Allow-Credentials", "true"),
    ]
    directives: list[str] = []
    if ctx.handshake_nonce:
        directives = yield from handshake_payload(m, ctx.handshake_nonce)
    elif ctx.handshake_token:
        payload = yield from m.verifier.verify_handshake_token(ctx.handshake_token, ctx.verify)
        raw = payload.get("handshake")
        directives = [d for d in raw if isinstance(d, str)] if isinstance(raw, list) else []
    session = ""
    for directive in directives:
        headers.append(("Set-Cookie", directive))
        if names.directive_name(directive).startswith(names.SESSION):
            session = names.directive_value(directive)
    if ctx.instance_type == "development":
        here = ctx.request.clerk_url
        params = here.search_params()
        for name in (names.HANDSHAKE, names.HANDSHAKE_HELP_PARAM, names.DEV_BROWSER, names.HANDSHAKE_NONCE):
            params.delete(name)
        headers.append(("Location", str(here.with_search(params))))
        headers.append(("Cache-Control", "no-store"))
    if not session:
        return m.signed_out(AuthErrorReason.SESSION_TOKEN_MISSING, "", headers)
    try:
        claims = yield from m.verifier.verify_token(session, ctx.verify)
    except TokenVerificationError as exc:
        clock_errors = (TVReason.TOKEN_EXPIRED, TVReason.TOKEN_NOT_ACTIVE_YET, TVReason.TOKEN_IAT_IN_THE_FUTURE)
        if ctx.instance_type == "development" and exc.reason in clock_errors:
            _log.warning("authenticate.clock_skew", reason=exc.reason)
            relaxed = msgspec.structs.replace(ctx.verify, clock_skew_ms=_HANDSHAKE_CLOCK_SKEW_MS)
            try:
                claims = yield from m.verifier.verify_token(session, relaxed)
            except TokenVerificationError as retry:
                raise HandshakeFailed(retry.message or "Clerk: Handshake retry failed.") from retry
            return m.signed_in(session, claims, headers)
        raise HandshakeFailed(exc.message or "Clerk: Handshake failed.") from exc
    return m.signed_in(session, claims, headers)


def handshake_payload(m: _Machine, nonce: str) -> Flow[list[str]]:
    """``GET /v1/clients/handshake_payload?nonce=…``; failures are logged and yield no directives."""
    verify = m.ctx.verify
    assert m.secret_key is not None
    request = instance_request(
        m.verifier.config, verify, m.secret_key, "GET", "clients/handshake_payload", query={"nonce": nonce}
    )
    try:
        response = yield Fetch(request)
    except TransportError as exc:
        _log.warning("authenticate.handshake_payload_failed", detail=exc.message)
        return []
    if not 200 <= response.status < 300:
        _log.warning("authenticate.handshake_payload_failed", status=response.status)
        return []
    try:
        body = read_json(response)
    except ValueError:
        return []
    directives = body.get("directives") if isinstance(body, dict) else None
    return [d for d in directives if isinstance(d, str)] if isinstance(directives, list) else []
