"""The plugin host: registration order, entry points, failures, and one test per hook."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from clerk_plugins.josepy_crypto import JosepyCrypto
from clerk_plugins.niquests_http import NiquestsPlugin, NiquestsTransport
from clerk_plugins.stdlib_http import StdlibHttpPlugin, StdlibTransport

from clerk_core import AsyncClerk, Clerk, HttpRequest, HttpResponse, PluginError, TokenVerificationError, hookspecs
from clerk_core._defaults import MemoryJwksCache
from clerk_core._entry_points import find_entry_points
from clerk_core.hookspecs import hookimpl
from clerk_core.jwt.b64 import b64url_decode
from clerk_core.options import ClientConfig
from clerk_core.providers import JwksCache, Runtime
from clerk_core.testing import KeyPair, LocalClerk, mint_session_token
from tests.conftest import FIXED_NOW, PinnedClock

ROOT = Path(__file__).resolve().parents[2]


def _choice(client: Clerk, hook: str) -> str:
    (selected,) = [c.plugin for c in client.providers.choices if c.hook == hook and c.outcome == "selected"]
    return selected


# -- one test per hook (test_every_hook_has_a_test checks the names) --------------------------


class CountingCrypto(JosepyCrypto):
    def __init__(self) -> None:
        super().__init__()
        self.verified = 0

    def verify(self, alg: str, key: object, signature: bytes, data: bytes) -> bool:
        self.verified += 1
        return super().verify(alg, key, signature, data)


class CryptoPlugin:
    def __init__(self) -> None:
        self.provider = CountingCrypto()

    @hookimpl
    def clerk_crypto_backend(self, runtime: Runtime, options: ClientConfig) -> CountingCrypto:
        return self.provider


def test_hook_clerk_crypto_backend(keys: KeyPair) -> None:
    plugin = CryptoPlugin()
    client = Clerk(jwt_key=keys.public_pem, plugins=[plugin], load_entry_points=False, environ={})
    assert _choice(client, "clerk_crypto_backend") == "CryptoPlugin#0"
    assert client.verify_token(mint_session_token(keys))["sub"] == "user_2local"
    assert plugin.provider.verified == 1


def test_hook_clerk_http_transport(keys: KeyPair) -> None:
    seen: list[HttpRequest] = []

    class Recording:
        def handle_request(self, request: HttpRequest) -> HttpResponse:
            seen.append(request)
            body = b'{"keys": [%s]}' % __import__("json").dumps(keys.public_jwk).encode()
            return HttpResponse(status=200, headers={"content-type": "application/json"}, body=body)

        def close(self) -> None:
            pass

    class Plugin:
        @hookimpl
        def clerk_http_transport(self, runtime: Runtime, options: ClientConfig) -> Recording:
            return Recording()

    client = Clerk(
        secret_key="sk_test_x", api_url="https://api.example", plugins=[Plugin()], load_entry_points=False, environ={}
    )
    assert client.verify_token(mint_session_token(keys))["sub"] == "user_2local"
    (request,) = seen
    assert (request.method, request.url, request.timeout) == ("GET", "https://api.example/v1/jwks", 5.0)
    assert "sk_test_x" not in repr(request)


def test_hook_clerk_b64url_decoder(keys: KeyPair) -> None:
    calls: list[str] = []

    class Plugin:
        @hookimpl
        def clerk_b64url_decoder(self, runtime: Runtime) -> Any:
            def decode(text: str) -> bytes:
                calls.append(text)
                return b64url_decode(text)

            return decode

    client = Clerk(jwt_key=keys.public_pem, plugins=[Plugin()], load_entry_points=False, environ={})
    token = mint_session_token(keys)
    client.verify_token(token)
    assert calls == token.split(".")


def test_hook_clerk_clock(keys: KeyPair) -> None:
    old = mint_session_token(keys, now=FIXED_NOW)
    with pytest.raises(TokenVerificationError, match="expired"):
        Clerk(jwt_key=keys.public_pem, load_entry_points=False, environ={}).verify_token(old)
    pinned = Clerk(jwt_key=keys.public_pem, plugins=[PinnedClock()], load_entry_points=False, environ={})
    assert pinned.verify_token(old)["iat"] == int(FIXED_NOW)


def test_hook_clerk_jwks_cache(keys: KeyPair) -> None:
    shared = MemoryJwksCache()

    class Plugin:
        @hookimpl
        def clerk_jwks_cache(self, runtime: Runtime, options: ClientConfig) -> JwksCache:
            return shared

    with LocalClerk(keys=[keys]) as local:
        options: dict[str, Any] = dict(
            secret_key=local.secret_key, api_url=local.api_url, plugins=[Plugin()], load_entry_points=False, environ={}
        )
        Clerk(**options).verify_token(local.session_token())
        Clerk(**options).verify_token(local.session_token())
        assert local.jwks_requests == 1  # the second client found the first one's keys


def test_every_hook_has_a_test() -> None:
    hooks = {name for name in vars(hookspecs) if name.startswith("clerk_")}
    tests = {name.removeprefix("test_hook_") for name in globals() if name.startswith("test_hook_")}
    assert hooks == tests


def test_every_hook_is_documented() -> None:
    text = (ROOT / "docs" / "writing-a-plugin.md").read_text()
    for name in (n for n in vars(hookspecs) if n.startswith("clerk_")):
        assert f"`{name}(" in text, name


# -- order, failures --------------------------------------------------------------------------


def test_passed_plugins_win_and_defaults_are_last(keys: KeyPair) -> None:
    client = Clerk(plugins=[PinnedClock()], load_entry_points=False, environ={})
    clock = [c for c in client.providers.choices if c.hook == "clerk_clock"]
    assert [(c.plugin, c.outcome) for c in clock] == [
        ("PinnedClock#0", "selected"),
        ("clerk_core.defaults", "not needed"),
    ]
    assert _choice(client, "clerk_crypto_backend") == "clerk_plugins.josepy_crypto"
    assert _choice(client, "clerk_http_transport") == "clerk_plugins.stdlib_http"


def test_sync_clients_default_to_the_stdlib_transport_async_ones_to_niquests() -> None:
    sync = Clerk(secret_key="sk_test_x", load_entry_points=False, environ={})
    transport = [(c.plugin, c.outcome) for c in sync.providers.choices if c.hook == "clerk_http_transport"]
    # Both shipped transports are trylast; pluggy asks those in registration order.
    assert transport == [("clerk_plugins.stdlib_http", "selected"), ("clerk_plugins.niquests_http", "not needed")]
    assert isinstance(sync.providers.transport, StdlibTransport)
    async_client = AsyncClerk(secret_key="sk_test_x", load_entry_points=False, environ={})
    transport = [(c.plugin, c.outcome) for c in async_client.providers.choices if c.hook == "clerk_http_transport"]
    assert transport == [("clerk_plugins.stdlib_http", "declined"), ("clerk_plugins.niquests_http", "selected")]
    assert isinstance(async_client.providers.transport, NiquestsTransport)


def test_a_sync_client_can_still_choose_niquests() -> None:
    client = Clerk(secret_key="sk_test_x", plugins=[NiquestsPlugin()], load_entry_points=False, environ={})
    assert _choice(client, "clerk_http_transport") == "NiquestsPlugin#0"
    assert isinstance(client.providers.transport, NiquestsTransport)
    explicit = Clerk(secret_key="sk_test_x", plugins=[StdlibHttpPlugin()], load_entry_points=False, environ={})
    assert _choice(explicit, "clerk_http_transport") == "StdlibHttpPlugin#0"


def test_misspelled_hook_is_a_plugin_error() -> None:
    class Typo:
        @hookimpl
        def clerk_crypto_backnd(self, runtime: Runtime) -> None:
            return None

    with pytest.raises(PluginError, match="clerk_crypto_backnd"):
        Clerk(plugins=[Typo()], load_entry_points=False)


def test_failing_hook_is_a_plugin_error() -> None:
    class Broken:
        @hookimpl
        def clerk_clock(self, runtime: Runtime) -> Any:
            raise RuntimeError("boom")

    with pytest.raises(PluginError, match=r"Broken#0.*clerk_clock.*boom"):
        Clerk(plugins=[Broken()], load_entry_points=False)


def test_no_crypto_provider_is_a_plugin_error_at_construction() -> None:
    with pytest.raises(PluginError) as exc:
        Clerk(load_entry_points=False, default_backends=False)
    assert exc.value.reason == "no-provider"
    assert "No usable provider for hook clerk_crypto_backend on runtime 'cpython' for a sync client" in str(exc.value)
    assert "clerk-core[josepy]" in str(exc.value)


def test_missing_transport_fails_only_when_a_request_is_needed(keys: KeyPair) -> None:
    plugin = CryptoPlugin()
    networkless = Clerk(
        jwt_key=keys.public_pem, plugins=[plugin], load_entry_points=False, default_backends=False, environ={}
    )
    assert networkless.verify_token(mint_session_token(keys))["sub"] == "user_2local"
    remote = Clerk(
        secret_key="sk_test_x", plugins=[plugin], load_entry_points=False, default_backends=False, environ={}
    )
    with pytest.raises(PluginError, match="clerk_http_transport"):
        remote.verify_token(mint_session_token(keys))


# -- entry points -----------------------------------------------------------------------------


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A distribution on sys.path declaring a clerk_core entry point (as pip would install it)."""
    package = tmp_path / "clerk_fake_clock.py"
    package.write_text(
        textwrap.dedent(
            """
            from clerk_core.hookspecs import hookimpl
            LOADED = True

            @hookimpl
            def clerk_clock(runtime):
                return lambda: 1666648250.0
            """
        )
    )
    dist = tmp_path / "clerk_fake_clock-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: clerk-fake-clock\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[clerk_core]\nfake_clock = clerk_fake_clock\n\n[other]\nx = y\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("CLERK_CORE_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    yield tmp_path
    sys.modules.pop("clerk_fake_clock", None)


def test_entry_point_plugins_are_discovered_and_lose_to_passed_plugins(installed_plugin: Path, keys: KeyPair) -> None:
    client = Clerk(environ={})
    assert _choice(client, "clerk_clock") == "fake_clock"
    assert client.providers.clock() == 1666648250.0
    assert _choice(Clerk(plugins=[PinnedClock(5.0)], environ={}), "clerk_clock") == "PinnedClock#0"
    assert _choice(Clerk(load_entry_points=False, environ={}), "clerk_clock") == "clerk_core.defaults"


def test_entry_point_discovery_can_be_turned_off(installed_plugin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLERK_CORE_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert _choice(Clerk(environ={}), "clerk_clock") == "clerk_core.defaults"
    monkeypatch.setenv("CLERK_CORE_DISABLE_PLUGIN_AUTOLOAD", "0")
    assert _choice(Clerk(environ={}), "clerk_clock") == "fake_clock"


def test_entry_points_are_not_loaded_at_import(installed_plugin: Path) -> None:
    code = "import sys, clerk_core; assert 'clerk_fake_clock' not in sys.modules; clerk_core.Clerk(); assert 'clerk_fake_clock' in sys.modules; assert 'importlib.metadata' not in sys.modules"
    env = {"PYTHONPATH": f"{installed_plugin}:{ROOT}:{ROOT / 'plugins'}", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


@pytest.mark.parametrize("group", ["pytest11", "console_scripts", "clerk_core"])
def test_entry_point_scan_agrees_with_importlib_metadata(group: str) -> None:
    ours = sorted((e.name, e.value) for e in find_entry_points(group))
    theirs = sorted({(e.name, e.value) for e in importlib.metadata.entry_points(group=group)})
    assert ours == theirs


# -- the example in docs/writing-a-plugin.md --------------------------------------------------


def _docs_example() -> Mapping[str, Any]:
    text = (ROOT / "docs" / "writing-a-plugin.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    (example,) = [b for b in blocks if "class UrllibPlugin" in b]
    namespace: dict[str, Any] = {}
    exec(compile(example, "docs/writing-a-plugin.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


def test_docs_plugin_example_runs(keys: KeyPair) -> None:
    example = _docs_example()
    with LocalClerk(keys=[keys]) as local:
        claims = example["verify_with_urllib"](
            local.session_token(), secret_key=local.secret_key, api_url=local.api_url
        )
        assert claims["sub"] == "user_2local"
        assert local.jwks_requests == 1
        local.set_fault("unauthorized")
        client = Clerk(
            secret_key=local.secret_key,
            api_url=local.api_url,
            plugins=[example["UrllibPlugin"]()],
            environ={},
            jwks_cache_ttl=0,
        )
        with pytest.raises(TokenVerificationError) as exc:
            client.verify_token(local.session_token())
        assert exc.value.reason == "secret-key-invalid"
        local.set_fault("slow", delay=2)
        slow = Clerk(
            secret_key=local.secret_key,
            api_url=local.api_url,
            plugins=[example["UrllibPlugin"]()],
            environ={},
            timeout=0.2,
            max_retries=0,
        )
        with pytest.raises(TokenVerificationError, match="timed out"):
            slow.verify_token(local.session_token())
