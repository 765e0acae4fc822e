"""Effects and the two drivers: logic is written once, performed twice.

Every operation that needs the outside world (a key import, a signature check,
an HTTP request, a pause) is written as a generator that *yields* an effect
and receives its result, like httpx's ``Auth.auth_flow`` or h11's sans-I/O
state machine. :func:`run_sync` and :func:`run_async` are the only places in
the core where effects are performed: the first calls the sync provider
methods, the second awaits the async twins. A provider's exception is thrown
back into the flow at the ``yield``, so flows handle failures in one place.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Hashable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, final

from .errors import PluginError
from .providers import HttpRequest

if TYPE_CHECKING:
    import asyncio

# asyncio is imported inside the async driver: it costs ~20 ms, and a sync
# program verifying tokens networklessly should not pay for it.

__all__ = [
    "Effect",
    "Engine",
    "Fetch",
    "Flow",
    "ImportKey",
    "Once",
    "Sleep",
    "Verify",
    "run_async",
    "run_sync",
]

T = TypeVar("T")


@final
class ImportKey:
    """Turn a JWK into a provider key handle for ``alg``."""

    __slots__ = ("alg", "jwk")

    def __init__(self, jwk: Mapping[str, Any], alg: str) -> None:
        self.jwk = jwk
        self.alg = alg


@final
class Verify:
    """Check ``signature`` over ``data`` with a key handle."""

    __slots__ = ("alg", "data", "key", "signature")

    def __init__(self, alg: str, key: object, signature: bytes, data: bytes) -> None:
        self.alg = alg
        self.key = key
        self.signature = signature
        self.data = data


@final
class Fetch:
    """Perform an HTTP request through the client's transport."""

    __slots__ = ("request",)

    def __init__(self, request: HttpRequest) -> None:
        self.request = request


@final
class Sleep:
    """Pause (between retries)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


@final
class Once:
    """Run a sub-flow at most once at a time per ``key``; concurrent callers share its outcome.

    This is how concurrent cold-cache verifications, from threads or tasks, cause a
    single JWKS fetch: the first caller runs the flow, the others wait for it.
    """

    __slots__ = ("key", "make_flow")

    def __init__(self, key: Hashable, make_flow: Callable[[], Flow[Any]]) -> None:
        self.key = key
        self.make_flow = make_flow


Effect = ImportKey | Verify | Fetch | Sleep | Once
Flow = Generator[Effect, Any, T]


class _Shared:
    """The outcome of one in-flight :class:`Once`, for threads waiting on it."""

    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class Engine:
    """The providers of one client plus the bookkeeping for :class:`Once`."""

    def __init__(self, *, crypto: Any, transport: Any, describe_missing_transport: str) -> None:
        self.crypto = crypto
        self.transport = transport
        self._missing_transport = describe_missing_transport
        self._lock = threading.Lock()
        self._threads: dict[Hashable, _Shared] = {}
        self._tasks: dict[tuple[int, Hashable], asyncio.Future[Any]] = {}

    def need_transport(self) -> Any:
        if self.transport is None:
            raise PluginError(self._missing_transport)
        return self.transport

    def once_sync(self, effect: Once) -> Any:
        with self._lock:
            shared = self._threads.get(effect.key)
            leader = shared is None
            if shared is None:
                shared = self._threads[effect.key] = _Shared()
        if not leader:
            shared.done.wait()
            if shared.error is not None:
                raise shared.error
            return shared.value
        try:
            shared.value = run_sync(effect.make_flow(), self)
            return shared.value
        except BaseException as exc:
            shared.error = exc
            raise
        finally:
            with self._lock:
                del self._threads[effect.key]
            shared.done.set()

    async def once_async(self, effect: Once) -> Any:
        import asyncio

        loop = asyncio.get_running_loop()
        key = (id(loop), effect.key)
        pending = self._tasks.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Any] = loop.create_future()
        self._tasks[key] = future
        try:
            value = await run_async(effect.make_flow(), self)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters may be none
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._tasks[key]


def run_sync(flow: Flow[T], engine: Engine) -> T:
    """Drive ``flow`` to completion with the engine's sync providers."""
    value: Any = None
    error: Exception | None = None
    while True:
        try:
            effect = flow.send(value) if error is None else flow.throw(error)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        value = error = None
        try:
            if isinstance(effect, Verify):
                value = engine.crypto.verify(effect.alg, effect.key, effect.signature, effect.data)
            elif isinstance(effect, ImportKey):
                value = engine.crypto.import_key(effect.jwk, effect.alg)
            elif isinstance(effect, Fetch):
                value = engine.need_transport().handle_request(effect.request)
            elif isinstance(effect, Sleep):
                time.sleep(effect.seconds)
            else:
                value = engine.once_sync(effect)
        except Exception as exc:
            error = exc


async def run_async(flow: Flow[T], engine: Engine) -> T:
    """Drive ``flow`` to completion, awaiting async providers and calling sync ones directly.

    A sync-only transport runs in a worker thread so it never blocks the loop;
    sync crypto is CPU work of microseconds and is called inline.
    """
    import asyncio

    value: Any = None
    error: Exception | None = None
    crypto = engine.crypto
    async_crypto = hasattr(crypto, "averify")
    while True:
        try:
            effect = flow.send(value) if error is None else flow.throw(error)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        value = error = None
        try:
            if isinstance(effect, Verify):
                if async_crypto:
                    value = await crypto.averify(effect.alg, effect.key, effect.signature, effect.data)
                else:
                    value = crypto.verify(effect.alg, effect.key, effect.signature, effect.data)
            elif isinstance(effect, ImportKey):
                if async_crypto:
                    value = await crypto.aimport_key(effect.jwk, effect.alg)
                else:
                    value = crypto.import_key(effect.jwk, effect.alg)
            elif isinstance(effect, Fetch):
                transport = engine.need_transport()
                if hasattr(transport, "handle_async_request"):
                    value = await transport.handle_async_request(effect.request)
                else:
                    value = await asyncio.to_thread(transport.handle_request, effect.request)
            elif isinstance(effect, Sleep):
                await asyncio.sleep(effect.seconds)
            else:
                value = await engine.once_async(effect)
        except Exception as exc:
            error = exc
