"""The local instance's Backend API: every operation answered, the main resources kept in memory.

:class:`BackendApiEmulator` routes a request to the operation of the spec it names (the client's
own operation data, so the two can never disagree about a path), checks it against that
operation (:mod:`clerk_core.testing.bapi_checks`), then either runs it against in-memory state
or, for operations without state here, answers with a response built from the operation's
model. State is kept for users (create, list with filters, count, get, update, metadata, ban,
lock, profile image, delete), organizations (create, list, get by id or slug, update, metadata,
delete) with their memberships and invitations (:mod:`~clerk_core.testing.emulator_orgs`),
invitations, allowlist and blocklist identifiers, redirect URLs, JWT templates, sign-in tokens,
sessions and clients (:mod:`~clerk_core.testing.emulator_sessions`), M2M tokens and API keys
(:mod:`~clerk_core.testing.emulator_machines`). Errors have Clerk's shape: 404
``resource_not_found``, 422 ``form_param_*``.
"""

from __future__ import annotations

import copy
import functools
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from clerk_core.api._extra_operations import EXTRA_OPERATIONS
from clerk_core.api._gen_operations import OPERATIONS
from clerk_core.api.call import response_model
from clerk_core.api.operation import Operation
from clerk_core.testing import bapi, emulator_machines, emulator_orgs, emulator_sessions
from clerk_core.testing.bapi_checks import RequestProblem, check_request, object_tag, sample_object, sample_response
from clerk_core.testing.emulator_kit import Call, Handler, Reply, clerk_error, deep_merge, found, listing, now_ms, one
from clerk_core.testing.machine_tokens import MachineTokens
from clerk_core.testing.sessions import SessionStore

__all__ = ["BackendApiEmulator", "Reply"]


@dataclass(frozen=True)
class _Route:
    op: Operation
    pattern: re.Pattern[str]
    literal_segments: int


def _route(op: Operation) -> _Route:
    prefix = "/v1" if op.versioned else ""
    parts = re.split(r"(\{[^}]+\})", op.path)
    regex = "".join(f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts)
    literal = sum(1 for segment in op.path.split("/") if segment and not segment.startswith("{"))
    return _Route(op, re.compile(f"^{prefix}{regex}/?$"), literal)


@functools.cache
def _routes() -> dict[str, list[_Route]]:
    """Every operation's route by method, literal paths before templated ones (built once)."""
    routes = sorted(
        (_route(op) for op in (*OPERATIONS, *EXTRA_OPERATIONS)),
        # /users/count is not /users/{user_id}.
        key=lambda route: (-route.literal_segments, route.op.path.count("{")),
    )
    by_method: dict[str, list[_Route]] = {}
    for route in routes:
        by_method.setdefault(route.op.method, []).append(route)
    return by_method


@dataclass(frozen=True)
class _Resource:
    """A collection the emulator keeps: its model, the ``object`` tag and the id prefix."""

    model: str
    prefix: str


_RESOURCES: Final = {
    "users": _Resource("User", "user"),
    "organizations": _Resource("Organization", "org"),
    "invitations": _Resource("Invitation", "inv"),
    "allowlist_identifiers": _Resource("AllowlistIdentifier", "alid"),
    "blocklist_identifiers": _Resource("BlocklistIdentifier", "blid"),
    "redirect_urls": _Resource("RedirectURL", "ru"),
    "jwt_templates": _Resource("JWTTemplate", "jtmp"),
    "sign_in_tokens": _Resource("SignInToken", "sit"),
    "organization_memberships": _Resource("OrganizationMembership", "orgmem"),
    "organization_invitations": _Resource("OrganizationInvitation", "orginv"),
}

#: Body members that are write-only or shaped differently on the resource; never copied as is.
_NOT_COPIED: Final = frozenset(
    {
        "password",
        "password_digest",
        "password_hasher",
        "skip_password_checks",
        "skip_password_requirement",
        "email_address",
        "phone_number",
        "web3_wallet",
        "notify",
        "ignore_existing",
        "expires_in_days",
        "redirect_url",
        "created_by",
        "max_allowed_memberships",
    }
)
#: Members a request never overwrites: the body's ones, and those the record owns.
_KEPT: Final = _NOT_COPIED | {"id", "object", "created_at", "updated_at"}
_METADATA: Final = ("public_metadata", "private_metadata", "unsafe_metadata")


#: Mints a JWT-format M2M token: keywords ``sub``, ``jti``, ``ttl``, ``claims``, ``scopes``, ``now``.
MintM2MJwt = Callable[..., str]


class BackendApiEmulator:
    """Routes, checks and answers Backend API requests; thread-safe.

    ``sessions`` and ``machine_tokens`` are the state it shares with the rest of the local
    instance (its session routes and verify routes); each defaults to a private store.
    ``machine_id`` is the machine whose secret key creates M2M tokens, and ``mint_m2m_jwt``
    signs JWT-format ones (without it, ``token_format="jwt"`` is refused).
    """

    def __init__(
        self,
        *,
        sessions: SessionStore | None = None,
        machine_tokens: MachineTokens | None = None,
        machine_id: str | None = None,
        mint_m2m_jwt: MintM2MJwt | None = None,
    ) -> None:
        """An instance with no users, organizations or other records."""
        self._lock = threading.Lock()
        self._store: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in _RESOURCES}
        self._sessions = sessions if sessions is not None else SessionStore()
        self._machine_tokens = machine_tokens if machine_tokens is not None else MachineTokens()
        self._mint_m2m_jwt = mint_m2m_jwt
        self.machine_id: Final = machine_id if machine_id is not None else "mch_" + secrets.token_hex(14)[:27]

    def reset(self) -> None:
        """Forget every record, session and machine credential."""
        with self._lock:
            for records in self._store.values():
                records.clear()
        self._sessions.clear()
        self._machine_tokens.clear()

    def records(self, resource: str) -> list[dict[str, Any]]:
        """Copies of the records of ``resource`` (``users``, ``organizations``, …), oldest first."""
        with self._lock:
            return copy.deepcopy(list(self._store[resource].values()))

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation ``method path`` names, and its path parameters (still escaped)."""
        for route in _routes().get(method, ()):
            found = route.pattern.match(path)
            if found is not None:
                return route.op, found.groupdict()
        return None

    def handle(
        self,
        op: Operation,
        path_args: Mapping[str, str],
        query: Mapping[str, list[str]],
        body: bytes,
        content_type: str,
    ) -> Reply:
        """Check the request against ``op`` and answer it."""
        from urllib.parse import unquote

        args = {name: unquote(value) for name, value in path_args.items()}
        if any(value in ("", ".", "..") for value in args.values()):
            return Reply(404, bapi.not_found())
        try:
            values, payload = check_request(op, query, body, content_type)
        except RequestProblem as problem:
            return Reply(problem.status, problem.body)
        handler = _HANDLERS.get(op.id)
        if handler is None:
            status, sample = sample_response(op)
            return Reply(status, sample)
        with self._lock:
            return handler(self, Call(op, args, values, payload))

    # -- the generic actions on a kept resource ------------------------------------------------

    def _new(self, resource: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        spec = _RESOURCES[resource]
        model = response_model(spec.model)
        # Clerk sends empty collections as [] and absent objects as null.
        record: dict[str, Any] = {
            key: [] if isinstance(value, list) else None if isinstance(value, dict) else value
            for key, value in _template(resource).items()
        }
        now = now_ms()
        record_id = f"{spec.prefix}_{secrets.token_hex(12)}"
        record.update(id=record_id, object=object_tag(model))
        for stamp in ("created_at", "updated_at"):
            if stamp in record:
                record[stamp] = now
        for key in _METADATA:
            if key in record:
                record[key] = {}
        self._store[resource][record_id] = record
        return self._update(record, fields, resource=resource, touch=False)

    def _get(self, resource: str, record_id: str) -> dict[str, Any] | None:
        return self._store[resource].get(record_id)

    def _update(
        self, record: dict[str, Any], fields: Mapping[str, Any], *, resource: str, touch: bool = True
    ) -> dict[str, Any]:
        template = _template(resource)
        for key, value in fields.items():
            if key in record and key not in _KEPT and _same_kind(template.get(key), value):
                record[key] = copy.deepcopy(value)
        if touch and "updated_at" in record:
            record["updated_at"] = now_ms()
        return record

    def _delete(self, resource: str, record_id: str) -> Reply:
        record = self._store[resource].pop(record_id, None)
        if record is None:
            return Reply(404, bapi.not_found())
        return Reply(200, {"object": record["object"], "id": record_id, "deleted": True})


@functools.cache
def _template(resource: str) -> dict[str, Any]:
    """A sample of the kept model: the type of each field, so a body value of another type
    (``created_at`` is a date string in CreateUser, an integer on the user) is not kept."""
    return sample_object(response_model(_RESOURCES[resource].model))


def _same_kind(sample: Any, value: Any) -> bool:
    if sample is None or value is None:
        return True
    if isinstance(sample, bool) or isinstance(value, bool):
        return isinstance(sample, bool) and isinstance(value, bool)
    if isinstance(sample, (int, float)):
        return isinstance(value, (int, float)) and (isinstance(sample, float) or isinstance(value, int))
    return isinstance(value, type(sample))


# -- users -----------------------------------------------------------------------------------


def _create_user(em: BackendApiEmulator, call: Call) -> Reply:
    emails = call.body.get("email_address") or []
    for address in emails:
        if any(address in _user_emails(user) for user in em._store["users"].values()):
            return clerk_error(
                422,
                "form_identifier_exists",
                "That email address is taken. Please try another.",
                message="is taken",
                param="email_address",
            )
    user = em._new("users", call.body)
    now = now_ms()
    user["email_addresses"] = [
        {
            "id": f"idn_{secrets.token_hex(12)}",
            "object": "email_address",
            "email_address": address,
            "reserved": False,
            "verification": {
                "object": "verification_admin",
                "status": "verified",
                "strategy": "admin",
                "attempts": None,
                "expire_at": None,
            },
            "linked_to": [],
            "created_at": now,
            "updated_at": now,
        }
        for address in emails
    ]
    user["primary_email_address_id"] = user["email_addresses"][0]["id"] if emails else None
    user["phone_numbers"] = [
        {"id": f"idn_{secrets.token_hex(12)}", "object": "phone_number", "phone_number": number}
        for number in call.body.get("phone_number") or []
    ]
    user["password_enabled"] = bool(call.body.get("password") or call.body.get("password_digest"))
    for flag in ("banned", "locked", "two_factor_enabled", "totp_enabled", "backup_code_enabled"):
        user[flag] = False
    return Reply(200, copy.deepcopy(user))


def _user_emails(user: Mapping[str, Any]) -> list[str]:
    return [item.get("email_address") for item in user.get("email_addresses") or []]


def _user_matches(user: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    wanted: dict[str, list[Any]] = {
        "email_address": _user_emails(user),
        "user_id": [user.get("id")],
        "username": [user.get("username")],
        "external_id": [user.get("external_id")],
        "phone_number": [item.get("phone_number") for item in user.get("phone_numbers") or []],
    }
    for name, present in wanted.items():
        asked = values.get(name)
        if asked and not set(asked) & set(present):
            return False
    query = values.get("query")
    if query:
        haystack = " ".join(
            str(part)
            for part in (
                user.get("first_name"),
                user.get("last_name"),
                user.get("username"),
                user.get("id"),
                *_user_emails(user),
            )
            if part
        ).lower()
        if query.lower() not in haystack:
            return False
    return True


def _list_users(em: BackendApiEmulator, call: Call) -> Reply:
    users = [user for user in em._store["users"].values() if _user_matches(user, call.values)]
    return listing(call.op, users, call.values)


def _count_users(em: BackendApiEmulator, call: Call) -> Reply:
    count = sum(1 for user in em._store["users"].values() if _user_matches(user, call.values))
    return Reply(200, {"object": "total_count", "total_count": count})


# -- generic handlers, bound per operation -----------------------------------------------------


def _create(resource: str, **defaults: Any) -> Handler:
    def handler(em: BackendApiEmulator, call: Call) -> Reply:
        record = em._new(resource, call.body or {})
        for key, value in defaults.items():
            record[key] = value(record, call.body) if callable(value) else value
        return Reply(200, copy.deepcopy(record))

    return handler


def _list(resource: str) -> Handler:
    def handler(em: BackendApiEmulator, call: Call) -> Reply:
        return listing(call.op, list(em._store[resource].values()), call.values)

    return handler


def _get(resource: str, *, by: str | None = None) -> Handler:
    def handler(em: BackendApiEmulator, call: Call) -> Reply:
        key = one(call.args)
        record = em._get(resource, key)
        if record is None and by is not None:
            record = next((item for item in em._store[resource].values() if item.get(by) == key), None)
        return found(record)

    return handler


def _update(resource: str, *, by: str | None = None, **changes: Any) -> Handler:
    getter = _get(resource, by=by)

    def handler(em: BackendApiEmulator, call: Call) -> Reply:
        found = getter(em, call)
        if found.status != 200:
            return found
        record = em._store[resource][found.body["id"]]
        em._update(record, {**(call.body or {}), **changes}, resource=resource)
        return Reply(200, copy.deepcopy(record))

    return handler


def _metadata(resource: str, *, merge: bool) -> Handler:
    def handler(em: BackendApiEmulator, call: Call) -> Reply:
        record = em._get(resource, one(call.args))
        if record is None:
            return Reply(404, bapi.not_found())
        for key in _METADATA:
            if key in (call.body or {}) and key in record:
                given = call.body[key] or {}
                record[key] = deep_merge(record.get(key) or {}, given) if merge else copy.deepcopy(given)
        record["updated_at"] = now_ms()
        return Reply(200, copy.deepcopy(record))

    return handler


def _delete(resource: str, *, then: Callable[[BackendApiEmulator, str], None] | None = None) -> Handler:
    def handler(em: BackendApiEmulator, call: Call) -> Reply:
        reply = em._delete(resource, one(call.args))
        if then is not None and reply.status == 200:
            then(em, one(call.args))
        return reply

    return handler


def _slug(record: Mapping[str, Any], body: Any) -> str:
    given = (body or {}).get("slug")
    return str(given) if given else re.sub(r"[^a-z0-9]+", "-", str(record.get("name") or "").lower()).strip("-")


def _identifier_type(record: Mapping[str, Any], body: Any) -> str:
    identifier = str((body or {}).get("identifier") or "")
    if identifier.startswith("+"):
        return "phone_number"
    return "email_address" if "@" in identifier else "web3_wallet"


_HANDLERS: Final[dict[str, Handler]] = {
    "CreateUser": _create_user,
    "GetUserList": _list_users,
    "GetUsersCount": _count_users,
    "GetUser": _get("users"),
    "UpdateUser": _update("users"),
    "DeleteUser": _delete("users", then=emulator_orgs.forget_user),
    "BanUser": _update("users", banned=True),
    "UnbanUser": _update("users", banned=False),
    "LockUser": _update("users", locked=True),
    "UnlockUser": _update("users", locked=False),
    "SetUserProfileImage": _update("users", has_image=True),
    "DeleteUserProfileImage": _update("users", has_image=False),
    "UpdateUserMetadata": _metadata("users", merge=True),
    "ReplaceUserMetadata": _metadata("users", merge=False),
    "CreateOrganization": _create("organizations", slug=_slug, members_count=0),
    "ListOrganizations": _list("organizations"),
    "GetOrganization": _get("organizations", by="slug"),
    "UpdateOrganization": _update("organizations", by="slug"),
    "DeleteOrganization": _delete("organizations", then=emulator_orgs.forget_organization),
    "MergeOrganizationMetadata": _metadata("organizations", merge=True),
    "ReplaceOrganizationMetadata": _metadata("organizations", merge=False),
    "CreateInvitation": _create(
        "invitations", email_address=lambda record, body: body["email_address"], status="pending", revoked=False
    ),
    "ListInvitations": _list("invitations"),
    "RevokeInvitation": _update("invitations", status="revoked", revoked=True),
    "DeleteInvitation": _delete("invitations"),
    "CreateAllowlistIdentifier": _create("allowlist_identifiers", identifier_type=_identifier_type),
    "ListAllowlistIdentifiers": _list("allowlist_identifiers"),
    "DeleteAllowlistIdentifier": _delete("allowlist_identifiers"),
    "CreateBlocklistIdentifier": _create("blocklist_identifiers", identifier_type=_identifier_type),
    "ListBlocklistIdentifiers": _list("blocklist_identifiers"),
    "DeleteBlocklistIdentifier": _delete("blocklist_identifiers"),
    "CreateRedirectURL": _create("redirect_urls"),
    "ListRedirectURLs": _list("redirect_urls"),
    "GetRedirectURL": _get("redirect_urls"),
    "DeleteRedirectURL": _delete("redirect_urls"),
    "CreateJWTTemplate": _create("jwt_templates"),
    "ListJWTTemplates": _list("jwt_templates"),
    "GetJWTTemplate": _get("jwt_templates"),
    "UpdateJWTTemplate": _update("jwt_templates"),
    "DeleteJWTTemplate": _delete("jwt_templates"),
    "CreateSignInToken": _create(
        "sign_in_tokens", status="pending", token=lambda record, body: secrets.token_urlsafe(24)
    ),
    "RevokeSignInToken": _update("sign_in_tokens", status="revoked"),
    **emulator_orgs.HANDLERS,
    **emulator_sessions.HANDLERS,
    **emulator_machines.HANDLERS,
}
