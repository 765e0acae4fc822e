"""Organization memberships and organization invitations, kept by the Backend API emulator.

A membership joins a kept user and a kept organization: it answers with the organization as it
is now and the user's public data, keeps the organization's ``members_count``, and goes away with
either side. Invitations belong to an organization and keep its ``pending_invitations_count``.
The roles are Clerk's defaults: ``org:admin`` and ``org:member``, with their system permissions;
any other role key is kept as given, with no permissions.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from clerk_core.testing.emulator_kit import (
    Call,
    Handler,
    Reply,
    clerk_error,
    deep_merge,
    found,
    listing,
    now_ms,
    wanted,
)

if TYPE_CHECKING:
    from clerk_core.testing.emulator import BackendApiEmulator

__all__ = ["HANDLERS", "forget_organization", "forget_user"]

_MEMBERSHIPS: Final = "organization_memberships"
_INVITATIONS: Final = "organization_invitations"
#: Clerk's system permissions of its two default roles.
_PERMISSIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "org:admin": (
        "org:sys_profile:manage",
        "org:sys_profile:delete",
        "org:sys_memberships:read",
        "org:sys_memberships:manage",
        "org:sys_domains:read",
        "org:sys_domains:manage",
    ),
    "org:member": ("org:sys_memberships:read",),
}
_DAY_MS: Final = 86_400_000
_DEFAULT_INVITATION_DAYS: Final = 30


def _role_name(role: str) -> str:
    return role.removeprefix("org:").replace("_", " ").title()


def _public_user_data(user: Mapping[str, Any]) -> dict[str, Any]:
    emails = user.get("email_addresses") or []
    return {
        "user_id": user["id"],
        "first_name": user.get("first_name"),
        "last_name": user.get("last_name"),
        "username": user.get("username"),
        "identifier": emails[0]["email_address"] if emails else user.get("username") or "",
        "image_url": user.get("image_url") or "",
        "profile_image_url": user.get("profile_image_url") or "",
        "has_image": bool(user.get("has_image")),
        "banned": bool(user.get("banned")),
        "deprovisioned": False,
    }


def _org_of(record: Mapping[str, Any]) -> str:
    return str(record["organization"]["id"])


def _user_of(record: Mapping[str, Any]) -> str:
    return str(record["public_user_data"]["user_id"])


def _memberships(em: BackendApiEmulator) -> dict[str, dict[str, Any]]:
    return em._store[_MEMBERSHIPS]


def _view(em: BackendApiEmulator, record: Mapping[str, Any]) -> dict[str, Any]:
    """A membership as Clerk answers it: the organization and the user as they are now."""
    view = copy.deepcopy(dict(record))
    organization = em._get("organizations", _org_of(record))
    if organization is not None:
        view["organization"] = copy.deepcopy(organization)
    user = em._get("users", _user_of(record))
    if user is not None:
        view["public_user_data"] = _public_user_data(user)
    return view


def _membership(em: BackendApiEmulator, org_id: str, user_id: str) -> dict[str, Any] | None:
    return next(
        (m for m in _memberships(em).values() if _org_of(m) == org_id and _user_of(m) == user_id),
        None,
    )


def _count(em: BackendApiEmulator, org_id: str, field: str, delta: int) -> None:
    organization = em._get("organizations", org_id)
    if organization is not None and isinstance(organization.get(field), int):
        organization[field] = max(0, organization[field] + delta)


def _organization_or_404(em: BackendApiEmulator, call: Call) -> dict[str, Any] | Reply:
    organization = em._get("organizations", call.args["organization_id"])
    return organization if organization is not None else found(None)


def _set_role(record: dict[str, Any], role: str) -> None:
    record["role"] = role
    record["role_name"] = _role_name(role)
    record["permissions"] = list(_PERMISSIONS.get(role, ()))


# -- memberships -----------------------------------------------------------------------------


def _create_membership(em: BackendApiEmulator, call: Call) -> Reply:
    organization = _organization_or_404(em, call)
    if isinstance(organization, Reply):
        return organization
    user_id = call.body["user_id"]
    user = em._get("users", user_id)
    if user is None:
        return found(None)
    if _membership(em, organization["id"], user_id) is not None:
        return clerk_error(
            400,
            "already_a_member_in_organization",
            f"User is already a member of the organization {organization['id']}.",
            param="user_id",
        )
    record = em._new(_MEMBERSHIPS, {})
    record["organization"] = {"id": organization["id"]}
    record["public_user_data"] = {"user_id": user_id}
    _set_role(record, call.body["role"])
    for key in ("public_metadata", "private_metadata"):
        record[key] = copy.deepcopy(call.body.get(key) or {})
    _count(em, organization["id"], "members_count", +1)
    return Reply(200, _view(em, record))


def _user_matches(user: Mapping[str, Any] | None, values: Mapping[str, Any]) -> bool:
    if user is None:
        return False
    emails = {item.get("email_address") for item in user.get("email_addresses") or []}
    checks: Iterable[tuple[str, set[Any]]] = (
        ("email_address", emails),
        ("username", {user.get("username")}),
        ("phone_number", {item.get("phone_number") for item in user.get("phone_numbers") or []}),
    )
    for name, present in checks:
        asked = wanted(values, name)
        if asked is not None and not asked & present:
            return False
    query = str(values.get("query") or "").lower()
    if query:
        haystack = " ".join(
            str(part)
            for part in (user.get("first_name"), user.get("last_name"), user.get("username"), user["id"], *emails)
            if part
        ).lower()
        return query in haystack
    return True


def _list_memberships(em: BackendApiEmulator, call: Call) -> Reply:
    organization = _organization_or_404(em, call)
    if isinstance(organization, Reply):
        return organization
    users, roles = wanted(call.values, "user_id"), wanted(call.values, "role")
    needs_user = any(call.values.get(name) for name in ("email_address", "username", "phone_number", "query"))
    records = [
        _view(em, m)
        for m in _memberships(em).values()
        if _org_of(m) == organization["id"]
        and (users is None or _user_of(m) in users)
        and (roles is None or m["role"] in roles)
        and (not needs_user or _user_matches(em._get("users", _user_of(m)), call.values))
    ]
    return listing(call.op, records, call.values)


def _user_memberships(em: BackendApiEmulator, call: Call) -> Reply:
    user_id = call.args["user_id"]
    records = [_view(em, m) for m in _memberships(em).values() if _user_of(m) == user_id]
    return listing(call.op, records, call.values)


def _instance_memberships(em: BackendApiEmulator, call: Call) -> Reply:
    return listing(call.op, [_view(em, m) for m in _memberships(em).values()], call.values)


def _existing_membership(em: BackendApiEmulator, call: Call) -> dict[str, Any] | Reply:
    record = _membership(em, call.args["organization_id"], call.args["user_id"])
    return record if record is not None else found(None)


def _membership_change(apply: Callable[[dict[str, Any], Mapping[str, Any]], None]) -> Handler:
    """A handler that finds the membership, applies ``apply(record, body)`` and answers with it."""

    def handler(em: BackendApiEmulator, call: Call) -> Reply:
        record = _existing_membership(em, call)
        if isinstance(record, Reply):
            return record
        apply(record, call.body)
        record["updated_at"] = now_ms()
        return Reply(200, _view(em, record))

    return handler


def _merge_metadata(record: dict[str, Any], body: Mapping[str, Any]) -> None:
    for key in ("public_metadata", "private_metadata"):
        if key in body:
            record[key] = deep_merge(record.get(key) or {}, body[key] or {})


def _delete_membership(em: BackendApiEmulator, call: Call) -> Reply:
    record = _existing_membership(em, call)
    if isinstance(record, Reply):
        return record
    view = _view(em, record)
    del _memberships(em)[record["id"]]
    _count(em, _org_of(record), "members_count", -1)
    return Reply(200, view)


def forget_user(em: BackendApiEmulator, user_id: str) -> None:
    """Drop a deleted user's memberships, as Clerk does."""
    for record in [m for m in _memberships(em).values() if _user_of(m) == user_id]:
        del _memberships(em)[record["id"]]
        _count(em, _org_of(record), "members_count", -1)


def forget_organization(em: BackendApiEmulator, org_id: str) -> None:
    """Drop a deleted organization's memberships and invitations."""
    for store, owner in ((_memberships(em), _org_of), (em._store[_INVITATIONS], _invited_to)):
        for record_id in [key for key, record in store.items() if owner(record) == org_id]:
            del store[record_id]


# -- invitations -----------------------------------------------------------------------------


def _invited_to(record: Mapping[str, Any]) -> str:
    return str(record["organization_id"])


def _invite(em: BackendApiEmulator, organization: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    record = em._new(_INVITATIONS, {})
    days = body.get("expires_in_days") or _DEFAULT_INVITATION_DAYS
    inviter = em._get("users", body["inviter_user_id"]) if body.get("inviter_user_id") else None
    record.update(
        email_address=body["email_address"],
        organization_id=organization["id"],
        status="pending",
        inviter_id=inviter["id"] if inviter is not None else None,
        public_inviter_data=_public_user_data(inviter) if inviter is not None else None,
        public_metadata=copy.deepcopy(body.get("public_metadata") or {}),
        private_metadata=copy.deepcopy(body.get("private_metadata") or {}),
        url=None,
        expires_at=record["created_at"] + int(days) * _DAY_MS,
    )
    _set_role(record, body["role"])
    record.pop("permissions", None)
    _count(em, organization["id"], "pending_invitations_count", +1)
    return record


def _create_invitation(em: BackendApiEmulator, call: Call) -> Reply:
    organization = _organization_or_404(em, call)
    if isinstance(organization, Reply):
        return organization
    return Reply(200, copy.deepcopy(_invite(em, organization, call.body)))


def _create_invitations(em: BackendApiEmulator, call: Call) -> Reply:
    organization = _organization_or_404(em, call)
    if isinstance(organization, Reply):
        return organization
    for index, body in enumerate(call.body):
        for member in ("email_address", "role"):
            if not isinstance(body, dict) or not isinstance(body.get(member), str):
                return clerk_error(
                    422, "form_param_missing", f"{member} is missing in invitation {index}.", param=member
                )
    created = [_invite(em, organization, body) for body in call.body]
    return Reply(200, {"data": copy.deepcopy(created), "total_count": len(created)})


def _with_public_organization(em: BackendApiEmulator, record: Mapping[str, Any]) -> dict[str, Any]:
    view = copy.deepcopy(dict(record))
    organization = em._get("organizations", _invited_to(record)) or {}
    view["public_organization_data"] = {
        key: organization.get(key) for key in ("id", "name", "slug", "image_url", "has_image")
    }
    return view


def _invitations(em: BackendApiEmulator, call: Call, *, status: str | None = None) -> list[dict[str, Any]]:
    statuses = {status} if status is not None else wanted(call.values, "status")
    emails = wanted(call.values, "email_address")
    query = str(call.values.get("query") or "").lower()
    org_id = call.args.get("organization_id")
    return [
        record
        for record in em._store[_INVITATIONS].values()
        if (org_id is None or _invited_to(record) == org_id)
        and (statuses is None or record["status"] in statuses)
        and (emails is None or record["email_address"] in emails)
        and (not query or query in record["email_address"].lower())
    ]


def _list_invitations(*, status: str | None = None) -> Handler:
    def handler(em: BackendApiEmulator, call: Call) -> Reply:
        organization = _organization_or_404(em, call)
        if isinstance(organization, Reply):
            return organization
        return listing(call.op, _invitations(em, call, status=status), call.values)

    return handler


def _instance_invitations(em: BackendApiEmulator, call: Call) -> Reply:
    records = [_with_public_organization(em, record) for record in _invitations(em, call)]
    return listing(call.op, records, call.values)


def _user_invitations(em: BackendApiEmulator, call: Call) -> Reply:
    user = em._get("users", call.args["user_id"])
    if user is None:
        return found(None)
    emails = {item.get("email_address") for item in user.get("email_addresses") or []}
    records = [
        _with_public_organization(em, record) for record in _invitations(em, call) if record["email_address"] in emails
    ]
    return listing(call.op, records, call.values)


def _invitation(em: BackendApiEmulator, call: Call) -> dict[str, Any] | None:
    record = em._get(_INVITATIONS, call.args["invitation_id"])
    return record if record is not None and _invited_to(record) == call.args["organization_id"] else None


def _get_invitation(em: BackendApiEmulator, call: Call) -> Reply:
    return found(_invitation(em, call))


def _revoke_invitation(em: BackendApiEmulator, call: Call) -> Reply:
    record = _invitation(em, call)
    if record is None:
        return found(None)
    if record["status"] == "pending":
        _count(em, _invited_to(record), "pending_invitations_count", -1)
    record.update(status="revoked", updated_at=now_ms())
    return Reply(200, copy.deepcopy(record))


HANDLERS: Final[Mapping[str, Handler]] = {
    "CreateOrganizationMembership": _create_membership,
    "ListOrganizationMemberships": _list_memberships,
    "UpdateOrganizationMembership": _membership_change(lambda record, body: _set_role(record, body["role"])),
    "UpdateOrganizationMembershipMetadata": _membership_change(_merge_metadata),
    "DeleteOrganizationMembership": _delete_membership,
    "UsersGetOrganizationMemberships": _user_memberships,
    "InstanceGetOrganizationMemberships": _instance_memberships,
    "CreateOrganizationInvitation": _create_invitation,
    "CreateOrganizationInvitationBulk": _create_invitations,
    "ListOrganizationInvitations": _list_invitations(),
    "ListPendingOrganizationInvitations": _list_invitations(status="pending"),
    "GetOrganizationInvitation": _get_invitation,
    "RevokeOrganizationInvitation": _revoke_invitation,
    "ListInstanceOrganizationInvitations": _instance_invitations,
    "UsersGetOrganizationInvitations": _user_invitations,
}
