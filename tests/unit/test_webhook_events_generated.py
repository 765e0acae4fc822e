"""The generated webhook event models are in step with Clerk's schemas, and every example decodes.

The spec is read here independently (PyYAML), so a missing event type or example fails even if
the generator dropped it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from clerk_core.api import schemas
from clerk_core.testing import new_webhook_secret, sign_webhook, webhook_event_types
from clerk_core.testing._webhook_examples import EXAMPLES
from clerk_core.webhooks import verify_webhook
from clerk_core.webhooks._gen_events import EVENT_DATA_MODELS, EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "specs" / "clerk-webhooks-2025-04-15.yml"
SPEC_EVENTS = sorted(yaml.safe_load(SPEC.read_text(encoding="utf-8"))["x-webhooks"])


def test_generated_modules_are_not_stale() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.generate_webhooks", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_every_event_type_has_a_model_and_an_example() -> None:
    assert len(SPEC_EVENTS) == 45
    assert sorted(EVENT_DATA_MODELS) == sorted(EXAMPLES) == SPEC_EVENTS == sorted(EVENT_TYPES)
    assert sorted(webhook_event_types()) == SPEC_EVENTS


@pytest.mark.parametrize("event_type", SPEC_EVENTS)
def test_each_example_decodes_to_its_typed_model(event_type: str) -> None:
    example = EXAMPLES[event_type]
    assert example["type"] == event_type
    model = EVENT_DATA_MODELS[event_type]
    data = msgspec.json.decode(msgspec.json.encode(example["data"]), type=model)
    assert isinstance(data, model)
    # And through verification, as a handler gets it.
    secret = new_webhook_secret()
    body = json.dumps(example).encode()
    event = verify_webhook(sign_webhook(body, secret=secret), body, signing_secret=secret, environ={})
    assert event.typed and isinstance(event.data, model) and event.data_dict == example["data"]


def test_spot_values_match_the_examples() -> None:
    user = msgspec.convert(EXAMPLES["user.created"]["data"], EVENT_DATA_MODELS["user.created"])
    raw = EXAMPLES["user.created"]["data"]
    assert (user.id, user.first_name, user.email_addresses) == (
        raw["id"],
        raw["first_name"],
        [],
    )  # the example has none
    membership = msgspec.convert(
        EXAMPLES["organizationMembership.created"]["data"], EVENT_DATA_MODELS["organizationMembership.created"]
    )
    raw = EXAMPLES["organizationMembership.created"]["data"]
    assert membership.organization.id == raw["organization"]["id"]
    assert membership.public_user_data.user_id == raw["public_user_data"]["user_id"]
    session = msgspec.convert(EXAMPLES["session.created"]["data"], EVENT_DATA_MODELS["session.created"])
    assert session.user_id == EXAMPLES["session.created"]["data"]["user_id"]


def test_the_sharing_rule_uses_the_backend_api_models() -> None:
    assert EVENT_DATA_MODELS["user.created"] is schemas.User
    assert EVENT_DATA_MODELS["organizationMembership.updated"] is schemas.OrganizationMembership
    assert EVENT_DATA_MODELS["user.deleted"] is schemas.DeletedObject
    assert EVENT_DATA_MODELS["session.ended"].__module__ == "clerk_core.webhooks._gen_events"


def test_user_data_is_tolerant() -> None:
    data: dict[str, Any] = dict(EXAMPLES["user.created"]["data"])
    data["brand_new_field"] = {"x": 1}
    data["object"] = "user_v2"  # an enum-like value the schema does not list
    del data["id"]
    data["first_name"] = None
    user = msgspec.convert(data, EVENT_DATA_MODELS["user.created"])
    assert (user.id, user.first_name, user.object) == (None, None, "user_v2")
