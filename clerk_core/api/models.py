"""Backend API resources, as thin msgspec Structs.

Tolerant by construction: unknown fields are ignored, enumerations are plain
``str`` (open sets: new values must not break decoding), and every field the
API may omit has a default.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["APIKey", "Email", "EmailBatchResult", "M2MToken", "MachineToken", "OAuthAccessToken"]


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


class Email(msgspec.Struct, kw_only=True, frozen=True):
    """A transactional email sent through ``emails.create`` (an endpoint the spec lacks)."""

    object: str | None = None
    id: str | None = None
    status: str | None = None
    from_email_name: str | None = None
    email_address_id: str | None = None
    to_email_address: str | None = None
    user_id: str | None = None
    subject: str | None = None
    body: str | None = None
    body_plain: str | None = None
    slug: str | None = None
    data: dict[str, Any] | None = None
    delivered_by_clerk: bool | None = None
    suppression_reason: str | None = None
    created_at: int | None = None
    updated_at: int | None = None


class EmailBatchResult(msgspec.Struct, kw_only=True, frozen=True):
    """One message's outcome in ``emails.create_batch``: the email, or its errors."""

    index: int | None = None
    email: Email | None = None
    status_code: int | None = None
    errors: list[dict[str, Any]] | None = None
    retry_after_seconds: int | None = None
