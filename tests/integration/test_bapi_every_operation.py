"""Every Backend API operation, called through both clients, over real sockets, against the emulator.

Each operation of the spec (and the reference's extra ones) is called with every one of its
parameters, each given a value of its declared kind. The local instance's emulator checks the
request against the same operation strictly, so a parameter sent in the wrong place, under the
wrong name or with the wrong encoding is a 422 and fails the test. Then the test checks what
arrived (method, path, query names, body members) and what came back (the declared model).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from clerk_core.api._extra_operations import EXTRA_OPERATIONS
from clerk_core.api._gen_operations import OPERATIONS
from clerk_core.api.call import response_model
from clerk_core.api.operation import Operation, Param
from clerk_core.api.pages import Page
from clerk_core.errors import APIResponseError
from clerk_core.testing import LocalClerk
from clerk_core.testing.emulator import _HANDLERS
from clerk_core.testing.server import SERVED_BY_INSTANCE
from tests.conftest import Driver

ALL = (*OPERATIONS, *EXTRA_OPERATIONS)
#: Operations answered from state, which may rightly answer 404 for the made-up ids used here.
STATEFUL = frozenset(_HANDLERS) | SERVED_BY_INSTANCE
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
#: Closed enums the emulator's kept resources enforce, as Clerk does.
ENUM_VALUES = {"token_format": "opaque"}


def _value(param: Param) -> Any:
    if param.location == "path":
        return f"{param.wire}_1 ."  # a space and a dot: the client must escape them
    if param.kind == "file":
        return PNG
    if param.location == "body" and not param.wire:
        return [{"email_address": "a@example.com"}]
    if param.wire in ENUM_VALUES:
        return ENUM_VALUES[param.wire]
    return {
        "str": f"{param.wire}-value",
        "int": 3,
        "float": 1.5,
        "bool": True,
        "array": ["a@example.com", "b@example.com"],
        "object": {"key": "value"},
        "any": "anything",
    }[param.kind]


def _expected_path(op: Operation, args: dict[str, Any]) -> str:
    path = op.path
    for param in op.params:
        if param.location == "path":
            path = path.replace("{" + param.wire + "}", quote(args[param.name], safe=""))
    return ("/v1" if op.versioned else "") + path


def test_every_spec_operation_is_covered() -> None:
    assert len(OPERATIONS) == 249
    assert len({op.id for op in ALL}) == len(ALL)


@pytest.mark.parametrize("op", ALL, ids=[op.id for op in ALL])
def test_operation_round_trip(op: Operation, driver: Driver, local_clerk: LocalClerk) -> None:
    client = driver.client(
        secret_key=local_clerk.secret_key,
        machine_secret_key=local_clerk.machine_secret_key,
        api_url=local_clerk.api_url,
        environ={},
    )
    args = {param.name: _value(param) for param in op.params}
    method = getattr(getattr(client, op.group), op.name)
    try:
        result = driver.resolve(method(**args))
    except APIResponseError as exc:
        # Only a kept resource that does not exist may answer 404: the request was routed and checked.
        assert op.id in STATEFUL and exc.status == 404, f"{op.id}: {exc.status} {exc.errors}"
        result = exc

    request = local_clerk.requests[-1]
    assert (request.method, request.path) == (op.method, _expected_path(op, args))
    matched = local_clerk.backend_api.match(request.method, request.path)
    assert matched is not None and matched[0].id == op.id
    assert set(request.query) == {p.wire for p in op.params if p.location == "query"}
    if op.body == "json":
        sent = json.loads(request.body)
        members = {p.wire for p in op.params if p.location == "body" and p.wire}
        assert set(sent) == members if members else isinstance(sent, list)
    elif op.body == "multipart":
        for param in op.params:
            if param.location == "form":
                assert f'name="{param.wire}"'.encode() in request.body
        assert PNG in request.body
    else:
        assert request.body == b""

    if isinstance(result, APIResponseError):
        return
    if op.shape == "none":
        assert result is None
    elif op.shape in ("list", "page"):
        assert isinstance(result, Page)
        if op.response is not None:
            assert all(isinstance(item, response_model(op.response)) for item in result)
            assert op.id in STATEFUL or len(result.data) == 1
    elif op.response is not None:
        assert isinstance(result, response_model(op.response)), type(result)
