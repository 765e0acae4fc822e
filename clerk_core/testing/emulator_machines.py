"""M2M tokens and API keys of the Backend API emulator, verifiable through the verify routes.

A token or key created here is registered in the local instance's
:class:`~clerk_core.testing.machine_tokens.MachineTokens`, so ``POST /m2m_tokens/verify``,
``POST /api_keys/verify`` — and through them :func:`~clerk_core.verify_token` and
``authenticate_request`` — accept it until it is revoked, expires or is deleted. M2M tokens are
created with the machine secret key and belong to the local instance's machine
(:attr:`~clerk_core.testing.LocalClerk.machine_id`); JWT-format ones are signed with the signing
key and verify locally as well.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from clerk_core.testing import bapi
from clerk_core.testing.emulator_kit import Call, Handler, Reply, clerk_error, found, listing, now_ms
from clerk_core.testing.machine_tokens import is_usable

if TYPE_CHECKING:
    from clerk_core.testing.emulator import BackendApiEmulator

__all__ = ["HANDLERS"]

#: The lifetime of a JWT-format M2M token created without ``seconds_until_expiration``.
_DEFAULT_JWT_SECONDS: Final = 3600
_TRUE: Final = frozenset({"true", "1"})


def _expiration(seconds: Any, created: int) -> int | None:
    return created + int(float(seconds) * 1000) if seconds is not None else None


def _current(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with ``expired`` as of now (the registry keeps what was last written)."""
    expiration = obj.get("expiration")
    if isinstance(expiration, (int, float)) and expiration <= now_ms():
        obj["expired"] = True
    return obj


# -- M2M tokens ------------------------------------------------------------------------------


def _create_m2m(em: BackendApiEmulator, call: Call) -> Reply:
    body = call.body or {}
    token_format = body.get("token_format") or "opaque"
    if token_format not in ("opaque", "jwt"):
        return clerk_error(422, "form_param_value_invalid", "token_format must be opaque or jwt.", param="token_format")
    # A JWT's iat and exp are whole seconds; the record says what the token says.
    created = now_ms() // 1000 * 1000 if token_format == "jwt" else now_ms()
    token_id = "mt_" + secrets.token_hex(16)
    seconds = body.get("seconds_until_expiration")
    obj = bapi.machine_token_object(
        "m2m_token",
        id=token_id,
        subject=em.machine_id,
        claims=body.get("claims"),
        scopes=[],
        expiration=_expiration(seconds, created),
        created_at=created,
        updated_at=created,
    )
    if token_format == "jwt":
        if em._mint_m2m_jwt is None:
            problem = "This instance has no signing key for JWT tokens."
            return clerk_error(422, "form_param_value_invalid", problem, param="token_format")
        ttl = int(float(seconds)) if seconds is not None else _DEFAULT_JWT_SECONDS
        obj["expiration"] = _expiration(ttl, created)
        secret = em._mint_m2m_jwt(
            sub=em.machine_id, jti=token_id, ttl=ttl, claims=body.get("claims"), scopes=None, now=created / 1000
        )
    else:
        secret = "mt_secret_" + secrets.token_urlsafe(24)
    em._machine_tokens.register("m2m_token", secret, obj)
    return Reply(200, {**obj, "token": secret})


def _flag(values: Mapping[str, Any], name: str) -> bool | None:
    value = values.get(name)
    if value is None:
        return None
    return value if isinstance(value, bool) else str(value).lower() in _TRUE


def _list_m2m(em: BackendApiEmulator, call: Call) -> Reply:
    revoked, expired = _flag(call.values, "revoked"), _flag(call.values, "expired")
    records = [
        _current(obj)
        for _secret, obj in em._machine_tokens.of_kind("m2m_token")
        if obj.get("subject") == call.values["subject"]
    ]
    records = [
        obj
        for obj in records
        if (revoked is None or bool(obj.get("revoked")) == revoked)
        and (expired is None or bool(obj.get("expired")) == expired)
    ]
    return listing(call.op, records, call.values)


def _revoke(kind: bapi.MachineTokenKind) -> Handler:
    def handler(em: BackendApiEmulator, call: Call) -> Reply:
        reason = (call.body or {}).get("revocation_reason")
        changes = {"revoked": True, "revocation_reason": reason, "updated_at": now_ms()}
        obj = em._machine_tokens.update(kind, next(iter(call.args.values())), changes)
        return found(_current(obj) if obj is not None else None)

    return handler


# -- API keys --------------------------------------------------------------------------------


def _api_key_id(call: Call) -> str:
    return call.args["apiKeyID"]


def _create_api_key(em: BackendApiEmulator, call: Call) -> Reply:
    body = call.body
    created = now_ms()
    obj = bapi.machine_token_object(
        "api_key",
        id="ak_" + secrets.token_hex(16),
        type=body.get("type") or "api_key",
        name=body["name"],
        subject=body["subject"],
        description=body.get("description"),
        claims=body.get("claims"),
        scopes=list(body.get("scopes") or []),
        created_by=body.get("created_by"),
        expiration=_expiration(body.get("seconds_until_expiration"), created),
        created_at=created,
        updated_at=created,
    )
    secret = "ak_" + secrets.token_urlsafe(32)
    em._machine_tokens.register("api_key", secret, obj)
    return Reply(200, {**obj, "secret": secret})


def _list_api_keys(em: BackendApiEmulator, call: Call) -> Reply:
    include_invalid = _flag(call.values, "include_invalid") or False
    kind = call.values.get("type")
    query = str(call.values.get("query") or "").lower()
    records = [
        _current(obj)
        for _secret, obj in em._machine_tokens.of_kind("api_key")
        if obj.get("subject") == call.values["subject"]
        and (include_invalid or is_usable(obj))
        and (kind is None or obj.get("type") == kind)
        and (not query or query in str(obj.get("name") or "").lower())
    ]
    return listing(call.op, records, call.values)


def _get_api_key(em: BackendApiEmulator, call: Call) -> Reply:
    entry = em._machine_tokens.find("api_key", _api_key_id(call))
    return found(_current(entry[1]) if entry is not None else None)


def _api_key_secret(em: BackendApiEmulator, call: Call) -> Reply:
    entry = em._machine_tokens.find("api_key", _api_key_id(call))
    return found({"secret": entry[0]} if entry is not None else None)


_UPDATABLE: Final = ("claims", "scopes", "description", "subject")


def _update_api_key(em: BackendApiEmulator, call: Call) -> Reply:
    entry = em._machine_tokens.find("api_key", _api_key_id(call))
    if entry is None:
        return found(None)
    body = call.body or {}
    changes: dict[str, Any] = {key: body[key] for key in _UPDATABLE if key in body}
    if "seconds_until_expiration" in body:
        changes["expiration"] = _expiration(body["seconds_until_expiration"], now_ms())
    changes["updated_at"] = now_ms()
    obj = em._machine_tokens.update("api_key", _api_key_id(call), changes)
    return found(_current(obj) if obj is not None else None)


def _delete_api_key(em: BackendApiEmulator, call: Call) -> Reply:
    if not em._machine_tokens.remove("api_key", _api_key_id(call)):
        return found(None)
    return Reply(200, {"object": "api_key", "id": _api_key_id(call), "deleted": True})


HANDLERS: Final[Mapping[str, Handler]] = {
    "createM2MToken": _create_m2m,
    "getM2MTokens": _list_m2m,
    "revokeM2MToken": _revoke("m2m_token"),
    "createApiKey": _create_api_key,
    "getApiKeys": _list_api_keys,
    "getApiKey": _get_api_key,
    "getApiKeySecret": _api_key_secret,
    "updateApiKey": _update_api_key,
    "deleteApiKey": _delete_api_key,
    "revokeApiKey": _revoke("api_key"),
}
