"""A local Clerk instance for tests and the demo: keys, token minting and a loopback Backend API.

Not part of the pure core: it needs ``cryptography`` and opens sockets. Names are loaded on
first access so that importing :mod:`clerk_core.testing.pytest_plugin` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clerk_core.testing.bapi import MachineTokenKind
    from clerk_core.testing.faults import FaultKind
    from clerk_core.testing.keys import KeyPair, default_keypair
    from clerk_core.testing.minting import (
        mint_handshake_token,
        mint_m2m_token,
        mint_oauth_token,
        mint_session_token,
        sign_jwt,
    )
    from clerk_core.testing.records import RecordedRequest
    from clerk_core.testing.server import LocalClerk

__all__ = [
    "FaultKind",
    "KeyPair",
    "LocalClerk",
    "MachineTokenKind",
    "RecordedRequest",
    "default_keypair",
    "mint_handshake_token",
    "mint_m2m_token",
    "mint_oauth_token",
    "mint_session_token",
    "sign_jwt",
]

_HOMES: dict[str, str] = {
    "FaultKind": "faults",
    "KeyPair": "keys",
    "LocalClerk": "server",
    "MachineTokenKind": "bapi",
    "RecordedRequest": "records",
    "default_keypair": "keys",
    "mint_handshake_token": "minting",
    "mint_m2m_token": "minting",
    "mint_oauth_token": "minting",
    "mint_session_token": "minting",
    "sign_jwt": "minting",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
