"""Session-token claims as an auth object sees them (the reference's ``jwtPayloadParser``).

Clerk issues two claim layouts. Version 1 (no ``v`` claim) carries the active
organization in ``org_id``, ``org_role``, ``org_slug`` and ``org_permissions``.
Version 2 (``v: 2``) packs it into a compact ``o`` object::

    {"id": "org_1", "slg": "acme", "rol": "admin", "per": "read,manage", "fpm": "1,3"}

where ``rol`` lacks the ``org:`` prefix and permissions are encoded against the
``fea`` claim: ``fea`` lists features as ``scope:name`` (scopes ``o``, ``u``,
``ou``/``uo``), ``per`` names permissions, and ``fpm`` holds one *decimal*
bitmask per org-scoped feature, in ``fea`` order, bit *i* (least significant
first) granting ``per[i]``. The result is ``org:<feature>:<permission>``.

The claims come from a verified token, yet any field may be malformed. Nothing
here raises: a field of the wrong type reads as absent, and where the reference
would throw (a ``fea`` element without ``:``, a non-string ``fea``/``per``/``fpm``)
the organization gets no permissions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import msgspec

from ._js import js_truthy

__all__ = ["SessionClaims", "parse_session_claims", "split_by_scope"]

# JavaScript's String.prototype.trim strips WhiteSpace and LineTerminator code
# points. Python's str.strip() would keep U+FEFF and also strip U+001C..U+001F
# and U+0085, which JavaScript keeps, so the set is spelled out.
_JS_WHITESPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# int() refuses strings past sys.get_int_max_str_digits(); masks are folded in
# chunks well below that limit so any length works.
_MASK_CHUNK: Final = 1000
_ORG_SCOPES: Final = frozenset({"o", "ou", "uo"})
_USER_SCOPES: Final = frozenset({"u", "ou", "uo"})


class SessionClaims(msgspec.Struct, frozen=True, kw_only=True):
    """The identity and authorization fields of a session token, version-independent.

    Built by :func:`parse_session_claims`; every field reads as None when its
    claim is absent or malformed.
    """

    #: ``sid``.
    session_id: str | None = None
    #: ``sts`` (``"active"``, ``"pending"``…); None for instances that have not opted in.
    session_status: str | None = None
    #: ``act``, passed through unchanged (``{"sub": …}`` while impersonating), so that a
    #: malformed value is never mistaken for "not impersonated".
    actor: Any = None
    #: ``sub``.
    user_id: str | None = None
    org_id: str | None = None
    #: Always ``org:``-prefixed in v2 tokens; v1 tokens carry it as issued.
    org_role: str | None = None
    org_slug: str | None = None
    #: None when the token carries no organization (as the reference: ``undefined``, not ``[]``);
    #: a list, possibly empty, when it does.
    org_permissions: list[str] | None = None
    #: ``fva``: minutes since the first and second factor were last verified, -1 for a
    #: factor group that is not enabled; None when absent or malformed.
    factor_verification_age: tuple[int, int] | None = None
    #: The raw ``fea`` claim (billing features, ``scope:name`` comma list).
    features: str | None = None
    #: The raw ``pla`` claim (billing plans, ``scope:name`` comma list).
    plans: str | None = None


def _js_trim(value: str) -> str:
    """``value.trim()`` as JavaScript defines it."""
    return value.strip(_JS_WHITESPACE)


def split_by_scope(claim: str | None) -> tuple[list[str], list[str]]:
    """``(org, user)`` names of a ``fea``/``pla`` claim, in claim order (the reference's ``splitByScope``).

    Each comma-separated element is trimmed and split at its first ``:``; scope
    ``o`` goes to org, ``u`` to user, ``ou``/``uo`` to both, anything else nowhere.

    Raises:
        ValueError: an element has no ``:`` (the reference throws too; callers fail closed).
    """
    org: list[str] = []
    user: list[str] = []
    if not claim:
        return org, user
    for raw in claim.split(","):
        element = _js_trim(raw)
        scope, colon, name = element.partition(":")
        if not colon:
            raise ValueError(f"Invalid claim element (missing colon): {element}")
        if scope in _ORG_SCOPES:
            org.append(name)
        if scope in _USER_SCOPES:
            user.append(name)
    return org, user


def parse_session_claims(claims: Mapping[str, Any]) -> SessionClaims:
    """The reference's ``__experimental_JWTPayloadToAuthObjectProperties``: v1 and v2 layouts.

    Never raises on malformed claims; see the module docstring for what each
    malformation yields.
    """
    if _is_version_2(claims.get("v")):
        org_id, org_role, org_slug, org_permissions = _org_from_v2(claims)
    else:
        org_id = _str(claims.get("org_id"))
        org_role = _str(claims.get("org_role"))
        org_slug = _str(claims.get("org_slug"))
        org_permissions = _str_list(claims.get("org_permissions"))
    return SessionClaims(
        session_id=_str(claims.get("sid")),
        session_status=_str(claims.get("sts")),
        actor=claims.get("act"),
        user_id=_str(claims.get("sub")),
        org_id=org_id,
        org_role=org_role,
        org_slug=org_slug,
        org_permissions=org_permissions,
        factor_verification_age=_factor_ages(claims.get("fva")),
        features=_str(claims.get("fea")),
        plans=_str(claims.get("pla")),
    )


def _is_version_2(value: object) -> bool:
    # JavaScript compares numbers, so 2.0 is version 2; a boolean never is.
    return type(value) in (int, float) and value == 2


def _org_from_v2(claims: Mapping[str, Any]) -> tuple[str | None, str | None, str | None, list[str] | None]:
    org = claims.get("o")
    if not isinstance(org, Mapping):
        # Any other truthy ``o`` still counts as an organization for the reference: no
        # fields, an empty permission list.
        return None, None, None, [] if js_truthy(org) else None
    role = _str(org.get("rol"))
    return (
        _str(org.get("id")),
        f"org:{role}" if role else None,
        _str(org.get("slg")),
        _org_permissions(claims.get("fea"), org.get("per"), org.get("fpm")),
    )


def _org_permissions(fea: object, per: object, fpm: object) -> list[str]:
    """``org:<feature>:<permission>`` for each bit set in each org feature's mask."""
    # Whatever the reference does with a non-string here (treat it as absent, or
    # throw on ``.split``) ends with no permissions, and so does a malformed ``fea``.
    if not (isinstance(fea, str) and isinstance(per, str) and isinstance(fpm, str)) or not per or not fpm:
        return []
    try:
        features, _ = split_by_scope(fea)
    except ValueError:
        return []
    names = [_js_trim(name) for name in per.split(",")]
    masks = [_mask_low_bits(_js_trim(mask), len(names)) for mask in fpm.split(",")]
    return [
        f"org:{feature}:{name}"
        for feature, mask in zip(features, masks, strict=False)
        for index, name in enumerate(names)
        if mask >> index & 1
    ]


def _mask_low_bits(decimal: str, width: int) -> int:
    """The low ``width`` bits of a decimal mask; 0 (no permission) unless it is all ASCII digits.

    Only ``width`` bits can name a permission, so the number is reduced modulo
    ``2**width`` while it is read: exact for masks of any size, 2**53 and beyond.
    """
    if not (decimal.isascii() and decimal.isdigit()):
        return 0
    modulus = 1 << width
    value = 0
    for start in range(0, len(decimal), _MASK_CHUNK):
        chunk = decimal[start : start + _MASK_CHUNK]
        value = (value * 10 ** len(chunk) + int(chunk)) % modulus
    return value


def _factor_ages(value: object) -> tuple[int, int] | None:
    """``fva`` as two whole minutes, each >= 0 or -1; None when absent or malformed."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    first, second = (_minutes(age) for age in value)
    if first is None or second is None:
        return None
    return first, second


def _minutes(age: object) -> int | None:
    if type(age) is float and math.isfinite(age) and age.is_integer():
        age = int(age)
    if type(age) is not int or (age < 0 and age != -1):
        return None
    return age


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _str_list(value: object) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [item for item in value if isinstance(item, str)]
