"""What the local instance saw: one :class:`RecordedRequest` per HTTP request."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RecordedRequest"]

#: Header names whose values carry credentials; masked in reprs.
_SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_MASK = "***"


@dataclass(frozen=True, repr=False)
class RecordedRequest:
    """A request received by :class:`~clerk_core.testing.LocalClerk`, exactly as sent.

    ``headers`` has lower-cased names (repeated headers joined with ``", "``); ``query``
    maps each parameter to all of its values. The repr masks credential headers, query
    values and the body, because they routinely hold secret keys and tokens.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def bearer(self) -> str | None:
        """The Bearer credential from the Authorization header, if any."""
        value = self.headers.get("authorization", "")
        scheme, _, credential = value.partition(" ")
        return credential.strip() if scheme.lower() == "bearer" else None

    def __repr__(self) -> str:
        headers = {name: _MASK if name in _SENSITIVE_HEADERS else value for name, value in self.headers.items()}
        query = dict.fromkeys(self.query, _MASK)
        return (
            f"RecordedRequest(method={self.method!r}, path={self.path!r}, query={query!r}, "
            f"headers={headers!r}, body=<{len(self.body)} bytes>)"
        )

    __str__ = __repr__
