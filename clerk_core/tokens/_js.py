"""JavaScript value semantics the reference relies on, for JSON values read from tokens."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["UNDEFINED", "js_truthy"]

#: JavaScript's ``undefined``: a claim that is absent, as opposed to ``null``.
UNDEFINED: Final[Any] = object()


def js_truthy(value: Any) -> bool:
    """JavaScript's ``!!value`` for a JSON value (objects and arrays are truthy even when empty)."""
    if value is UNDEFINED or value is None or value is False:
        return False
    if isinstance(value, (int, float, str)):
        return bool(value) and value == value  # NaN is falsy
    return True
