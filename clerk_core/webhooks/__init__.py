"""Clerk webhooks: verify deliveries and decode their events.

::

    from clerk_core.webhooks import verify_webhook

    event = verify_webhook(request_headers, raw_body)   # WebhookVerificationError(reason=...) if not Clerk's
    if event.type == "user.created":
        print(event.data.id, event.data.email_addresses[0].email_address)

The secret comes from ``signing_secret=`` or ``CLERK_WEBHOOK_SIGNING_SECRET``. Pass the body
exactly as received (bytes, or the str a framework gives): the signature covers those bytes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from ..errors import WebhookVerificationError, WebhookVerificationErrorReason
from .event import WebhookEvent, decode_event
from .verify import DEFAULT_TOLERANCE_IN_SECONDS, SECRET_ENV, resolve_secret, verify_delivery

__all__ = [
    "DEFAULT_TOLERANCE_IN_SECONDS",
    "SECRET_ENV",
    "WebhookEvent",
    "WebhookVerificationError",
    "WebhookVerificationErrorReason",
    "verify_webhook",
]


def verify_webhook(
    headers: object,
    body: object,
    *,
    signing_secret: str | None = None,
    tolerance_in_seconds: float = DEFAULT_TOLERANCE_IN_SECONDS,
    now: float | None = None,
    environ: Mapping[str, str] | None = None,
) -> WebhookEvent:
    """Verify a Clerk (Svix) webhook delivery and return its event.

    :param headers: the request's headers: a mapping, ``(name, value)`` pairs, an ASGI scope or
        a WSGI environ. ``svix-id``/``svix-timestamp``/``svix-signature`` are read, or the
        Standard Webhooks ``webhook-*`` names when no ``svix-*`` header is present.
    :param body: the raw request body, ``bytes`` or ``str``; a parsed object is refused
        (``invalid-body``), since re-serialised JSON is not what was signed.
    :param signing_secret: ``whsec_…`` (the prefix is optional); defaults to
        ``CLERK_WEBHOOK_SIGNING_SECRET`` from ``environ`` (``os.environ`` by default).
    :param tolerance_in_seconds: how far the timestamp may be from now, either side.
    :param now: the verification time in seconds (tests, replays); the current time by default.
    :raises WebhookVerificationError: with ``reason`` ``missing-headers``, ``invalid-timestamp``,
        ``timestamp-too-old``, ``timestamp-too-new``, ``invalid-signature``, ``invalid-secret``
        or ``invalid-body``; nothing else, whatever the input.
    """
    secret = resolve_secret(signing_secret, os.environ if environ is None else environ)
    delivery = verify_delivery(
        headers,
        body,
        secret=secret,
        now=time.time() if now is None else now,
        tolerance_in_seconds=tolerance_in_seconds,
    )
    return decode_event(delivery)
