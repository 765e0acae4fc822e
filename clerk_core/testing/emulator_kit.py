"""What every part of the Backend API emulator shares: the answer, the checked call, listings.

The emulator (:mod:`clerk_core.testing.emulator`) routes and checks a request; the handlers
that keep state live beside it, one module per family of resources, and speak through these.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from clerk_core.api.operation import Operation
from clerk_core.testing import bapi

if TYPE_CHECKING:
    from clerk_core.testing.emulator import BackendApiEmulator

__all__ = ["Call", "Handler", "Reply", "clerk_error", "deep_merge", "found", "listing", "now_ms", "one", "wanted"]


@dataclass(frozen=True)
class Reply:
    """An answer: ``status`` and a JSON-able ``body`` (``None``: no body, as for 204)."""

    status: int
    body: Any


class Call(NamedTuple):
    """One checked request: its operation, path arguments, query values and body."""

    op: Operation
    args: dict[str, str]
    values: dict[str, Any]
    body: Any


Handler = Callable[["BackendApiEmulator", Call], Reply]


def now_ms() -> int:
    """The current time in milliseconds, as the Backend API stamps records."""
    return int(time.time() * 1000)


def deep_merge(into: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Clerk's metadata merge: nested objects merged, ``null`` deletes a key."""
    for key, value in patch.items():
        if value is None:
            into.pop(key, None)
        elif isinstance(value, dict) and isinstance(into.get(key), dict):
            deep_merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)
    return into


def one(args: Mapping[str, str]) -> str:
    """The only (or first) path argument."""
    return next(iter(args.values()))


def wanted(values: Mapping[str, Any], name: str) -> set[Any] | None:
    """The values a list filter asks for (a scalar or an array query parameter), or ``None``."""
    asked = values.get(name)
    if asked is None or asked == []:
        return None
    return set(asked) if isinstance(asked, list) else {asked}


def listing(op: Operation, records: Iterable[dict[str, Any]], values: Mapping[str, Any]) -> Reply:
    """A list answer: ordered by ``order_by`` (default newest first), windowed by ``limit``/``offset``."""
    items = list(records)
    order = values.get("order_by", "-created_at")
    field = order.lstrip("+-")
    if items and field in items[0]:
        items = sorted(items, key=lambda record: (record.get(field) is None, record.get(field) or 0))
        if order.startswith("-"):
            items.reverse()
    total = len(items)
    offset = int(values.get("offset") or 0)
    limit = values.get("limit")
    window = items[offset : offset + int(limit)] if limit is not None else items[offset:]
    page = copy.deepcopy(window)
    if op.shape == "page":
        return Reply(200, {op.page_key: page, "total_count": total})
    return Reply(200, page)


def found(record: Mapping[str, Any] | None) -> Reply:
    """The record (a copy), or Clerk's 404."""
    return Reply(200, copy.deepcopy(dict(record))) if record is not None else Reply(404, bapi.not_found())


def clerk_error(
    status: int, code: str, long_message: str, *, message: str | None = None, param: str | None = None
) -> Reply:
    """An error answer in Clerk's shape; ``param`` names the request member it is about."""
    error: dict[str, Any] = {"code": code, "message": message or long_message, "long_message": long_message}
    if param is not None:
        error["meta"] = {"param_name": param}
    return Reply(status, {"errors": [error], "clerk_trace_id": secrets.token_hex(16)})
