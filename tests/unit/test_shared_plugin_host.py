"""Clients with the same plugin set share one plugin host; their providers stay their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from clerk_core import Clerk
from clerk_core._plugins import PluginHost
from clerk_core.hookspecs import hookimpl
from clerk_core.providers import Runtime


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    @hookimpl
    def clerk_clock(self, runtime: Runtime) -> object:
        return lambda: self.now


def test_same_plugins_share_a_host_other_plugins_do_not() -> None:
    clock = _Clock(1.0)
    first = Clerk(secret_key="sk_test_a", plugins=[clock], load_entry_points=False)
    second = Clerk(secret_key="sk_test_b", plugins=[clock], load_entry_points=False)
    assert first._plugin_host is second._plugin_host
    other = Clerk(secret_key="sk_test_a", plugins=[_Clock(2.0)], load_entry_points=False)
    assert other._plugin_host is not first._plugin_host
    assert other.providers.clock() == 2.0 and first.providers.clock() == 1.0
    without_defaults = PluginHost.shared([clock], load_entry_points=False, default_backends=False)
    assert without_defaults is not first._plugin_host
    assert PluginHost.shared([clock], load_entry_points=False, default_backends=False) is without_defaults


def test_providers_are_per_client_even_with_a_shared_host() -> None:
    first = Clerk(secret_key="sk_test_a", load_entry_points=False)
    second = Clerk(secret_key="sk_test_b", load_entry_points=False)
    assert first._plugin_host is second._plugin_host
    assert first.providers.transport is not second.providers.transport  # closing one never closes the other


def test_a_changed_sys_path_scans_entry_points_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLERK_CORE_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    before = Clerk(secret_key="sk_test_a", environ={})
    assert Clerk(secret_key="sk_test_b", environ={})._plugin_host is before._plugin_host
    monkeypatch.syspath_prepend(str(tmp_path))
    assert Clerk(secret_key="sk_test_a", environ={})._plugin_host is not before._plugin_host
    monkeypatch.undo()
    assert Clerk(secret_key="sk_test_a", environ={})._plugin_host is before._plugin_host
