"""The one Backend API call flow, driven by hand: what it sends, when it retries, what it decodes.

The flow is sans-I/O, so these tests answer its ``Fetch`` effects from a script and record
its ``Sleep`` effects; the real transport and the local instance are covered elsewhere.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from email.utils import formatdate
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clerk_core._flow import Fetch, Flow, Sleep
from clerk_core._secret import Secret
from clerk_core.api import _gen_operations as ops
from clerk_core.api import schemas
from clerk_core.api.call import CallContext, ResponseDecodeError, build_request, call
from clerk_core.api.operation import UNSET
from clerk_core.api.pages import Page
from clerk_core.errors import (
    APIResponseError,
    ClerkError,
    ConfigurationError,
    ConnectError,
    NetworkError,
    RequestTimeout,
)
from clerk_core.providers import HttpRequest, HttpResponse

SECRET = "sk_test_" + "s" * 30
MACHINE = "ak_machine_" + "m" * 20
NOW = 1_800_000_000.0


def ctx(**overrides: Any) -> CallContext:
    fields: dict[str, Any] = {
        "api_url": "https://api.example.test",
        "api_version": "v1",
        "secret_key": Secret(SECRET),
        "retry_backoff": 0.5,
        "max_retries": 2,
        "max_retry_time": 30.0,
        "clock": lambda: NOW,
    }
    fields.update(overrides)
    return CallContext(**fields)


class Script:
    """Answers each Fetch with the next scripted outcome; records requests and sleeps."""

    def __init__(self, outcomes: Sequence[HttpResponse | Exception]) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[HttpRequest] = []
        self.sleeps: list[float] = []

    def run(self, flow: Flow[Any]) -> Any:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                effect = flow.throw(error) if error is not None else flow.send(value)
            except StopIteration as done:
                return done.value
            value, error = None, None
            if isinstance(effect, Fetch):
                self.requests.append(effect.request)
                outcome = self.outcomes.pop(0)
                if isinstance(outcome, Exception):
                    error = outcome
                else:
                    value = outcome
            elif isinstance(effect, Sleep):
                self.sleeps.append(effect.seconds)
            else:  # pragma: no cover - the call flow yields nothing else
                raise AssertionError(effect)


def ok(body: Any = None, status: int = 200, **headers: str) -> HttpResponse:
    data = b"" if body is None else (body if isinstance(body, bytes) else msgspec.json.encode(body))
    return HttpResponse(status=status, headers={"content-type": "application/json", **headers}, body=data)


def error(status: int, **headers: str) -> HttpResponse:
    body = {"errors": [{"code": "too_many_requests" if status == 429 else "internal", "message": "no"}]}
    return ok(body, status, **headers)


def header(request: HttpRequest, name: str) -> str | None:
    return dict(request.headers).get(name)


USER = {"object": "user", "id": "user_1", "first_name": "Ada", "email_addresses": []}


# -- what is sent ------------------------------------------------------------------------------


def test_get_user_url_headers_and_escaped_id() -> None:
    request = build_request(ops.GET_USER, {"user_id": "user_1/../x y"}, ctx())
    assert request.method == "GET"
    assert request.url == "https://api.example.test/v1/users/user_1%2F..%2Fx%20y"
    assert header(request, "Authorization") == f"Bearer {SECRET}"
    assert header(request, "Clerk-API-Version") == "2026-05-12"
    assert header(request, "User-Agent") == "clerk-core"
    assert request.body is None
    assert request.timeout == 10.0


@pytest.mark.parametrize("bad", ["", ".", "..", "%2e%2E", "%252e%252e", None, True, 1.5])
def test_path_ids_that_are_empty_or_dots_are_refused_before_sending(bad: Any) -> None:
    script = Script([])
    with pytest.raises(ConfigurationError) as raised:
        script.run(call(ops.GET_USER, {"user_id": bad}, ctx()))
    assert raised.value.reason == "invalid-path"
    assert script.requests == []


def test_missing_required_argument_is_a_typed_error() -> None:
    with pytest.raises(ConfigurationError, match="needs user_id"):
        build_request(ops.GET_USER, {}, ctx())


def test_query_arrays_repeat_booleans_lowercase_unset_and_none_left_out() -> None:
    request = build_request(
        ops.GET_USER_LIST,
        {
            "email_address": ["a@x.test", "b+c@x.test"],
            "banned": False,
            "query": "a b*~",
            "order_by": "-created_at",
            "limit": 10,
            "offset": UNSET,
            "username": None,
        },
        ctx(),
    )
    # In the operation's parameter order, as the reference appends them.
    assert request.url == (
        "https://api.example.test/v1/users?email_address=a%40x.test&email_address=b%2Bc%40x.test"
        "&query=a+b*%7E&banned=false&limit=10&order_by=-created_at"
    )
    assert "offset" not in request.url and "username" not in request.url


def test_json_body_leaves_unset_out_and_sends_none_as_null() -> None:
    request = build_request(
        ops.UPDATE_USER, {"user_id": "user_1", "first_name": "Ada", "last_name": None, "username": UNSET}, ctx()
    )
    assert request.method == "PATCH"
    assert header(request, "Content-Type") == "application/json"
    assert msgspec.json.decode(request.body or b"") == {"first_name": "Ada", "last_name": None}


def test_bulk_body_is_the_whole_array() -> None:
    request = build_request(ops.CREATE_BULK_INVITATIONS, {"body": [{"email_address": "a@x.test"}]}, ctx())
    assert msgspec.json.decode(request.body or b"") == [{"email_address": "a@x.test"}]


@pytest.mark.parametrize("given", [b"\x89PNG\r\n\x1a\n\x00\xffbytes", io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\xffbytes")])
def test_multipart_upload_from_bytes_or_a_file(given: Any) -> None:
    if isinstance(given, io.BytesIO):
        given.name = "/tmp/avatar.png"
    request = build_request(ops.SET_USER_PROFILE_IMAGE, {"user_id": "user_1", "file": given}, ctx())
    content_type = header(request, "Content-Type") or ""
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=", 1)[1]
    body = request.body or b""
    assert body.startswith(f"--{boundary}\r\n".encode()) and body.endswith(f"--{boundary}--\r\n".encode())
    assert b"\x89PNG\r\n\x1a\n\x00\xffbytes\r\n" in body
    name = "avatar.png" if isinstance(given, io.BytesIO) else "file"
    assert f'Content-Disposition: form-data; name="file"; filename="{name}"'.encode() in body


def test_multipart_refuses_text_where_a_file_is_expected() -> None:
    with pytest.raises(ConfigurationError, match="bytes or a binary file"):
        build_request(ops.SET_USER_PROFILE_IMAGE, {"user_id": "user_1", "file": "not a file"}, ctx())


def test_unversioned_operations_leave_out_v1() -> None:
    assert build_request(ops.GET_API_KEYS, {"subject": "user_1"}, ctx()).url.startswith(
        "https://api.example.test/api_keys?"
    )


def test_keys_per_operation() -> None:
    with pytest.raises(ConfigurationError) as raised:
        build_request(ops.CREATE_M2_M_TOKEN, {}, ctx())
    assert raised.value.reason == "machine-secret-key-missing"
    machine = ctx(machine_secret_key=Secret(MACHINE))
    assert header(build_request(ops.CREATE_M2_M_TOKEN, {}, machine), "Authorization") == f"Bearer {MACHINE}"
    # "either": the machine key when there is one, else the secret key.
    assert (
        header(build_request(ops.GET_M2_M_TOKENS, {"subject": "mch_1"}, machine), "Authorization")
        == f"Bearer {MACHINE}"
    )
    assert (
        header(build_request(ops.GET_M2_M_TOKENS, {"subject": "mch_1"}, ctx()), "Authorization") == f"Bearer {SECRET}"
    )
    # The public interstitial needs no key at all.
    public = build_request(ops.GET_PUBLIC_INTERSTITIAL, {}, ctx(secret_key=None))
    assert header(public, "Authorization") is None
    with pytest.raises(ConfigurationError) as missing:
        build_request(ops.GET_USER, {"user_id": "user_1"}, ctx(secret_key=None))
    assert missing.value.reason == "secret-key-missing"


def test_secrets_stay_out_of_reprs() -> None:
    context = ctx(machine_secret_key=Secret(MACHINE))
    request = build_request(ops.GET_USER, {"user_id": "user_1"}, context)
    assert SECRET not in repr(request) and SECRET not in repr(context) and MACHINE not in repr(context)


# -- retries -------------------------------------------------------------------------------------


def test_get_is_retried_on_5xx_and_429_then_succeeds() -> None:
    script = Script([error(503), error(429), ok(USER)])
    user = script.run(call(ops.GET_USER, {"user_id": "user_1"}, ctx()))
    assert isinstance(user, schemas.User) and user.id == "user_1"
    assert len(script.requests) == 3
    assert len(script.sleeps) == 2
    assert 0.5 <= script.sleeps[0] < 1.0 and 1.0 <= script.sleeps[1] < 2.0  # doubling, jitter x[1, 2)


def test_retry_after_seconds_and_http_date_are_honoured() -> None:
    script = Script(
        [error(429, **{"retry-after": "3"}), error(429, **{"retry-after": formatdate(NOW + 7, usegmt=True)}), ok(USER)]
    )
    script.run(call(ops.GET_USER, {"user_id": "user_1"}, ctx(max_retries=5)))
    assert script.sleeps == [3, 7]


def test_a_wait_past_the_time_budget_raises_at_once_with_retry_after() -> None:
    script = Script([error(429, **{"retry-after": "120"})])
    with pytest.raises(APIResponseError) as raised:
        script.run(call(ops.GET_USER, {"user_id": "user_1"}, ctx(max_retry_time=30.0)))
    assert (raised.value.status, raised.value.retry_after) == (429, 120)
    assert script.sleeps == []


def test_retries_stop_after_max_retries() -> None:
    script = Script([error(500), error(502), error(503)])
    with pytest.raises(APIResponseError) as raised:
        script.run(call(ops.GET_USER, {"user_id": "user_1"}, ctx(max_retries=2)))
    assert raised.value.status == 503
    assert len(script.requests) == 3


@pytest.mark.parametrize("failure", [error(500), error(429), NetworkError("reset"), RequestTimeout("slow")])
def test_post_is_not_retried_once_bytes_may_have_reached_the_server(failure: HttpResponse | Exception) -> None:
    script = Script([failure, ok(USER)])
    with pytest.raises((APIResponseError, NetworkError, RequestTimeout)):
        script.run(call(ops.CREATE_USER, {"email_address": ["a@x.test"]}, ctx()))
    assert len(script.requests) == 1


def test_post_is_retried_when_nothing_was_sent() -> None:
    script = Script([ConnectError("refused"), ok(USER)])
    user = script.run(call(ops.CREATE_USER, {"email_address": ["a@x.test"]}, ctx()))
    assert user.id == "user_1" and len(script.requests) == 2


def test_post_with_the_idempotency_key_its_body_honours_is_retried() -> None:
    args = {"user_id": "user_1", "amount": 100, "action": "increase", "idempotency_key": "k-1"}
    assert ops.ADJUST_USER_BILLING_CREDIT_BALANCE.retry == "idempotency-key"
    script = Script([error(500), ok({"object": "commerce_credit_ledger"})])
    script.run(call(ops.ADJUST_USER_BILLING_CREDIT_BALANCE, args, ctx(), idempotency_key="k-1"))
    assert len(script.requests) == 2
    assert msgspec.json.decode(script.requests[1].body or b"")["idempotency_key"] == "k-1"


def test_transport_errors_on_get_are_retried() -> None:
    script = Script([RequestTimeout("slow"), NetworkError("reset"), ok(USER)])
    assert script.run(call(ops.GET_USER, {"user_id": "user_1"}, ctx())).id == "user_1"


def test_4xx_other_than_429_is_never_retried() -> None:
    script = Script([error(404), ok(USER)])
    with pytest.raises(APIResponseError) as raised:
        script.run(call(ops.GET_USER, {"user_id": "user_1"}, ctx()))
    assert raised.value.status == 404 and len(script.requests) == 1


def test_per_call_timeout() -> None:
    script = Script([ok(USER)])
    script.run(call(ops.GET_USER, {"user_id": "user_1"}, ctx(), timeout=1.5))
    assert script.requests[0].timeout == 1.5


# -- what comes back ---------------------------------------------------------------------------


def test_page_shape_carries_total_count() -> None:
    body = {"data": [{"object": "organization", "id": "org_1"}], "total_count": 41}
    page = Script([ok(body)]).run(call(ops.LIST_ORGANIZATIONS, {}, ctx()))
    assert isinstance(page, Page) and page.total_count == 41 and [o.id for o in page] == ["org_1"]
    assert isinstance(page[0], schemas.Organization)


def test_list_shape_is_a_page_without_total() -> None:
    page = Script([ok([USER, {**USER, "id": "user_2"}])]).run(call(ops.GET_USER_LIST, {}, ctx()))
    assert isinstance(page, Page) and page.total_count is None and len(page) == 2


def test_no_content_is_none() -> None:
    assert Script([ok(None, 204)]).run(call(ops.UPDATE_INSTANCE, {}, ctx())) is None


def test_models_tolerate_new_fields_enum_values_missing_fields_and_nulls() -> None:
    user = {
        "object": "user",
        "id": "user_1",
        "brand_new_field": {"nested": [1, 2]},
        "first_name": None,
        "email_addresses": [
            {
                "object": "email_address",
                "id": "idn_1",
                "email_address": "a@x.test",
                "verification": {"object": "verification_from_the_future", "status": "brand_new_status"},
            }
        ],
    }  # "required" fields such as created_at, banned, public_metadata are absent
    decoded = Script([ok(user)]).run(call(ops.GET_USER, {"user_id": "user_1"}, ctx()))
    assert decoded.first_name is None and decoded.created_at is None
    verification = decoded.email_addresses[0].verification
    assert verification.object == "verification_from_the_future" and verification.status == "brand_new_status"


@pytest.mark.parametrize("body", [b"not json", b'{"id": 5}', b"[1, 2]", b'{"email_addresses": "nope"}'])
def test_bodies_of_the_wrong_shape_are_a_typed_error(body: bytes) -> None:
    with pytest.raises(ResponseDecodeError) as raised:
        Script([ok(body)]).run(call(ops.GET_USER, {"user_id": "user_1"}, ctx()))
    assert raised.value.status == 200 and raised.value.reason == "response-invalid"


def test_error_bodies_that_are_not_clerks_keep_a_bounded_excerpt() -> None:
    html = b"<html>" + b"Bad gateway " * 200 + b"</html>"
    with pytest.raises(APIResponseError) as raised:
        Script([ok(html, 404)]).run(call(ops.GET_USER, {"user_id": "user_1"}, ctx()))
    assert raised.value.errors == [] and "Bad gateway" in str(raised.value) and len(str(raised.value)) < 260


def test_clerk_error_shape_is_read_with_meta_and_trace_id() -> None:
    body = {
        "errors": [
            {
                "code": "form_identifier_exists",
                "message": "taken",
                "long_message": "That email address is taken.",
                "meta": {"param_name": "email_address", "trace_id": "t1", "kind": "k", "link_url": "https://x"},
            }
        ],
        "clerk_trace_id": "trace_123",
    }
    with pytest.raises(APIResponseError) as raised:
        Script([ok(body, 422)]).run(call(ops.CREATE_USER, {}, ctx()))
    failure = raised.value
    assert (failure.status, failure.clerk_trace_id, failure.codes) == (422, "trace_123", ["form_identifier_exists"])
    assert failure.errors[0].long_message == "That email address is taken."
    assert failure.errors[0].meta["trace_id"] == "t1" and failure.errors[0].meta["link_url"] == "https://x"


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300), status=st.sampled_from([200, 201, 204, 400, 404, 422, 429, 500]))
def test_any_body_gives_a_value_or_a_typed_error(body: bytes, status: int) -> None:
    try:
        Script([HttpResponse(status=status, body=body)]).run(
            call(ops.GET_USER, {"user_id": "user_1"}, ctx(max_retries=0))
        )
    except ClerkError:
        pass


# -- operations the spec lacks -------------------------------------------------------------------

EMAIL = {"to": {"address": "a@x.test"}, "from_": {"address": "support@x.test"}, "subject": "Hi", "text": "Hello"}


def test_email_create_sends_from_and_the_idempotency_key_header() -> None:
    from clerk_core.api._extra_operations import CREATE_EMAIL

    request = build_request(CREATE_EMAIL, EMAIL, ctx(), idempotency_key="order_123_receipt")
    assert request.url == "https://api.example.test/v1/email"
    assert header(request, "Idempotency-Key") == "order_123_receipt"
    assert msgspec.json.decode(request.body or b"") == {
        "to": {"address": "a@x.test"},
        "from": {"address": "support@x.test"},
        "subject": "Hi",
        "text": "Hello",
    }
    assert header(build_request(CREATE_EMAIL, EMAIL, ctx()), "Idempotency-Key") is None


def test_email_create_is_retried_only_with_an_idempotency_key() -> None:
    from clerk_core.api._extra_operations import CREATE_EMAIL

    script = Script([error(500), ok({"object": "email", "id": "ema_1"})])
    assert script.run(call(CREATE_EMAIL, EMAIL, ctx(), idempotency_key="k1")).id == "ema_1"
    assert len(script.requests) == 2
    script = Script([error(500), ok({"object": "email", "id": "ema_1"})])
    with pytest.raises(APIResponseError):
        script.run(call(CREATE_EMAIL, EMAIL, ctx()))
    assert len(script.requests) == 1


@pytest.mark.parametrize("key", ["", "a b", "k\r\nX-Evil: 1", "é", "x" * 256])
def test_idempotency_keys_outside_the_reference_rule_are_refused(key: str) -> None:
    from clerk_core.api._extra_operations import CREATE_EMAIL

    with pytest.raises(ConfigurationError, match="Idempotency key"):
        build_request(CREATE_EMAIL, EMAIL, ctx(), idempotency_key=key)


def test_delete_invitation_and_email_get_routes() -> None:
    from clerk_core.api._extra_operations import DELETE_INVITATION, GET_EMAIL

    deleted = Script([ok({"object": "invitation", "id": "inv_1", "deleted": True})]).run(
        call(DELETE_INVITATION, {"invitation_id": "inv_1"}, ctx())
    )
    assert isinstance(deleted, schemas.DeletedObject) and deleted.deleted is True
    assert build_request(GET_EMAIL, {"email_id": "ema_1"}, ctx()).url == "https://api.example.test/v1/email/ema_1"


# -- pagination --------------------------------------------------------------------------------


def _pages_runner(bodies: list[Any]) -> tuple[Any, Script]:
    from clerk_core.api.resource import ApiRunner

    script = Script([ok(body) for body in bodies])
    return ApiRunner(lambda: ctx(), script.run), script


def _orgs(start: int, count: int) -> list[dict[str, str]]:
    return [{"object": "organization", "id": f"org_{i}"} for i in range(start, start + count)]


def test_iterator_walks_limit_offset_to_the_total() -> None:
    from clerk_core.api._gen_sync import Organizations

    runner, script = _pages_runner(
        [
            {"data": _orgs(0, 2), "total_count": 5},
            {"data": _orgs(2, 2), "total_count": 5},
            {"data": _orgs(4, 1), "total_count": 5},
        ]
    )
    ids = [org.id for org in Organizations(runner).iter_list(page_size=2, query="acme")]
    assert ids == [f"org_{i}" for i in range(5)]
    queries = [request.url.split("?", 1)[1] for request in script.requests]
    assert queries == ["query=acme&limit=2&offset=0", "query=acme&limit=2&offset=2", "query=acme&limit=2&offset=4"]


def test_iterator_stops_at_max_items_and_on_a_short_page_without_total() -> None:
    from clerk_core.api._gen_sync import Users

    runner, script = _pages_runner([[USER, USER, USER]])
    assert len(list(Users(runner).iter_list(page_size=3, max_items=2))) == 2
    assert len(script.requests) == 1
    runner, script = _pages_runner([[USER, USER], [USER]])
    assert len(list(Users(runner).iter_list(page_size=2))) == 3
    assert len(script.requests) == 2


def test_async_iterator_walks_the_same_pages() -> None:
    import asyncio

    from clerk_core.api._gen_async import Organizations
    from clerk_core.api.resource import ApiRunner

    script = Script([ok({"data": _orgs(0, 2), "total_count": 3}), ok({"data": _orgs(2, 1), "total_count": 3})])

    async def run(flow: Flow[Any]) -> Any:
        return script.run(flow)

    async def collect() -> list[str]:
        return [org.id async for org in Organizations(ApiRunner(lambda: ctx(), run)).iter_list(page_size=2)]

    assert asyncio.run(collect()) == ["org_0", "org_1", "org_2"]


@pytest.mark.parametrize("page_size", [0, 501, True, 2.5])
def test_page_size_out_of_range_is_refused(page_size: Any) -> None:
    from clerk_core.api._gen_sync import Users

    runner, _ = _pages_runner([])
    with pytest.raises(ConfigurationError, match="page_size"):
        list(Users(runner).iter_list(page_size=page_size))
