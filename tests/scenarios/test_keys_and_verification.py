"""Reference scenarios 18-31 (clerk-js-backend.md §9.1, "Keys / JWKS" and "verifyToken / machine
verify"), one named test each, against the local Clerk instance over real sockets.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from clerk_core import APIKey, M2MToken, MachineTokenVerificationError, OAuthAccessToken, TokenVerificationError
from clerk_core.hookspecs import hookimpl
from clerk_core.jwt import categories
from clerk_core.testing import KeyPair, LocalClerk, mint_handshake_token, mint_m2m_token, mint_oauth_token, sign_jwt
from clerk_core.testing.minting import mint_session_token
from clerk_core.tokens.keys import load_jwk_from_pem
from tests.conftest import FIXED_NOW, Driver, PinnedClock


def _jwks_client(driver: Driver, local: LocalClerk, **options: Any) -> Any:
    options.setdefault("environ", {})
    return driver.client(secret_key=local.secret_key, api_url=local.api_url, **options)


def test_s18_pem_to_jwk(keys: KeyPair) -> None:
    with pytest.raises(TokenVerificationError) as exc:
        load_jwk_from_pem("")
    assert (exc.value.reason, exc.value.message) == ("jwk-local-missing", "Missing local JWK.")
    assert exc.value.action == "Set the CLERK_JWT_KEY environment variable."
    armoured = load_jwk_from_pem(keys.public_pem)
    body = "".join(keys.public_pem.strip().splitlines()[1:-1])
    assert armoured == load_jwk_from_pem(body) == load_jwk_from_pem(keys.public_pem.replace("\n", "\\n"))
    assert armoured == {"kty": "RSA", "n": keys.public_jwk["n"], "e": "AQAB"}
    big = KeyPair.generate(bits=3072)
    assert load_jwk_from_pem(big.public_pem)["n"] == big.public_jwk["n"]  # the reference handles 2048-bit only


def test_s19_jwks_from_backend_api_with_custom_url_cached_by_kid(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _jwks_client(driver, local_clerk)
    token = local_clerk.session_token()
    assert driver.call(client, "verify_token", token)["sub"] == "user_2local"
    assert driver.call(client, "verify_token", local_clerk.session_token(sub="user_2other"))["sub"] == "user_2other"
    assert local_clerk.jwks_requests == 1
    (request,) = local_clerk.requests
    assert (request.method, request.path) == ("GET", "/v1/jwks")
    assert request.bearer == local_clerk.secret_key
    assert request.headers["clerk-api-version"] == "2026-05-12"
    assert request.headers["user-agent"].startswith("clerk-core")
    assert driver.call(client, "load_jwks") == {k.kid: k.public_jwk for k in local_clerk.keys}


def test_s20_five_attempts_with_exponential_backoff_then_code_503(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _jwks_client(driver, local_clerk, retry_backoff=0.02)
    local_clerk.set_fault("status", status=503)
    started = time.monotonic()
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_token", local_clerk.session_token())
    elapsed = time.monotonic() - started
    assert exc.value.reason == "jwk-remote-failed-to-load"
    assert exc.value.message == f"Error loading Clerk JWKS from {local_clerk.api_url}/v1/jwks with code=503"
    assert local_clerk.jwks_requests == 5
    assert elapsed >= 0.02 * (1 + 2 + 4 + 8)  # back-off doubles from 20 ms (jitter only adds)


def test_s21_no_secret_key(driver: Driver) -> None:
    client = driver.client(environ={})
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "load_jwks")
    assert (exc.value.reason, exc.value.message) == (
        "jwk-remote-failed-to-load",
        "Failed to load JWKS from Clerk Backend or Frontend API.",
    )
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_token", mint_session_token(KeyPair.generate(bits=1024)))
    assert (exc.value.reason, exc.value.message) == (
        "jwk-failed-to-resolve",
        "Failed to resolve JWK during verification.",
    )
    assert exc.value.action == "Set the CLERK_JWT_KEY environment variable."


def test_s22_unknown_kid_does_not_list_known_kids(driver: Driver, local_clerk: LocalClerk, other_keys: KeyPair) -> None:
    client = _jwks_client(driver, local_clerk)
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_token", mint_session_token(other_keys))
    assert exc.value.reason == "jwk-kid-mismatch"
    assert exc.value.message == (
        "Unable to find a signing key in JWKS that matches the kid='ins_other' of the provided session token. "
        "Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated "
        "session JWT."
    )
    assert local_clerk.keys[0].kid not in str(exc.value)


def test_s23_cache_isolated_per_secret_url_and_version(driver: Driver, keys: KeyPair) -> None:
    impostor = KeyPair.generate(kid=keys.kid)  # another instance whose key has the same kid
    clock = PinnedClock(time.time())
    with LocalClerk(keys=[keys]) as first, LocalClerk(keys=[impostor]) as second:
        client = driver.client(secret_key=first.secret_key, api_url=first.api_url, environ={}, plugins=[clock])
        assert driver.call(client, "verify_token", first.session_token(now=clock.now))
        forged = mint_session_token(impostor, now=clock.now)
        with pytest.raises(TokenVerificationError) as exc:
            driver.call(client, "verify_token", forged)
        assert exc.value.reason == "token-invalid-signature"  # first's key, not second's
        other = dict(secret_key=second.secret_key, api_url=second.api_url)
        assert driver.call(client, "verify_token", forged, **other)["sub"] == "user_2local"
        assert (first.jwks_requests, second.jwks_requests) == (1, 1)
        driver.call(client, "verify_token", first.session_token(now=clock.now), api_version="v2")
        assert [r.path for r in first.requests] == ["/v1/jwks", "/v2/jwks"]
        clock.now += 301  # past the 5-minute TTL: each scope refetches on its own
        driver.call(client, "verify_token", first.session_token(now=clock.now))
        assert (first.jwks_requests, second.jwks_requests) == (3, 1)


class _CountingCrypto:
    """The shipped crypto provider, counting the key imports it is asked for."""

    def __init__(self) -> None:
        from clerk_plugins.josepy_crypto import JosepyCrypto

        self.inner = JosepyCrypto()
        self.imports: list[str] = []

    def import_key(self, jwk: Any, alg: str) -> object:
        self.imports.append(jwk["n"][:12])
        return self.inner.import_key(jwk, alg)

    def verify(self, alg: str, key: object, signature: bytes, data: bytes) -> bool:
        return self.inner.verify(alg, key, signature, data)

    @hookimpl
    def clerk_crypto_backend(self, runtime: Any, options: Any) -> _CountingCrypto:
        return self


def test_pem_key_imported_once_per_text_and_kept_apart(driver: Driver, keys: KeyPair, other_keys: KeyPair) -> None:
    crypto = _CountingCrypto()
    client = driver.client(jwt_key=keys.public_pem, plugins=[crypto], environ={})
    for sub in ("user_a", "user_b", "user_c"):
        assert driver.call(client, "verify_token", mint_session_token(keys, sub=sub))["sub"] == sub
    assert len(crypto.imports) == 1  # the client's PEM: parsed and imported once
    other_token = mint_session_token(other_keys)
    assert driver.call(client, "verify_token", other_token, jwt_key=other_keys.public_pem)["sub"] == "user_2local"
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_token", other_token)  # the per-call key did not replace the client's
    assert exc.value.reason == "token-invalid-signature"
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_token", mint_session_token(keys), jwt_key=other_keys.public_pem)
    assert exc.value.reason == "token-invalid-signature"
    assert len(crypto.imports) == 2 and crypto.imports[0] != crypto.imports[1]
    for blank_lines in range(1, 21):  # more PEM texts than the cache holds: still right, imported again
        pem = other_keys.public_pem + "\n" * blank_lines
        assert driver.call(client, "verify_token", other_token, jwt_key=pem)["sub"] == "user_2local"
    assert len(crypto.imports) == 22
    assert driver.call(client, "verify_token", mint_session_token(keys))["sub"] == "user_2local"
    assert len(crypto.imports) == 23  # the client's own PEM was evicted with the rest


def test_s24_verify_token_with_jwt_key_and_with_secret_key(driver: Driver, local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token()
    networkless = driver.client(jwt_key=local_clerk.keys[0].public_pem, environ={})
    assert driver.call(networkless, "verify_token", token)["sid"] == "sess_2local"
    assert local_clerk.jwks_requests == 0
    remote = _jwks_client(driver, local_clerk)
    assert driver.call(remote, "verify_token", token)["sid"] == "sess_2local"
    assert local_clerk.jwks_requests == 1


def test_s25_m2m_category_rejected_before_key_resolution(driver: Driver, local_clerk: LocalClerk) -> None:
    client = _jwks_client(driver, local_clerk)
    token = local_clerk.session_token(cat=categories.M2M_TOKEN)
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_token", token)
    assert (exc.value.reason, exc.value.message) == ("token-invalid", "Invalid session token category.")
    assert local_clerk.requests == []


@pytest.mark.parametrize(
    ("kind", "token", "model", "path"),
    [
        ("api_key", "ak_LCWGdaM8mv8K4PC57IICZQXAeWfCgF30DZaFXHoGn9", APIKey, "/api_keys/verify"),
        ("m2m_token", "mt_8XOIucKvqHVr5tYP123456789abcdefghij", M2MToken, "/m2m_tokens/verify"),
        (
            "oauth_token",
            "oat_8XOIucKvqHVr5tYP123456789abcdefghij",
            OAuthAccessToken,
            "/oauth_applications/access_tokens/verify",
        ),
    ],
)
def test_s26_opaque_machine_tokens_verified_by_the_backend_api(
    driver: Driver, local_clerk: LocalClerk, kind: str, token: str, model: type, path: str
) -> None:
    stored = local_clerk.register_machine_token(
        kind, token, scopes=["read:foo", "write:bar"], claims={"foo": "bar"} if kind != "oauth_token" else None
    )  # type: ignore[arg-type]
    client = _jwks_client(driver, local_clerk)
    result = driver.call(client, "verify_machine_token", token)
    assert isinstance(result, model)
    assert (result.id, result.subject, result.scopes) == (stored["id"], stored["subject"], ["read:foo", "write:bar"])
    (request,) = local_clerk.requests
    assert (request.method, request.path, request.bearer) == ("POST", path, local_clerk.secret_key)


def test_s26_m2m_token_with_machine_secret_key(driver: Driver, local_clerk: LocalClerk) -> None:
    token = "mt_machine_secret_123456789"
    local_clerk.register_machine_token("m2m_token", token)
    client = driver.client(machine_secret_key=local_clerk.machine_secret_key, api_url=local_clerk.api_url, environ={})
    assert isinstance(driver.call(client, "verify_machine_token", token), M2MToken)
    assert local_clerk.requests[0].bearer == local_clerk.machine_secret_key


@pytest.mark.parametrize(
    ("token", "kind", "not_found"),
    [
        ("ak_invalid_token", "api_key", "API key not found"),
        ("mt_invalid_token", "m2m_token", "Machine token not found"),
        ("oat_invalid_token", "oauth_token", "OAuth token not found"),
    ],
)
def test_s27_backend_api_404_and_other_errors(
    driver: Driver, local_clerk: LocalClerk, token: str, kind: str, not_found: str
) -> None:
    client = _jwks_client(driver, local_clerk)
    with pytest.raises(MachineTokenVerificationError) as exc:
        driver.call(client, "verify_machine_token", token)
    assert (exc.value.code, exc.value.message, exc.value.status, exc.value.token_type) == (
        "token-invalid",
        not_found,
        404,
        kind,
    )
    local_clerk.set_fault("status", status=500)
    with pytest.raises(MachineTokenVerificationError) as exc:
        driver.call(client, "verify_machine_token", token)
    assert (exc.value.code, exc.value.message, exc.value.status) == ("unexpected-error", "Unexpected error", 500)
    assert exc.value.full_message == "Unexpected error (code=unexpected-error, status=500)"
    local_clerk.set_fault("unauthorized")
    with pytest.raises(MachineTokenVerificationError) as exc:
        driver.call(client, "verify_machine_token", token)
    assert (exc.value.code, exc.value.status) == ("secret-key-invalid", 401)


def test_s28_oauth_jwts_verified_locally(driver: Driver, keys: KeyPair, clock: PinnedClock) -> None:
    client = driver.client(jwt_key=keys.public_pem, plugins=[clock], environ={})
    for typ in ("at+jwt", "application/at+jwt"):
        result = driver.call(
            client, "verify_machine_token", mint_oauth_token(keys, now=FIXED_NOW, typ=typ, scope="read:foo write:bar")
        )
        assert isinstance(result, OAuthAccessToken)
        assert (result.id, result.client_id, result.scopes) == (
            "oat_2local",
            "client_2local",
            ["read:foo", "write:bar"],
        )
        assert (result.expiration, result.created_at) == ((int(FIXED_NOW) + 60) * 1000, int(FIXED_NOW) * 1000)
    cases: list[tuple[str, str]] = [
        (
            mint_oauth_token(keys, now=FIXED_NOW, typ="JWT"),
            "Invalid JWT type: JWT. Expected one of: at+jwt, application/at+jwt for OAuth, or sub starting with 'mch_' for M2M",
        ),
        (
            mint_oauth_token(keys, now=FIXED_NOW, header={"alg": "none"}),
            'Invalid JWT algorithm "none". Supported: RS256,RS384,RS512.',
        ),
        (mint_oauth_token(keys, now=FIXED_NOW - 3600), "JWT is expired."),
        ("invalid.jwt.token", "Invalid JWT form. The header, payload, or signature could not be decoded."),
    ]
    for token, message in cases:
        with pytest.raises(MachineTokenVerificationError) as exc:
            driver.call(client, "verify_machine_token", token)
        assert exc.value.message.startswith(message)
    audience = "https://my-resource.example.com"
    matching = mint_oauth_token(keys, now=FIXED_NOW, claims={"aud": audience})
    assert driver.call(client, "verify_machine_token", matching, audience=audience).aud == audience
    for aud, text in [
        ("https://attacker.example.com", "Invalid JWT audience claim"),
        (None, "Invalid OAuth audience claim"),
        ([audience, ""], "Invalid OAuth audience claim"),
    ]:
        token = mint_oauth_token(keys, now=FIXED_NOW, claims={"aud": aud})
        with pytest.raises(MachineTokenVerificationError, match=text) as exc:
            driver.call(client, "verify_machine_token", token, audience=audience)
        assert exc.value.code == "token-verification-failed"


@pytest.mark.parametrize(("sub", "shown"), [(None, "undefined"), (123, "123"), ({}, "{}")])
def test_s29_at_jwt_with_odd_sub_is_classified_as_oauth(
    driver: Driver, keys: KeyPair, clock: PinnedClock, sub: object, shown: str
) -> None:
    client = driver.client(jwt_key=keys.public_pem, plugins=[clock], environ={})
    token = mint_oauth_token(keys, now=FIXED_NOW, claims={"sub": sub})
    with pytest.raises(MachineTokenVerificationError) as exc:
        driver.call(client, "verify_machine_token", token)
    assert exc.value.token_type == "oauth_token"
    assert exc.value.message == f"Subject claim (sub) is required and must be a string. Received {shown}."


def test_s30_m2m_jwts_verified_locally(driver: Driver, local_clerk: LocalClerk, clock: PinnedClock) -> None:
    keys = local_clerk.keys[0]
    client = _jwks_client(driver, local_clerk, plugins=[clock])
    result = driver.call(client, "verify_machine_token", mint_m2m_token(keys, now=FIXED_NOW, scopes="mch_1 mch_2"))
    assert isinstance(result, M2MToken)
    assert (result.id, result.subject, result.scopes) == ("mt_2local", "mch_2local", ["mch_1", "mch_2"])
    assert isinstance(
        driver.call(client, "verify_machine_token", mint_m2m_token(keys, now=FIXED_NOW, cat=None)), M2MToken
    )
    assert driver.call(
        client, "verify_machine_token", mint_m2m_token(keys, now=FIXED_NOW), audience="https://resource.example.com"
    )
    for token, text in [
        (mint_m2m_token(keys, now=FIXED_NOW, header={"alg": "none"}), "Invalid JWT algorithm"),
        (mint_m2m_token(keys, now=FIXED_NOW - 3600), "expired"),
    ]:
        with pytest.raises(MachineTokenVerificationError, match=text):
            driver.call(client, "verify_machine_token", token)
    fetches = local_clerk.jwks_requests
    for cat in (categories.SESSION_TOKEN, categories.JWT_TEMPLATE, "cl_some_future_unknown_cat"):
        with pytest.raises(MachineTokenVerificationError) as exc:
            driver.call(
                client, "verify_machine_token", mint_m2m_token(keys, now=FIXED_NOW, cat=cat), skip_jwks_cache=True
            )
        assert (exc.value.code, exc.value.message, exc.value.token_type) == (
            "token-invalid",
            "Invalid M2M JWT category.",
            "m2m_token",
        )
    assert local_clerk.jwks_requests == fetches  # rejected without fetching keys


@pytest.mark.parametrize("cat", [categories.SESSION_TOKEN, categories.IGNORE, None])
def test_s31_handshake_token_with_session_ignore_or_no_category(
    driver: Driver, local_clerk: LocalClerk, cat: str | None
) -> None:
    client = _jwks_client(driver, local_clerk)
    token = mint_handshake_token(local_clerk.keys[0], ["__session=foo; Path=/"], cat=cat)
    assert driver.call(client, "verify_handshake_token", token)["handshake"] == ["__session=foo; Path=/"]


@pytest.mark.parametrize("cat", [categories.JWT_TEMPLATE, categories.M2M_TOKEN, "cl_some_future_unknown_cat"])
def test_s31_handshake_token_with_other_category_rejected(driver: Driver, local_clerk: LocalClerk, cat: str) -> None:
    client = _jwks_client(driver, local_clerk)
    token = mint_handshake_token(local_clerk.keys[0], ["ATTACKER_INJECTED=pwned; Path=/"], cat=cat)
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_handshake_token", token)
    assert (exc.value.reason, exc.value.message) == ("token-invalid", "Invalid handshake token category.")
    forged = sign_jwt({"handshake": []}, KeyPair.generate(bits=1024, kid=local_clerk.keys[0].kid))
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_handshake_token", forged)
    assert (exc.value.reason, exc.value.message) == ("token-invalid-signature", "Handshake signature is invalid.")
