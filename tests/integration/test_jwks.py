"""JWKS policy over real sockets: single-flight, kid-miss cooldown, retries, timeouts, faults."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from typing import Any

import pytest

from clerk_core import AsyncClerk, Clerk, TokenVerificationError
from clerk_core.testing import KeyPair, LocalClerk, mint_session_token
from tests.conftest import Driver, PinnedClock


def _client(local: LocalClerk, **options: Any) -> Clerk:
    options.setdefault("retry_backoff", 0.0)
    return Clerk(secret_key=local.secret_key, api_url=local.api_url, load_entry_points=False, environ={}, **options)


def test_concurrent_cold_cache_threads_fetch_once(local_clerk: LocalClerk) -> None:
    client = _client(local_clerk)
    local_clerk.set_fault("slow", delay=0.3, times=1)  # keep the first fetch in flight
    token = local_clerk.session_token()
    barrier = threading.Barrier(16)
    results: list[str] = []

    def work() -> None:
        barrier.wait()
        results.append(client.verify_token(token)["sub"])

    threads = [threading.Thread(target=work) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == ["user_2local"] * 16
    assert local_clerk.jwks_requests == 1


def test_concurrent_cold_cache_tasks_fetch_once(local_clerk: LocalClerk) -> None:
    local_clerk.set_fault("slow", delay=0.3, times=1)
    token = local_clerk.session_token()

    async def main() -> list[dict[str, Any]]:
        async with AsyncClerk(
            secret_key=local_clerk.secret_key, api_url=local_clerk.api_url, load_entry_points=False, environ={}
        ) as client:
            return await asyncio.gather(*(client.verify_token(token) for _ in range(32)))

    assert [c["sub"] for c in asyncio.run(main())] == ["user_2local"] * 32
    assert local_clerk.jwks_requests == 1


def test_a_failed_shared_fetch_fails_every_waiter_once(local_clerk: LocalClerk) -> None:
    client = _client(local_clerk, max_retries=0)
    local_clerk.set_fault("status", status=500)
    token = local_clerk.session_token()
    reasons: list[str] = []

    def work() -> None:
        try:
            client.verify_token(token)
        except TokenVerificationError as exc:
            reasons.append(exc.reason)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert reasons == ["jwk-remote-failed-to-load"] * 8
    assert 1 <= local_clerk.jwks_requests <= 8  # never more than one attempt per waiter
    local_clerk.clear_faults()
    assert client.verify_token(token)["sub"] == "user_2local"  # a failure is not cached


def test_forged_kids_cannot_cause_a_fetch_storm(local_clerk: LocalClerk) -> None:
    clock = PinnedClock(time.time())
    client = _client(local_clerk, plugins=[clock])
    client.verify_token(local_clerk.session_token(now=clock.now))
    assert local_clerk.jwks_requests == 1
    forger = KeyPair.generate(bits=1024)
    for _ in range(50):
        forged = mint_session_token(forger, now=clock.now, header={"kid": "ins_" + secrets.token_hex(8)})
        with pytest.raises(TokenVerificationError) as exc:
            client.verify_token(forged)
        assert exc.value.reason == "jwk-kid-mismatch"
    assert local_clerk.jwks_requests == 1  # inside the cooldown window: no refetch at all
    clock.now += 11  # past the 10 s cooldown: one refetch, then quiet again
    for _ in range(20):
        with pytest.raises(TokenVerificationError):
            client.verify_token(
                mint_session_token(forger, now=clock.now, header={"kid": "ins_" + secrets.token_hex(8)})
            )
    assert local_clerk.jwks_requests == 2


def test_rotated_key_is_picked_up_after_the_cooldown(local_clerk: LocalClerk) -> None:
    clock = PinnedClock(time.time())
    client = _client(local_clerk, plugins=[clock])
    client.verify_token(local_clerk.session_token(now=clock.now))
    rotated = KeyPair.generate(bits=1024, kid="ins_rotated")
    local_clerk.add_key(rotated)
    clock.now += 11
    assert client.verify_token(mint_session_token(rotated, now=clock.now))["sub"] == "user_2local"
    assert local_clerk.jwks_requests == 2


def test_missing_kid_never_refetches(local_clerk: LocalClerk) -> None:
    client = _client(local_clerk, jwks_kid_miss_cooldown=0)
    client.verify_token(local_clerk.session_token())
    with pytest.raises(TokenVerificationError) as exc:
        client.verify_token(local_clerk.session_token(header={"kid": None}))
    assert exc.value.reason == "jwk-kid-mismatch"
    assert "kid='undefined'" in exc.value.message
    assert local_clerk.jwks_requests == 1


@pytest.mark.parametrize(
    ("fault", "options", "reason", "requests", "message"),
    [
        ({"kind": "unauthorized"}, {}, "secret-key-invalid", 1, "The provided Clerk Secret Key is invalid."),
        (
            {"kind": "empty_keys"},
            {},
            "jwk-remote-failed-to-load",
            1,
            "The JWKS endpoint did not contain any signing keys.",
        ),
        ({"kind": "bad_json"}, {"max_retries": 2}, "jwk-remote-failed-to-load", 3, "the response is not a JWKS."),
        ({"kind": "status", "status": 404}, {}, "jwk-remote-failed-to-load", 1, "with code=404"),
        ({"kind": "status", "status": 429}, {"max_retries": 1}, "jwk-remote-failed-to-load", 2, "with code=429"),
        ({"kind": "down"}, {"max_retries": 1}, "jwk-remote-failed-to-load", 2, "failed"),
    ],
)
def test_fetch_failures_end_in_reference_reasons(
    driver: Driver,
    local_clerk: LocalClerk,
    fault: dict[str, Any],
    options: dict[str, Any],
    reason: str,
    requests: int,
    message: str,
) -> None:
    client = driver.client(secret_key=local_clerk.secret_key, api_url=local_clerk.api_url, environ={}, **options)
    settings = dict(fault)
    local_clerk.set_fault(settings.pop("kind"), **settings)
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_token", local_clerk.session_token())
    assert exc.value.reason == reason
    assert message in exc.value.message
    assert local_clerk.jwks_requests == requests


def test_transient_faults_are_retried_to_success(driver: Driver, local_clerk: LocalClerk) -> None:
    client = driver.client(secret_key=local_clerk.secret_key, api_url=local_clerk.api_url, environ={})
    local_clerk.set_fault("status", status=503, times=2)
    assert driver.call(client, "verify_token", local_clerk.session_token())["sub"] == "user_2local"
    local_clerk.set_fault("down", times=1)
    assert driver.call(client, "load_jwks", skip_jwks_cache=True)


def test_every_fetch_has_a_timeout(driver: Driver, local_clerk: LocalClerk) -> None:
    client = driver.client(
        secret_key=local_clerk.secret_key, api_url=local_clerk.api_url, environ={}, timeout=0.2, max_retries=1
    )
    local_clerk.set_fault("slow", delay=5)
    started = time.monotonic()
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_token", local_clerk.session_token())
    assert exc.value.reason == "jwk-remote-failed-to-load"
    assert "timed out after 0.2 s" in exc.value.message
    assert time.monotonic() - started < 2.0


def test_unreachable_api_fails_fast(driver: Driver, keys: KeyPair) -> None:
    with LocalClerk(keys=[keys]) as local:
        url, secret = local.api_url, local.secret_key
    client = driver.client(secret_key=secret, api_url=url, environ={}, max_retries=1)  # the port is closed now
    started = time.monotonic()
    with pytest.raises(TokenVerificationError) as exc:
        driver.call(client, "verify_token", mint_session_token(keys))
    assert exc.value.reason == "jwk-remote-failed-to-load"
    assert time.monotonic() - started < 3.0


def test_skip_jwks_cache_refetches(local_clerk: LocalClerk) -> None:
    client = _client(local_clerk)
    token = local_clerk.session_token()
    client.verify_token(token)
    client.verify_token(token, skip_jwks_cache=True)
    client.verify_token(token)
    assert local_clerk.jwks_requests == 2
