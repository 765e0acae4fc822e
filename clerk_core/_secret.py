"""A wrapper that keeps secrets out of reprs, logs and tracebacks.

It is deliberately *not* a ``str`` subclass: structlog's JSON and console
renderers print a ``str`` subclass's raw value whatever its ``__repr__`` says.
"""

from __future__ import annotations

from typing import Final, final

__all__ = ["Secret"]

_MASK: Final = "Secret('***')"


@final
class Secret:
    """Holds a secret string; only :meth:`reveal` gives the value back."""

    __slots__ = ("_fingerprint", "_hash", "_value")

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError("Secret holds a str")
        self._value = value
        self._fingerprint = ""
        self._hash = hash(("Secret", value))  # key caches look secrets up on every verification

    def reveal(self) -> str:
        """The secret itself. Call it only where the value leaves for its destination."""
        return self._value

    @property
    def fingerprint(self) -> str:
        """A short, non-reversible tag to tell secrets apart in logs and cache keys."""
        if not self._fingerprint:  # computed once: it sits on the JWKS lookup path
            import hashlib  # lazily: networkless verification never needs it

            self._fingerprint = hashlib.sha256(self._value.encode()).hexdigest()[:12]
        return self._fingerprint

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return _MASK

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would copy the secret into places we do not control.
        raise TypeError("Secret cannot be pickled")
