"""Backend API resources, as thin msgspec Structs.

Tolerant by construction: unknown fields are ignored, enumerations are plain
``str`` (open sets: new values must not break decoding), and every field the
API may omit has a default.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["APIKey", "M2MToken", "MachineToken", "OAuthAccessToken"]


class APIKey(msgspec.Struct, kw_only=True, frozen=True):
    """An API key (``ak_…``) as the Backend API describes it after verification."""

    object: str = "api_key"
    id: str
    type: str | None = None
    name: str | None = None
    subject: str = ""
    scopes: list[str] = msgspec.field(default_factory=list)
    claims: dict[str, Any] | None = None
    revoked: bool = False
    revocation_reason: str | None = None
    expired: bool = False
    expiration: int | None = None
    created_by: str | None = None
    description: str | None = None
    last_used_at: int | None = None
    created_at: int | None = None
    updated_at: int | None = None


class M2MToken(msgspec.Struct, kw_only=True, frozen=True):
    """A machine-to-machine token, opaque (``mt_…``) or JWT. Times are epoch milliseconds."""

    object: str = "machine_to_machine_token"
    id: str
    subject: str = ""
    scopes: list[str] = msgspec.field(default_factory=list)
    claims: dict[str, Any] | None = None
    revoked: bool = False
    revocation_reason: str | None = None
    expired: bool = False
    expiration: int | None = None
    created_at: int | None = None
    updated_at: int | None = None


class OAuthAccessToken(msgspec.Struct, kw_only=True, frozen=True):
    """An OAuth access token issued by Clerk as identity provider, opaque (``oat_…``) or JWT."""

    object: str = "clerk_idp_oauth_access_token"
    id: str
    client_id: str = ""
    type: str = "oauth_token"
    subject: str = ""
    scopes: list[str] = msgspec.field(default_factory=list)
    revoked: bool = False
    revocation_reason: str | None = None
    expired: bool = False
    expiration: int | None = None
    created_at: int | None = None
    updated_at: int | None = None
    aud: Any = None


MachineToken = APIKey | M2MToken | OAuthAccessToken
