"""Shared fixtures: keys, a pinned clock, and a driver that runs a client sync or async.

The ``driver`` fixture is parametrized over both flavours, so a test written
once proves Clerk and AsyncClerk behave identically (same results, same
errors) through the two drivers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from clerk_core import AsyncClerk, Clerk
from clerk_core.hookspecs import hookimpl
from clerk_core.providers import Clock, Runtime
from clerk_core.testing import KeyPair, default_keypair

#: The reference SDK's fixture time (its mock JWT's ``iat``): Mon, 24 Oct 2022 21:50:50 GMT.
FIXED_NOW = 1666648250.0


class PinnedClock:
    """A clock plugin whose time the test sets."""

    def __init__(self, now: float = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    @hookimpl
    def clerk_clock(self, runtime: Runtime) -> Clock:
        return self


class Driver:
    """Builds a client of one flavour and calls its methods, awaiting when async."""

    def __init__(self, flavor: str) -> None:
        self.flavor = flavor
        self.loop = asyncio.new_event_loop() if flavor == "async" else None
        self.clients: list[Clerk | AsyncClerk] = []

    def client(self, **options: Any) -> Clerk | AsyncClerk:
        options.setdefault("load_entry_points", False)
        options.setdefault("retry_backoff", 0.0)
        client = (AsyncClerk if self.flavor == "async" else Clerk)(**options)
        self.clients.append(client)
        return client

    def call(self, client: Clerk | AsyncClerk, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(client, method)(*args, **kwargs)
        if self.loop is not None:
            return self.loop.run_until_complete(result)
        return result

    def resolve(self, value: Any) -> Any:
        """A value from a sync client, or the awaited result of an async client's call."""
        if self.loop is not None:
            return self.loop.run_until_complete(value)
        return value

    def close(self) -> None:
        for client in self.clients:
            if isinstance(client, AsyncClerk):
                assert self.loop is not None
                self.loop.run_until_complete(client.aclose())
            else:
                client.close()
        if self.loop is not None:
            self.loop.close()


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    """Run the test once with Clerk and once with AsyncClerk."""
    instance = Driver(request.param)
    yield instance
    instance.close()


@pytest.fixture
def clock() -> PinnedClock:
    """A clock pinned at FIXED_NOW; pass it in ``plugins=[clock]``."""
    return PinnedClock()


@pytest.fixture(scope="session")
def keys() -> KeyPair:
    """The session's signing key (kid ``ins_local_1``)."""
    return default_keypair()


@pytest.fixture(scope="session")
def other_keys() -> KeyPair:
    """A second, unrelated key (kid ``ins_other``)."""
    return KeyPair.generate(kid="ins_other")
