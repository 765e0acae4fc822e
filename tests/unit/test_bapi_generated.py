"""The generated Backend API client is in step with the spec: nothing stale, nothing missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clerk_core.api import _gen_async, _gen_operations, _gen_sync, models, schemas
from clerk_core.api._extra_operations import EXTRA_OPERATIONS
from clerk_core.api.operation import Operation

ROOT = Path(__file__).resolve().parents[2]
INDEX = ROOT.parent / "shared" / "specs" / "clerk-bapi-2026-05-12.operations.json"
SPEC_OPERATIONS = json.loads(INDEX.read_text(encoding="utf-8"))["operations"]
BY_ID = {op.id: op for op in _gen_operations.OPERATIONS}


def test_generated_modules_are_not_stale() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.generate_bapi", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_every_spec_operation_is_an_operation() -> None:
    missing = [op["operationId"] for op in SPEC_OPERATIONS if op["operationId"] not in BY_ID]
    assert missing == []
    assert len(SPEC_OPERATIONS) == 249


@pytest.mark.parametrize("entry", SPEC_OPERATIONS, ids=lambda e: e["operationId"])
def test_operation_routes_as_the_spec_says(entry: dict[str, object]) -> None:
    op = BY_ID[str(entry["operationId"])]
    assert (op.method, op.path) == (entry["method"], entry["path"])
    assert [p.wire for p in op.params if p.location == "path"] == entry["path_params"]
    assert sorted(p.wire for p in op.params if p.location == "query") == sorted(entry["query_params"])  # type: ignore[type-var]
    content = entry["request_content_types"]
    assert op.body == ("multipart" if "multipart/form-data" in content else "json" if content else None)  # type: ignore[operator]
    if entry["success_status"] == ["204"]:
        assert op.shape == "none"


@pytest.mark.parametrize("op", _gen_operations.OPERATIONS + EXTRA_OPERATIONS, ids=lambda op: op.id)
def test_every_operation_has_a_method_on_both_facades(op: Operation) -> None:
    for module, groups in ((_gen_sync, _gen_sync.SyncGroups), (_gen_async, _gen_async.AsyncGroups)):
        resource = groups.__dict__[op.group].func.__annotations__["return"]
        cls = getattr(module, resource)
        assert callable(getattr(cls, op.name)), (module.__name__, op.group, op.name)
    if op.response is not None:
        assert hasattr(schemas, op.response) or hasattr(models, op.response)


def test_names_follow_the_official_python_sdk() -> None:
    # A sample of the official SDK's (clerk-backend-api 7.0.0) group.method names.
    expected = {
        "GetUserList": ("users", "list"),
        "GetUser": ("users", "get"),
        "GetOAuthAccessToken": ("users", "get_o_auth_access_token"),
        "ListOrganizations": ("organizations", "list"),
        "CreateOrganizationMembership": ("organization_memberships", "create"),
        "GetJWKS": ("jwks", "get_jwks"),
        "ReplaceUserEmailAddress": ("email_addresses", "replace_for_user"),
        "getApiKeys": ("api_keys", "get_api_keys"),
        "GetInstanceProtect": ("instance_settings", "get_instance_protect"),
    }
    assert {op_id: (BY_ID[op_id].group, BY_ID[op_id].name) for op_id in expected} == expected
