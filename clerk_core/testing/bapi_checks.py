"""The Backend API emulator's two schema-driven halves: checking a request, building a response.

Both read the client's own operation data (:mod:`clerk_core.api`) and the generated models, so
the emulator knows every operation of the spec without a second description of it. A request
is checked strictly (an unknown, missing or mistyped parameter is Clerk's 422), because the
emulator's first job is to catch a client that encodes a call wrongly. A response is built from
the operation's model: every field present, typed as the spec says, ids prefixed.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import time
from collections.abc import Mapping
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Final

import msgspec

from clerk_core.api.call import response_model
from clerk_core.api.operation import Operation, Param

__all__ = ["RequestProblem", "check_request", "object_tag", "sample_object", "sample_response"]

#: How deep nested objects are filled in; deeper ones are ``null`` (the models accept it).
_MAX_DEPTH: Final = 3
_BOOLS: Final = {"true": True, "false": False}


class RequestProblem(Exception):
    """A request the Backend API would refuse: ``status`` and a Clerk error body."""

    def __init__(self, status: int, code: str, long_message: str, param: str | None = None) -> None:
        super().__init__(long_message)
        self.status = status
        error: dict[str, Any] = {"code": code, "message": code.replace("_", " "), "long_message": long_message}
        if param is not None:
            error["meta"] = {"param_name": param}
        self.body = {"errors": [error], "clerk_trace_id": secrets.token_hex(16)}


def _missing(name: str) -> RequestProblem:
    return RequestProblem(422, "form_param_missing", f"{name} must be included.", name)


def _unknown(name: str) -> RequestProblem:
    return RequestProblem(422, "form_param_unknown", f"{name} is not a valid parameter for this request.", name)


def _invalid(name: str, kind: str) -> RequestProblem:
    return RequestProblem(422, "form_param_format_invalid", f"{name} must be a valid {kind}.", name)


def _query_value(param: Param, text: str) -> Any:
    kind = param.kind
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        raise _invalid(param.wire, kind) from None
    if kind == "bool":
        if text not in _BOOLS:
            raise _invalid(param.wire, "boolean (true or false)")
        return _BOOLS[text]
    return text


def _json_kind_fits(kind: str, value: Any) -> bool:
    if value is None or kind in ("any", "file"):
        return True
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    return isinstance(value, dict)  # object


def _multipart_fields(body: bytes, content_type: str) -> dict[str, Any]:
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise RequestProblem(400, "bad_request", "The request must be multipart/form-data with a boundary.")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise RequestProblem(400, "bad_request", "The multipart body could not be parsed.")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise RequestProblem(400, "bad_request", "A multipart part has no name.")
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        fields[name] = raw if part.get_filename() is not None else raw.decode("utf-8", "replace")
    return fields


def check_request(
    op: Operation, query: Mapping[str, list[str]], body: bytes, content_type: str
) -> tuple[dict[str, Any], Any]:
    """The request's query and body values, checked against ``op``; :class:`RequestProblem` if wrong.

    Query values come back typed (one value, or a list for array parameters); the body as
    decoded JSON (an object, or the array of a bulk endpoint), or the multipart fields with
    files as ``bytes``.
    """
    by_wire = {p.wire: p for p in op.params if p.location == "query"}
    values: dict[str, Any] = {}
    for wire, texts in query.items():
        param = by_wire.get(wire)
        if param is None:
            raise _unknown(wire)
        typed = [_query_value(param, text) for text in texts]
        values[wire] = typed if param.kind == "array" else typed[-1]
    for param in by_wire.values():
        if param.required and param.wire not in values:
            raise _missing(param.wire)
    return values, _check_body(op, body, content_type)


def _check_body(op: Operation, body: bytes, content_type: str) -> Any:
    members = {p.wire: p for p in op.params if p.location in ("body", "form")}
    if op.body is None:
        if body.strip():
            raise RequestProblem(400, "bad_request", f"{op.method} {op.path} takes no request body.")
        return None
    if op.body == "multipart":
        fields = _multipart_fields(body, content_type)
    else:
        # No body at all is an empty one (an operation whose members are all optional); its
        # required members, if any, are reported missing below.
        if body.strip() and not content_type.lower().startswith("application/json"):
            raise RequestProblem(400, "bad_request", "The request body must be application/json.")
        try:
            fields = json.loads(body) if body.strip() else {}
        except ValueError:
            raise RequestProblem(400, "bad_request", "The request body is not valid JSON.") from None
        whole = members.get("")
        if whole is not None:
            if not _json_kind_fits(whole.kind, fields):
                raise _invalid("body", whole.kind)
            return fields
        if not isinstance(fields, dict):
            raise RequestProblem(400, "bad_request", "The request body must be a JSON object.")
    for name, value in fields.items():
        param = members.get(name)
        if param is None:
            raise _unknown(name)
        if op.body == "json" and not _json_kind_fits(param.kind, value):
            raise _invalid(name, param.kind)
    for param in members.values():
        if param.required and param.wire not in fields:
            raise _missing(param.wire)
    return fields


# -- responses -------------------------------------------------------------------------------


def object_tag(model: type) -> str:
    """The ``object`` value for a model: its name in snake_case (``OrganizationMembership`` →
    ``organization_membership``), which is what Clerk sends for the resources it names."""
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", model.__name__).lower()


@functools.cache
def _fields(model: type) -> tuple[Any, ...]:
    info = msgspec.inspect.type_info(model)
    assert isinstance(info, msgspec.inspect.StructType)
    return info.fields


def sample_object(model: type, *, depth: int = 0) -> dict[str, Any]:
    """An instance of ``model`` as JSON: every field, each of the type the spec gives it."""
    return {field.encode_name: _sample(field.name, field.type, model, depth) for field in _fields(model)}


def _sample(name: str, kind: Any, owner: type, depth: int) -> Any:
    inspect = msgspec.inspect
    if isinstance(kind, inspect.UnionType):
        concrete = [t for t in kind.types if not isinstance(t, inspect.NoneType)]
        return _sample(name, concrete[0], owner, depth) if concrete else None
    if isinstance(kind, inspect.StrType):
        if name == "object":
            return object_tag(owner)
        if name == "id":
            return f"{object_tag(owner).split('_')[0][:4]}_{secrets.token_hex(12)}"
        return f"{name}_sample"
    if isinstance(kind, inspect.BoolType):
        return False
    if isinstance(kind, inspect.IntType):
        return int(time.time() * 1000) if name.endswith("_at") else 0
    if isinstance(kind, inspect.FloatType):
        return 0.0
    if isinstance(kind, inspect.LiteralType):
        return kind.values[0]
    if isinstance(kind, inspect.ListType):
        return [_sample(name, kind.item_type, owner, depth + 1)] if depth < _MAX_DEPTH - 1 else []
    if isinstance(kind, inspect.StructType):
        return sample_object(kind.cls, depth=depth + 1) if depth < _MAX_DEPTH else None
    if isinstance(kind, inspect.DictType):
        return {}
    return None


def sample_response(op: Operation) -> tuple[int, Any]:
    """Status and body of a successful answer to ``op``, built from its response model."""
    if op.shape == "none":
        return 204, None
    if op.response is None:
        return 200, {}
    item = sample_object(response_model(op.response))
    if op.shape == "list":
        return 200, [item]
    if op.shape == "page":
        return 200, {op.page_key: [item], "total_count": 1}
    return 200, item
