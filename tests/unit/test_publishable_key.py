"""Publishable keys, cookie suffixes and proxy URLs.

Cases translated from the reference's ``S/__tests__/keys.spec.ts``, ``S/__tests__/proxy.spec.ts``
and the proxy / frontend-API cases of ``B/tokens/__tests__/authenticateContext.test.ts``.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clerk_core.errors import ConfigurationError
from clerk_core.tokens.publishable_key import (
    AUTO_PROXY_PATH,
    INVALID_PUBLISHABLE_KEY,
    KEY_SETUP_GUIDANCE,
    MISSING_PUBLISHABLE_KEY,
    PublishableKey,
    auto_proxy_url,
    cookie_suffix,
    is_development_secret_key,
    is_publishable_key,
    parse_publishable_key,
    resolve_proxy_url,
    suffixed,
)

PK_LIVE_FAKE = "pk_live_ZmFrZS1jbGVyay10ZXN0LmNsZXJrLmFjY291bnRzLmRldiQ="
PK_TEST_FOO = "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk"
# The reference fixtures' pkLive / pkTest: clerk.inspired.puma-74.lcl.dev
PK_LIVE = "pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA"
PK_TEST = "pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA"
VERCEL_PRODUCTION = {"VERCEL_PROJECT_PRODUCTION_URL": "myapp.vercel.app", "VERCEL_TARGET_ENV": "production"}


def _raises_invalid(key: str | None) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_publishable_key(key)
    assert caught.value.reason == "publishable-key-invalid"
    assert caught.value.message == INVALID_PUBLISHABLE_KEY


# --- Messages -----------------------------------------------------------------------------------


def test_messages_are_the_references() -> None:
    assert MISSING_PUBLISHABLE_KEY.startswith("Publishable key is missing.\n\nTo create a new Clerk app, run:\n")
    assert INVALID_PUBLISHABLE_KEY.startswith(
        "Publishable key not valid (expected format: pk_test_... or pk_live_...).\n\nTo create a new Clerk app, run:\n"
    )
    assert KEY_SETUP_GUIDANCE.endswith("Or copy keys from https://dashboard.clerk.com/~/api-keys into your .env file.")


# --- buildPublishableKey(frontendApi): the keys it produces parse back to their host ----------


@pytest.mark.parametrize(
    ("frontend_api", "key"),
    [
        ("fake-clerk-test.clerk.accounts.dev", "pk_live_ZmFrZS1jbGVyay10ZXN0LmNsZXJrLmFjY291bnRzLmRldiQ="),
        ("foo-bar-13.clerk.accounts.dev", "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk"),
        ("clerk.boring.sawfly-91.lcl.dev", "pk_test_Y2xlcmsuYm9yaW5nLnNhd2ZseS05MS5sY2wuZGV2JA=="),
        ("clerk.boring.sawfly-91.lclclerk.com", "pk_test_Y2xlcmsuYm9yaW5nLnNhd2ZseS05MS5sY2xjbGVyay5jb20k"),
    ],
)
def test_keys_built_from_a_frontend_api_parse_back_to_it(frontend_api: str, key: str) -> None:
    parsed = parse_publishable_key(key)
    assert parsed.frontend_api == frontend_api
    assert parsed.instance_type == ("production" if key.startswith("pk_live_") else "development")


# --- parsePublishableKey(key) -------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, ""])
def test_a_missing_key_raises_the_missing_message(key: str | None) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_publishable_key(key)
    assert caught.value.reason == "publishable-key-missing"
    assert caught.value.message == MISSING_PUBLISHABLE_KEY
    assert str(caught.value) == MISSING_PUBLISHABLE_KEY


def test_whatever_is_not_a_key() -> None:
    _raises_invalid("whatever")


def test_parses_a_production_key() -> None:
    assert parse_publishable_key(PK_LIVE_FAKE) == PublishableKey(
        instance_type="production", frontend_api="fake-clerk-test.clerk.accounts.dev"
    )


def test_parses_a_development_key() -> None:
    assert parse_publishable_key(PK_TEST_FOO) == PublishableKey(
        instance_type="development", frontend_api="foo-bar-13.clerk.accounts.dev"
    )


def test_rejects_extra_characters_after_the_dollar() -> None:
    _raises_invalid("pk_live_ZmFrZS1jbGVyay1tYWxmb3JtZWQuY2xlcmsuYWNjb3VudHMuZGV2JGV4dHJh")


def test_rejects_multiple_dollars() -> None:
    _raises_invalid("pk_live_ZmFrZS1jbGVyay1tdWx0aXBsZS5jbGVyay5hY2NvdW50cy5kZXYkJA==")


def test_rejects_a_decoded_value_without_a_dot() -> None:
    _raises_invalid("pk_live_aW52YWxpZGtleSQ=")


def test_rejects_a_key_that_does_not_decode() -> None:
    _raises_invalid("pk_live_invalid!@#$")


def test_rejects_a_key_without_a_known_prefix() -> None:
    _raises_invalid("fake_pk")


def test_applies_the_proxy_url() -> None:
    assert parse_publishable_key(PK_LIVE_FAKE, proxy_url="example.com/__clerk") == PublishableKey(
        instance_type="production", frontend_api="example.com/__clerk"
    )


def test_applies_the_domain_for_production_satellites() -> None:
    parsed = parse_publishable_key(PK_LIVE_FAKE, domain="example.com", is_satellite=True)
    assert parsed == PublishableKey(instance_type="production", frontend_api="clerk.example.com")


def test_ignores_the_domain_for_production_primaries() -> None:
    parsed = parse_publishable_key(PK_LIVE_FAKE, domain="example.com", is_satellite=False)
    assert parsed.frontend_api == "fake-clerk-test.clerk.accounts.dev"


def test_ignores_the_domain_for_development_keys_even_on_satellites() -> None:
    parsed = parse_publishable_key("pk_test_Y2xlcmsuY2xlcmsuZGV2JA==", domain="example.com", is_satellite=True)
    assert parsed == PublishableKey(instance_type="development", frontend_api="clerk.clerk.dev")


def test_the_proxy_url_wins_over_the_satellite_domain() -> None:
    parsed = parse_publishable_key(PK_LIVE, proxy_url="https://app.example/__clerk", domain="x.dev", is_satellite=True)
    assert parsed.frontend_api == "https://app.example/__clerk"


def test_atob_rules_whitespace_and_padding() -> None:
    # atob ignores ASCII whitespace and accepts both padded and unpadded input.
    assert parse_publishable_key("pk_test_Y2xlcmsuY2xl cmsuZGV2JA").frontend_api == "clerk.clerk.dev"
    assert parse_publishable_key("pk_test_Y2xlcmsuY2xlcmsuZGV2JA==").frontend_api == "clerk.clerk.dev"
    _raises_invalid("pk_test_Y2xlcmsuY2xlcmsuZGV2JA=")  # wrong padding for the length
    _raises_invalid("pk_test_Y2xlcmsuY2xlcmsuZGV2JA-")  # URL-safe alphabet is not base64


# --- isPublishableKey(key) ----------------------------------------------------------------------


def test_is_publishable_key_accepts_valid_keys() -> None:
    assert is_publishable_key(PK_LIVE_FAKE)
    assert is_publishable_key("pk_test_Y2xlcmsuY2xlcmsuZGV2JA==")


def test_is_publishable_key_rejects_a_host() -> None:
    assert not is_publishable_key("clerk.clerk.com")


@pytest.mark.parametrize("key", ["pk_live", "pk_live_", "pk_live_invalid"])
def test_is_publishable_key_rejects_an_invalid_structure(key: str) -> None:
    assert not is_publishable_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "pk_live_ZmFrZS1jbGVyay1tYWxmb3JtZWQuY2xlcmsuYWNjb3VudHMuZGV2JGV4dHJh",
        "pk_test_Y2xlcmsuY2xlcmsuZGV2JGV4dHJh",
    ],
)
def test_is_publishable_key_rejects_characters_after_the_dollar(key: str) -> None:
    assert not is_publishable_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "pk_live_ZmFrZS1jbGVyay1tdWx0aXBsZS5jbGVyay5hY2NvdW50cy5kZXYkJA==",
        "pk_live_JGZha2UtY2xlcmstcHJlZml4LmNsZXJrLmFjY291bnRzLmRldiQ=",
    ],
)
def test_is_publishable_key_rejects_several_dollars(key: str) -> None:
    assert not is_publishable_key(key)


def test_is_publishable_key_rejects_a_value_that_is_not_a_domain() -> None:
    assert not is_publishable_key("pk_live_aW52YWxpZGtleSQ=")


# --- isProductionFromPublishableKey / isDevelopmentFromPublishableKey (seen through auto-proxy) --


@pytest.mark.parametrize(
    ("key", "production"),
    [
        (PK_LIVE_FAKE, True),
        (PK_TEST_FOO, False),
        ("live_ZmFrZS1jbGVyay10ZXN0LmNsZXJrLmFjY291bnRzLmRldiQ=", True),
        ("test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk", False),
    ],
)
def test_only_production_keys_by_prefix_are_auto_proxied(key: str, production: bool) -> None:
    found = auto_proxy_url(key, proxy_url=None, domain=None, environ=VERCEL_PRODUCTION)
    assert (found == AUTO_PROXY_PATH) is production


# --- isDevelopmentFromSecretKey / isProductionFromSecretKey -------------------------------------


@pytest.mark.parametrize(
    ("secret", "development"),
    [
        ("sk_live_Y2xlcmsuY2xlcmsuZGV2JA==", False),
        ("sk_test_Y2xlcmsuY2xlcmsuZGV2JA==", True),
        ("live_Y2xlcmsuY2xlcmsuZGV2JA==", False),
        ("test_Y2xlcmsuY2xlcmsuZGV2JA==", True),
    ],
)
def test_is_development_secret_key(secret: str, development: bool) -> None:
    assert is_development_secret_key(secret) is development


# --- getCookieSuffix(publishableKey) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "suffix"),
    [
        ("pk_live_Y2xlcmsuY2xlcmsuZGV2JA", "1Z8AzTQD"),
        ("pk_test_Y2xlcmsuY2xlcmsuZGV2JA", "QvfNY2dr"),
        (PK_LIVE_FAKE, "qReyu04C"),
        (PK_LIVE, "MqCvchyS"),
        (PK_TEST, "vWCgMp3A"),
    ],
)
def test_cookie_suffix_vectors(key: str, suffix: str) -> None:
    assert cookie_suffix(key) == suffix


def test_cookie_suffix_replaces_base64_special_characters_with_url_safe_ones() -> None:
    assert cookie_suffix("pk_test_ZW5vdWdoLWFscGFjYS04Mi5jbGVyay5hY2NvdW50cy5sY2xjbGVyay5jb20k") == "jtYvyt_H"
    assert cookie_suffix("pk_test_eHh4eHh4LXhhYWFhYS1hYS5jbGVyay5hY2NvdW50cy5sY2xjbGVyay5jb20k") == "tZJdb-5s"


@given(st.text())
def test_cookie_suffix_uses_url_safe_characters_only(key: str) -> None:
    assert re.fullmatch(r"[A-Za-z0-9_-]{8}", cookie_suffix(key))


def test_cookie_suffix_encodes_lone_surrogates_as_text_encoder_does() -> None:
    assert cookie_suffix("pk_\ud800") == cookie_suffix("pk_\ufffd")


def test_suffixed_cookie_name() -> None:
    assert suffixed("__session", "MqCvchyS") == "__session_MqCvchyS"


# --- Proxy URL: resolution against the request origin (authenticateContext) --------------------


def test_a_relative_proxy_url_is_resolved_against_the_forwarded_origin() -> None:
    # The origin is the one derived from x-forwarded-proto / x-forwarded-host.
    proxy = resolve_proxy_url("/api/__clerk", "https://forwarded.example.com")
    assert proxy == "https://forwarded.example.com/api/__clerk"
    assert parse_publishable_key(PK_LIVE, proxy_url=proxy).frontend_api == proxy


def test_an_absolute_proxy_url_is_left_untouched() -> None:
    assert resolve_proxy_url("https://proxy.example.com/__clerk", "https://app.example") == (
        "https://proxy.example.com/__clerk"
    )


def test_a_protocol_relative_proxy_url_stays_on_the_request_origin() -> None:
    assert resolve_proxy_url("//evil.example/x", "https://app.example") == "https://app.example//evil.example/x"


def test_the_original_frontend_api_ignores_the_proxy() -> None:
    original = parse_publishable_key(PK_LIVE, domain="satellite.dev", is_satellite=True)
    proxied = parse_publishable_key(
        PK_LIVE, proxy_url="https://app.example/__clerk", domain="satellite.dev", is_satellite=True
    )
    assert original.frontend_api == "clerk.satellite.dev"  # frontendApi for a production satellite
    assert proxied.frontend_api == "https://app.example/__clerk"
    assert parse_publishable_key(PK_LIVE).frontend_api == "clerk.inspired.puma-74.lcl.dev"


# --- getAutoProxyUrlFromEnvironment (Vercel auto-proxy) -----------------------------------------

PK_LIVE_FOO = "pk_live_Zm9vLmNsZXJrLmNvbSQ="


def test_auto_proxy_for_vercel_production_with_production_keys() -> None:
    assert auto_proxy_url(PK_LIVE_FOO, proxy_url=None, domain=None, environ=VERCEL_PRODUCTION) == "/__clerk"
    origin = "https://myapp.vercel.app"
    assert resolve_proxy_url(AUTO_PROXY_PATH, origin) == "https://myapp.vercel.app/__clerk"


def test_no_auto_proxy_for_development_keys() -> None:
    key = "pk_test_Zm9vLmNsZXJrLmFjY291bnRzLmRldiQ="
    assert auto_proxy_url(key, proxy_url=None, domain=None, environ=VERCEL_PRODUCTION) is None


def test_no_auto_proxy_with_an_explicit_domain_or_proxy_url() -> None:
    assert auto_proxy_url(PK_LIVE_FOO, proxy_url=None, domain="example.com", environ=VERCEL_PRODUCTION) is None
    assert auto_proxy_url(PK_LIVE_FOO, proxy_url="/custom", domain=None, environ=VERCEL_PRODUCTION) is None


def test_no_auto_proxy_for_ineligible_hosts_or_non_production_vercel_environments() -> None:
    custom = {**VERCEL_PRODUCTION, "VERCEL_PROJECT_PRODUCTION_URL": "myapp.com"}
    preview = {**VERCEL_PRODUCTION, "VERCEL_TARGET_ENV": "preview"}
    assert auto_proxy_url(PK_LIVE_FOO, proxy_url=None, domain=None, environ=custom) is None
    assert auto_proxy_url(PK_LIVE_FOO, proxy_url=None, domain=None, environ=preview) is None


def test_no_auto_proxy_without_an_environment() -> None:
    assert auto_proxy_url(PK_LIVE_FOO, proxy_url=None, domain=None, environ={}) is None


@pytest.mark.parametrize(
    ("host", "eligible"),
    [
        ("myapp.vercel.app", True),
        ("myapp-git-branch.vercel.app", True),
        ("vercel.app", False),
        ("myapp.com", False),
        ("vercel.app.evil.com", False),
        ("https://myapp.vercel.app", True),
        ("https://MyApp.Vercel.App/some/path", True),  # URLs are normalised to their host name
        ("myapp.vercel.app/some/path", True),
        ("https://myapp.vercel.app:bad", False),  # an invalid URL has no host
    ],
)
def test_auto_proxy_host_rule(host: str, eligible: bool) -> None:
    environ = {**VERCEL_PRODUCTION, "VERCEL_PROJECT_PRODUCTION_URL": host}
    assert (auto_proxy_url(PK_LIVE_FOO, proxy_url=None, domain=None, environ=environ) is not None) is eligible


@pytest.mark.parametrize(
    ("value", "disabled"),
    [("true", True), ("TRUE", True), ("1", True), (" 2x", True), ("false", False), ("0", False), ("yes", False)],
)
def test_clerk_disable_auto_proxy(value: str, disabled: bool) -> None:
    environ = {**VERCEL_PRODUCTION, "CLERK_DISABLE_AUTO_PROXY": value}
    assert (auto_proxy_url(PK_LIVE_FOO, proxy_url=None, domain=None, environ=environ) is None) is disabled


# --- Properties ---------------------------------------------------------------------------------


@given(st.one_of(st.text(), st.from_regex(r"pk_(live|test)_[A-Za-z0-9+/= \t$._-]{0,40}", fullmatch=True)))
def test_arbitrary_strings_raise_only_configuration_errors(key: str) -> None:
    try:
        parsed = parse_publishable_key(key)
    except ConfigurationError as exc:
        assert exc.reason in ("publishable-key-missing", "publishable-key-invalid")
    else:
        assert parsed.instance_type in ("production", "development")
        assert "." in parsed.frontend_api
        assert "$" not in parsed.frontend_api


_LATIN1_NO_DOLLAR = st.text(st.characters(max_codepoint=255, exclude_characters="$"))


@given(_LATIN1_NO_DOLLAR, _LATIN1_NO_DOLLAR, st.booleans())
def test_round_trip_through_standard_base64(left: str, right: str, live: bool) -> None:
    import base64

    host = f"{left}.{right}"
    encoded = base64.b64encode(f"{host}$".encode("latin-1")).decode("ascii")
    key = ("pk_live_" if live else "pk_test_") + encoded
    assert parse_publishable_key(key) == PublishableKey(
        instance_type="production" if live else "development", frontend_api=host
    )
