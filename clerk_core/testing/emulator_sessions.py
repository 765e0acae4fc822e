"""Sessions and clients of the Backend API emulator, read from the local instance's sessions.

The sessions the Backend API lists, gets and revokes are the ones the local instance's session
routes serve (:class:`~clerk_core.testing.SessionStore`): a session created through
``POST /sessions`` can be refreshed and can mint tokens, and a revoked one cannot. A client is
the browser that holds sessions (``LocalSession.client_id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from clerk_core.testing.emulator_kit import Call, Handler, Reply, found, listing, wanted
from clerk_core.testing.sessions import LocalSession, new_session

if TYPE_CHECKING:
    from clerk_core.testing.emulator import BackendApiEmulator

__all__ = ["HANDLERS", "session_object"]

#: Clerk's defaults: a session expires after 7 days and is abandoned after 30 days idle.
_EXPIRE_MS: Final = 7 * 86_400_000
_ABANDON_MS: Final = 30 * 86_400_000


def session_object(session: LocalSession) -> dict[str, Any]:
    """The Backend API's ``Session`` for a local session."""
    created = session.created_at * 1000
    org_id = session.org.get("id") if session.org is not None else None
    return {
        "object": "session",
        "id": session.session_id,
        "user_id": session.user_id,
        "client_id": session.client_id,
        "status": session.status,
        "actor": None,
        "last_active_organization_id": org_id,
        "latest_activity": None,
        "tasks": None,
        "last_active_at": created,
        "expire_at": created + _EXPIRE_MS,
        "abandon_at": created + _ABANDON_MS,
        "created_at": created,
        "updated_at": created,
    }


def _list_sessions(em: BackendApiEmulator, call: Call) -> Reply:
    clients, users, statuses = (wanted(call.values, name) for name in ("client_id", "user_id", "status"))
    records = [
        session_object(session)
        for session in em._sessions.sessions()
        if (clients is None or session.client_id in clients)
        and (users is None or session.user_id in users)
        and (statuses is None or session.status in statuses)
    ]
    return listing(call.op, records, call.values)


def _get_session(em: BackendApiEmulator, call: Call) -> Reply:
    session = em._sessions.any_session(call.args["session_id"])
    return found(session_object(session) if session is not None else None)


def _revoke_session(em: BackendApiEmulator, call: Call) -> Reply:
    session = em._sessions.revoke_session(call.args["session_id"])
    return found(session_object(session) if session is not None else None)


def _create_session(em: BackendApiEmulator, call: Call) -> Reply:
    user = em._get("users", call.body["user_id"])
    if user is None:
        return found(None)
    org: dict[str, Any] | None = None
    org_id = call.body.get("active_organization_id")
    if org_id:
        organization = em._get("organizations", org_id)
        if organization is None:
            return found(None)
        role = _role_in(em, org_id, user["id"])
        org = {"id": org_id, "slug": organization.get("slug"), "role": role}
    session = new_session(user_id=user["id"], session_id=None, refresh_token=None, org=org)
    em._sessions.add_session(session)
    return Reply(200, session_object(session))


def _role_in(em: BackendApiEmulator, org_id: str, user_id: str) -> str | None:
    for record in em._store["organization_memberships"].values():
        if record["organization"]["id"] == org_id and record["public_user_data"]["user_id"] == user_id:
            return str(record["role"])
    return None


def _client_object(client_id: str, sessions: list[LocalSession]) -> dict[str, Any]:
    objects = [session_object(session) for session in sessions]
    active = [item for item in objects if item["status"] == "active"]
    created = min((item["created_at"] for item in objects), default=0)
    updated = max((item["updated_at"] for item in objects), default=0)
    return {
        "object": "client",
        "id": client_id,
        "session_ids": [item["id"] for item in objects],
        "sessions": objects,
        "sign_in_id": None,
        "sign_up_id": None,
        "last_active_session_id": active[-1]["id"] if active else None,
        "last_authentication_strategy": None,
        "created_at": created,
        "updated_at": updated,
    }


def _clients(em: BackendApiEmulator) -> Mapping[str, list[LocalSession]]:
    by_client: dict[str, list[LocalSession]] = {}
    for session in em._sessions.sessions():
        by_client.setdefault(session.client_id, []).append(session)
    return by_client


def _list_clients(em: BackendApiEmulator, call: Call) -> Reply:
    records = [_client_object(client_id, sessions) for client_id, sessions in _clients(em).items()]
    return listing(call.op, records, call.values)


def _get_client(em: BackendApiEmulator, call: Call) -> Reply:
    sessions = _clients(em).get(call.args["client_id"])
    return found(_client_object(call.args["client_id"], sessions) if sessions else None)


HANDLERS: Final[Mapping[str, Handler]] = {
    "GetSessionList": _list_sessions,
    "GetSession": _get_session,
    "RevokeSession": _revoke_session,
    "createSession": _create_session,
    "GetClientList": _list_clients,
    "GetClient": _get_client,
}
