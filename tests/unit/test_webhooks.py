"""verify_webhook as an app meets it: every way headers and bodies arrive, every refusal typed.

Deliveries are signed with :func:`clerk_core.testing.sign_webhook`, which computes the HMAC on
the standard library independently of the verifier.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clerk_core
from clerk_core import Clerk, ConfigurationError, WebhookVerificationError
from clerk_core.hookspecs import hookimpl
from clerk_core.testing import new_webhook_secret, sign_webhook
from clerk_core.webhooks import verify_webhook

SECRET = new_webhook_secret()
NOW = 1_760_000_000
BODY = json.dumps({"type": "user.created", "object": "event", "data": {"id": "user_1"}}).encode()


def _signed(body: bytes | str = BODY, **options: Any) -> dict[str, str]:
    return sign_webhook(body, secret=SECRET, msg_id="msg_1", timestamp=NOW, **options)


def _verify(headers: object, body: object = BODY, **options: Any) -> Any:
    options.setdefault("signing_secret", SECRET)
    options.setdefault("now", NOW)
    options.setdefault("environ", {})
    return verify_webhook(headers, body, **options)


def _reason(headers: object, body: object = BODY, **options: Any) -> str:
    with pytest.raises(WebhookVerificationError) as caught:
        _verify(headers, body, **options)
    assert SECRET not in str(caught.value) + repr(caught.value)
    return caught.value.reason


# -- where headers come from -------------------------------------------------------------------


def test_headers_as_a_mapping_pairs_an_asgi_scope_or_a_wsgi_environ() -> None:
    headers = _signed()
    pairs = [(name.encode(), value.encode()) for name, value in headers.items()]
    scope = {"type": "http", "method": "POST", "path": "/webhooks", "headers": pairs}
    environ = {"REQUEST_METHOD": "POST", **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}}
    mixed_case = {name.title(): value for name, value in headers.items()}
    for source in (headers, pairs, scope, environ, mixed_case):
        event = _verify(source)
        assert (event.type, event.id, event.data.id if event.typed else event.data["id"]) == (
            "user.created",
            "msg_1",
            "user_1",
        )


def test_standard_webhooks_names_are_accepted_and_svix_names_win() -> None:
    assert _verify(_signed(header_names="webhook")).id == "msg_1"
    wrong_svix = {**_signed(header_names="webhook"), "svix-id": "msg_1", "svix-timestamp": str(NOW)}
    wrong_svix["svix-signature"] = "v1,AAAA"
    assert _reason(wrong_svix) == "invalid-signature"  # the svix family is read as a whole


def test_missing_headers_are_named_and_whitespace_only_is_missing() -> None:
    with pytest.raises(WebhookVerificationError) as caught:
        _verify({"svix-id": "msg_1", "svix-timestamp": "   "})
    assert caught.value.reason == "missing-headers"
    assert caught.value.message == "Missing required webhook headers: svix-timestamp, svix-signature"
    assert _reason({}) == "missing-headers"
    assert _reason(None) == "missing-headers"
    assert _reason(42) == "missing-headers"  # not headers at all: still the typed error


def test_values_are_trimmed_as_the_reference_trims_them() -> None:
    headers = {name: f"  {value} " for name, value in _signed().items()}
    assert _verify(headers).id == "msg_1"


# -- bodies --------------------------------------------------------------------------------------


def test_str_bytes_bytearray_and_memoryview_bodies() -> None:
    for body in (BODY, BODY.decode(), bytearray(BODY), memoryview(BODY)):
        assert _verify(_signed(), body).type == "user.created"


def test_a_parsed_body_is_refused_with_a_hint_to_pass_the_raw_one() -> None:
    with pytest.raises(WebhookVerificationError) as caught:
        _verify(_signed(), json.loads(BODY))
    assert caught.value.reason == "invalid-body" and "raw request body" in caught.value.message


def test_reserialised_json_does_not_verify() -> None:
    pretty = json.dumps(json.loads(BODY), indent=2).encode()
    assert _reason(_signed(), pretty) == "invalid-signature"


def test_a_non_utf8_body_signed_byte_exact_verifies() -> None:
    body = b'{"type":"user.updated","data":{"id":"user_1","first_name":"Jos\xe9"}}'
    event = _verify(_signed(body), body)
    assert event.type == "user.updated" and event.data_dict["first_name"] == "Jos\ufffd"
    assert _reason(_signed(body), body.replace(b"\xe9", b"\xc3\xa9")) == "invalid-signature"


def test_a_signed_body_that_is_not_a_json_object_is_invalid_body() -> None:
    for body in (b"not json", b"[1, 2]", b"null"):
        assert _reason(_signed(body), body) == "invalid-body"


def test_unknown_event_types_and_odd_data_give_a_generic_event() -> None:
    body = json.dumps({"type": "spaceship.launched", "object": "event", "data": {"id": "x", "fuel": 3}}).encode()
    event = _verify(_signed(body), body)
    assert (event.type, event.typed, event.data) == ("spaceship.launched", False, {"id": "x", "fuel": 3})
    odd = json.dumps({"type": "user.created", "data": [1, 2]}).encode()
    event = _verify(_signed(odd), odd)
    assert (event.typed, event.data) == (False, [1, 2])
    bare = b'{"test": 1}'
    assert _verify(_signed(bare), bare).type is None  # the reference hands back any signed object


# -- time and signatures ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "reason"),
    [(-300, None), (300, None), (-301, "timestamp-too-old"), (301, "timestamp-too-new")],
)
def test_the_tolerance_boundary_is_inclusive(offset: int, reason: str | None) -> None:
    headers = sign_webhook(BODY, secret=SECRET, msg_id="msg_1", timestamp=NOW + offset)
    if reason is None:
        assert _verify(headers).id == "msg_1"
    else:
        assert _reason(headers) == reason


def test_a_custom_tolerance_and_a_bad_one() -> None:
    headers = sign_webhook(BODY, secret=SECRET, msg_id="msg_1", timestamp=NOW - 30)
    assert _reason(headers, tolerance_in_seconds=10) == "timestamp-too-old"
    for bad in (-1, float("nan"), "300", None):
        with pytest.raises(ConfigurationError):
            _verify(headers, tolerance_in_seconds=bad)


def test_timestamps_that_are_not_seconds() -> None:
    for stamp in ("hello", "", "0x10", "1e9", "9" * 40):
        headers = {**_signed(), "svix-timestamp": stamp}
        assert _reason(headers) in ("invalid-timestamp", "missing-headers")


def test_several_signatures_one_valid_and_other_versions_ignored() -> None:
    good = _signed()["svix-signature"]
    headers = {**_signed(), "svix-signature": f"v1,bm90IGl0 v2,{good[3:]} {good} v1a,xyz"}
    assert _verify(headers).id == "msg_1"
    assert _reason({**_signed(), "svix-signature": f"v2,{good[3:]} v1,bm90IGl0"}) == "invalid-signature"


# -- secrets -----------------------------------------------------------------------------------


def test_the_secret_with_or_without_its_prefix_or_from_the_environment() -> None:
    assert _verify(_signed(), signing_secret=SECRET.removeprefix("whsec_")).id == "msg_1"
    assert _verify(_signed(), signing_secret=None, environ={"CLERK_WEBHOOK_SIGNING_SECRET": SECRET}).id == "msg_1"
    with pytest.raises(WebhookVerificationError) as caught:
        _verify(_signed(), signing_secret=None)
    assert caught.value.reason == "invalid-secret" and "CLERK_WEBHOOK_SIGNING_SECRET" in caught.value.message
    for bad in ("whsec_", "whsec_not base64!", "WHSEC_" + SECRET[6:], b"bytes-secret"):
        assert _reason(_signed(), signing_secret=bad) == "invalid-secret"
    assert _reason(_signed(), signing_secret=new_webhook_secret()) == "invalid-signature"


def test_no_secret_or_signature_in_messages() -> None:
    signature = _signed()["svix-signature"]
    for headers in ({**_signed(), "svix-signature": signature + "x"}, {**_signed(), "svix-timestamp": "abc"}):
        with pytest.raises(WebhookVerificationError) as caught:
            _verify(headers)
        shown = str(caught.value) + repr(caught.value)
        assert signature[3:] not in shown and SECRET[6:] not in shown


# -- the clients and the module-level function -----------------------------------------------------


class _FrozenClock:
    @hookimpl
    def clerk_clock(self, runtime: Any) -> Any:
        return lambda: float(NOW)


def test_the_clients_use_their_clock_and_their_environment() -> None:
    clerk = Clerk(plugins=[_FrozenClock()], environ={"CLERK_WEBHOOK_SIGNING_SECRET": SECRET}, load_entry_points=False)
    assert clerk.verify_webhook(_signed(), BODY).id == "msg_1"  # NOW is years ago: the client's clock says it is not
    async_clerk = clerk_core.AsyncClerk(plugins=[_FrozenClock()], environ={}, load_entry_points=False)
    assert async_clerk.verify_webhook(_signed(), BODY, signing_secret=SECRET).id == "msg_1"


def test_the_module_level_function_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLERK_WEBHOOK_SIGNING_SECRET", SECRET)
    fresh = sign_webhook(BODY, secret=SECRET)
    assert clerk_core.verify_webhook(fresh, BODY).type == "user.created"


# -- never another exception -------------------------------------------------------------------

_TEXT = st.text(max_size=60)
_HEADER_NAMES = st.sampled_from(["svix-id", "svix-timestamp", "svix-signature", "webhook-id", "x-other"])
_HEADERS = st.one_of(
    st.dictionaries(_HEADER_NAMES, _TEXT, max_size=5),
    st.lists(st.tuples(st.one_of(_HEADER_NAMES, st.binary(max_size=10)), st.binary(max_size=40)), max_size=5),
    st.none(),
    st.integers(),
    st.lists(_TEXT, max_size=3),
)
_BODIES = st.one_of(
    st.binary(max_size=200), st.text(max_size=200), st.none(), st.integers(), st.dictionaries(_TEXT, _TEXT)
)
_SECRETS = st.one_of(_TEXT, st.just(SECRET), st.builds(lambda s: "whsec_" + s, _TEXT), st.none(), st.binary(max_size=8))


@settings(max_examples=400, deadline=None)
@given(headers=_HEADERS, body=_BODIES, secret=_SECRETS)
def test_any_input_gives_an_event_or_a_typed_error(headers: Any, body: Any, secret: Any) -> None:
    try:
        _verify(headers, body, signing_secret=secret)
    except WebhookVerificationError as exc:
        assert exc.reason in {
            "missing-headers",
            "invalid-timestamp",
            "timestamp-too-old",
            "timestamp-too-new",
            "invalid-signature",
            "invalid-secret",
            "invalid-body",
        }


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300), msg_id=st.text(min_size=1, max_size=30).filter(str.strip))
def test_any_signed_body_verifies_or_is_invalid_body(body: bytes, msg_id: str) -> None:
    headers = sign_webhook(body, secret=SECRET, msg_id=msg_id.strip(), timestamp=NOW)
    try:
        event = _verify(headers, body)
    except WebhookVerificationError as exc:
        assert exc.reason == "invalid-body"
    else:
        assert event.id == msg_id.strip()
