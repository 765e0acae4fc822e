"""The plugin host: one pluggy manager per client, providers resolved once.

Registration order is policy (pluggy calls the last registered first, except among ``trylast``
implementations, which it calls in the order they were registered):

1. built-ins: :mod:`clerk_core._defaults` and the shipped CPython plugins
   (``clerk_plugins.josepy_crypto``, ``clerk_plugins.stdlib_http``,
   ``clerk_plugins.niquests_http``), all ``trylast``;
2. entry points in group ``clerk_core`` (skipped when ``CLERK_CORE_DISABLE_PLUGIN_AUTOLOAD``
   is set, or with ``load_entry_points=False``);
3. plugins passed to the client, which therefore win.

For each provider hook the host asks every implementation in that order and
keeps the first answer that suits the client's flavour, recording why the
others were passed over, so a missing provider fails at construction with a
:class:`~clerk_core.errors.PluginError` that names the hook, the runtime and
the plugins seen, and ``clerk-core plugins`` can show who serves what.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final

import msgspec
import pluggy

from . import _defaults, hookspecs
from ._entry_points import find_entry_points, load
from .errors import PluginError
from .options import ClientConfig
from .providers import Runtime

__all__ = ["AUTOLOAD_ENV", "PROVIDER_HOOKS", "SHIPPED_PLUGINS", "Choice", "PluginHost", "Providers", "current_runtime"]

#: Set to a non-empty value other than ``0``/``false`` to skip entry-point discovery.
AUTOLOAD_ENV: Final = "CLERK_CORE_DISABLE_PLUGIN_AUTOLOAD"
#: Plugins that ship with clerk-core; each declines where it cannot serve (its library missing,
#: the wrong runtime). The order is policy: pluggy calls ``trylast`` implementations first
#: registered first, so the stdlib transport, listed before niquests, serves sync clients (no
#: extra needed, a fraction of niquests' import time); it declines for async clients and proxied
#: API hosts, which niquests then serves.
SHIPPED_PLUGINS: Final = ("clerk_plugins.josepy_crypto", "clerk_plugins.stdlib_http", "clerk_plugins.niquests_http")

PROVIDER_HOOKS: Final = (
    "clerk_crypto_backend",
    "clerk_http_transport",
    "clerk_b64url_decoder",
    "clerk_clock",
    "clerk_jwks_cache",
)


def current_runtime_name() -> str:
    """``pyodide`` under Emscripten, else the interpreter's name (``cpython``, ``pypy``)."""
    return "pyodide" if sys.platform == "emscripten" else sys.implementation.name


def current_runtime(flavor: str) -> Runtime:
    """The :class:`Runtime` a client of ``flavor`` passes to hooks."""
    return Runtime(name=current_runtime_name(), flavor=flavor)  # type: ignore[arg-type]


class Choice(msgspec.Struct, frozen=True, kw_only=True):
    """What one plugin answered for one hook, and whether it was taken."""

    hook: str
    plugin: str
    outcome: str  # "selected", "declined", "not needed", or "unsuitable: <why>"


class Providers(msgspec.Struct, frozen=True, kw_only=True):
    """The providers a client runs with."""

    crypto: Any
    transport: Any
    b64: Callable[[str], bytes]
    clock: Callable[[], float]
    jwks_cache: Any
    choices: tuple[Choice, ...]
    runtime: Runtime


def _autoload_disabled() -> bool:
    value = os.environ.get(AUTOLOAD_ENV, "").strip().lower()
    return value not in ("", "0", "false", "no")


#: Hosts shared between clients, per distinct plugin set (bounded: the oldest is dropped first).
_SHARED: dict[tuple[bool, bool, tuple[int, ...], tuple[str, ...]], tuple[tuple[object, ...], PluginHost]] = {}
_SHARED_MAX: Final = 64
_SHARED_LOCK = threading.Lock()


class PluginHost:
    """Registers plugins for one client and resolves its providers."""

    def __init__(
        self,
        plugins: Sequence[object] = (),
        *,
        load_entry_points: bool | None = None,
        default_backends: bool = True,
    ) -> None:
        pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        pm.add_hookspecs(hookspecs)
        self._pm = pm
        self._register(_defaults, "clerk_core.defaults")
        for module_name in SHIPPED_PLUGINS if default_backends else ():
            try:
                module = importlib.import_module(module_name)
            except ImportError:  # the plugins package is optional in odd installs
                continue
            self._register(module, module_name)
        if load_entry_points is None:
            load_entry_points = not _autoload_disabled()
        if load_entry_points:
            for entry_point in find_entry_points(hookspecs.PROJECT_NAME):
                if pm.has_plugin(entry_point.name) or pm.is_blocked(entry_point.name):
                    continue
                try:
                    plugin = load(entry_point)
                except Exception as exc:
                    raise PluginError(
                        f"Entry point {entry_point.name!r} of {entry_point.distribution!r} failed to load: {exc}"
                    ) from exc
                self._register(plugin, entry_point.name)
        for index, plugin in enumerate(plugins):
            name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}#{index}"
            self._register(plugin, name)
        try:
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"A plugin implements an unknown hook: {exc}") from exc

    @classmethod
    def shared(
        cls,
        plugins: Sequence[object] = (),
        *,
        load_entry_points: bool | None = None,
        default_backends: bool = True,
    ) -> PluginHost:
        """The host for this set of plugins, built once per process and shared between clients.

        Building a pluggy manager and scanning entry points costs about a millisecond; a
        multi-tenant app builds a client per tenant or per request. The host is read-only
        once built (clients call hooks through it; their providers stay their own), so the
        same set of plugin objects, the same flags and the same autoload setting share one.
        Entry points are scanned again when ``sys.path`` changes; a distribution installed
        into a folder already on it while the process runs is seen by new plugin sets only.
        """
        autoload = (not _autoload_disabled()) if load_entry_points is None else load_entry_points
        given = tuple(plugins)
        # Entry points are found on sys.path: a path added or removed means another scan.
        where = tuple(sys.path) if autoload else ()
        key = (autoload, default_backends, tuple(id(plugin) for plugin in given), where)
        with _SHARED_LOCK:
            entry = _SHARED.get(key)
            # The ids are only a key: the cached tuple keeps the plugins alive, and identity is checked.
            if entry is not None and all(a is b for a, b in zip(entry[0], given, strict=True)):
                return entry[1]
        host = cls(given, load_entry_points=autoload, default_backends=default_backends)
        with _SHARED_LOCK:
            if len(_SHARED) >= _SHARED_MAX:
                _SHARED.pop(next(iter(_SHARED)))
            _SHARED[key] = (given, host)
        return host

    def _register(self, plugin: object, name: str) -> None:
        try:
            self._pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(f"Plugin {name!r} cannot be registered: {exc}") from exc

    @property
    def manager(self) -> pluggy.PluginManager:
        """The underlying pluggy manager (for inspection and broadcast hooks)."""
        return self._pm

    def _answers(self, hook: str, kwargs: dict[str, Any]) -> list[tuple[str, Any]]:
        """Every implementation's answer, in pluggy's call order (winner first)."""
        caller = getattr(self._pm.hook, hook)
        answers = []
        # pluggy keeps implementations in reverse call order; walk it as pluggy would call.
        for impl in reversed(caller.get_hookimpls()):
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as exc:
                raise PluginError(f"Plugin {impl.plugin_name!r} failed in {hook}: {exc}") from exc
            answers.append((impl.plugin_name, result))
        return answers

    def resolve(self, runtime: Runtime, config: ClientConfig) -> Providers:
        """Pick each hook's provider for ``runtime``; raise :class:`PluginError` if a required one is missing."""
        choices: list[Choice] = []
        picked: dict[str, Any] = {}
        for hook in PROVIDER_HOOKS:
            kwargs = {"runtime": runtime, "options": config}
            winner: Any = None
            for plugin, answer in self._answers(hook, kwargs):
                if winner is not None:
                    outcome = "declined" if answer is None else "not needed"
                elif answer is None:
                    outcome = "declined"
                else:
                    problem = _unsuitable(hook, answer, runtime)
                    if problem:
                        outcome = f"unsuitable: {problem}"
                    else:
                        winner, outcome = answer, "selected"
                choices.append(Choice(hook=hook, plugin=plugin, outcome=outcome))
            if winner is None and hook != "clerk_http_transport":
                seen = [c for c in choices if c.hook == hook]
                raise PluginError(_missing(hook, runtime, seen), reason="no-provider")
            picked[hook] = winner
        return Providers(
            crypto=picked["clerk_crypto_backend"],
            transport=picked["clerk_http_transport"],
            b64=picked["clerk_b64url_decoder"],
            clock=picked["clerk_clock"],
            jwks_cache=picked["clerk_jwks_cache"],
            choices=tuple(choices),
            runtime=runtime,
        )


def missing_transport_message(runtime: Runtime, choices: Sequence[Choice]) -> str:
    """What a request without a transport says (networkless use needs none)."""
    return _missing("clerk_http_transport", runtime, [c for c in choices if c.hook == "clerk_http_transport"])


def _missing(hook: str, runtime: Runtime, seen: Sequence[Choice]) -> str:
    plugins = ", ".join(f"{c.plugin} ({c.outcome})" for c in seen) or "none"
    hint = ""
    if hook == "clerk_crypto_backend":
        hint = " Install the crypto extra (pip install 'clerk-core[josepy]') or pass a crypto plugin."
    elif hook == "clerk_http_transport":
        hint = " Install the HTTP extra (pip install 'clerk-core[niquests]') or pass a transport plugin."
    return (
        f"No usable provider for hook {hook} on runtime {runtime.name!r} "
        f"for a {runtime.flavor} client. Plugins seen: {plugins}.{hint}"
    )


def _has(obj: object, *names: str) -> bool:
    return all(callable(getattr(obj, name, None)) for name in names)


def _unsuitable(hook: str, answer: object, runtime: Runtime) -> str:
    sync = runtime.flavor == "sync"
    if hook == "clerk_crypto_backend":
        if _has(answer, "import_key", "verify"):
            return ""
        if _has(answer, "aimport_key", "averify"):
            return "" if not sync else "async only (aimport_key/averify), the client is sync"
        return "lacks import_key/verify"
    if hook == "clerk_http_transport":
        if _has(answer, "handle_request", "close"):
            return ""
        if _has(answer, "handle_async_request", "aclose"):
            return "" if not sync else "async only (handle_async_request), the client is sync"
        return "lacks handle_request/close"
    if hook == "clerk_jwks_cache":
        return "" if _has(answer, "get", "put", "clear") else "lacks get/put/clear"
    return "" if callable(answer) else "not callable"
