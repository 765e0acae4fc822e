"""``has()``: authorization checks over session claims (the reference's ``createCheckAuthorization``).

Four dimensions can be asked about at once: the organization (``role``,
``permission``), billing (``feature``, ``plan``) and reverification (how
recently the user proved a factor). Each one asked passes or fails, each one
not asked is skipped, and access is granted only when at least one passed and
none failed. Asking nothing is therefore a denial, and several asks combine
with AND.

Everything fails closed: a signed-out user, a missing organization, a claim of
the wrong shape, a value of the wrong type or an unknown scope, level or preset
is a denial, never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from .session_claims import SessionClaims, split_by_scope

__all__ = ["REVERIFICATION_PRESETS", "ReverificationConfig", "check_authorization"]


class ReverificationConfig(NamedTuple):
    """A reverification requirement: a factor ``level`` verified less than ``after_minutes`` ago.

    ``level`` is ``first_factor``, ``second_factor`` or ``multi_factor``.
    """

    level: str
    after_minutes: float


#: The reference's named reverification presets.
REVERIFICATION_PRESETS: Final[Mapping[str, ReverificationConfig]] = MappingProxyType(
    {
        "strict_mfa": ReverificationConfig("multi_factor", 10),
        "strict": ReverificationConfig("second_factor", 10),
        "moderate": ReverificationConfig("second_factor", 60),
        "lax": ReverificationConfig("second_factor", 1440),
    }
)

_LEVELS: Final = frozenset({"first_factor", "second_factor", "multi_factor"})
_ORG_SCOPES: Final = frozenset({"o", "org", "organization"})
_USER_SCOPES: Final = frozenset({"u", "user"})
_ORG_PREFIX: Final = "org:"
# -1 in ``fva`` marks a factor group the instance has not enabled.
_NOT_ENABLED: Final = -1

#: A dimension's verdict: True passed, False failed, None not asked.
_Verdict = bool | None


def check_authorization(
    claims: SessionClaims,
    *,
    role: str | None = None,
    permission: str | None = None,
    feature: str | None = None,
    plan: str | None = None,
    reverification: str | Mapping[str, Any] | ReverificationConfig | None = None,
) -> bool:
    """Whether the session satisfies every requirement asked (and at least one is asked).

    Args:
        claims: the parsed session claims (:func:`~clerk_core.tokens.session_claims.parse_session_claims`).
        role: an organization role, with or without the ``org:`` prefix (``"admin"``, ``"org:admin"``).
        permission: an organization permission, with or without the ``org:`` prefix.
        feature: a billing feature, optionally scoped: ``"o:x"``/``"org:x"``/``"organization:x"``
            looks only at the organization's features, ``"u:x"``/``"user:x"`` only at the user's,
            a bare ``"x"`` at both.
        plan: a billing plan, scoped the same way.
        reverification: a preset name from :data:`REVERIFICATION_PRESETS`, a
            :class:`ReverificationConfig`, or a mapping ``{"level": ..., "after_minutes": ...}``
            (the reference's ``afterMinutes`` is accepted too).

    None means "not asked". Any other value of the wrong type fails.
    """
    if not isinstance(claims.user_id, str) or not claims.user_id:
        return False
    verdicts = (
        _check_org(claims, role, permission),
        _check_billing(claims, feature, plan),
        _check_reverification(claims.factor_verification_age, reverification),
    )
    return any(verdict is True for verdict in verdicts) and False not in verdicts


def _check_org(claims: SessionClaims, role: object, permission: object) -> _Verdict:
    if role is None and permission is None:
        return None
    if not isinstance(claims.org_id, str) or not claims.org_id:
        return False
    if role is not None and not _has_role(claims.org_role, role):
        return False
    return permission is None or _has_permission(claims.org_permissions, permission)


def _has_role(granted: object, asked: object) -> bool:
    # Legacy tokens and callers may omit the prefix: compare both normalised.
    if not isinstance(asked, str) or not isinstance(granted, str) or not granted:
        return False
    return _with_org_prefix(granted) == _with_org_prefix(asked)


def _has_permission(granted: object, asked: object) -> bool:
    # Only organization permissions exist in claims, always ``org:``-prefixed.
    if not isinstance(asked, str) or not isinstance(granted, (list, tuple)):
        return False
    return _with_org_prefix(asked) in granted


def _with_org_prefix(value: str) -> str:
    """Exactly one leading ``org:`` (``org:org:x`` → ``org:x``, ``x`` → ``org:x``)."""
    start = 0
    while value.startswith(_ORG_PREFIX, start):
        start += len(_ORG_PREFIX)
    return _ORG_PREFIX + value[start:]


def _check_billing(claims: SessionClaims, feature: object, plan: object) -> _Verdict:
    if feature is None and plan is None:
        return None
    if feature is not None and not _has_scoped(claims.features, feature):
        return False
    return plan is None or _has_scoped(claims.plans, plan)


def _has_scoped(claim: object, asked: object) -> bool:
    """Whether ``asked`` (``name`` or ``scope:name``) is listed in a ``fea``/``pla`` claim."""
    if not isinstance(asked, str) or not isinstance(claim, str) or not claim:
        return False
    try:
        org, user = split_by_scope(claim)
    except ValueError:  # an element without a scope: the claim is malformed
        return False
    # Like the reference, only the first two ``:`` fields count, and ``"o:"``
    # (scope, empty name) looks the scope up as a name.
    scope, *rest = asked.split(":", 2)
    if not rest:
        return scope in org or scope in user
    name = rest[0] or scope
    if scope in _ORG_SCOPES:
        return name in org
    if scope in _USER_SCOPES:
        return name in user
    return False  # unknown scope: the reference throws, which here is a denial


def _check_reverification(ages: object, asked: object) -> _Verdict:
    if asked is None:
        return None
    factor_ages = _factor_ages(ages)
    requirement = _requirement(asked)
    if factor_ages is None or requirement is None:
        return False
    first, second = factor_ages
    if first == _NOT_ENABLED and second == _NOT_ENABLED:
        return False
    limit = requirement.after_minutes
    first_fresh = first != _NOT_ENABLED and limit > first
    second_fresh = second != _NOT_ENABLED and limit > second
    if requirement.level == "first_factor":
        return first_fresh
    # Without a second factor enrolled, both stronger levels settle for the first.
    if second == _NOT_ENABLED:
        return first_fresh
    if requirement.level == "second_factor":
        return second_fresh
    return first_fresh and second_fresh


def _factor_ages(value: object) -> tuple[float, float] | None:
    """``fva`` when it is two finite ages, each >= 0 or the -1 sentinel."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    first, second = (_age(item) for item in value)
    if first is None or second is None:
        return None
    return first, second


def _age(value: object) -> float | None:
    age = _number(value)
    if age is None or (isinstance(age, float) and not math.isfinite(age)):
        return None
    return age if age == _NOT_ENABLED or age >= 0 else None


def _number(value: object) -> float | None:
    """``value`` if JavaScript's ``typeof`` would say ``"number"`` (so never a bool)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def _requirement(asked: object) -> ReverificationConfig | None:
    """The requirement asked for, or None when it is not a known preset or a valid config."""
    if isinstance(asked, str):
        return REVERIFICATION_PRESETS.get(asked)
    if isinstance(asked, ReverificationConfig):
        level: object = asked.level
        minutes = _number(asked.after_minutes)
    elif isinstance(asked, Mapping):
        level = asked.get("level")
        minutes = _number(asked["after_minutes"] if "after_minutes" in asked else asked.get("afterMinutes"))
    else:
        return None
    if not isinstance(level, str) or level not in _LEVELS:
        return None
    # The reference wants a positive number; NaN fails the comparison as it does there.
    if minutes is None or not minutes > 0:
        return None
    return ReverificationConfig(level, minutes)
