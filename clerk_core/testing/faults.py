"""Fault injection for the local instance: the failures a real Backend API can show."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, get_args

__all__ = ["Fault", "FaultKind", "FaultPlan"]

#: ``down``: close the connection without a response; ``slow``: wait ``delay`` seconds, then
#: answer normally; ``status``: answer ``status`` with an ``internal_error`` body, and with
#: ``Retry-After`` when ``retry_after`` is set (as Clerk's 429s do); ``bad_json``: 200 with a
#: body that is not JSON; ``empty_keys``: 200 ``{"keys": []}``; ``unauthorized``: 401
#: ``clerk_key_invalid``.
FaultKind = Literal["down", "slow", "status", "bad_json", "empty_keys", "unauthorized"]
_KINDS: frozenset[str] = frozenset(get_args(FaultKind))


@dataclass(frozen=True)
class Fault:
    """One configured failure mode."""

    kind: FaultKind
    delay: float = 0.0
    status: int = 503
    retry_after: int | None = None


class FaultPlan:
    """The active fault and how many more requests it applies to; safe across handler threads."""

    def __init__(self) -> None:
        """Start with no fault."""
        self._lock = threading.Lock()
        self._fault: Fault | None = None
        self._remaining: int | None = None

    def set(
        self,
        kind: FaultKind,
        *,
        times: int | None = None,
        delay: float = 0.0,
        status: int = 503,
        retry_after: int | None = None,
    ) -> None:
        """Replace the active fault; ``times=None`` keeps it until cleared."""
        if kind not in _KINDS:
            raise ValueError(f"Unknown fault kind {kind!r}; expected one of {sorted(_KINDS)}")
        if times is not None and times < 0:
            raise ValueError("times must be >= 0 or None")
        if delay < 0:
            raise ValueError("delay must be >= 0")
        if not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code")
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must be >= 0 seconds or None")
        with self._lock:
            if times == 0:
                self._fault, self._remaining = None, None
            else:
                self._fault, self._remaining = Fault(kind, delay, status, retry_after), times

    def clear(self) -> None:
        """Return to normal service."""
        with self._lock:
            self._fault, self._remaining = None, None

    @property
    def active(self) -> Fault | None:
        """The fault the next request would get, without consuming it."""
        with self._lock:
            return self._fault

    def take(self) -> Fault | None:
        """The fault for the request being handled, counting it against ``times``."""
        with self._lock:
            fault = self._fault
            if fault is not None and self._remaining is not None:
                self._remaining -= 1
                if self._remaining <= 0:
                    self._fault, self._remaining = None, None
            return fault
