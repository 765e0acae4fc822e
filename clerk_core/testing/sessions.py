"""Signed-in browsers for the local instance: sessions, handshake nonces and JWT templates.

:class:`SessionStore` is the in-memory state behind the session routes of
:class:`~clerk_core.testing.LocalClerk`; every method takes its lock, so handler threads
and the test thread can use it at once.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding

from clerk_core.testing.keys import KeyPair
from clerk_core.testing.minting import _HASHES

__all__ = ["JwtTemplate", "LocalSession", "SessionStore", "verify_signed_token"]

_MASK: Final = "***"


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return MappingProxyType(dict(mapping)) if mapping is not None else None


@dataclass(frozen=True, repr=False)
class LocalSession:
    """One active session of the local instance, as a signed-in browser would hold it.

    ``refresh_token`` is the secret of the ``__refresh_<suffix>`` cookie that
    ``POST /v1/sessions/{id}/refresh`` demands; the repr masks it. ``org`` is the active
    organization in :func:`~clerk_core.testing.mint_session_token`'s ``org`` form (or
    ``None``) and ``created_at`` (seconds) is the ``__client_uat`` the browser holds.
    ``client_id`` names the browser (Clerk's client) that holds the session; ``status`` is
    ``active`` until the Backend API revokes it.
    """

    session_id: str
    user_id: str
    refresh_token: str
    org: Mapping[str, Any] | None = field(default=None, hash=False)
    created_at: int = field(default_factory=lambda: int(time.time()))
    client_id: str = field(default_factory=lambda: "client_" + secrets.token_hex(14)[:27])
    status: str = "active"

    def __repr__(self) -> str:
        return (
            f"LocalSession(session_id={self.session_id!r}, user_id={self.user_id!r}, "
            f"refresh_token={_MASK}, org={dict(self.org) if self.org is not None else None!r}, "
            f"created_at={self.created_at!r}, client_id={self.client_id!r}, status={self.status!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class JwtTemplate:
    """A JWT template: extra ``claims`` merged into its tokens and the default ``lifetime`` (s)."""

    name: str
    claims: Mapping[str, Any] | None = None
    lifetime: int = 60


def new_session(
    *,
    user_id: str,
    session_id: str | None,
    refresh_token: str | None,
    org: Mapping[str, Any] | None,
    client_id: str | None = None,
) -> LocalSession:
    """Build a session with a random ``sess_…`` id, refresh token and client unless given."""
    session = LocalSession(
        session_id=session_id if session_id is not None else "sess_" + secrets.token_hex(14)[:27],
        user_id=user_id,
        refresh_token=refresh_token if refresh_token is not None else secrets.token_urlsafe(32),
        org=_frozen(org),
    )
    return session if client_id is None else replace(session, client_id=client_id)


class SessionStore:
    """Sessions by id, handshake directives by nonce and JWT templates by name; thread-safe."""

    def __init__(self) -> None:
        """Start empty."""
        self._lock = threading.Lock()
        self._sessions: dict[str, LocalSession] = {}
        self._nonces: dict[str, tuple[str, ...]] = {}
        self._templates: dict[str, JwtTemplate] = {}

    def add_session(self, session: LocalSession) -> None:
        """Store ``session``, replacing any session with the same id."""
        with self._lock:
            self._sessions[session.session_id] = session

    def session(self, session_id: str) -> LocalSession | None:
        """The *active* session with ``session_id``, if any: what the session routes serve."""
        with self._lock:
            found = self._sessions.get(session_id)
            return found if found is not None and found.status == "active" else None

    def any_session(self, session_id: str) -> LocalSession | None:
        """The session with ``session_id`` whatever its status, if any."""
        with self._lock:
            return self._sessions.get(session_id)

    def sessions(self) -> list[LocalSession]:
        """Every session, revoked ones included, oldest first."""
        with self._lock:
            return list(self._sessions.values())

    def revoke_session(self, session_id: str) -> LocalSession | None:
        """Mark a session revoked (its routes answer 404 afterwards); the revoked session, if any."""
        with self._lock:
            found = self._sessions.get(session_id)
            if found is None:
                return None
            revoked = self._sessions[session_id] = replace(found, status="revoked")
            return revoked

    def remove_session(self, session_id: str) -> bool:
        """Forget a session; True if it existed."""
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def add_nonce(self, nonce: str, directives: Sequence[str]) -> None:
        """Store the directives a handshake nonce resolves to."""
        with self._lock:
            self._nonces[nonce] = tuple(directives)

    def directives(self, nonce: str) -> list[str] | None:
        """The directives registered for ``nonce``, if any."""
        with self._lock:
            found = self._nonces.get(nonce)
            return list(found) if found is not None else None

    def add_template(self, template: JwtTemplate) -> None:
        """Store a JWT template, replacing one with the same name."""
        with self._lock:
            self._templates[template.name] = template

    def template(self, name: str) -> JwtTemplate | None:
        """The registered template called ``name``, if any."""
        with self._lock:
            return self._templates.get(name)

    def clear(self) -> None:
        """Forget every session, nonce and template."""
        with self._lock:
            self._sessions.clear()
            self._nonces.clear()
            self._templates.clear()


def _b64url_json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def verify_signed_token(token: str, keys: Sequence[KeyPair]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``(header, payload)`` if one of ``keys`` signed ``token`` (RS256/384/512), else ``None``.

    Only the signature is checked: expiry and the other time claims are ignored, because the
    refresh route takes the *expired* session token. The key is chosen by the header's
    ``kid``; a token without one is tried against every key.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = _b64url_json(parts[0])
        payload = _b64url_json(parts[1])
        signature = base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4))
    except ValueError:  # bad base64 (binascii.Error), bad UTF-8 or bad JSON
        return None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return None
    alg = header.get("alg")
    hash_cls = _HASHES.get(alg) if isinstance(alg, str) else None
    if hash_cls is None:
        return None
    kid = header.get("kid")
    candidates = [key for key in keys if key.kid == kid] if kid is not None else list(keys)
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
    for key in candidates:
        try:
            key.public_key.verify(signature, signing_input, padding.PKCS1v15(), hash_cls())
        except InvalidSignature:
            continue
        return header, payload
    return None
