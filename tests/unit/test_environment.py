"""Key resolution: argument > environment (read when the client is built) > JWKS > error."""

from __future__ import annotations

import pytest

import clerk_core
from clerk_core import Clerk, TokenVerificationError
from clerk_core.testing import KeyPair, LocalClerk, mint_session_token


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLERK_JWT_KEY", "CLERK_SECRET_KEY", "CLERK_API_URL", "CLERK_API_VERSION", "CLERK_MACHINE_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLERK_CORE_DISABLE_PLUGIN_AUTOLOAD", "1")


def test_jwt_key_from_the_environment_with_escaped_newlines(monkeypatch: pytest.MonkeyPatch, keys: KeyPair) -> None:
    monkeypatch.setenv("CLERK_JWT_KEY", keys.public_pem.replace("\n", "\\n"))  # as .env files carry it
    token = mint_session_token(keys)
    assert clerk_core.verify_token(token)["sub"] == "user_2local"
    assert Clerk().verify_token(token)["sub"] == "user_2local"


def test_secret_key_and_api_url_from_the_environment(monkeypatch: pytest.MonkeyPatch, keys: KeyPair) -> None:
    with LocalClerk(keys=[keys]) as local:
        monkeypatch.setenv("CLERK_SECRET_KEY", local.secret_key)
        monkeypatch.setenv("CLERK_API_URL", local.api_url)
        monkeypatch.setenv("CLERK_API_VERSION", "v9")
        assert clerk_core.verify_token(local.session_token())["sub"] == "user_2local"
        assert [r.path for r in local.requests] == ["/v9/jwks"]


def test_arguments_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, keys: KeyPair, other_keys: KeyPair
) -> None:
    monkeypatch.setenv("CLERK_JWT_KEY", other_keys.public_pem)
    token = mint_session_token(keys)
    with pytest.raises(TokenVerificationError) as exc:
        Clerk().verify_token(token)
    assert exc.value.reason == "token-invalid-signature"
    assert Clerk(jwt_key=keys.public_pem).verify_token(token)["sub"] == "user_2local"
    assert clerk_core.verify_token(token, jwt_key=keys.public_pem)["sub"] == "user_2local"  # per call


def test_the_default_client_follows_environment_changes(
    monkeypatch: pytest.MonkeyPatch, keys: KeyPair, other_keys: KeyPair
) -> None:
    token = mint_session_token(keys)
    with pytest.raises(TokenVerificationError) as exc:
        clerk_core.verify_token(token)
    assert exc.value.reason == "jwk-failed-to-resolve"
    monkeypatch.setenv("CLERK_JWT_KEY", keys.public_pem)
    assert clerk_core.verify_token(token)["sub"] == "user_2local"
    monkeypatch.setenv("CLERK_JWT_KEY", other_keys.public_pem)
    with pytest.raises(TokenVerificationError):
        clerk_core.verify_token(token)


def test_an_explicit_environment_mapping_replaces_os_environ(monkeypatch: pytest.MonkeyPatch, keys: KeyPair) -> None:
    monkeypatch.setenv("CLERK_JWT_KEY", keys.public_pem)
    with pytest.raises(TokenVerificationError) as exc:
        Clerk(environ={}).verify_token(mint_session_token(keys))
    assert exc.value.reason == "jwk-failed-to-resolve"
