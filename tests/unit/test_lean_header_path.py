"""The lean header path decides exactly as the full decision does.

A session token in the Authorization header of a plain app is decided without a
request context (``AuthenticateFlow._lean``). That is an optimisation only: for
any token and request, the state must equal the one the full §3.4 decision gives.
Each example runs both and compares everything a caller can see.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clerk_core import Clerk, ClerkRequest
from clerk_core._flow import run_sync
from clerk_core.testing import (
    KeyPair,
    build_publishable_key,
    default_keypair,
    mint_m2m_token,
    mint_oauth_token,
    mint_session_token,
    mint_template_token,
    sign_jwt,
)
from clerk_core.testing.minting import DEFAULT_AZP
from clerk_core.tokens.authenticate import AuthenticateFlow
from clerk_core.tokens.state import RequestState, debug_request_state
from tests.conftest import FIXED_NOW, PinnedClock

NOW = int(FIXED_NOW)
KEYS = default_keypair()
OTHER = KeyPair.generate(kid="ins_local_1")  # same kid, other key: a forged signature


def _tokens() -> dict[str, str]:
    session = mint_session_token(KEYS, now=NOW)
    return {
        "valid v1": session,
        "valid v2 with org": mint_session_token(
            KEYS, now=NOW, version=2, org={"id": "org_1", "slug": "acme", "role": "admin"}
        ),
        "pending": mint_session_token(KEYS, now=NOW, claims={"sts": "pending"}),
        "expired": mint_session_token(KEYS, now=NOW - 3600),
        "not active yet": mint_session_token(KEYS, now=NOW, nbf=NOW + 600),
        "issued in the future": mint_session_token(KEYS, now=NOW, iat=NOW + 600),
        "unlisted azp": mint_session_token(KEYS, now=NOW, azp="https://evil.example"),
        "forged signature": mint_session_token(OTHER, now=NOW),
        "tampered": session[:-4] + ("AAAA" if not session.endswith("AAAA") else "BBBB"),
        "no sub": sign_jwt({"iat": NOW, "exp": NOW + 60, "nbf": NOW - 5}, KEYS.private_pem, header={"kid": KEYS.kid}),
        "HS256 header": sign_jwt({"sub": "user_1"}, KEYS.private_pem, header={"alg": "HS256", "kid": KEYS.kid}),
        "template token": mint_template_token(KEYS, "supabase", now=NOW),
        "m2m jwt": mint_m2m_token(KEYS, now=NOW),
        "oauth jwt": mint_oauth_token(KEYS, now=NOW),
        "opaque m2m": "mt_0123456789abcdef",
        "opaque oauth": "oat_0123456789abcdef",
        "api key": "ak_0123456789abcdef",
        "garbage": "not-a-token",
        "three dots of garbage": "a.b.c",
    }


TOKENS = _tokens()
AUTHORIZATION = ["Bearer {t}", "{t}", "Bearer  {t}", " Bearer {t} ", "bearer {t}", "Basic {t}", "Bearer {t} extra"]


def _client() -> Clerk:
    return Clerk(
        jwt_key=KEYS.public_pem,
        secret_key="sk_test_lean",  # a placeholder: the PEM serves every key lookup
        publishable_key=build_publishable_key(),
        authorized_parties=[DEFAULT_AZP],
        plugins=[PinnedClock()],
        load_entry_points=False,
        environ={},
    )


def _flows(client: Clerk) -> tuple[AuthenticateFlow, AuthenticateFlow]:
    client.authenticate_request(ClerkRequest("GET", "https://app.example/", {}))  # binds the default flow
    requests = client._requests
    assert requests is not None
    lean = requests.default
    assert lean._lean
    full = dataclasses.replace(lean)
    full._lean = False
    return lean, full


AUTH_FIELDS = (
    "is_authenticated",
    "token_type",
    "user_id",
    "session_id",
    "session_status",
    "actor",
    "org_id",
    "org_role",
    "org_slug",
    "org_permissions",
    "factor_verification_age",
    "session_claims",
)


def _seen(state: RequestState) -> dict[str, Any]:
    """Everything a caller can observe of a state and its auth object."""
    auth = state.to_auth()
    return {
        "status": state.status,
        "reason": state.reason,
        "message": state.message,
        "token": state.token,
        "token_type": state.token_type,
        "headers": state.headers,
        "debug": debug_request_state(state),
        "auth": None if auth is None else (type(auth).__name__, [getattr(auth, f, None) for f in AUTH_FIELDS]),
        "auth token": None if auth is None else auth.get_token(),
    }


@pytest.fixture(scope="module")
def flows() -> tuple[Clerk, AuthenticateFlow, AuthenticateFlow]:
    client = _client()
    lean, full = _flows(client)
    return client, lean, full


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(sorted(TOKENS)),
    authorization=st.sampled_from(AUTHORIZATION),
    method=st.sampled_from(["GET", "POST"]),
    accept=st.sampled_from(["text/html", "application/json", ""]),
    dest=st.sampled_from(["document", "empty", ""]),
    cookies=st.sampled_from(["", "__client_uat=0", "__client_uat=1; __session=x", "__clerk_redirect_count=3"]),
)
def test_lean_and_full_decisions_agree(
    flows: tuple[Clerk, AuthenticateFlow, AuthenticateFlow],
    kind: str,
    authorization: str,
    method: str,
    accept: str,
    dest: str,
    cookies: str,
) -> None:
    client, lean, full = flows
    headers = {"host": "app.example", "authorization": authorization.format(t=TOKENS[kind])}
    for name, value in (("accept", accept), ("sec-fetch-dest", dest), ("cookie", cookies)):
        if value:
            headers[name] = value
    states = [
        run_sync(flow.flow(ClerkRequest(method, "https://app.example/dashboard", headers)), client._engine)
        for flow in (lean, full)
    ]
    assert _seen(states[0]) == _seen(states[1])


def test_the_lean_path_signs_in_and_the_full_path_is_really_taken(
    flows: tuple[Clerk, AuthenticateFlow, AuthenticateFlow], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, lean, full = flows
    request = ClerkRequest("GET", "https://app.example/", {"authorization": f"Bearer {TOKENS['valid v1']}"})
    built: list[object] = []
    import clerk_core.tokens.authenticate as module

    original = module.RequestContext

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(module, "RequestContext", counting)
    assert run_sync(lean.flow(request), client._engine).status == "signed-in"
    assert built == []  # no request context on the lean path
    assert run_sync(full.flow(request), client._engine).status == "signed-in"
    assert built == [request]
