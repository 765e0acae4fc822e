"""Webhook deliveries for tests: events from Clerk's examples, signed and sent as Svix sends them.

::

    from clerk_core.testing import deliver_webhook, new_webhook_secret, webhook_payload

    secret = new_webhook_secret()
    payload = webhook_payload("user.created", data={"first_name": "Ada"})
    status, body = deliver_webhook("http://127.0.0.1:8000/webhooks", payload, secret=secret)

:class:`~clerk_core.testing.LocalClerk` offers the same through ``local.deliver_webhook(...)``
with its own ``local.webhook_secret``. Signing is Standard Webhooks' HMAC-SHA256 over
``"{id}.{timestamp}.{body}"``, written here on the standard library independently of the
verifier in :mod:`clerk_core.webhooks`.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, Literal

__all__ = ["deliver_webhook", "new_webhook_secret", "sign_webhook", "webhook_event_types", "webhook_payload"]


def new_webhook_secret() -> str:
    """A fresh signing secret in Clerk's form: ``whsec_`` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix("whsec_")
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)


def sign_webhook(
    body: bytes | str,
    *,
    secret: str,
    msg_id: str | None = None,
    timestamp: int | None = None,
    header_names: Literal["svix", "webhook"] = "svix",
) -> dict[str, str]:
    """The three headers Clerk sends with ``body``: id, timestamp and ``v1,<signature>``.

    ``msg_id`` defaults to a random ``msg_…``, ``timestamp`` to now (seconds); ``header_names``
    ``"webhook"`` gives the Standard Webhooks names instead of Svix's.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    message_id = msg_id if msg_id is not None else "msg_" + secrets.token_hex(14)[:27]
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    signed = f"{message_id}.{stamp}.".encode() + raw
    signature = base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode("ascii")
    return {
        f"{header_names}-id": message_id,
        f"{header_names}-timestamp": str(stamp),
        f"{header_names}-signature": f"v1,{signature}",
    }


def _examples() -> Mapping[str, Mapping[str, Any]]:
    from clerk_core.testing._webhook_examples import EXAMPLES

    return EXAMPLES


def webhook_event_types() -> tuple[str, ...]:
    """Every event type Clerk's webhook schemas give an example of (45 in the 2025-04-15 schemas)."""
    return tuple(_examples())


def webhook_payload(
    event_type: str,
    *,
    data: Mapping[str, Any] | None = None,
    timestamp_ms: int | None = None,
    **envelope: Any,
) -> dict[str, Any]:
    """The example event of ``event_type`` from Clerk's webhook schemas, as a fresh dict.

    ``data`` members replace the example's (top level); ``timestamp_ms`` defaults to now;
    ``envelope`` members (``instance_id``, ``event_attributes``, …) replace the envelope's.
    Raises ``KeyError`` for an event type the schemas do not have.
    """
    examples = _examples()
    if event_type not in examples:
        raise KeyError(f"No example for webhook event type {event_type!r}; known: {', '.join(sorted(examples))}")
    payload = copy.deepcopy(dict(examples[event_type]))
    if data:
        payload["data"] = {**(payload.get("data") or {}), **copy.deepcopy(dict(data))}
    payload["timestamp"] = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    payload.update(copy.deepcopy(envelope))
    return payload


def deliver_webhook(
    url: str,
    payload: Mapping[str, Any] | bytes | str,
    *,
    secret: str,
    msg_id: str | None = None,
    timestamp: int | None = None,
    extra_headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> tuple[int, bytes]:
    """POST ``payload`` (JSON-encoded when a mapping) to ``url`` with Svix's signed headers.

    Returns the status and body of the answer, errors included (a handler answering 400 is a
    result, not an exception). ``extra_headers`` are added after signing, e.g. to tamper.
    """
    body = (
        json.dumps(payload, separators=(",", ":")).encode("utf-8")
        if isinstance(payload, Mapping)
        else payload.encode("utf-8")
        if isinstance(payload, str)
        else bytes(payload)
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Svix-Webhooks/1.0 (clerk-core testing)",
        **sign_webhook(body, secret=secret, msg_id=msg_id, timestamp=timestamp),
        **(extra_headers or {}),
    }
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - a test URL
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as answered:
        return int(answered.code), answered.read()
