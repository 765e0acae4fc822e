"""Server-side refresh: an expired session cookie renewed through the Backend API.

When a GET request's session token has just expired and the browser holds the
suffixed ``__refresh`` cookie, ``POST /v1/sessions/{sid}/refresh`` returns fresh
cookie directives; the new ``__session`` is verified and the request is signed
in without a redirect. Any failure is reported as the reason suffix of
``session-token-expired-refresh-<reason>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .._flow import Fetch, Flow
from ..api._request import error_from_response, instance_request, read_json
from ..errors import TokenVerificationError, TransportError
from ..jwt.decode import decode_jwt
from . import cookies as names
from .state import RequestState

if TYPE_CHECKING:
    from .authenticate import _Machine

__all__ = ["RefreshError", "attempt_refresh"]


class RefreshError:
    """The reference's ``RefreshTokenErrorReason`` values (suffixes of ``session-token-expired-refresh-…``)."""

    NON_ELIGIBLE_NO_COOKIE: Final = "non-eligible-no-refresh-cookie"
    NON_ELIGIBLE_NON_GET: Final = "non-eligible-non-get"
    INVALID_SESSION_TOKEN: Final = "invalid-session-token"
    MISSING_SESSION_TOKEN: Final = "missing-session-token"
    MISSING_REFRESH_TOKEN: Final = "missing-refresh-token"
    DECODE_FAILED: Final = "expired-session-token-decode-failed"
    MISSING_SID: Final = "expired-session-token-missing-sid-claim"
    FETCH_ERROR: Final = "fetch-error"
    UNEXPECTED_SDK_ERROR: Final = "unexpected-sdk-error"
    UNEXPECTED_BAPI_ERROR: Final = "unexpected-bapi-error"


def attempt_refresh(m: _Machine, expired: str | None) -> Flow[RequestState | str]:
    """Server-side refresh through the Backend API; a signed-in state, or the refresh error reason."""
    ctx = m.ctx
    refresh = ctx.refresh_cookie
    if not expired:
        return RefreshError.MISSING_SESSION_TOKEN
    if not refresh:
        return RefreshError.MISSING_REFRESH_TOKEN
    try:
        sid = decode_jwt(expired).payload.get("sid")
    except TokenVerificationError:
        return RefreshError.DECODE_FAILED
    if not isinstance(sid, str) or not sid:
        return RefreshError.MISSING_SID
    verify = ctx.verify
    assert m.secret_key is not None
    request = instance_request(
        m.verifier.config,
        verify,
        m.secret_key,
        "POST",
        f"sessions/{sid}/refresh",
        query={"suffixed_cookies": "true" if ctx.suffixed else "false"},
        body={
            "format": "cookie",
            "expired_token": expired,
            "refresh_token": refresh,
            "request_origin": ctx.request.clerk_url.origin,
            "request_headers": {name: [value] for name, value in ctx.request.header_items()},
        },
    )
    try:
        response = yield Fetch(request)
    except TransportError:
        return RefreshError.FETCH_ERROR
    if not 200 <= response.status < 300:
        codes = error_from_response(response).codes
        if not codes:
            return RefreshError.UNEXPECTED_BAPI_ERROR
        return RefreshError.FETCH_ERROR if codes[0] == "unexpected_error" else codes[0]
    try:
        body = read_json(response)
    except ValueError:
        return RefreshError.UNEXPECTED_BAPI_ERROR
    cookies = body.get("cookies") if isinstance(body, dict) else None
    if not isinstance(cookies, list) or not cookies:
        return RefreshError.UNEXPECTED_BAPI_ERROR
    headers: list[tuple[str, str]] = []
    session = ""
    for directive in cookies:
        if not isinstance(directive, str):
            continue
        headers.append(("Set-Cookie", directive))
        if names.directive_name(directive).startswith(names.SESSION):
            session = names.directive_value(directive)
    try:
        claims = yield from m.verifier.verify_token(session, verify)
    except TokenVerificationError:
        return RefreshError.INVALID_SESSION_TOKEN
    return m.signed_in(session, claims, headers)
