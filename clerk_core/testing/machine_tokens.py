"""The local instance's machine credentials: M2M tokens, OAuth access tokens and API keys.

One registry serves both sides of the instance: the Backend API operations that create, list,
revoke and delete credentials (:mod:`clerk_core.testing.emulator_machines`) and the verify routes
that :func:`~clerk_core.verify_token` and ``authenticate_request`` call. A credential is kept as
the object the verify route answers with, under its secret; the secret is never in that object.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Mapping
from typing import Any

from clerk_core.testing.bapi import MachineTokenKind

__all__ = ["MachineTokens", "is_usable"]


def is_usable(obj: Mapping[str, Any], now_ms: int | None = None) -> bool:
    """Whether a credential verifies: not revoked, not expired (``expiration`` is in ms)."""
    if obj.get("revoked") or obj.get("expired"):
        return False
    expiration = obj.get("expiration")
    now = int(time.time() * 1000) if now_ms is None else now_ms
    return not (isinstance(expiration, (int, float)) and expiration <= now)


class MachineTokens:
    """Credentials by (kind, secret); thread-safe. Lookups return copies."""

    def __init__(self) -> None:
        """Start empty."""
        self._lock = threading.Lock()
        self._objects: dict[tuple[MachineTokenKind, str], dict[str, Any]] = {}

    def register(self, kind: MachineTokenKind, secret: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Keep ``obj`` as what ``secret`` verifies to; replaces an earlier registration."""
        kept = copy.deepcopy(dict(obj))
        with self._lock:
            self._objects[(kind, secret)] = kept
        return copy.deepcopy(kept)

    def lookup(self, kind: MachineTokenKind, secret: str) -> dict[str, Any] | None:
        """The object ``secret`` verifies to, revoked or not."""
        with self._lock:
            obj = self._objects.get((kind, secret))
            return copy.deepcopy(obj) if obj is not None else None

    def of_kind(self, kind: MachineTokenKind) -> list[tuple[str, dict[str, Any]]]:
        """Every (secret, object) of ``kind``, oldest first."""
        with self._lock:
            return [(secret, copy.deepcopy(obj)) for (k, secret), obj in self._objects.items() if k == kind]

    def find(self, kind: MachineTokenKind, token_id: str) -> tuple[str, dict[str, Any]] | None:
        """The (secret, object) whose ``id`` is ``token_id``."""
        with self._lock:
            for (k, secret), obj in self._objects.items():
                if k == kind and obj.get("id") == token_id:
                    return secret, copy.deepcopy(obj)
        return None

    def update(self, kind: MachineTokenKind, token_id: str, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply ``changes`` to the credential ``token_id``; its new object, or ``None``."""
        with self._lock:
            for (k, _secret), obj in self._objects.items():
                if k == kind and obj.get("id") == token_id:
                    obj.update(copy.deepcopy(dict(changes)))
                    return copy.deepcopy(obj)
        return None

    def remove(self, kind: MachineTokenKind, token_id: str) -> bool:
        """Forget the credential ``token_id``; True if it existed."""
        with self._lock:
            for key, obj in list(self._objects.items()):
                if key[0] == kind and obj.get("id") == token_id:
                    del self._objects[key]
                    return True
        return False

    def clear(self) -> None:
        """Forget every credential."""
        with self._lock:
            self._objects.clear()
