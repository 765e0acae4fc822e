"""The emulated Backend API as users meet it: state kept between calls, Clerk's errors, rate limits.

Everything goes through Clerk / AsyncClerk over real sockets to the local instance.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from clerk_core.api import schemas
from clerk_core.api.operation import Operation, Param
from clerk_core.errors import APIResponseError
from clerk_core.testing import LocalClerk
from clerk_core.testing.bapi_checks import RequestProblem, check_request
from tests.conftest import Driver


def _client(driver: Driver, local: LocalClerk, **options: Any) -> Any:
    return driver.client(secret_key=local.secret_key, api_url=local.api_url, environ={}, **options)


def test_users_are_kept_listed_filtered_updated_and_deleted(driver: Driver, local_clerk: LocalClerk) -> None:
    clerk = _client(driver, local_clerk)
    ada = driver.resolve(clerk.users.create(email_address=["ada@example.com"], first_name="Ada", username="ada"))
    bob = driver.resolve(clerk.users.create(email_address=["bob@example.com"], first_name="Bob"))
    assert isinstance(ada, schemas.User) and ada.id.startswith("user_") and ada.object == "user"
    assert ada.email_addresses[0].email_address == "ada@example.com"
    assert ada.primary_email_address_id == ada.email_addresses[0].id

    assert driver.resolve(clerk.users.count()).total_count == 2
    assert [u.id for u in driver.resolve(clerk.users.list(email_address=["bob@example.com"]))] == [bob.id]
    # Clerk's query also matches ids; letters outside hex keep random ids out of the match.
    assert [u.id for u in driver.resolve(clerk.users.list(query="LOVE"))] == []
    assert [u.id for u in driver.resolve(clerk.users.list(query="ADA@EXAMPLE"))] == [ada.id]
    assert [u.id for u in driver.resolve(clerk.users.list(order_by="+created_at", limit=1, offset=1))] == [bob.id]
    assert driver.resolve(clerk.users.count(user_id=[bob.id])).total_count == 1

    assert driver.resolve(clerk.users.update(ada.id, last_name="Lovelace")).last_name == "Lovelace"
    merged = driver.resolve(clerk.users.update_metadata(ada.id, public_metadata={"plan": "pro", "seats": 3}))
    merged = driver.resolve(clerk.users.update_metadata(ada.id, public_metadata={"seats": None, "team": "a"}))
    assert merged.public_metadata == {"plan": "pro", "team": "a"}  # deep merge; null deletes
    assert driver.resolve(clerk.users.ban(ada.id)).banned is True
    assert driver.resolve(clerk.users.unban(ada.id)).banned is False
    assert driver.resolve(clerk.users.lock(ada.id)).locked is True
    assert driver.resolve(clerk.users.get(ada.id)).locked is True

    deleted = driver.resolve(clerk.users.delete(ada.id))
    assert (deleted.id, deleted.object, deleted.deleted) == (ada.id, "user", True)
    with pytest.raises(APIResponseError) as missing:
        driver.resolve(clerk.users.get(ada.id))
    assert missing.value.status == 404 and missing.value.errors[0].code == "resource_not_found"
    assert [u["id"] for u in local_clerk.backend_api.records("users")] == [bob.id]


def test_a_taken_email_address_is_clerks_422(driver: Driver, local_clerk: LocalClerk) -> None:
    clerk = _client(driver, local_clerk)
    driver.resolve(clerk.users.create(email_address=["ada@example.com"]))
    with pytest.raises(APIResponseError) as taken:
        driver.resolve(clerk.users.create(email_address=["ada@example.com"]))
    assert taken.value.status == 422
    assert taken.value.errors[0].code == "form_identifier_exists"


def test_organizations_by_id_and_slug_and_the_other_kept_resources(driver: Driver, local_clerk: LocalClerk) -> None:
    clerk = _client(driver, local_clerk)
    org = driver.resolve(clerk.organizations.create(name="Acme Inc", public_metadata={"tier": 1}))
    assert (org.slug, org.public_metadata) == ("acme-inc", {"tier": 1})
    assert driver.resolve(clerk.organizations.get("acme-inc")).id == org.id
    assert driver.resolve(clerk.organizations.update(org.id, name="Acme")).name == "Acme"
    page = driver.resolve(clerk.organizations.list())
    assert [o.id for o in page] == [org.id] and page.total_count == 1
    assert driver.resolve(clerk.organizations.delete(org.id)).deleted is True

    invitation = driver.resolve(clerk.invitations.create(email_address="new@example.com"))
    assert (invitation.email_address, invitation.status) == ("new@example.com", "pending")
    assert driver.resolve(clerk.invitations.revoke(invitation.id)).status == "revoked"
    allowed = driver.resolve(clerk.allowlist_identifiers.create(identifier="a@example.com"))
    assert allowed.identifier_type == "email_address"
    assert [a.id for a in driver.resolve(clerk.allowlist_identifiers.list())] == [allowed.id]
    blocked = driver.resolve(clerk.blocklist_identifiers.create(identifier="+15555550100"))
    assert blocked.identifier_type == "phone_number"
    url = driver.resolve(clerk.redirect_urls.create(url="https://app.example.com/callback"))
    assert driver.resolve(clerk.redirect_urls.get(url.id)).url == "https://app.example.com/callback"
    token = driver.resolve(clerk.sign_in_tokens.create(user_id="user_1"))
    assert token.token and driver.resolve(clerk.sign_in_tokens.revoke(token.id)).status == "revoked"


def test_a_429_with_retry_after_is_waited_out_for_a_get(driver: Driver, local_clerk: LocalClerk) -> None:
    clerk = _client(driver, local_clerk, retry_backoff=0.0)
    local_clerk.set_fault("status", status=429, retry_after=1, times=1)
    started = time.monotonic()
    assert driver.resolve(clerk.users.count()).total_count == 0
    assert time.monotonic() - started >= 1.0  # Retry-After honoured, not the zero backoff
    assert len(local_clerk.requests) == 2


def test_a_429_is_not_retried_for_a_post_and_the_total_time_is_bounded(driver: Driver, local_clerk: LocalClerk) -> None:
    clerk = _client(driver, local_clerk, retry_backoff=0.0)
    local_clerk.set_fault("status", status=429, retry_after=7, times=1)
    with pytest.raises(APIResponseError) as limited:
        driver.resolve(clerk.users.create(first_name="Ada"))
    assert (limited.value.status, limited.value.retry_after) == (429, 7)
    assert len(local_clerk.requests) == 1
    bounded = _client(driver, local_clerk, retry_backoff=0.0, max_retry_time=2.0)
    local_clerk.set_fault("status", status=503, retry_after=30)
    started = time.monotonic()
    with pytest.raises(APIResponseError):
        driver.resolve(bounded.users.count())
    assert time.monotonic() - started < 2.0  # a 30 s Retry-After beyond the bound is not waited for


# -- the request checks, without a server ----------------------------------------------------

_OP = Operation(
    id="Op",
    group="g",
    name="n",
    method="POST",
    path="/things",
    params=(
        Param("limit", "limit", "query", "int"),
        Param("paginated", "paginated", "query", "bool"),
        Param("ids", "ids", "query", "array"),
        Param("name", "name", "body", "str", True),
        Param("count", "count", "body", "int"),
    ),
    body="json",
    response="User",
)


def _problem(query: dict[str, list[str]], body: bytes, content_type: str = "application/json") -> str:
    with pytest.raises(RequestProblem) as caught:
        check_request(_OP, query, body, content_type)
    error = caught.value.body["errors"][0]
    return f"{caught.value.status} {error['code']} {error.get('meta', {}).get('param_name')}"


def test_check_request_types_the_query_and_the_body() -> None:
    values, body = check_request(
        _OP, {"limit": ["3"], "paginated": ["true"], "ids": ["a", "b"]}, b'{"name": "x"}', "application/json"
    )
    assert values == {"limit": 3, "paginated": True, "ids": ["a", "b"]}
    assert body == {"name": "x"}


@pytest.mark.parametrize(
    ("query", "body", "expected"),
    [
        ({"limt": ["3"]}, b'{"name": "x"}', "422 form_param_unknown limt"),
        ({"limit": ["three"]}, b'{"name": "x"}', "422 form_param_format_invalid limit"),
        ({"paginated": ["True"]}, b'{"name": "x"}', "422 form_param_format_invalid paginated"),
        ({}, b"{}", "422 form_param_missing name"),
        ({}, b'{"name": "x", "nme": 1}', "422 form_param_unknown nme"),
        ({}, b'{"name": 5}', "422 form_param_format_invalid name"),
        ({}, b'{"name": "x", "count": true}', "422 form_param_format_invalid count"),
        ({}, b"[1]", "400 bad_request None"),
        ({}, b"{", "400 bad_request None"),
    ],
)
def test_check_request_refuses_what_clerk_refuses(query: dict[str, list[str]], body: bytes, expected: str) -> None:
    assert _problem(query, body) == expected


def test_check_request_wants_the_declared_content_type_and_no_body_on_a_get() -> None:
    assert _problem({}, b'{"name": "x"}', "text/plain") == "400 bad_request None"
    get = Operation(id="G", group="g", name="n", method="GET", path="/things")
    with pytest.raises(RequestProblem):
        check_request(get, {}, b'{"a": 1}', "application/json")
