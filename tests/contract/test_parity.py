"""Sync/async parity: every flow through both drivers gives identical results and errors.

The async-only crypto provider below has the shape a WebCrypto plugin has
(``aimport_key``/``averify`` returning awaitables, no sync methods), so the
async driver is proven against it today.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping
from typing import Any

import pytest
from clerk_plugins.josepy_crypto import JosepyCrypto

from clerk_core import AsyncClerk, Clerk, ClerkError, PluginError
from clerk_core.hookspecs import hookimpl
from clerk_core.options import ClientConfig
from clerk_core.providers import Runtime
from clerk_core.testing import KeyPair, LocalClerk, mint_m2m_token, mint_oauth_token, mint_session_token
from tests.conftest import FIXED_NOW, PinnedClock


class AsyncOnlyCrypto:
    """A WebCrypto-shaped provider: only awaitable methods, each yielding to the loop."""

    def __init__(self) -> None:
        self._inner = JosepyCrypto()
        self.calls = 0

    async def aimport_key(self, jwk: Mapping[str, Any], alg: str) -> object:
        await asyncio.sleep(0)
        return self._inner.import_key(jwk, alg)

    async def averify(self, alg: str, key: object, signature: bytes, data: bytes) -> bool:
        self.calls += 1
        await asyncio.sleep(0)
        return self._inner.verify(alg, key, signature, data)


class AsyncOnlyPlugin:
    def __init__(self) -> None:
        self.provider = AsyncOnlyCrypto()

    @hookimpl
    def clerk_crypto_backend(self, runtime: Runtime, options: ClientConfig) -> AsyncOnlyCrypto:
        return self.provider


def _cases(keys: KeyPair, other: KeyPair) -> list[tuple[str, str, dict[str, Any]]]:
    session = mint_session_token(keys, now=FIXED_NOW)
    tampered = session[:-4] + ("AAAA" if not session.endswith("AAAA") else "BBBB")
    return [
        ("verify_token", session, {}),
        ("verify_token", tampered, {}),
        ("verify_token", mint_session_token(keys, now=FIXED_NOW - 3600), {}),
        ("verify_token", mint_session_token(keys, now=FIXED_NOW), {"authorized_parties": ["https://nope.example"]}),
        ("verify_token", mint_session_token(other, now=FIXED_NOW), {}),
        ("verify_token", "not-a-token", {}),
        ("verify_token", mint_session_token(keys, now=FIXED_NOW, cat="cl_B7d4PD333AAA"), {}),
        ("verify_machine_token", mint_m2m_token(keys, now=FIXED_NOW), {}),
        ("verify_machine_token", mint_oauth_token(keys, now=FIXED_NOW), {"audience": "https://x.example"}),
        ("verify_machine_token", "mt_unknown_opaque", {}),
        ("verify_handshake_token", mint_session_token(keys, now=FIXED_NOW, claims={"handshake": ["a=b"]}), {}),
        ("load_jwks", "", {}),
    ]


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        return "ok", call()
    except ClerkError as exc:
        return type(exc).__name__, (exc.reason, exc.message, getattr(exc, "status", None))


@pytest.mark.parametrize("async_provider", [False, True], ids=["sync-crypto", "async-only-crypto"])
def test_sync_and_async_clients_agree(keys: KeyPair, other_keys: KeyPair, async_provider: bool) -> None:
    with LocalClerk(keys=[keys]) as local:
        common = dict(
            secret_key=local.secret_key, api_url=local.api_url, retry_backoff=0.0, environ={}, load_entry_points=False
        )
        sync = Clerk(plugins=[PinnedClock()], **common)  # type: ignore[arg-type]
        plugin = AsyncOnlyPlugin()
        extra: list[object] = [plugin] if async_provider else []
        asynchronous = AsyncClerk(plugins=[PinnedClock(), *extra], **common)  # type: ignore[arg-type]
        loop = asyncio.new_event_loop()
        try:
            for method, token, options in _cases(keys, other_keys):
                args = (token,) if token else ()
                expected = _outcome(lambda m=method, a=args, o=options: getattr(sync, m)(*a, **o))
                actual = _outcome(
                    lambda m=method, a=args, o=options: loop.run_until_complete(getattr(asynchronous, m)(*a, **o))
                )
                assert actual == expected, (method, token[:20], options)
            if async_provider:
                assert plugin.provider.calls > 0  # the async-only provider really did the verifying
            loop.run_until_complete(asynchronous.aclose())
        finally:
            loop.close()
            sync.close()


def test_sync_client_refuses_async_only_crypto_at_construction() -> None:
    plugin = AsyncOnlyPlugin()
    # Without the shipped backends (as under Pyodide with WebCrypto only) nothing sync is left.
    with pytest.raises(PluginError) as exc:
        Clerk(plugins=[plugin], load_entry_points=False, default_backends=False)
    text = str(exc.value)
    assert "clerk_crypto_backend" in text
    assert "'cpython'" in text or "runtime" in text
    assert "sync client" in text
    assert "async only" in text
    assert "AsyncOnlyPlugin" in text  # the plugins seen are named
    client = AsyncClerk(plugins=[plugin], load_entry_points=False, default_backends=False)
    assert client.providers.crypto is plugin.provider


def test_clients_share_method_names_and_signatures() -> None:
    def public(cls: type) -> dict[str, inspect.Signature]:
        return {
            name: inspect.signature(member)
            for name, member in vars(cls).items()
            if callable(member) and not name.startswith("_") and name not in {"close", "aclose"}
        }

    sync, asynchronous = public(Clerk), public(AsyncClerk)
    assert sync.keys() == asynchronous.keys()
    assert sync == asynchronous
    for name in asynchronous:
        assert inspect.iscoroutinefunction(getattr(AsyncClerk, name)), name
        assert not inspect.iscoroutinefunction(getattr(Clerk, name)), name
