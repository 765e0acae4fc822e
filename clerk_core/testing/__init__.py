"""A local Clerk instance for tests and the demo: keys, token minting and a loopback Backend API.

Not part of the pure core: it needs ``cryptography`` and opens sockets. Names are loaded on
first access so that importing :mod:`clerk_core.testing.pytest_plugin` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clerk_core.testing.bapi import MachineTokenKind
    from clerk_core.testing.cookies import build_publishable_key, cookie_suffix, handshake_directives
    from clerk_core.testing.faults import FaultKind
    from clerk_core.testing.keys import KeyPair, default_keypair
    from clerk_core.testing.minting import (
        mint_handshake_token,
        mint_m2m_token,
        mint_oauth_token,
        mint_session_token,
        mint_template_token,
        sign_jwt,
    )
    from clerk_core.testing.records import RecordedRequest
    from clerk_core.testing.server import LocalClerk
    from clerk_core.testing.sessions import LocalSession
    from clerk_core.testing.webhooks import (
        deliver_webhook,
        new_webhook_secret,
        sign_webhook,
        webhook_event_types,
        webhook_payload,
    )

from clerk_core._lazy import lazy_attributes

__all__ = [
    "FaultKind",
    "KeyPair",
    "LocalClerk",
    "LocalSession",
    "MachineTokenKind",
    "RecordedRequest",
    "build_publishable_key",
    "cookie_suffix",
    "default_keypair",
    "deliver_webhook",
    "handshake_directives",
    "mint_handshake_token",
    "mint_m2m_token",
    "mint_oauth_token",
    "mint_session_token",
    "mint_template_token",
    "new_webhook_secret",
    "sign_jwt",
    "sign_webhook",
    "webhook_event_types",
    "webhook_payload",
]

_HOMES: dict[str, str] = {
    "FaultKind": "faults",
    "KeyPair": "keys",
    "LocalClerk": "server",
    "LocalSession": "sessions",
    "MachineTokenKind": "bapi",
    "RecordedRequest": "records",
    "build_publishable_key": "cookies",
    "cookie_suffix": "cookies",
    "default_keypair": "keys",
    "handshake_directives": "cookies",
    "mint_handshake_token": "minting",
    "mint_m2m_token": "minting",
    "mint_oauth_token": "minting",
    "mint_session_token": "minting",
    "mint_template_token": "minting",
    "sign_jwt": "minting",
    "deliver_webhook": "webhooks",
    "new_webhook_secret": "webhooks",
    "sign_webhook": "webhooks",
    "webhook_event_types": "webhooks",
    "webhook_payload": "webhooks",
}


__getattr__, __dir__ = lazy_attributes(__name__, globals(), _HOMES, __all__)
