"""Suffixed or plain cookies: the reference's ``usesSuffixedCookies`` matrix.

The nine cases of ``B/tokens/__tests__/authenticateContext.test.ts`` (module
``suffixedCookies``), plus the non-string-issuer rule and each rule of the decision on
its own. Tokens are minted like the reference's ``createJwt`` fixture: the payload of
``mockJwtPayload`` (iat 1666648250, exp 60 s later, iss ``https://clerk.inspired.puma-74.lcl.dev``),
with the clock pinned to its ``iat``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clerk_core.testing import default_keypair, mint_session_token, sign_jwt
from clerk_core.tokens import cookies as names
from clerk_core.tokens.cookies import uses_suffixed_cookies
from clerk_core.tokens.publishable_key import cookie_suffix, parse_publishable_key

PK_LIVE = "pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA"  # suffix MqCvchyS
PK_TEST = "pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA"  # suffix vWCgMp3A
FRONTEND_API = "clerk.inspired.puma-74.lcl.dev"
NOW = 1666648250
CLIENT_UAT = "1717490192"
SUFFIXED_CLIENT_UAT = "1717490193"


def create_jwt(**claims: Any) -> str:
    """The reference's ``createJwt``: ``mockJwtPayload`` with ``claims`` merged in."""
    keys = default_keypair()
    return mint_session_token(
        keys, now=NOW, iat=NOW, exp=NOW + 60, nbf=NOW - 10, iss=f"https://{FRONTEND_API}", claims=claims
    )


SESSION = create_jwt()
SUFFIXED_SESSION = create_jwt()
SESSION_WITH_INVALID_ISSUER = create_jwt(iss="http:whatever")
NEW_SESSION = create_jwt(iat=NOW + 60)


class Context:
    """The cookie view of the reference's AuthenticateContext, built from a cookie jar."""

    def __init__(self, cookies: Mapping[str, str], publishable_key: str, now: float = NOW) -> None:
        suffix = cookie_suffix(publishable_key)
        parsed = parse_publishable_key(publishable_key)

        def suffixed(name: str) -> str | None:
            return cookies.get(f"{name}_{suffix}")

        self.suffixed_cookies = uses_suffixed_cookies(
            session_plain=cookies.get(names.SESSION),
            session_suffixed=suffixed(names.SESSION),
            uat_plain=cookies.get(names.CLIENT_UAT),
            uat_suffixed=suffixed(names.CLIENT_UAT),
            original_frontend_api=parsed.frontend_api,
            development=parsed.instance_type == "development",
            now=now,
        )

        def pick(name: str) -> str | None:
            return suffixed(name) if self.suffixed_cookies else cookies.get(name)

        self.session_token_in_cookie = pick(names.SESSION)
        self.client_uat = pick(names.CLIENT_UAT)
        self.dev_browser_token = pick(names.DEV_BROWSER)


# --- use un-suffixed cookies ----------------------------------------------------------------------


def test_request_with_un_suffixed_cookies() -> None:
    context = Context({"__client_uat": CLIENT_UAT, "__session": SESSION}, PK_LIVE)
    assert context.suffixed_cookies is False
    assert context.session_token_in_cookie == SESSION
    assert context.client_uat == CLIENT_UAT


def test_suffixed_and_valid_newer_un_suffixed_cookies_clerkjs_downgrade() -> None:
    cookies = {
        "__client_uat": CLIENT_UAT,
        "__client_uat_MqCvchyS": SUFFIXED_CLIENT_UAT,
        "__session": NEW_SESSION,
        "__session_MqCvchyS": SUFFIXED_SESSION,
        "__clerk_db_jwt": "__clerk_db_jwt",
        "__clerk_db_jwt_MqCvchyS": "__clerk_db_jwt-suffixed",
    }
    context = Context(cookies, PK_LIVE)
    assert context.suffixed_cookies is False
    assert context.session_token_in_cookie == NEW_SESSION
    assert context.client_uat == CLIENT_UAT
    assert context.dev_browser_token == "__clerk_db_jwt"


def test_suffixed_uat_signed_out_and_un_suffixed_uat_signed_in_clerkjs_downgrade() -> None:
    cookies = {
        "__client_uat": CLIENT_UAT,
        "__client_uat_vWCgMp3A": "0",
        "__session": SESSION,
        "__clerk_db_jwt": "__clerk_db_jwt",
    }
    context = Context(cookies, PK_TEST)
    assert context.suffixed_cookies is False
    assert context.session_token_in_cookie == SESSION
    assert context.client_uat == CLIENT_UAT


def test_prod_suffixed_session_and_signed_out_suffixed_uat() -> None:
    cookies = {
        "__client_uat": "0",
        "__client_uat_MqCvchyS": "0",
        "__session": SESSION,
        "__session_MqCvchyS": SUFFIXED_SESSION,
    }
    context = Context(cookies, PK_LIVE)
    assert context.suffixed_cookies is True
    assert context.session_token_in_cookie == SUFFIXED_SESSION
    assert context.client_uat == "0"


# --- use suffixed cookies -------------------------------------------------------------------------


def test_prod_valid_suffixed_and_un_suffixed_cookies() -> None:
    cookies = {
        "__client_uat": CLIENT_UAT,
        "__client_uat_MqCvchyS": SUFFIXED_CLIENT_UAT,
        "__session": SESSION,
        "__session_MqCvchyS": SUFFIXED_SESSION,
    }
    context = Context(cookies, PK_LIVE)
    assert context.suffixed_cookies is True
    assert context.session_token_in_cookie == SUFFIXED_SESSION
    assert context.client_uat == SUFFIXED_CLIENT_UAT


def test_prod_invalid_issuer_un_suffixed_multiple_apps_on_one_etld_plus_one() -> None:
    cookies = {
        "__client_uat": CLIENT_UAT,
        "__client_uat_MqCvchyS": SUFFIXED_CLIENT_UAT,
        "__session": SESSION_WITH_INVALID_ISSUER,
        "__session_MqCvchyS": SUFFIXED_SESSION,
    }
    context = Context(cookies, PK_LIVE)
    assert context.suffixed_cookies is True
    assert context.session_token_in_cookie == SUFFIXED_SESSION
    assert context.client_uat == SUFFIXED_CLIENT_UAT


def test_dev_multiple_apps_on_localhost() -> None:
    blah_session = create_jwt(iss="http://blah")
    foo_session = create_jwt(iss="http://foo")
    cookies = {
        "__client_uat": "0",
        "__client_uat_vWCgMp3A": "0",
        "__client_uat_8HKF1r6W": "1717490193",
        "__client_uat_Rmi8c5i8": "1717490194",
        "__session": SESSION,
        "__session_vWCgMp3A": SUFFIXED_SESSION,
        "__session_8HKF1r6W": blah_session,
        "__session_Rmi8c5i8": foo_session,
        "__clerk_db_jwt": "__clerk_db_jwt",
        "__clerk_db_jwt_vWCgMp3A": "__clerk_db_jwt-suffixed",
        "__clerk_db_jwt_8HKF1r6W": "__clerk_db_jwt-suffixed-blah",
        "__clerk_db_jwt_Rmi8c5i8": "__clerk_db_jwt-suffixed-foo",
    }
    context = Context(cookies, PK_TEST)
    assert context.suffixed_cookies is True
    assert context.session_token_in_cookie == SUFFIXED_SESSION
    assert context.client_uat == "0"
    assert context.dev_browser_token == "__clerk_db_jwt-suffixed"


def test_dev_suffixed_session_and_signed_out_suffixed_uat() -> None:
    cookies = {
        "__client_uat": "0",
        "__client_uat_vWCgMp3A": "0",
        "__session": SESSION,
        "__session_vWCgMp3A": SUFFIXED_SESSION,
        "__clerk_db_jwt": "__clerk_db_jwt",
        "__clerk_db_jwt_vWCgMp3A": "__clerk_db_jwt-suffixed",
    }
    context = Context(cookies, PK_TEST)
    assert context.suffixed_cookies is True
    assert context.session_token_in_cookie == SUFFIXED_SESSION
    assert context.client_uat == "0"
    assert context.dev_browser_token == "__clerk_db_jwt-suffixed"


def test_prod_without_suffixed_session_and_signed_out_suffixed_uat() -> None:
    cookies = {"__client_uat": "0", "__client_uat_MqCvchyS": "0", "__session": SESSION}
    context = Context(cookies, PK_LIVE)
    assert context.suffixed_cookies is True
    assert context.session_token_in_cookie is None
    assert context.client_uat == "0"


# --- Issuer rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize("iss", [123, True, {"host": FRONTEND_API}, [FRONTEND_API], []])
def test_a_truthy_non_string_issuer_belongs_to_another_instance(iss: object) -> None:
    session = create_jwt(iss=iss)
    cookies = {"__client_uat": CLIENT_UAT, "__session": session}
    assert Context(cookies, PK_LIVE).suffixed_cookies is True


@pytest.mark.parametrize("iss", [0, False, ""])
def test_a_falsy_issuer_counts_as_missing(iss: object) -> None:
    session = create_jwt(iss=iss)
    cookies = {"__client_uat": CLIENT_UAT, "__session": session, "__session_MqCvchyS": SUFFIXED_SESSION}
    assert Context(cookies, PK_LIVE).suffixed_cookies is False


def test_a_session_without_issuer_reads_plain_cookies() -> None:
    session = mint_session_token(default_keypair(), now=NOW, iss=None)
    cookies = {"__client_uat_MqCvchyS": SUFFIXED_CLIENT_UAT, "__session": session, "__session_MqCvchyS": SESSION}
    assert Context(cookies, PK_LIVE).suffixed_cookies is False


@pytest.mark.parametrize("session", ["not-a-jwt", "a.b.c", "...", "eyJhbGciOiJub25lIn0.bnVsbA.x"])
def test_an_undecodable_session_reads_plain_cookies(session: str) -> None:
    cookies = {"__client_uat_MqCvchyS": SUFFIXED_CLIENT_UAT, "__session": session, "__session_MqCvchyS": SESSION}
    assert Context(cookies, PK_LIVE).suffixed_cookies is False


@pytest.mark.parametrize(
    "iss", [f"https://{FRONTEND_API}", f"http://{FRONTEND_API}", f"HTTPS://{FRONTEND_API}", FRONTEND_API]
)
def test_the_issuer_is_compared_without_its_scheme(iss: str) -> None:
    cookies = {"__client_uat": CLIENT_UAT, "__session": create_jwt(iss=iss)}
    assert Context(cookies, PK_LIVE).suffixed_cookies is False


def test_every_scheme_occurrence_is_removed_not_only_a_prefix() -> None:
    # String.replace(/https?:\/\//gi, '') is global: a scheme in the middle goes too.
    cookies = {"__client_uat": CLIENT_UAT, "__session": create_jwt(iss="clerk.https://inspired.puma-74.lcl.dev")}
    assert Context(cookies, PK_LIVE).suffixed_cookies is False


def test_the_issuer_is_compared_with_the_original_frontend_api_not_the_proxy() -> None:
    flags: dict[str, Any] = {
        "session_plain": SESSION,
        "session_suffixed": None,
        "uat_plain": CLIENT_UAT,
        "uat_suffixed": None,
        "development": False,
        "now": NOW,
    }
    assert uses_suffixed_cookies(original_frontend_api=FRONTEND_API, **flags) is False
    assert uses_suffixed_cookies(original_frontend_api="https://app.example/__clerk", **flags) is True


# --- Remaining rules one at a time ----------------------------------------------------------------


def _decide(
    *,
    session: str | None = SESSION,
    session_sfx: str | None = None,
    uat: str | None = None,
    uat_sfx: str | None = None,
    development: bool = False,
    now: float = NOW,
) -> bool:
    return uses_suffixed_cookies(
        session_plain=session,
        session_suffixed=session_sfx,
        uat_plain=uat,
        uat_suffixed=uat_sfx,
        original_frontend_api=FRONTEND_API,
        development=development,
        now=now,
    )


def test_no_cookies_at_all_reads_plain() -> None:
    assert _decide(session=None) is False


def test_empty_cookie_values_count_as_absent() -> None:
    assert _decide(session="", session_sfx="", uat="", uat_sfx="") is False
    assert _decide(session="", session_sfx=SUFFIXED_SESSION, uat_sfx="") is False


def test_only_a_suffixed_uat_reads_suffixed() -> None:
    assert _decide(session=None, uat_sfx=SUFFIXED_CLIENT_UAT) is True


def test_a_suffixed_session_without_a_suffixed_uat_reads_plain() -> None:
    # The Frontend API has suffixed cookies turned off.
    assert _decide(session=None, session_sfx=SUFFIXED_SESSION, uat="0") is False


def test_an_older_suffixed_session_loses_to_a_newer_plain_one_when_both_signed_in() -> None:
    newer = create_jwt(iat=NOW + 1)
    assert _decide(session=newer, session_sfx=SESSION, uat=CLIENT_UAT, uat_sfx=SUFFIXED_CLIENT_UAT) is False
    # With the plain client signed out (uat 0) the iat rule does not apply.
    assert _decide(session=newer, session_sfx=SESSION, uat="0", uat_sfx=SUFFIXED_CLIENT_UAT) is True


@pytest.mark.parametrize(("development", "expected"), [(True, False), (False, True)])
def test_expired_suffixed_session_heuristic_is_development_only(development: bool, expected: bool) -> None:
    # Suffixed signed in, plain signed out, suffixed session expired: an old ClerkJS stopped
    # updating the suffixed __client_uat, so development trusts the plain cookies.
    kwargs: dict[str, Any] = {
        "session": None,
        "session_sfx": SUFFIXED_SESSION,
        "uat": "0",
        "uat_sfx": SUFFIXED_CLIENT_UAT,
    }
    assert _decide(development=development, now=NOW + 60, **kwargs) is expected  # exp == now: expired
    assert _decide(development=development, now=NOW + 59, **kwargs) is True  # still valid
    assert _decide(development=development, now=NOW + 59.9, **kwargs) is True  # now is truncated


def test_expiry_heuristic_ignores_a_suffixed_session_without_exp() -> None:
    no_exp = sign_jwt({"iat": NOW, "iss": f"https://{FRONTEND_API}", "sub": "user_1"}, default_keypair())
    assert _decide(session=None, session_sfx=no_exp, uat="0", uat_sfx=SUFFIXED_CLIENT_UAT, development=True) is True


def test_expiry_heuristic_coerces_a_string_exp_as_javascript_does() -> None:
    expired = create_jwt(exp=str(NOW))
    kwargs: dict[str, Any] = {"session": None, "session_sfx": expired, "uat": "0", "uat_sfx": SUFFIXED_CLIENT_UAT}
    assert _decide(development=True, now=NOW, **kwargs) is False


def test_iat_comparison_follows_javascript_coercion() -> None:
    # "10" > "9" is false between strings (text order), true between numbers.
    plain, sfx = create_jwt(iat="10"), create_jwt(iat="9")
    both_in: dict[str, Any] = {"uat": CLIENT_UAT, "uat_sfx": SUFFIXED_CLIENT_UAT}
    assert _decide(session=plain, session_sfx=sfx, **both_in) is True
    assert _decide(session=create_jwt(iat=10), session_sfx=create_jwt(iat=9), **both_in) is False
    assert _decide(session=create_jwt(iat="10"), session_sfx=create_jwt(iat=9), **both_in) is False
    assert _decide(session=create_jwt(iat="ten"), session_sfx=create_jwt(iat=9), **both_in) is True


# --- Names --------------------------------------------------------------------------------------


def test_names_are_the_references() -> None:
    assert (names.SESSION, names.REFRESH, names.CLIENT_UAT) == ("__session", "__refresh", "__client_uat")
    assert (names.HANDSHAKE, names.DEV_BROWSER) == ("__clerk_handshake", "__clerk_db_jwt")
    assert (names.REDIRECT_COUNT, names.HANDSHAKE_NONCE) == ("__clerk_redirect_count", "__clerk_handshake_nonce")
    assert names.Cookies.SESSION == names.SESSION
    assert names.QueryParameters.CLERK_SYNCED == "__clerk_synced"
    assert names.QueryParameters.HANDSHAKE_REASON == "__clerk_hs_reason"
    assert names.Headers.SEC_FETCH_DEST == "sec-fetch-dest"
    assert (names.SyncStatus.NEEDS_SYNC, names.SyncStatus.COMPLETED) == ("false", "true")


# --- Property -------------------------------------------------------------------------------------

_cookie = st.one_of(st.none(), st.sampled_from(["0", CLIENT_UAT, "", SESSION, NEW_SESSION]), st.text(max_size=40))


@given(_cookie, _cookie, _cookie, _cookie, st.booleans(), st.floats(allow_nan=False, allow_infinity=False))
def test_never_raises(
    session: str | None, session_sfx: str | None, uat: str | None, uat_sfx: str | None, dev: bool, now: float
) -> None:
    assert _decide(session=session, session_sfx=session_sfx, uat=uat, uat_sfx=uat_sfx, development=dev, now=now) in (
        True,
        False,
    )
