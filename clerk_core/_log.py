"""Library logging: silent until the application configures ``logging``.

Events go to the stdlib logger ``clerk_core`` through a structlog wrapper with
our own processor chain (never the global structlog configuration). structlog
is imported on the first event that is actually enabled, so a process that
never turns on ``clerk_core`` logging never pays its ~60 ms import.

Event names are stable dotted strings (``jwks.fetch``). Tokens, cookies and keys
are never passed to a log call; a redaction processor masks any field whose
name looks secret as a second line of defence.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import logging

__all__ = ["Logger", "get_logger", "redact"]

_LOGGER_NAME: Final = "clerk_core"
_SECRET_FIELDS: Final = frozenset(
    {
        "authorization",
        "cookie",
        "jwt_key",
        "machine_secret_key",
        "password",
        "secret",
        "secret_key",
        "session_token",
        "token",
        "webhook_secret",
    }
)

_DEBUG, _INFO, _WARNING = 10, 20, 30  # logging's levels, without importing logging


def redact(_logger: object, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask fields whose names say they hold secrets."""
    for key in event_dict:
        if key.lower() in _SECRET_FIELDS:
            event_dict[key] = "***"
    return event_dict


class Logger:
    """A thin facade: checks the level first, builds the structlog logger lazily.

    ``logging`` itself is imported on the first event: no event is logged on the
    verification path, and importing it costs a few milliseconds of cold start.
    """

    __slots__ = ("_bound", "_name", "_std")

    def __init__(self, name: str) -> None:
        self._name = name
        self._std: logging.Logger | None = None
        self._bound: Any = None

    def _emit(self, level: int, event: str, fields: dict[str, Any]) -> None:
        if self._std is None:
            import logging

            root = logging.getLogger(_LOGGER_NAME)
            if not any(isinstance(h, logging.NullHandler) for h in root.handlers):
                root.addHandler(logging.NullHandler())  # no "last resort" output to stderr
            self._std = logging.getLogger(self._name)
        if not self._std.isEnabledFor(level):
            return
        if self._bound is None:
            import structlog  # lazily: see module docstring

            self._bound = structlog.wrap_logger(
                self._std,
                processors=[redact, structlog.stdlib.render_to_log_kwargs],
                wrapper_class=structlog.stdlib.BoundLogger,
            )
        self._bound.log(level, event, **fields)

    def debug(self, event: str, **fields: Any) -> None:
        """Log a debug event."""
        self._emit(_DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        """Log an info event."""
        self._emit(_INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        """Log a warning event."""
        self._emit(_WARNING, event, fields)


def get_logger(suffix: str = "") -> Logger:
    """The library logger, or a child such as ``clerk_core.jwks``."""
    return Logger(f"{_LOGGER_NAME}.{suffix}" if suffix else _LOGGER_NAME)
