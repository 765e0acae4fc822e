"""Backend API operations as data: what one call sends and what it gets back.

Every operation of the spec is an :class:`Operation` literal in the generated
``_gen_operations`` module (and a few hand-written ones in ``_extra_operations``);
the one call flow (:mod:`clerk_core.api.call`) reads nothing else. See
docs/design.md, "The Backend API client".
"""

from __future__ import annotations

from typing import Final, Literal

import msgspec

__all__ = ["UNSET", "Operation", "Param", "Unset"]

Location = Literal["path", "query", "body", "form"]
#: ``file`` is a multipart part (bytes, a binary file object or a path); ``any`` is passed through.
Kind = Literal["str", "int", "float", "bool", "array", "object", "file", "any"]
#: ``object``: one model; ``list``: a JSON array; ``page``: ``{data: [...], total_count}``;
#: ``none``: no body (204); ``any``: JSON decoded without a model.
Shape = Literal["object", "list", "page", "none", "any"]
#: ``idempotent``: retried on 429, 5xx and transport errors; ``if-not-sent``: retried only when
#: no byte reached the server; ``idempotency-key``: also retried when the caller passed one.
RetryPolicy = Literal["idempotent", "if-not-sent", "idempotency-key"]
#: ``either``: the machine secret key when the client has one, else the secret key.
Auth = Literal["secret", "machine", "either", "none"]


class Unset:
    """The type of :data:`UNSET`: a parameter the caller did not give (``None`` is sent as ``null``)."""

    __slots__ = ()
    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNSET"


#: The default of every optional parameter: left out of the request.
UNSET: Final = Unset()


class Param(msgspec.Struct, frozen=True, array_like=True):
    """One parameter: ``wire`` name, Python ``name``, where it goes, its kind, whether required.

    A ``body`` parameter whose ``wire`` is ``""`` is the whole JSON body (bulk endpoints send
    an array).
    """

    wire: str
    name: str
    location: Location
    kind: Kind
    required: bool = False


class Operation(msgspec.Struct, frozen=True, kw_only=True):
    """One Backend API operation. ``response`` names a model in :mod:`clerk_core.api.schemas`."""

    id: str
    group: str
    name: str
    method: str
    path: str
    params: tuple[Param, ...] = ()
    body: Literal["json", "multipart"] | None = None
    response: str | None = None
    shape: Shape = "object"
    #: The JSON key that holds a page's items (``data``; ``m2m_tokens`` for M2M token lists).
    page_key: str = "data"
    #: Whether the URL carries the version segment (``/v1``); the reference leaves it out for
    #: API keys, M2M tokens and the OAuth access-token verification.
    versioned: bool = True
    auth: Auth = "secret"
    retry: RetryPolicy = "idempotent"
    #: Whether the per-call idempotency key travels as an ``Idempotency-Key`` header (the
    #: endpoint honours one); otherwise it is a body parameter of the operation's own.
    idempotency_header: bool = False
    deprecated: bool = False
    summary: str = ""

    @property
    def paginated(self) -> bool:
        """Whether the operation walks ``limit``/``offset`` pages."""
        names = {p.wire for p in self.params if p.location == "query"}
        return self.shape in ("list", "page") and {"limit", "offset"} <= names
