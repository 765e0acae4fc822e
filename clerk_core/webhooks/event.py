"""A verified webhook delivery as the app uses it: its type and its data, typed.

The envelope is decoded once with ``data`` kept as raw JSON; ``data`` is then decoded to the
model of the event type (:data:`~clerk_core.webhooks._gen_events.EVENT_DATA_MODELS`, generated
from Clerk's webhook event schemas and sharing the Backend API models). An event type this
release does not know, or data its model cannot take, gives the data as a plain dict instead of
failing: Clerk adds event types, and a handler that ignores them must keep working.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from ..errors import WebhookVerificationError
from ..errors import WebhookVerificationErrorReason as Reason
from .verify import Delivery

__all__ = ["WebhookEvent", "decode_event"]


class _Envelope(msgspec.Struct, kw_only=True, frozen=True):
    # The reference hands back whatever JSON object was signed; a missing type is None here.
    type: str | None = None
    object: str | None = None
    data: msgspec.Raw = msgspec.Raw(b"null")
    timestamp: int | float | None = None
    instance_id: str | None = None
    event_attributes: msgspec.Raw = msgspec.Raw(b"null")


_ENVELOPE = msgspec.json.Decoder(_Envelope)
_NULL = msgspec.Raw(b"null")
_ANY = msgspec.json.Decoder()


class WebhookEvent:
    """One Clerk event: ``type`` (``user.created``, …), ``data`` (typed), ``object`` (``event``),
    ``timestamp`` (ms), ``instance_id``, ``event_attributes`` and ``id`` (the delivery's message id,
    the key to deduplicate retried deliveries by).

    ``data`` is the event type's model, or a dict for event types this release does not know;
    ``data_dict`` is always the data as a dict; ``typed`` says which ``data`` is.
    """

    __slots__ = ("_data_json", "data", "event_attributes", "id", "instance_id", "object", "timestamp", "type", "typed")

    def __init__(
        self,
        *,
        type: str | None,
        data: Any,
        typed: bool,
        object: str | None,
        timestamp: int | float | None,
        instance_id: str | None,
        event_attributes: dict[str, Any] | None,
        id: str,
        data_json: bytes,
    ) -> None:
        self.type = type
        self.data = data
        self.typed = typed
        self.object = object
        self.timestamp = timestamp
        self.instance_id = instance_id
        self.event_attributes = event_attributes
        self.id = id
        self._data_json = data_json

    @property
    def data_dict(self) -> Any:
        """The event's data as Clerk sent it, decoded to plain JSON values (a fresh copy)."""
        return _ANY.decode(self._data_json)

    def __repr__(self) -> str:
        return f"WebhookEvent(type={self.type!r}, id={self.id!r}, typed={self.typed})"


@functools.cache
def _decoder(event_type: str) -> msgspec.json.Decoder[Any] | None:
    """The decoder of an event type's data model, built once; ``None`` for unknown types."""
    from ._gen_events import EVENT_DATA_MODELS

    model = EVENT_DATA_MODELS.get(event_type)
    return msgspec.json.Decoder(model) if model is not None and model is not dict else None


def _typed(event_type: str | None, raw: bytes) -> tuple[Any, bool]:
    decoder = _decoder(event_type) if event_type is not None else None
    if decoder is not None:
        try:
            return decoder.decode(raw), True
        except msgspec.ValidationError:
            pass  # data of a shape the model does not take: still an event, as a dict
    return _ANY.decode(raw), False


def _utf8(body: bytes) -> bytes:
    """``body``, or its UTF-8 reading with invalid sequences as U+FFFD.

    JSON is UTF-8; a sender that signed other bytes is read as the reference reads them
    (``request.text()``), so its signature still counts. Checked up front because msgspec does
    not look inside the raw ``data`` it keeps for later.
    """
    if body.isascii():
        return body
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("utf-8", "replace").encode("utf-8")
    return body


def decode_event(delivery: Delivery) -> WebhookEvent:
    """The event of a verified delivery; ``invalid-body`` when the body is not a JSON object."""
    try:
        envelope = _ENVELOPE.decode(_utf8(delivery.body))
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise WebhookVerificationError(Reason.INVALID_BODY, f"The webhook body is not a JSON object: {exc}") from None
    data_json = bytes(envelope.data)  # a copy: the Raw view would keep the whole body alive
    data, typed = _typed(envelope.type, data_json)
    attributes = _ANY.decode(envelope.event_attributes) if envelope.event_attributes != _NULL else None
    return WebhookEvent(
        type=envelope.type,
        data=data,
        typed=typed,
        object=envelope.object,
        timestamp=envelope.timestamp,
        instance_id=envelope.instance_id,
        event_attributes=attributes if isinstance(attributes, dict) else None,
        id=delivery.id,
        data_json=data_json,
    )
