"""The emulated Backend API's kept state beyond users: memberships, organization invitations,
sessions and clients, M2M tokens and API keys — and that what it creates is what the rest of the
local instance serves (session routes, verify routes, ``authenticate_request``).

Everything goes through Clerk / AsyncClerk over real sockets to the local instance, both drivers.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from clerk_core.errors import APIResponseError
from clerk_core.testing import LocalClerk
from clerk_core.tokens.request import ClerkRequest
from clerk_core.tokens.state import MachineAuth
from tests.conftest import Driver


def _client(driver: Driver, local: LocalClerk, **options: Any) -> Any:
    options.setdefault("secret_key", local.secret_key)
    return driver.client(api_url=local.api_url, environ={}, **options)


def _status(driver: Driver, call: Callable[[], Any]) -> int:
    """The status of the error ``call`` ends in (a sync client's call raises at once)."""
    with pytest.raises(APIResponseError) as caught:
        driver.resolve(call())
    return caught.value.status


def _user(driver: Driver, clerk: Any, email: str, **fields: Any) -> Any:
    return driver.resolve(clerk.users.create(email_address=[email], **fields))


# -- organization memberships ----------------------------------------------------------------


def test_memberships_join_kept_users_and_organizations(driver: Driver, local_clerk: LocalClerk) -> None:
    clerk = _client(driver, local_clerk)
    ada = _user(driver, clerk, "ada@example.com", first_name="Ada")
    bob = _user(driver, clerk, "bob@example.com", first_name="Bob")
    org = driver.resolve(clerk.organizations.create(name="Acme"))
    memberships = clerk.organization_memberships

    admin = driver.resolve(memberships.create(org.id, user_id=ada.id, role="org:admin"))
    assert (admin.object, admin.role, admin.organization.id) == ("organization_membership", "org:admin", org.id)
    assert admin.public_user_data.user_id == ada.id and admin.public_user_data.first_name == "Ada"
    assert admin.public_user_data.identifier == "ada@example.com"
    assert "org:sys_memberships:manage" in admin.permissions
    member = driver.resolve(memberships.create(org.id, user_id=bob.id, role="org:member"))
    assert member.permissions == ["org:sys_memberships:read"]
    assert driver.resolve(clerk.organizations.get(org.id)).members_count == 2

    # Clerk refuses a second membership and memberships of records that do not exist.
    assert _status(driver, lambda: memberships.create(org.id, user_id=ada.id, role="org:member")) == 400
    assert _status(driver, lambda: memberships.create(org.id, user_id="user_missing", role="org:member")) == 404
    assert _status(driver, lambda: memberships.create("org_missing", user_id=ada.id, role="org:member")) == 404

    page = driver.resolve(memberships.list(org.id))
    assert page.total_count == 2 and {m.public_user_data.user_id for m in page} == {ada.id, bob.id}
    assert [m.role for m in driver.resolve(memberships.list(org.id, role=["org:admin"]))] == ["org:admin"]
    assert [m.public_user_data.user_id for m in driver.resolve(memberships.list(org.id, user_id=[bob.id]))] == [bob.id]
    found = driver.resolve(memberships.list(org.id, email_address=["bob@example.com"]))
    assert [m.public_user_data.user_id for m in found] == [bob.id]
    assert [m.organization.id for m in driver.resolve(clerk.users.get_organization_memberships(ada.id))] == [org.id]
    assert driver.resolve(clerk.users.get_instance_organization_memberships()).total_count == 2

    promoted = driver.resolve(memberships.update(org.id, bob.id, role="org:admin"))
    assert (promoted.role, promoted.role_name) == ("org:admin", "Admin")
    merged = driver.resolve(memberships.update_metadata(org.id, bob.id, public_metadata={"team": "core", "x": 1}))
    merged = driver.resolve(memberships.update_metadata(org.id, bob.id, public_metadata={"x": None}))
    assert merged.public_metadata == {"team": "core"}

    removed = driver.resolve(memberships.delete(org.id, bob.id))
    assert removed.public_user_data.user_id == bob.id
    assert _status(driver, lambda: memberships.delete(org.id, bob.id)) == 404
    assert driver.resolve(clerk.organizations.get(org.id)).members_count == 1

    # A deleted user leaves its organizations; a deleted organization takes its memberships along.
    driver.resolve(clerk.users.delete(ada.id))
    assert driver.resolve(clerk.organizations.get(org.id)).members_count == 0
    driver.resolve(memberships.create(org.id, user_id=bob.id, role="org:member"))
    driver.resolve(clerk.organizations.delete(org.id))
    assert local_clerk.backend_api.records("organization_memberships") == []


# -- organization invitations ----------------------------------------------------------------


def test_organization_invitations_are_kept_per_organization(driver: Driver, local_clerk: LocalClerk) -> None:
    clerk = _client(driver, local_clerk)
    inviter = _user(driver, clerk, "owner@example.com", first_name="Olga")
    invitee = _user(driver, clerk, "new@example.com")
    org = driver.resolve(clerk.organizations.create(name="Acme"))
    other = driver.resolve(clerk.organizations.create(name="Other"))
    invitations = clerk.organization_invitations

    sent = driver.resolve(
        invitations.create(
            org.id, email_address="new@example.com", role="org:member", inviter_user_id=inviter.id, expires_in_days=2
        )
    )
    assert (sent.object, sent.status, sent.organization_id, sent.role) == (
        "organization_invitation",
        "pending",
        org.id,
        "org:member",
    )
    assert sent.inviter_id == inviter.id and sent.public_inviter_data.first_name == "Olga"
    assert sent.expires_at - sent.created_at == 2 * 86_400_000
    bulk = driver.resolve(
        invitations.bulk_create(
            org.id,
            body=[
                {"email_address": "c@example.com", "role": "org:member"},
                {"email_address": "d@example.com", "role": "org:admin"},
            ],
        )
    )
    assert [i.email_address for i in bulk] == ["c@example.com", "d@example.com"]
    assert _status(driver, lambda: invitations.bulk_create(org.id, body=[{"email_address": "e@example.com"}])) == 422
    driver.resolve(invitations.create(other.id, email_address="new@example.com", role="org:member"))
    assert driver.resolve(clerk.organizations.get(org.id)).pending_invitations_count == 3

    assert driver.resolve(invitations.list(org.id)).total_count == 3
    listed = driver.resolve(invitations.list(org.id, email_address="c@example.com"))
    assert [i.email_address for i in listed] == ["c@example.com"]
    assert driver.resolve(invitations.get(org.id, sent.id)).id == sent.id
    assert (
        _status(driver, lambda: invitations.get(other.id, sent.id)) == 404
    )  # an invitation belongs to one organization

    revoked = driver.resolve(invitations.revoke(org.id, sent.id))
    assert revoked.status == "revoked"
    assert driver.resolve(invitations.list_pending(org.id)).total_count == 2
    assert [i.status for i in driver.resolve(invitations.list(org.id, status="revoked"))] == ["revoked"]
    assert driver.resolve(clerk.organizations.get(org.id)).pending_invitations_count == 2

    everywhere = driver.resolve(invitations.get_all())
    assert everywhere.total_count == 4
    assert {i.public_organization_data.name for i in everywhere} == {"Acme", "Other"}
    mine = driver.resolve(clerk.users.get_organization_invitations(invitee.id, status="pending"))
    assert [(i.organization_id, i.public_organization_data.slug) for i in mine] == [(other.id, "other")]
    assert (
        _status(driver, lambda: invitations.create("org_missing", email_address="x@example.com", role="org:member"))
        == 404
    )


# -- sessions and clients --------------------------------------------------------------------


def test_sessions_and_clients_are_the_local_instances_sessions(driver: Driver, local_clerk: LocalClerk) -> None:
    clerk = _client(driver, local_clerk)
    ada = _user(driver, clerk, "ada@example.com")
    org = driver.resolve(clerk.organizations.create(name="Acme"))
    driver.resolve(clerk.organization_memberships.create(org.id, user_id=ada.id, role="org:admin"))

    browser = local_clerk.create_session(user_id=ada.id, client_id="client_browser")
    created = driver.resolve(clerk.sessions.create(user_id=ada.id, active_organization_id=org.id))
    assert (created.object, created.user_id, created.status) == ("session", ada.id, "active")
    assert created.last_active_organization_id == org.id and created.expire_at > created.created_at
    assert _status(driver, lambda: clerk.sessions.create(user_id="user_missing")) == 404

    listed = driver.resolve(clerk.sessions.list(user_id=ada.id))
    assert {s.id for s in listed} == {browser.session_id, created.id}
    assert [s.id for s in driver.resolve(clerk.sessions.list(client_id="client_browser"))] == [browser.session_id]
    assert driver.resolve(clerk.sessions.get(browser.session_id)).client_id == "client_browser"

    # A session created through the Backend API mints tokens with its organization.
    token = driver.resolve(clerk.sessions.create_token(created.id))
    claims = driver.call(clerk, "verify_token", token.jwt)
    assert (claims["sid"], claims["sub"], claims["org_id"], claims["org_role"]) == (
        created.id,
        ada.id,
        org.id,
        "org:admin",
    )

    client = driver.resolve(clerk.clients.get("client_browser"))
    assert (client.object, client.session_ids, client.last_active_session_id) == (
        "client",
        [browser.session_id],
        browser.session_id,
    )
    assert driver.resolve(clerk.clients.list()).__len__() == 2
    assert _status(driver, lambda: clerk.clients.get("client_missing")) == 404

    # Revoked: still listed and readable, no longer served by the session routes.
    assert driver.resolve(clerk.sessions.revoke(browser.session_id)).status == "revoked"
    assert driver.resolve(clerk.sessions.get(browser.session_id)).status == "revoked"
    assert [s.id for s in driver.resolve(clerk.sessions.list(status="active"))] == [created.id]
    assert _status(driver, lambda: clerk.sessions.create_token(browser.session_id)) == 404
    assert driver.resolve(clerk.clients.get("client_browser")).last_active_session_id is None
    assert _status(driver, lambda: clerk.sessions.revoke("sess_missing")) == 404


# -- M2M tokens ------------------------------------------------------------------------------


def _bearer(token: str) -> ClerkRequest:
    return ClerkRequest("GET", "http://example.com/api", {"authorization": f"Bearer {token}"})


def test_m2m_tokens_are_created_with_the_machine_key_and_verify_until_revoked(
    driver: Driver, local_clerk: LocalClerk
) -> None:
    machine = _client(driver, local_clerk, secret_key=None, machine_secret_key=local_clerk.machine_secret_key)
    instance = _client(driver, local_clerk)
    # Creating needs the machine secret key: the instance key is refused as Clerk refuses it.
    refused = urllib.request.Request(
        f"{local_clerk.api_url}/m2m_tokens",
        data=b"{}",
        headers={"Authorization": f"Bearer {local_clerk.secret_key}", "Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(refused, timeout=5)
    assert caught.value.code == 401

    made = driver.resolve(machine.m2m.create_token(seconds_until_expiration=600, claims={"job": "sync"}))
    assert made.token.startswith("mt_") and made.id.startswith("mt_") and made.subject == local_clerk.machine_id
    assert made.expiration - made.created_at == 600_000 and made.claims == {"job": "sync"}
    verified = driver.resolve(instance.m2m.verify_token(token=made.token))
    assert (verified.id, verified.revoked) == (made.id, False)

    state = driver.call(instance, "authenticate_request", _bearer(made.token), accepts_token="m2m_token")
    assert state.status == "signed-in"
    auth = state.to_auth()
    assert isinstance(auth, MachineAuth) and auth.machine_id == local_clerk.machine_id and auth.id == made.id

    listed = driver.resolve(instance.m2m.list_tokens(subject=local_clerk.machine_id))
    assert [t.id for t in listed] == [made.id] and listed.total_count == 1
    assert not hasattr(listed.data[0], "token") or getattr(listed.data[0], "token", None) is None

    revoked = driver.resolve(machine.m2m.revoke_token(made.id, revocation_reason="rotated"))
    assert (revoked.revoked, revoked.revocation_reason) == (True, "rotated")
    assert _status(driver, lambda: instance.m2m.verify_token(token=made.token)) == 404
    state = driver.call(instance, "authenticate_request", _bearer(made.token), accepts_token="m2m_token")
    assert (state.status, state.reason) == ("signed-out", "token-invalid")
    assert [t.id for t in driver.resolve(instance.m2m.list_tokens(subject=local_clerk.machine_id, revoked=False))] == []


def test_jwt_format_m2m_tokens_verify_locally(driver: Driver, local_clerk: LocalClerk) -> None:
    machine = _client(driver, local_clerk, secret_key=None, machine_secret_key=local_clerk.machine_secret_key)
    made = driver.resolve(machine.m2m.create_token(token_format="jwt", seconds_until_expiration=120))
    assert made.token.count(".") == 2
    instance = _client(driver, local_clerk)
    before = len(local_clerk.requests)
    verified = driver.call(instance, "verify_machine_token", made.token)
    assert (verified.subject, verified.id) == (local_clerk.machine_id, made.id)
    assert verified.expiration == made.expiration
    assert [r.path for r in local_clerk.requests[before:]] == ["/v1/jwks"]  # the key, not the token, was fetched
    assert _status(driver, lambda: machine.m2m.create_token(token_format="paseto")) == 422


# -- API keys --------------------------------------------------------------------------------


def test_api_keys_are_kept_verified_updated_revoked_and_deleted(driver: Driver, local_clerk: LocalClerk) -> None:
    clerk = _client(driver, local_clerk)
    ada = _user(driver, clerk, "ada@example.com")
    keys = clerk.api_keys

    made = driver.resolve(
        keys.create_api_key(name="ci", subject=ada.id, scopes=["read"], claims={"env": "ci"}, description="CI")
    )
    assert made.secret.startswith("ak_") and made.id.startswith("ak_") and made.object == "api_key"
    assert (made.name, made.subject, made.scopes, made.revoked) == ("ci", ada.id, ["read"], False)
    second = driver.resolve(keys.create_api_key(name="deploy", subject=ada.id, seconds_until_expiration=60))
    assert second.expiration - second.created_at == 60_000

    assert driver.resolve(keys.get_api_key_secret(made.id)).secret == made.secret
    assert driver.resolve(keys.verify_api_key(secret=made.secret)).id == made.id
    state = driver.call(clerk, "authenticate_request", _bearer(made.secret), accepts_token="api_key")
    auth = state.to_auth()
    assert isinstance(auth, MachineAuth) and (auth.user_id, auth.name, auth.scopes) == (ada.id, "ci", ["read"])

    assert {k.id for k in driver.resolve(keys.get_api_keys(subject=ada.id))} == {made.id, second.id}
    assert [k.id for k in driver.resolve(keys.get_api_keys(subject=ada.id, query="DEP"))] == [second.id]
    assert driver.resolve(keys.get_api_keys(subject="user_other")).total_count == 0

    updated = driver.resolve(keys.update_api_key(made.id, scopes=["read", "write"], description="CI runner"))
    assert (updated.scopes, updated.description) == (["read", "write"], "CI runner")
    assert driver.resolve(keys.get_api_key(made.id)).scopes == ["read", "write"]

    assert driver.resolve(keys.revoke_api_key(made.id, revocation_reason="leaked")).revoked is True
    assert _status(driver, lambda: keys.verify_api_key(secret=made.secret)) == 404
    assert [k.id for k in driver.resolve(keys.get_api_keys(subject=ada.id))] == [second.id]
    assert {k.id for k in driver.resolve(keys.get_api_keys(subject=ada.id, include_invalid="true"))} == {
        made.id,
        second.id,
    }

    deleted = driver.resolve(keys.delete_api_key(second.id))
    assert (deleted.id, deleted.deleted) == (second.id, True)
    assert _status(driver, lambda: keys.get_api_key(second.id)) == 404
    assert _status(driver, lambda: keys.verify_api_key(secret=second.secret)) == 404


def test_reset_forgets_the_new_state_too(local_clerk: LocalClerk) -> None:
    local_clerk.create_session(user_id="user_1")
    local_clerk.register_machine_token("api_key", "ak_kept")
    local_clerk.reset()
    assert local_clerk._store.sessions() == []
    assert local_clerk._lookup("api_key", "ak_kept") is None


@pytest.mark.parametrize("fields", [{"revoked": True}, {"expired": True}, {"expiration": 1_000}])
def test_a_registered_credential_that_clerk_would_refuse_does_not_verify(
    driver: Driver, local_clerk: LocalClerk, fields: dict[str, Any]
) -> None:
    local_clerk.register_machine_token("api_key", "ak_refused", **fields)
    local_clerk.register_machine_token("api_key", "ak_fine")
    clerk = _client(driver, local_clerk)
    assert _status(driver, lambda: clerk.api_keys.verify_api_key(secret="ak_refused")) == 404
    assert driver.resolve(clerk.api_keys.verify_api_key(secret="ak_fine")).revoked is False
