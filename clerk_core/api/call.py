"""The one Backend API call flow: an :class:`~clerk_core.api.operation.Operation` and its
arguments in, a decoded result out, every attempt a ``Fetch`` effect.

Both drivers run this same generator (``Clerk`` synchronously, ``AsyncClerk`` with
``await``); the generated façades only bind arguments. The flow checks path IDs before
anything is sent, encodes the query and body as the reference does, picks the key the
operation needs, retries what is safe to retry within a bounded time, and decodes the
answer with a decoder built once per response type.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec

from .._flow import Fetch, Flow, Sleep
from .._secret import Secret
from ..errors import APIResponseError, ConfigurationError, ConnectError, ResponseDecodeError, TransportError
from ..options import BAPI_VERSION
from ..providers import HttpRequest, HttpResponse
from ._request import error_from_response, join_url
from .operation import UNSET, Operation, Param
from .pages import Page

__all__ = ["CallContext", "ResponseDecodeError", "call", "response_model"]

_IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: Characters of a text excerpt kept in an error about a body that is not Clerk's error shape.
_EXCERPT: Final = 200
ClerkFailure = TransportError | APIResponseError


class CallContext(msgspec.Struct, frozen=True, kw_only=True):
    """What every call of one client shares: where the API is, the keys, the network policy."""

    api_url: str
    api_version: str
    secret_key: Secret | None
    machine_secret_key: Secret | None = None
    #: The ``Clerk-API-Version`` header.
    clerk_api_version: str = BAPI_VERSION
    user_agent: str = "clerk-core"
    #: Seconds allowed for each attempt.
    timeout: float = 10.0
    #: Extra attempts after the first, for what is safe to retry.
    max_retries: int = 2
    #: First back-off delay in seconds; doubles each retry, with jitter x[1, 2).
    retry_backoff: float = 0.5
    #: Seconds one call may take in all, sleeps included; no retry starts past it.
    max_retry_time: float = 60.0
    clock: Callable[[], float] = msgspec.field(default=lambda: 0.0)

    def __repr__(self) -> str:  # never the keys
        return f"CallContext(api_url={self.api_url!r}, api_version={self.api_version!r})"


def call(
    op: Operation,
    args: Mapping[str, Any],
    ctx: CallContext,
    *,
    timeout: float | None = None,
    idempotency_key: str | None = None,
) -> Flow[Any]:
    """Run ``op`` with ``args`` (Python parameter names; :data:`UNSET` values are left out).

    ``idempotency_key`` is the key the operation's body carries, if it honours one: with it
    a POST may be sent again after a 429, a 5xx or a lost connection.
    """
    request = build_request(op, args, ctx, timeout=timeout, idempotency_key=idempotency_key)
    deadline = ctx.clock() + ctx.max_retry_time
    attempt = 0
    while True:
        failure: ClerkFailure
        delay: float | None = None
        try:
            response = yield Fetch(request)
        except TransportError as exc:
            failure = exc
            retryable = _transport_retryable(op, exc, idempotency_key)
        else:
            if 200 <= response.status < 300:
                return decode_response(op, response)
            failure = error_from_response(response, now=ctx.clock())
            retryable = _status_retryable(op, response.status, idempotency_key)
            delay = failure.retry_after
        if not retryable or attempt >= ctx.max_retries:
            raise failure
        if delay is None:
            import random  # lazily: only a failing call needs it

            delay = ctx.retry_backoff * (2**attempt) * (1 + random.random())  # noqa: S311 - jitter, not a secret
        if ctx.clock() + delay > deadline:
            raise failure
        yield Sleep(delay)
        attempt += 1


def _transport_retryable(op: Operation, exc: TransportError, idempotency_key: str | None) -> bool:
    if _safe_to_repeat(op, idempotency_key):
        return True
    return isinstance(exc, ConnectError)  # nothing reached the server: sending again cannot duplicate


def _status_retryable(op: Operation, status: int, idempotency_key: str | None) -> bool:
    return (status == 429 or status >= 500) and _safe_to_repeat(op, idempotency_key)


def _safe_to_repeat(op: Operation, idempotency_key: str | None) -> bool:
    if op.retry == "idempotent":
        return op.method in _IDEMPOTENT_METHODS
    return op.retry == "idempotency-key" and bool(idempotency_key)


# -- building the request --------------------------------------------------------------------


def build_request(
    op: Operation,
    args: Mapping[str, Any],
    ctx: CallContext,
    *,
    timeout: float | None = None,
    idempotency_key: str | None = None,
) -> HttpRequest:
    """The request ``op`` sends for ``args``; raises ConfigurationError before anything is sent."""
    path = op.path
    query: list[tuple[str, str]] = []
    body: dict[str, Any] = {}
    whole_body: Any = UNSET
    form: list[tuple[Param, Any]] = []
    for param in op.params:
        value = args.get(param.name, UNSET)
        if value is UNSET:
            if param.required:
                raise ConfigurationError("invalid-argument", f"{op.group}.{op.name}() needs {param.name}.")
            continue
        if param.location == "path":
            path = path.replace("{" + param.wire + "}", _path_segment(param, value))
        elif param.location == "query":
            if value is not None:
                _add_query(query, param.wire, value)
        elif param.location == "form":
            if value is not None:
                form.append((param, value))
        elif param.wire:
            body[param.wire] = value
        else:
            whole_body = value
    segments = (ctx.api_version, path) if op.versioned else (path,)
    url = join_url(ctx.api_url, *segments)
    if query:
        from ..tokens.request import SearchParams

        url += "?" + str(SearchParams(query))
    headers = [("Clerk-API-Version", ctx.clerk_api_version), ("User-Agent", ctx.user_agent)]
    key = _key(op, ctx)
    if key is not None:
        headers.insert(0, ("Authorization", f"Bearer {key.reveal()}"))
    data: bytes | None = None
    if op.body == "multipart":
        content_type, data = _multipart(form)
        headers.append(("Content-Type", content_type))
    elif op.body == "json" and (body or whole_body is not UNSET):
        data = msgspec.json.encode(body if whole_body is UNSET else whole_body)
        headers.append(("Content-Type", "application/json"))
    if op.idempotency_header and idempotency_key is not None:
        headers.append(("Idempotency-Key", _idempotency_key(idempotency_key)))
    return HttpRequest(
        method=op.method,
        url=url,
        headers=tuple(headers),
        body=data,
        timeout=ctx.timeout if timeout is None else timeout,
    )


def _idempotency_key(key: object) -> str:
    # The reference's rule: it travels in a header, so nothing that could split or smuggle one.
    if (
        not isinstance(key, str)
        or not 1 <= len(key) <= 255
        or not all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
    ):
        raise ConfigurationError(
            "invalid-argument",
            "Idempotency key must contain only ASCII letters, digits, underscores, and hyphens "
            "and cannot exceed 255 characters.",
        )
    return key


def _key(op: Operation, ctx: CallContext) -> Secret | None:
    if op.auth == "none":
        return None
    if op.auth == "machine":
        key = ctx.machine_secret_key
        if key is None:
            raise ConfigurationError(
                "machine-secret-key-missing",
                f"{op.group}.{op.name}() needs a machine secret key (machine_secret_key=).",
            )
        return key
    key = ctx.machine_secret_key if op.auth == "either" and ctx.machine_secret_key is not None else ctx.secret_key
    if key is None:
        raise ConfigurationError(
            "secret-key-missing",
            "Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance.",
        )
    return key


def _path_segment(param: Param, value: object) -> str:
    """A path parameter, escaped; empty values are refused (``.``/``..`` by :func:`join_url`)."""
    if not isinstance(value, (str, int)) or isinstance(value, bool) or value == "":
        raise ConfigurationError("invalid-path", f"A valid resource ID is required ({param.name}).")
    from urllib.parse import quote

    return quote(str(value), safe="")


def _add_query(query: list[tuple[str, str]], name: str, value: object) -> None:
    if isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            query.append((name, _query_text(item)))
    else:
        query.append((name, _query_text(value)))


def _query_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _multipart(form: list[tuple[Param, Any]]) -> tuple[str, bytes]:
    """``multipart/form-data`` from bytes, binary file objects or text values."""
    import secrets

    boundary = "clerk-core-" + secrets.token_hex(16)
    chunks: list[bytes] = []
    for param, value in form:
        disposition = f'form-data; name="{param.wire}"'
        head = ""
        if param.kind == "file":
            content, filename = _file_content(param, value)
            disposition += f'; filename="{filename}"'
            head = "Content-Type: application/octet-stream\r\n"
        else:
            content = (_query_text(value)).encode("utf-8")
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n{head}\r\n".encode())
        chunks.append(content)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)


def _file_content(param: Param, value: Any) -> tuple[bytes, str]:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), param.wire
    read = getattr(value, "read", None)
    if callable(read):
        content = read()
        if isinstance(content, (bytes, bytearray)):
            name = str(getattr(value, "name", "") or param.wire).replace("\\", "/").rsplit("/", 1)[-1]
            return bytes(content), name.replace('"', "")
    raise ConfigurationError("invalid-argument", f"{param.name} must be bytes or a binary file object.")


# -- reading the answer ------------------------------------------------------------------------

_decoders: dict[tuple[str, str, str], msgspec.json.Decoder[Any]] = {}
_decoders_lock = threading.Lock()


def decode_response(op: Operation, response: HttpResponse) -> Any:
    """The 2xx body as the operation's result type (``None`` for an empty body)."""
    if op.shape == "none" or not response.body.strip():
        return None
    try:
        if op.shape == "any" or op.response is None:
            value = msgspec.json.decode(response.body)
            return Page(value, None) if op.shape in ("list", "page") and isinstance(value, list) else value
        decoded = _decoder(op).decode(response.body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ResponseDecodeError(
            f"The Backend API answered {op.method} {op.path} with a body that is not a {op.response}: {exc}",
            status=response.status,
        ) from None
    if op.shape == "list":
        return Page(decoded, None)
    if op.shape == "page":
        return Page(decoded.items, decoded.total_count)
    return decoded


def _decoder(op: Operation) -> msgspec.json.Decoder[Any]:
    assert op.response is not None
    key = (op.response, op.shape, op.page_key)
    decoder = _decoders.get(key)
    if decoder is None:
        with _decoders_lock:
            decoder = _decoders.get(key)
            if decoder is None:
                decoder = _decoders[key] = msgspec.json.Decoder(_result_type(op.response, op.shape, op.page_key))
    return decoder


def response_model(name: str) -> type:
    """The model an operation's ``response`` names."""
    from . import models, schemas

    # Spec schemas first; the hand-written models serve the operations the spec lacks.
    model: type = getattr(schemas, name, None) or getattr(models, name)
    return model


def _result_type(response: str, shape: str, page_key: str) -> Any:
    model = response_model(response)
    if shape == "list":
        return list[model]  # type: ignore[valid-type]
    if shape == "page":
        return msgspec.defstruct(
            f"{response}Page",
            [
                ("items", list[model], msgspec.field(name=page_key, default_factory=list)),  # type: ignore[valid-type]
                ("total_count", int | None, None),
            ],
            kw_only=True,
        )
    return model
