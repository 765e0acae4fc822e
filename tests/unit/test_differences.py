"""docs/differences.md and the code agree: one check per entry, through the public API.

Each ``### <id>`` section of the page names a deliberate difference from ``@clerk/backend``.
A check is a function registered with ``@check("<id>")``; its parameters are pytest fixtures
(``keys``, ``other_keys``, ``local_clerk``, ``caplog``, ...), resolved by name. The tests below
fail when the page lists an id without a check, when a check's id is not on the page, or when
a check finds the code doing something else than clerk-core's side of the entry.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import json
import logging
import pickle
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from clerk_core import (
    AsyncClerk,
    Clerk,
    ClerkError,
    ClerkRequest,
    ConfigurationError,
    M2MToken,
    MachineTokenVerificationError,
    OAuthAccessToken,
    RequestState,
    Secret,
    SessionAuth,
    TokenVerificationError,
    decode_jwt,
)
from clerk_core.hookspecs import hookimpl
from clerk_core.jwt import categories
from clerk_core.jwt.b64 import b64url_encode
from clerk_core.providers import JwksEntry, Runtime
from clerk_core.testing import (
    FaultKind,
    KeyPair,
    LocalClerk,
    build_publishable_key,
    cookie_suffix,
    mint_handshake_token,
    mint_m2m_token,
    mint_oauth_token,
    mint_session_token,
)
from clerk_core.tokens.organization_sync import OrganizationSyncOptions, compile_organization_sync
from tests.conftest import FIXED_NOW, PinnedClock

PAGE = Path(__file__).resolve().parents[2] / "docs" / "differences.md"
#: An entry heading: ``### <id>``, the id lower-case words joined by hyphens.
_ENTRY_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HEADING = re.compile(r"^(#{1,6}) (.*?)\s*$", re.M)
#: The three lines every entry has, once each.
LABELS = ("**@clerk/backend:**", "**clerk-core:**", "**Why:**")

Check = Callable[..., None]
CHECKS: dict[str, Check] = {}


def check(entry_id: str) -> Callable[[Check], Check]:
    """Register the decorated function as the check of the page entry ``entry_id``."""

    def register(fn: Check) -> Check:
        if entry_id in CHECKS:
            raise ValueError(f"two checks for {entry_id!r}")
        CHECKS[entry_id] = fn
        return fn

    return register


def page_entries(text: str) -> list[tuple[str, str]]:
    """``(heading, body)`` of every ``###`` section, in page order; a body ends at the next ``##``/``###``."""
    headings = [m for m in _HEADING.finditer(text) if len(m.group(1)) <= 3]
    entries = []
    for index, match in enumerate(headings):
        if len(match.group(1)) != 3:
            continue
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        entries.append((match.group(2), text[match.end() : end]))
    return entries


ENTRIES = page_entries(PAGE.read_text(encoding="utf-8"))


# -- helpers ---------------------------------------------------------------------------------

DECODE_FAILED = "Invalid JWT form. The header, payload, or signature could not be decoded."
LIVE_KEY = build_publishable_key(live=True)
DEV_KEY = build_publishable_key()
BROWSER = {"host": "app.example", "sec-fetch-dest": "document", "user-agent": "Mozilla/5.0"}


def _clerk(*, clock: PinnedClock | None = None, plugins: tuple[object, ...] = (), **options: Any) -> Clerk:
    """A sync client that reads no environment and no entry points; time pinned at FIXED_NOW unless told."""
    options.setdefault("environ", {})
    options.setdefault("retry_backoff", 0.0)
    return Clerk(plugins=[clock or PinnedClock(), *plugins], load_entry_points=False, **options)


def _jwks_client(local: LocalClerk, **options: Any) -> Clerk:
    return _clerk(
        clock=options.pop("clock", PinnedClock(time.time())),
        secret_key=local.secret_key,
        api_url=local.api_url,
        **options,
    )


def _refused(call: Callable[[], object]) -> TokenVerificationError:
    with pytest.raises(TokenVerificationError) as exc:
        call()
    return exc.value


def _signed(payload: bytes, keys: KeyPair) -> str:
    """A token whose payload segment is exactly ``payload`` (not re-encoded JSON), signed RS256."""
    header = b64url_encode(json.dumps({"alg": "RS256", "typ": "JWT", "kid": keys.kid}).encode())
    signing_input = f"{header}.{b64url_encode(payload)}"
    signature = keys.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url_encode(signature)}"


def _authenticate(
    client: Clerk, path: str = "/", *, cookies: dict[str, str] | None = None, **headers: str
) -> RequestState:
    merged = dict(BROWSER)
    if cookies:
        merged["cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    merged.update({name.replace("_", "-"): value for name, value in headers.items()})
    state = client.authenticate_request(ClerkRequest("GET", f"https://app.example{path}", merged))
    assert isinstance(state, RequestState)
    return state


def _session_auth(state: RequestState) -> SessionAuth:
    assert state.status == "signed-in", (state.status, state.reason, state.message)
    auth = state.to_auth()
    assert isinstance(auth, SessionAuth)
    return auth


# -- Decoding tokens -------------------------------------------------------------------------


@check("strict-base64url")
def _strict_base64url(keys: KeyPair) -> None:
    client = _clerk(jwt_key=keys.public_pem)
    token = mint_session_token(keys, now=FIXED_NOW)
    assert client.verify_token(token)["sub"] == "user_2local"
    for spelling in (f"{token}=", f"{token}=="):  # the same signature bytes, padded
        error = _refused(functools.partial(client.verify_token, spelling))
        assert (error.reason, error.message) == ("token-invalid", DECODE_FAILED)


@check("strict-utf8")
def _strict_utf8(keys: KeyPair) -> None:
    client = _clerk(jwt_key=keys.public_pem)
    now = int(FIXED_NOW)
    valid = _signed(b'{"sub":"user_\xc3\xa9","iat":%d,"exp":%d}' % (now, now + 60), keys)
    assert client.verify_token(valid)["sub"] == "user_\u00e9"
    invalid = _signed(b'{"sub":"user_\xe9","iat":%d,"exp":%d}' % (now, now + 60), keys)  # Latin-1, not UTF-8
    error = _refused(lambda: client.verify_token(invalid))
    assert (error.reason, error.message) == ("token-invalid", DECODE_FAILED)


@check("token-size-cap")
def _token_size_cap(keys: KeyPair) -> None:
    client = _clerk(jwt_key=keys.public_pem)
    below = mint_session_token(keys, now=FIXED_NOW, claims={"pad": "x" * 22_000})
    above = mint_session_token(keys, now=FIXED_NOW, claims={"pad": "x" * 25_000})
    assert len(below) <= 32 * 1024 < len(above)
    assert client.verify_token(below)["pad"] == "x" * 22_000
    error = _refused(lambda: client.verify_token(above))  # correctly signed, yet refused
    assert (error.reason, error.message) == (
        "token-invalid",
        "Invalid JWT form. The token is longer than 32768 characters.",
    )


@check("finite-numeric-claims")
def _finite_numeric_claims(keys: KeyPair) -> None:
    client = _clerk(jwt_key=keys.public_pem)
    now = int(FIXED_NOW)
    assert client.verify_token(_signed(b'{"sub":"user_1","iat":%d,"exp":%d}' % (now, now + 60), keys))
    forever = _signed(b'{"sub":"user_1","iat":%d,"exp":1e400}' % now, keys)
    error = _refused(lambda: client.verify_token(forever))
    assert (error.reason, error.message) == ("token-invalid", DECODE_FAILED)


# -- Keys ------------------------------------------------------------------------------------


@check("pem-any-rsa-key")
def _pem_any_rsa_key() -> None:
    large = KeyPair.generate(bits=3072, kid="ins_3072")
    # Exponent 3, which the reference's string surgery cannot read; a small modulus keeps it quick.
    small_exponent = KeyPair(rsa.generate_private_key(public_exponent=3, key_size=1024), kid="ins_e3")  # noqa: S505
    for key in (large, small_exponent):
        pkcs1 = key.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
        bare = "".join(key.public_pem.strip().splitlines()[1:-1])
        assert pkcs1.startswith("-----BEGIN RSA PUBLIC KEY-----")
        token = mint_session_token(key, now=FIXED_NOW)
        for pem in (key.public_pem, pkcs1, bare):
            assert _clerk(jwt_key=pem).verify_token(token)["sub"] == "user_2local"


@check("pem-rs384-rs512")
def _pem_rs384_rs512(keys: KeyPair) -> None:
    client = _clerk(jwt_key=keys.public_pem)
    for alg in ("RS384", "RS512"):
        token = mint_session_token(KeyPair(keys.private_key, kid=keys.kid, alg=alg), now=FIXED_NOW)
        assert decode_jwt(token).header["alg"] == alg
        assert client.verify_token(token)["sub"] == "user_2local"


@check("pem-escaped-newlines")
def _pem_escaped_newlines(keys: KeyPair) -> None:
    token = mint_session_token(keys, now=FIXED_NOW)
    for escaped in (keys.public_pem.replace("\n", "\\n"), keys.public_pem.replace("\n", "\\r\\n")):
        assert "\n" not in escaped
        assert _clerk(jwt_key=escaped).verify_token(token)["sub"] == "user_2local"
        assert _clerk(environ={"CLERK_JWT_KEY": escaped}).verify_token(token)["sub"] == "user_2local"


@check("environment-variables")
def _environment_variables(keys: KeyPair, other_keys: KeyPair, local_clerk: LocalClerk) -> None:
    token = mint_session_token(keys, now=FIXED_NOW)
    assert _clerk(environ={"CLERK_JWT_KEY": keys.public_pem}).verify_token(token)["sub"] == "user_2local"
    environ = {
        "CLERK_SECRET_KEY": local_clerk.secret_key,
        "CLERK_API_URL": local_clerk.api_url,
        "CLERK_API_VERSION": "v2",
    }
    remote = _clerk(clock=PinnedClock(time.time()), environ=environ)
    assert remote.verify_token(local_clerk.session_token())["sub"] == "user_2local"
    assert [request.path for request in local_clerk.requests] == ["/v2/jwks"]
    assert local_clerk.requests[0].bearer == local_clerk.secret_key
    # An argument wins over the environment.
    chosen = _clerk(jwt_key=other_keys.public_pem, environ={"CLERK_JWT_KEY": keys.public_pem})
    assert _refused(lambda: chosen.verify_token(token)).reason == "token-invalid-signature"


@check("configurable-algorithms")
def _configurable_algorithms(keys: KeyPair) -> None:
    rs384 = mint_session_token(KeyPair(keys.private_key, kid=keys.kid, alg="RS384"), now=FIXED_NOW)
    assert _clerk(jwt_key=keys.public_pem).verify_token(rs384)  # the default allow-list
    narrowed = _clerk(jwt_key=keys.public_pem, algorithms=("RS256",))
    assert narrowed.verify_token(mint_session_token(keys, now=FIXED_NOW))
    error = _refused(lambda: narrowed.verify_token(rs384))
    assert (error.reason, error.message) == (
        "token-invalid-algorithm",
        'Invalid JWT algorithm "RS384". Supported: RS256.',
    )
    with pytest.raises(ConfigurationError) as exc:
        _clerk(algorithms=("HS256",))
    assert exc.value.reason == "invalid-option"


# -- The JWKS --------------------------------------------------------------------------------


class _RecordingCache:
    """A JWKS cache plugin that records the scopes it is asked for."""

    def __init__(self) -> None:
        self.entries: dict[str, JwksEntry] = {}
        self.scopes: set[str] = set()

    def get(self, scope: str) -> JwksEntry | None:
        self.scopes.add(scope)
        return self.entries.get(scope)

    def put(self, scope: str, entry: JwksEntry) -> None:
        self.scopes.add(scope)
        self.entries[scope] = entry

    def clear(self) -> None:
        self.entries.clear()

    @hookimpl
    def clerk_jwks_cache(self, runtime: Runtime, options: object) -> _RecordingCache:
        return self


@check("jwks-cache-per-client")
def _jwks_cache_per_client(local_clerk: LocalClerk) -> None:
    cache = _RecordingCache()
    recorded = _jwks_client(local_clerk, plugins=(cache,))
    assert recorded.verify_token(local_clerk.session_token())
    (scope,) = cache.scopes
    secret = local_clerk.secret_key
    assert secret not in scope
    prefix, fingerprint = scope.rsplit("|", 1)
    assert prefix == f"{local_clerk.api_url}|v1"
    assert len(fingerprint) >= 8 and hashlib.sha256(secret.encode()).hexdigest().startswith(fingerprint)
    # Two more clients of the same instance: each fetches into its own cache, once.
    first, second = _jwks_client(local_clerk), _jwks_client(local_clerk)
    for client in (first, second, first, second):
        assert client.verify_token(local_clerk.session_token())
    assert local_clerk.jwks_requests == 3


@check("jwks-cache-ttl")
def _jwks_cache_ttl(local_clerk: LocalClerk) -> None:
    clock = PinnedClock(time.time())
    short = _jwks_client(local_clerk, clock=clock, jwks_cache_ttl=30)
    default = _jwks_client(local_clerk, clock=clock)
    for client in (short, default):
        assert client.verify_token(local_clerk.session_token(now=clock.now))
    assert local_clerk.jwks_requests == 2
    clock.now += 31
    for client in (short, default):
        assert client.verify_token(local_clerk.session_token(now=clock.now))
    assert local_clerk.jwks_requests == 3  # only the 30 s client refetched; the default trusts 300 s
    clock.now += 270
    assert default.verify_token(local_clerk.session_token(now=clock.now))
    assert local_clerk.jwks_requests == 4


@check("jwks-kid-miss-cooldown")
def _jwks_kid_miss_cooldown(local_clerk: LocalClerk) -> None:
    clock = PinnedClock(time.time())
    client = _jwks_client(local_clerk, clock=clock)
    assert client.verify_token(local_clerk.session_token(now=clock.now))
    forger = KeyPair.generate(bits=1024)
    for n in range(10):
        forged = mint_session_token(forger, now=clock.now, header={"kid": f"ins_forged_{n}"})
        assert _refused(functools.partial(client.verify_token, forged)).reason == "jwk-kid-mismatch"
    assert local_clerk.jwks_requests == 1  # inside the 10 s window: no refetch at all
    clock.now += 11
    no_kid = local_clerk.session_token(now=clock.now, header={"kid": None})
    assert _refused(lambda: client.verify_token(no_kid)).reason == "jwk-kid-mismatch"
    assert local_clerk.jwks_requests == 1  # a missing kid never refetches
    forged = mint_session_token(forger, now=clock.now, header={"kid": "ins_forged_late"})
    assert _refused(lambda: client.verify_token(forged)).reason == "jwk-kid-mismatch"
    assert local_clerk.jwks_requests == 2  # past the window: one refetch


@check("jwks-single-flight")
def _jwks_single_flight(local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token()
    local_clerk.set_fault("slow", delay=0.3, times=1)  # keep the first fetch in flight

    async def tasks() -> list[dict[str, Any]]:
        async with AsyncClerk(
            secret_key=local_clerk.secret_key, api_url=local_clerk.api_url, load_entry_points=False, environ={}
        ) as client:
            return await asyncio.gather(*(client.verify_token(token) for _ in range(16)))

    assert [claims["sub"] for claims in asyncio.run(tasks())] == ["user_2local"] * 16
    assert local_clerk.jwks_requests == 1

    local_clerk.set_fault("slow", delay=0.3, times=1)
    client = _jwks_client(local_clerk)
    barrier = threading.Barrier(8)
    subjects: list[str] = []

    def thread() -> None:
        barrier.wait()
        subjects.append(client.verify_token(token)["sub"])

    threads = [threading.Thread(target=thread) for _ in range(8)]
    for each in threads:
        each.start()
    for each in threads:
        each.join(10)
    assert subjects == ["user_2local"] * 8
    assert local_clerk.jwks_requests == 2


@check("jwks-retries")
def _jwks_retries(local_clerk: LocalClerk) -> None:
    def attempts(fault: FaultKind, **settings: Any) -> tuple[str | None, int]:
        """(reason or None, JWKS requests) for one verification by a fresh client under ``fault``."""
        local_clerk.set_fault(fault, **settings)
        before = local_clerk.jwks_requests
        try:
            _jwks_client(local_clerk).verify_token(local_clerk.session_token())
            reason = None
        except TokenVerificationError as exc:
            reason = exc.reason
        local_clerk.clear_faults()
        return reason, local_clerk.jwks_requests - before

    assert attempts("unauthorized") == ("secret-key-invalid", 1)  # clerk_key_invalid: never retried
    assert attempts("status", status=404) == ("jwk-remote-failed-to-load", 1)
    assert attempts("status", status=503, times=2) == (None, 3)  # retried to success
    assert attempts("status", status=429) == ("jwk-remote-failed-to-load", 5)  # 5 attempts in all


@check("jwks-timeout")
def _jwks_timeout(local_clerk: LocalClerk) -> None:
    client = _jwks_client(local_clerk, timeout=0.2, max_retries=1)
    local_clerk.set_fault("slow", delay=3)
    started = time.monotonic()
    error = _refused(lambda: client.verify_token(local_clerk.session_token()))
    assert error.reason == "jwk-remote-failed-to-load"
    assert "timed out" in error.message
    assert time.monotonic() - started < 2.0


# -- Verification ----------------------------------------------------------------------------


@check("machine-jwt-claims")
def _machine_jwt_claims(keys: KeyPair) -> None:
    client = _clerk(
        jwt_key=keys.public_pem, authorized_parties=["https://app.example"], issuer="https://issuer.example"
    )
    session = mint_session_token(keys, now=FIXED_NOW)  # azp http://localhost:3000: the options are live
    assert _refused(lambda: client.verify_token(session)).reason == "token-invalid-authorized-parties"
    m2m = client.verify_machine_token(mint_m2m_token(keys, now=FIXED_NOW))  # no azp, no iss
    assert isinstance(m2m, M2MToken) and m2m.subject == "mch_2local"
    oauth = client.verify_machine_token(mint_oauth_token(keys, now=FIXED_NOW))  # another iss, no azp
    assert isinstance(oauth, OAuthAccessToken) and oauth.subject == "user_2local"


@check("handshake-category-first")
def _handshake_category_first(local_clerk: LocalClerk) -> None:
    client = _jwks_client(local_clerk)
    forger = KeyPair.generate(bits=1024, kid="ins_unknown")
    for cat in (categories.JWT_TEMPLATE, categories.M2M_TOKEN, "cl_some_future_category"):
        token = mint_handshake_token(forger, ["__session=pwned; Path=/"], cat=cat)
        error = _refused(functools.partial(client.verify_handshake_token, token))
        assert (error.reason, error.message) == ("token-invalid", "Invalid handshake token category.")
    assert local_clerk.requests == []  # no key was looked up
    genuine = mint_handshake_token(local_clerk.keys[0], ["__session=ok; Path=/"])
    assert client.verify_handshake_token(genuine)["handshake"] == ["__session=ok; Path=/"]
    assert local_clerk.jwks_requests == 1


# -- Authorization claims --------------------------------------------------------------------


@check("tolerant-fea")
def _tolerant_fea(keys: KeyPair) -> None:
    client = _clerk(jwt_key=keys.public_pem, secret_key="sk_live_unused", publishable_key=LIVE_KEY)

    def auth(**org: Any) -> SessionAuth:
        claims = {"id": "org_1", "slug": "acme", "role": "org:admin", "per": "read,manage", "fpm": "3"}
        claims.update(org)
        token = mint_session_token(keys, now=FIXED_NOW, version=2, org=claims)
        return _session_auth(_authenticate(client, authorization=f"Bearer {token}"))

    good = auth(features="o:reservations")
    assert good.org_permissions == ["org:reservations:read", "org:reservations:manage"]
    assert good.has(permission="org:reservations:read")
    for malformed in (auth(features="o:reservations,broken"), auth(features="o:reservations", per=7)):
        assert not malformed.org_permissions
        assert not malformed.has(permission="org:reservations:read")
        assert (malformed.user_id, malformed.org_id, malformed.org_role) == ("user_2local", "org_1", "org:admin")
        assert malformed.has(role="org:admin")


# -- Request authentication ------------------------------------------------------------------


@check("org-sync-empty-patterns")
def _org_sync_empty_patterns(keys: KeyPair) -> None:
    token = mint_session_token(keys, now=FIXED_NOW, org={"id": "org_1", "slug": "acme", "role": "org:admin"})
    cookies = {"__session": token, "__client_uat": str(int(FIXED_NOW))}

    def state(personal: list[str]) -> RequestState:
        client = _clerk(
            jwt_key=keys.public_pem,
            secret_key="sk_live_unused",
            publishable_key=LIVE_KEY,
            organization_sync_options={"organization_patterns": ["/orgs/:slug"], "personal_account_patterns": personal},
        )
        return _authenticate(client, "/dashboard", cookies=cookies)

    assert _session_auth(state([])).org_id == "org_1"
    listed = state(["/dashboard"])  # a pattern that does match: the org must be switched off
    assert (listed.status, listed.reason) == ("handshake", "active-organization-mismatch")


@check("org-sync-ascii-case")
def _org_sync_ascii_case() -> None:
    matcher = compile_organization_sync(OrganizationSyncOptions(organization_patterns=("/orgs/:slug", "/équipe/:slug")))
    for path in ("/orgs/acme", "/ORGS/acme", "/équipe/acme"):
        target = matcher.match(path)
        assert target is not None and target.organization_slug == "acme", path
    assert matcher.match("/ÉQUIPE/acme") is None


@check("suffixed-cookies-2038")
def _suffixed_cookies_2038(keys: KeyPair) -> None:
    now = 2_200_000_000  # 2039-09-18, past the 32-bit wrap of 2038-01-19
    suffix = cookie_suffix(DEV_KEY)

    def state(exp: int) -> RequestState:
        token = mint_session_token(keys, now=now - 200, exp=exp)
        cookies = {
            f"__session_{suffix}": token,
            f"__client_uat_{suffix}": str(now - 300),
            "__client_uat": "0",
            "__clerk_db_jwt": "dvb_local",
            f"__clerk_db_jwt_{suffix}": "dvb_local",
        }
        client = _clerk(
            clock=PinnedClock(now), jwt_key=keys.public_pem, secret_key="sk_test_unused", publishable_key=DEV_KEY
        )
        return _authenticate(client, cookies=cookies)

    assert _session_auth(state(now + 60)).user_id == "user_2local"  # suffixed cookies are read
    expired = state(now - 100)  # the rule fires: the un-suffixed cookies (no session) are read
    assert (expired.status, expired.reason) == ("signed-out", "session-token-and-uat-missing")


# -- Errors, logs and secrets ----------------------------------------------------------------


@check("typed-errors")
def _typed_errors(keys: KeyPair, other_keys: KeyPair) -> None:
    client = _clerk(jwt_key=keys.public_pem)
    request = ClerkRequest("GET", "https://app.example/", BROWSER)
    hs256 = b64url_encode(b'{"alg":"HS256"}') + "." + _signed(b"{}", keys).split(".", 1)[1]
    handshake = mint_handshake_token(other_keys, ["__session=x; Path=/"], now=FIXED_NOW)
    signed_elsewhere = ClerkRequest("GET", f"https://app.example/?__clerk_handshake={handshake}", BROWSER)
    token = mint_session_token(keys, now=FIXED_NOW)
    instance: dict[str, Any] = {"secret_key": "sk_live_unused", "publishable_key": LIVE_KEY}
    bad_pattern = {"organization_patterns": ["/orgs/("]}
    cases: list[tuple[type[ClerkError], str, Callable[[], object]]] = [
        (MachineTokenVerificationError, "token-invalid", lambda: client.verify_machine_token("xyz_123")),
        (MachineTokenVerificationError, "token-invalid", lambda: client.verify_machine_token(123)),  # type: ignore[arg-type]
        (TokenVerificationError, "token-invalid-algorithm", lambda: client.has_valid_signature(hs256, keys.public_jwk)),
        (
            ConfigurationError,
            "secret-key-missing",
            lambda: _clerk(jwt_key=keys.public_pem, publishable_key=LIVE_KEY).authenticate_request(request),
        ),
        (
            ConfigurationError,
            "publishable-key-missing",
            lambda: _clerk(secret_key="sk_live_unused").authenticate_request(request),
        ),
        (
            ConfigurationError,
            "publishable-key-invalid",
            lambda: _clerk(secret_key="sk_live_unused", publishable_key="pk_live_x").authenticate_request(request),
        ),
        (
            ConfigurationError,
            "invalid-option",
            lambda: _clerk(**instance, is_satellite=True).authenticate_request(request),
        ),
        (
            ConfigurationError,
            "invalid-option",
            lambda: _clerk(**instance, organization_sync_options=bad_pattern).authenticate_request(request),
        ),
        (
            ConfigurationError,
            "handshake-invalid-signature",
            lambda: _clerk(
                jwt_key=keys.public_pem, secret_key="sk_test_unused", publishable_key=DEV_KEY
            ).authenticate_request(signed_elsewhere),
        ),
        (ConfigurationError, "invalid-option", lambda: client.verify_token(token, audience=[1])),  # type: ignore[list-item]
        (ConfigurationError, "invalid-option", lambda: _clerk(timeout=-1)),
    ]
    messages = []
    for kind, reason, call in cases:
        with pytest.raises(kind) as exc:
            call()
        assert isinstance(exc.value, ClerkError)
        assert exc.value.reason == reason, (exc.value.reason, exc.value.message)
        messages.append(exc.value.message)
    # The reference's words where it has some.
    assert messages[0] == "Unknown machine token type"
    assert messages[2] == "Unsupported algorithm HS256, expected one of RS256,RS384,RS512."
    assert messages[3].startswith("Missing Clerk Secret Key.")


@check("logging")
def _logging(keys: KeyPair, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.WARNING, logger="clerk_core")

    def client() -> Clerk:
        return _clerk(jwt_key=keys.public_pem, secret_key="sk_live_unused", publishable_key=LIVE_KEY)

    def events(name: str) -> list[logging.LogRecord]:
        return [record for record in caplog.records if record.getMessage() == name]

    loop = _authenticate(client(), cookies={"__client_uat": "12345", "__clerk_redirect_count": "3"})
    assert (loop.status, loop.reason) == ("signed-out", "client-uat-but-no-session-token")
    (record,) = events("authenticate.handshake_loop")
    assert record.name.startswith("clerk_core.") and record.levelno == logging.WARNING
    token = mint_session_token(keys, now=FIXED_NOW, azp=None)
    cookies = {"__session": token, "__client_uat": str(int(FIXED_NOW))}
    first, second = client(), client()
    for each in (first, first, first, second):
        _session_auth(_authenticate(each, cookies=cookies))
    assert len(events("authenticate.session_cookie_without_azp")) == 2  # once per client
    assert all(token not in record.getMessage() and token not in str(record.__dict__) for record in caplog.records)
    assert capsys.readouterr() == ("", "")  # nothing printed


@check("secrets-masked")
def _secrets_masked(keys: KeyPair) -> None:
    secret = "sk_live_" + "5ecret" * 6
    client = _clerk(secret_key=secret, jwt_key=keys.public_pem, publishable_key=LIVE_KEY)
    key_line = keys.public_pem.splitlines()[1]
    for text in (repr(client.config), str(client.config)):
        assert secret not in text and key_line not in text
        assert "Secret('***')" in text
    held = client.config.secret_key
    assert held is not None and not isinstance(held, str) and str(held) == "Secret('***')"
    with pytest.raises(TypeError):
        pickle.dumps(held)
    token = mint_session_token(keys, now=FIXED_NOW)
    debug = _session_auth(_authenticate(client, authorization=f"Bearer {token}")).debug()
    assert debug["token"] == token[:7]
    assert not any(secret[:7] in str(value) or key_line[:7] in str(value) for value in debug.values())


# -- the page and the checks agree -----------------------------------------------------------


def test_every_entry_has_an_id_and_the_three_lines() -> None:
    assert ENTRIES, f"no ### entries in {PAGE}"
    ids = [heading for heading, _ in ENTRIES]
    assert len(ids) == len(set(ids)), "an id is listed twice"
    for heading, body in ENTRIES:
        assert _ENTRY_ID.fullmatch(heading), f"### {heading!r} is not an id (lower-case words joined by '-')"
        for label in LABELS:
            assert body.count(label) == 1, f"{heading}: {label} must appear once"


def test_every_check_is_listed_on_the_page() -> None:
    listed = {heading for heading, _ in ENTRIES}
    assert sorted(set(CHECKS) - listed) == [], "checks for ids docs/differences.md does not list"


@pytest.mark.parametrize("entry_id", [heading for heading, _ in ENTRIES])
def test_difference(entry_id: str, request: pytest.FixtureRequest) -> None:
    fn = CHECKS.get(entry_id)
    if fn is None:
        pytest.fail(f"docs/differences.md lists {entry_id!r}, but no @check({entry_id!r}) demonstrates it")
    fixtures = {name: request.getfixturevalue(name) for name in inspect.signature(fn).parameters}
    fn(**fixtures)


@check("bapi-falsy-query-values")
def _bapi_falsy_query_values() -> None:
    from clerk_core.api import _gen_operations as ops
    from clerk_core.api.call import CallContext, build_request

    ctx = CallContext(api_url="https://api.example.test", api_version="v1", secret_key=Secret("sk_test_x"))
    url = build_request(ops.GET_USER_LIST, {"banned": False, "limit": 0, "query": ""}, ctx).url
    assert url.endswith("?query=&banned=false&limit=0"), url
    assert "?" not in build_request(ops.GET_USER_LIST, {"banned": None}, ctx).url


@check("bapi-retries")
def _bapi_retries() -> None:
    from clerk_core.api import _gen_operations as ops
    from clerk_core.api.call import CallContext, build_request, call
    from clerk_core.providers import HttpResponse

    ctx = CallContext(
        api_url="https://api.example.test", api_version="v1", secret_key=Secret("sk_test_x"), clock=lambda: 0.0
    )
    assert build_request(ops.GET_USER, {"user_id": "user_1"}, ctx).timeout > 0

    def attempts(op: Any, args: dict[str, Any]) -> int:
        flow = call(op, args, ctx)
        count, value = 0, None
        while True:
            try:
                effect = flow.send(value)
            except StopIteration:
                return count
            except ClerkError:
                return count
            if type(effect).__name__ == "Fetch":
                count += 1
                body = b'{"errors":[]}' if count == 1 else b'{"object":"user","id":"user_1"}'
                value = HttpResponse(status=503 if count == 1 else 200, body=body)
            else:
                value = None

    assert attempts(ops.GET_USER, {"user_id": "user_1"}) == 2  # retried
    assert attempts(ops.CREATE_USER, {}) == 1  # a create is sent once


# -- webhooks ------------------------------------------------------------------------------------


def _webhook(body: bytes, **headers: str) -> Any:
    from clerk_core.testing import new_webhook_secret, sign_webhook
    from clerk_core.webhooks import verify_webhook

    secret = new_webhook_secret()
    signed = {**sign_webhook(body, secret=secret, msg_id="msg_diff", timestamp=1_700_000_000), **headers}
    return lambda given=signed, raw=body: verify_webhook(
        given, raw, signing_secret=secret, now=1_700_000_000, environ={}
    ), signed


@check("webhook-standard-headers")
def _webhook_standard_headers() -> None:
    from clerk_core.testing import new_webhook_secret, sign_webhook
    from clerk_core.webhooks import verify_webhook

    secret = new_webhook_secret()
    body = b'{"type":"user.created","data":{}}'
    headers = sign_webhook(body, secret=secret, msg_id="msg_std", timestamp=1_700_000_000, header_names="webhook")
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    event = verify_webhook(headers, body, signing_secret=secret, now=1_700_000_000, environ={})
    assert event.id == "msg_std"


@check("webhook-timestamp-digits")
def _webhook_timestamp_digits() -> None:
    from clerk_core.errors import WebhookVerificationError

    verify, signed = _webhook(b'{"type":"user.created","data":{}}')
    assert verify({**signed, "svix-timestamp": "1700000000.5"}).id == "msg_diff"
    with pytest.raises(WebhookVerificationError) as caught:
        verify({**signed, "svix-timestamp": "1700000000abc"})
    assert caught.value.reason == "invalid-timestamp"


@check("webhook-event-fields")
def _webhook_event_fields() -> None:
    body = json.dumps(
        {
            "type": "user.created",
            "object": "event",
            "timestamp": 1_700_000_000_000,
            "instance_id": "ins_1",
            "data": {"id": "user_1"},
            "event_attributes": {"http_request": {"client_ip": "1.2.3.4"}},
        }
    ).encode()
    event = _webhook(body)[0]()
    assert (event.type, event.object, event.id, event.instance_id, event.timestamp) == (
        "user.created",
        "event",
        "msg_diff",
        "ins_1",
        1_700_000_000_000,
    )
    assert event.typed and event.data.id == "user_1" and event.data_dict == {"id": "user_1"}
    assert event.event_attributes == {"http_request": {"client_ip": "1.2.3.4"}}


@check("webhook-raw-body-only")
def _webhook_raw_body_only() -> None:
    from clerk_core.errors import WebhookVerificationError

    body = b'{"type":"user.created","data":{"first_name":"Jos\xe9"}}'
    verify, signed = _webhook(body)
    assert verify().data_dict["first_name"] == "Jos\ufffd"
    with pytest.raises(WebhookVerificationError) as caught:
        verify(signed, {"type": "user.created"})
    assert caught.value.reason == "invalid-body" and "raw request body" in caught.value.message
