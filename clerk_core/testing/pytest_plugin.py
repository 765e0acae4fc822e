"""pytest fixtures for applications that verify Clerk tokens.

Enable with ``-p clerk_core.testing.pytest_plugin`` (or through the package's ``pytest11``
entry point). Fixtures:

* ``clerk_keys`` (session scope): the shared RS256 :class:`~clerk_core.testing.KeyPair`
  (kid ``ins_local_1``), generated once per run.
* ``local_clerk`` (function scope): a started :class:`~clerk_core.testing.LocalClerk`
  publishing ``clerk_keys``, with fresh secret keys, no faults and an empty request log;
  stopped when the test ends. Starting one costs about a millisecond, so each test gets
  its own rather than sharing state through ``reset()``.

Heavy imports (``cryptography``) happen inside the fixtures, not when pytest loads the plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from clerk_core.testing.keys import KeyPair
    from clerk_core.testing.server import LocalClerk

__all__ = ["clerk_keys", "local_clerk"]


@pytest.fixture(scope="session")
def clerk_keys() -> KeyPair:
    """The session-wide signing key shared by every ``local_clerk``."""
    from clerk_core.testing.keys import default_keypair

    return default_keypair()


@pytest.fixture
def local_clerk(clerk_keys: KeyPair) -> Iterator[LocalClerk]:
    """A running local Backend API for one test; mint tokens with ``local_clerk.session_token()``."""
    from clerk_core.testing.server import LocalClerk

    with LocalClerk(keys=[clerk_keys]) as clerk:
        yield clerk
