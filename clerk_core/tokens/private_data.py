"""Private metadata never leaves the server (the reference's ``stripPrivateDataFromObject``).

Frameworks embed the auth state, with the loaded ``user`` and ``organization``,
into pages they render. Before that, ``private_metadata`` must go: from the
resources themselves and from the raw Backend API payload they keep (``raw`` or
``_raw``), at any depth, because a user's payload nests organization
memberships that carry their own organization's private metadata.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from typing import Any, Final, TypeVar, cast

import msgspec

__all__ = ["strip_private_data"]

_T = TypeVar("_T")
_PRIVATE_KEYS: Final = ("private_metadata", "privateMetadata")
_RAW_KEYS: Final = ("raw", "_raw")
_RESOURCE_KEYS: Final = ("user", "organization")
# Values JavaScript would not treat as a resource to copy.
_SCALARS: Final = (bool, int, float, str, bytes)


def strip_private_data(obj: _T) -> _T:
    """A copy of ``obj`` whose ``user`` and ``organization`` hold no private metadata.

    ``obj`` and the resources are mappings (the primary case) or objects. On a
    resource, ``private_metadata``/``privateMetadata`` is removed and a ``raw``/``_raw``
    payload is replaced by a deep copy without those keys at any depth. The
    input is never mutated.

    A mapping comes back as a ``dict``. An object comes back as a copy
    (``msgspec.structs.replace`` for Structs, ``copy.copy`` otherwise) in which
    private fields are set to None, since fields cannot be deleted from every
    kind of object; only instance data is touched, never properties.
    """
    updates = {name: _strip_resource(_get(obj, name)) for name in _RESOURCE_KEYS if name in _fields(obj)}
    return cast(_T, _rebuild(obj, (), updates))


def _strip_resource(resource: Any) -> Any:
    if resource is None or isinstance(resource, _SCALARS):
        return resource
    fields = _fields(resource)
    dropped = tuple(name for name in _PRIVATE_KEYS if name in fields)
    updates = {name: _redact(_get(resource, name)) for name in _RAW_KEYS if name in fields and _get(resource, name)}
    return _rebuild(resource, dropped, updates)


def _redact(value: Any) -> Any:
    """A deep copy of a JSON-like ``value`` without private-metadata keys."""
    if isinstance(value, Mapping):
        return {key: _redact(item) for key, item in value.items() if key not in _PRIVATE_KEYS}
    if isinstance(value, list):
        return [_redact(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_redact(item) for item in value)
    return value


def _fields(obj: Any) -> Collection[Any]:
    """The names that hold data on ``obj``: keys, Struct fields or instance attributes."""
    if isinstance(obj, Mapping):
        return cast(Collection[Any], obj.keys())
    if isinstance(obj, msgspec.Struct):
        return obj.__struct_fields__
    return cast(Collection[Any], getattr(obj, "__dict__", {}))


def _get(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, Mapping) else getattr(obj, name)


def _rebuild(obj: Any, dropped: tuple[str, ...], updates: dict[str, Any]) -> Any:
    """A copy of ``obj`` without ``dropped`` and with ``updates`` applied."""
    if isinstance(obj, Mapping):
        clone = {key: value for key, value in obj.items() if key not in dropped}
        clone.update(updates)
        return clone
    changes = {**dict.fromkeys(dropped), **updates}
    if isinstance(obj, msgspec.Struct):
        return msgspec.structs.replace(obj, **changes)
    clone = copy.copy(obj)
    for name, value in changes.items():
        try:
            setattr(clone, name, value)
        except AttributeError:
            # A frozen dataclass refuses setattr; the clone is ours alone, so
            # writing past the guard cannot affect the caller's object.
            object.__setattr__(clone, name, value)
    return clone
