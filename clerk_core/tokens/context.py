"""The request context: everything one authenticate_request decision reads.

The reference's ``AuthenticateContext``: the publishable key's facts, the header
token, and (computed only on the cookie path) the session, ``client_uat``,
refresh, dev-browser and handshake values, with the suffixed-cookie decision.
Facts that depend only on configuration are memoised, so a request pays for
what is specific to it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ..jwt.decode import Jwt, JwtDecoder
from ..options import VerifyOptions
from . import cookies as names
from . import machine
from .publishable_key import cookie_suffix, parse_publishable_key, resolve_proxy_url
from .request import ClerkRequest
from .state import StateInfo

if TYPE_CHECKING:
    from .authenticate import AuthenticateOptions

__all__ = ["RequestContext", "plain_state_info"]


class RequestContext:
    """Everything one request's decision reads, computed up front (the reference's AuthenticateContext)."""

    __slots__ = (
        "_cookies_ready",
        "_decoded",
        "_decoder",
        "_now",
        "accepts",
        "client_uat",
        "dev_browser",
        "frontend_api",
        "handshake_nonce",
        "handshake_token",
        "header_token",
        "instance_type",
        "options",
        "original_frontend_api",
        "proxy_url",
        "publishable_key",
        "redirect_count",
        "refresh_cookie",
        "request",
        "session_cookie",
        "suffix",
        "suffixed",
        "verify",
    )

    def __init__(
        self,
        request: ClerkRequest,
        options: AuthenticateOptions,
        verify: VerifyOptions,
        now: float,
        decoder: JwtDecoder,
    ) -> None:
        self.request = request
        self.options = options
        self.verify = verify
        self.header_token = request.authorization_token
        self.accepts = options.accepts_token
        needs_pk = self.accepts not in (machine.M2M_TOKEN, machine.API_KEY)
        self.publishable_key = options.publishable_key or ""
        self.proxy_url = options.proxy_url or ""
        if not (needs_pk or options.publishable_key):
            self.instance_type, self.frontend_api, self.original_frontend_api, self.suffix = "production", "", "", ""
        else:
            if self.proxy_url:
                self.proxy_url = resolve_proxy_url(self.proxy_url, request.clerk_url.origin)
            if not options.publishable_key:
                parse_publishable_key(options.publishable_key)  # raises the reference's "missing" error
            self.instance_type, self.frontend_api, self.original_frontend_api, self.suffix = _instance(
                self.publishable_key, options.domain, self.proxy_url or None, options.is_satellite
            )
        self._now = now
        self._decoder = decoder
        self._decoded: dict[str, Jwt | None] | None = None
        self._cookies_ready = False

    def decoded(self, token: str) -> Jwt | None:
        """The token decoded once per request (None if it does not decode)."""
        memo = self._decoded
        if memo is None:
            memo = self._decoded = {}
        if token not in memo:
            memo[token] = self._decoder.decode_or_none(token)
        return memo[token]

    def payload(self, token: str) -> dict[str, Any] | None:
        jwt = self.decoded(token)
        return None if jwt is None else jwt.payload

    # The cookie view is computed only on the cookie path: header-token requests never pay for it.
    def load_cookies(self) -> None:
        if self._cookies_ready:
            return
        request, suffix = self.request, self.suffix
        cookie = request.cookies.get  # parsed once; plain dict lookups from here on

        session_plain = cookie(names.SESSION)
        session_suffixed = cookie(f"{names.SESSION}_{suffix}")
        uat_plain = cookie(names.CLIENT_UAT)
        uat_suffixed = cookie(f"{names.CLIENT_UAT}_{suffix}")
        self.suffixed = names.uses_suffixed_cookies(
            session_plain=session_plain,
            session_suffixed=session_suffixed,
            uat_plain=uat_plain,
            uat_suffixed=uat_suffixed,
            original_frontend_api=self.original_frontend_api,
            development=self.instance_type == "development",
            now=self._now,
            payload_of=self.payload,
        )
        self.session_cookie = session_suffixed if self.suffixed else session_plain
        uat = uat_suffixed if self.suffixed else uat_plain
        self.client_uat = _int(uat)
        self.refresh_cookie = cookie(f"{names.REFRESH}_{suffix}")
        query = request.query
        # Suffixed mode reads suffixed cookies only: an unsuffixed dev-browser token belongs to another instance.
        db_cookie = cookie(f"{names.DEV_BROWSER}_{suffix}") if self.suffixed else cookie(names.DEV_BROWSER)
        self.dev_browser = query(names.DEV_BROWSER) or db_cookie
        self.handshake_token = query(names.HANDSHAKE) or cookie(names.HANDSHAKE)
        self.handshake_nonce = query(names.HANDSHAKE_NONCE) or cookie(names.HANDSHAKE_NONCE)
        self.redirect_count = _int(cookie(names.REDIRECT_COUNT))
        self._cookies_ready = True

    def state_info(self) -> StateInfo:
        return _state_info(self.options, self.publishable_key, self.proxy_url)


@functools.lru_cache(maxsize=64)
def plain_state_info(options: AuthenticateOptions) -> StateInfo:
    """The state info of a non-satellite, non-proxied app; checks the publishable key once."""
    if not options.publishable_key:
        parse_publishable_key(options.publishable_key)  # raises the reference's "missing" error
    _instance(options.publishable_key, options.domain, None, options.is_satellite)
    return _state_info(options, options.publishable_key, "")


@functools.lru_cache(maxsize=64)
def _state_info(options: AuthenticateOptions, publishable_key: str, proxy_url: str) -> StateInfo:
    """What every state of these options echoes back; memoised, since it never changes per request."""
    return StateInfo(
        publishable_key=publishable_key,
        proxy_url=proxy_url,
        is_satellite=options.is_satellite,
        domain=options.domain or "",
        sign_in_url=options.sign_in_url or "",
        sign_up_url=options.sign_up_url or "",
        after_sign_in_url=options.after_sign_in_url or "",
        after_sign_up_url=options.after_sign_up_url or "",
    )


@functools.lru_cache(maxsize=64)
def _instance(
    publishable_key: str, domain: str | None, proxy_url: str | None, is_satellite: bool
) -> tuple[str, str, str, str]:
    """Instance type, frontend API (as seen through domain/proxy), original frontend API and cookie suffix.

    The original frontend API is the instance's own host, before a proxy: a production
    satellite's is ``clerk.<domain>``, as the reference computes it, so a satellite
    reads its own cookies and ignores the primary's.

    Memoised: they depend only on configuration, and hashing the key for the suffix
    on every request would cost more than verifying the token's claims.
    """
    original = parse_publishable_key(publishable_key, domain=domain, is_satellite=is_satellite)
    parsed = parse_publishable_key(publishable_key, domain=domain, proxy_url=proxy_url, is_satellite=is_satellite)
    return parsed.instance_type, parsed.frontend_api, original.frontend_api, cookie_suffix(publishable_key)


def _int(value: str | None) -> int:
    try:
        return int(value) if value else 0
    except ValueError:
        return 0
