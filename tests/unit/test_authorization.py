"""``has()`` (``createCheckAuthorization``): every case of ``authorization.spec.ts`` and of the
``has()`` parts of ``authObjects.test.ts``, then the edges the reference handles by type checks.

Reverification follows the published ``@clerk/shared``: without a second factor
enrolled, ``second_factor`` and ``multi_factor`` settle for a fresh first factor
(graceful downgrade); ``fva == [-1, -1]`` fails. One revision of the spec
asserted the opposite for ``strict_mfa`` with ``[0, -1]`` and for ``strict`` with
``[-1, 0]``; those two cases are pinned below to the published behaviour, which
Clerk's other SDKs and its server (it falls back the same way) share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clerk_core.tokens.authorization import REVERIFICATION_PRESETS, ReverificationConfig, check_authorization
from clerk_core.tokens.session_claims import SessionClaims, parse_session_claims


def claims(
    *,
    user_id: Any = "user_123",
    org_id: Any = "org_123",
    org_role: Any = "org:admin",
    org_permissions: Any = ("org:sys_profile:delete",),
    features: Any = "",
    plans: Any = "",
    fva: Any = (0, 0),
) -> SessionClaims:
    """``createCheckAuthorization``'s options, as the struct the parser would build (types unchecked on purpose)."""
    return SessionClaims(
        user_id=user_id,
        org_id=org_id,
        org_role=org_role,
        org_permissions=list(org_permissions) if isinstance(org_permissions, tuple) else org_permissions,
        features=features,
        plans=plans,
        factor_verification_age=fva,
    )


NO_ORG: dict[str, Any] = {"org_id": None, "org_role": None, "org_permissions": None}


# --- authorization.spec.ts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("feature", "expected"),
    [
        ("o:reservations", True),
        ("org:reservations", True),
        ("organization:reservations", True),
        ("reservations", True),
        ("u:dashboard", True),
        ("user:dashboard", True),
        ("dashboard", True),
        # The reference throws "Invalid scope: lol" inside a try/catch: a denial.
        ("lol:dashboard", False),
    ],
)
def test_correctly_parses_features(feature: str, expected: bool) -> None:
    has = claims(
        org_role="admin",
        org_permissions=("org:read",),
        features="o:reservations,u:dashboard",
        plans="free_user,plus_user",
        fva=(1000, 2000),
    )
    assert check_authorization(has, feature=feature) is expected


def test_fails_when_no_dimension_was_requested() -> None:
    assert check_authorization(claims(features="o:premium", plans="plus")) is False


def test_fails_permission_and_reverification_when_org_context_is_missing() -> None:
    assert check_authorization(claims(**NO_ORG), permission="org:sys_profile:delete", reverification="strict") is False


def test_fails_role_and_reverification_when_org_context_is_missing() -> None:
    assert check_authorization(claims(**NO_ORG), role="org:admin", reverification="strict") is False


def test_fails_reverification_when_fva_is_null() -> None:
    has = claims(fva=None)
    assert check_authorization(has, permission="org:sys_profile:delete", reverification="strict") is False


def test_fails_when_fva_payload_is_malformed() -> None:
    assert check_authorization(claims(**NO_ORG, fva=("0", "0")), reverification="strict_mfa") is False


def test_fails_when_reverification_config_is_invalid() -> None:
    has = claims()
    assert check_authorization(has, permission="org:sys_profile:delete", reverification="invalid-value") is False


def test_requires_and_across_billing_and_org() -> None:
    has = claims(org_permissions=("org:sys_memberships:read",), features="o:reservations")
    assert check_authorization(has, permission="org:sys_profile:delete", feature="org:reservations") is False
    assert check_authorization(has, permission="org:sys_memberships:read", feature="org:reservations") is True


def test_requires_and_within_org_for_role_and_permission() -> None:
    has = claims(org_permissions=("org:sys_memberships:read",))
    assert check_authorization(has, role="org:admin", permission="org:sys_profile:delete") is False
    assert check_authorization(has, role="org:admin", permission="org:sys_memberships:read") is True
    assert check_authorization(has, role="org:member", permission="org:sys_memberships:read") is False


def test_requires_and_within_billing_for_feature_and_plan() -> None:
    has = claims(org_permissions=("org:read",), features="o:reservations", plans="u:plus")
    assert check_authorization(has, feature="org:reservations", plan="u:plus") is True
    assert check_authorization(has, feature="org:reservations", plan="u:free") is False
    assert check_authorization(has, feature="org:missing", plan="u:plus") is False


@pytest.mark.parametrize("features", ["", None])
def test_fails_feature_check_when_features_claim_is_missing_or_empty(features: str | None) -> None:
    assert check_authorization(claims(features=features), feature="org:premium") is False


def test_strict_mfa_without_second_factor_downgrades_to_first_factor() -> None:
    # Published behaviour (see the module docstring): passes on a fresh first factor.
    assert check_authorization(claims(**NO_ORG, fva=(0, -1)), reverification="strict_mfa") is True
    assert check_authorization(claims(**NO_ORG, fva=(10, -1)), reverification="strict_mfa") is False
    assert (
        check_authorization(
            claims(org_permissions=("org:sys_memberships:read",), fva=(0, -1)),
            permission="org:sys_memberships:read",
            reverification="strict_mfa",
        )
        is True
    )


def test_second_factor_without_first_factor_uses_the_second() -> None:
    # [-1, 0] cannot happen (a first factor always exists); the published code checks the second factor.
    assert check_authorization(claims(**NO_ORG, fva=(-1, 0)), reverification="strict") is True
    assert check_authorization(claims(**NO_ORG, fva=(-1, 0)), reverification="strict_mfa") is False
    assert (
        check_authorization(
            claims(**NO_ORG, fva=(-1, 0)), reverification={"level": "first_factor", "after_minutes": 10}
        )
        is False
    )


def test_fails_permission_and_reverification_when_no_factor_is_enrolled() -> None:
    has = claims(org_permissions=("org:sys_memberships:read",), fva=(-1, -1))
    assert check_authorization(has, permission="org:sys_memberships:read", reverification="strict") is False


def test_fails_when_factor_ages_are_negative_non_sentinel_values() -> None:
    assert check_authorization(claims(**NO_ORG, fva=(-0.5, 0)), reverification="strict") is False


def test_fails_non_string_role_permission_feature_plan_without_raising() -> None:
    has = claims(features="o:premium", plans="u:plus")
    # None means "not asked" here, so on its own the call asks nothing: still a denial.
    assert check_authorization(has, role=None) is False
    assert check_authorization(has, permission=None) is False
    assert check_authorization(has, feature=None) is False
    assert check_authorization(has, plan=None) is False
    assert check_authorization(has, role=123) is False  # type: ignore[arg-type]
    assert check_authorization(has, permission=123) is False  # type: ignore[arg-type]
    # And a wrong type fails even next to a passing dimension.
    assert check_authorization(has, feature=["premium"], plan="plus") is False  # type: ignore[arg-type]
    assert check_authorization(has, plan={"plus": 1}, feature="premium") is False  # type: ignore[arg-type]
    assert check_authorization(has, role=b"org:admin", reverification="strict") is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "config",
    [
        {"level": "multi_factor"},
        {"level": "multi_factor", "afterMinutes": 0},
        {"level": "multi_factor", "afterMinutes": -1},
        {"level": "nope", "after_minutes": 10},
    ],
)
def test_fails_reverification_when_config_object_is_incomplete_or_out_of_range(config: dict[str, Any]) -> None:
    assert check_authorization(claims(), reverification=config) is False


def test_fails_missing_features_claim_even_with_passing_reverification() -> None:
    assert check_authorization(claims(), feature="org:premium", reverification="strict") is False


def test_authorizes_permission_and_reverification_when_both_match() -> None:
    has = claims(org_permissions=("org:sys_memberships:read",))
    assert check_authorization(has, permission="org:sys_memberships:read", reverification="strict") is True


def test_authorizes_when_all_three_dimensions_match() -> None:
    has = claims(org_permissions=("org:sys_memberships:read",), features="o:reservations")
    assert (
        check_authorization(
            has, permission="org:sys_memberships:read", feature="org:reservations", reverification="strict"
        )
        is True
    )


def test_requires_and_across_org_and_billing_combos() -> None:
    has = claims(org_permissions=("org:sys_memberships:read",), features="o:reservations", plans="u:plus")
    assert check_authorization(has, role="org:admin", feature="org:missing") is False
    assert check_authorization(has, role="org:admin", plan="u:free") is False
    assert check_authorization(has, role="org:admin", feature="org:reservations") is True


# --- authObjects.test.ts: has() on parsed claims --------------------------------------------------------


def test_v1_has_for_orgs() -> None:
    parsed = parse_session_claims(
        {
            "___raw": "raw",
            "act": {"sub": "actor"},
            "sid": "sessionId",
            "org_id": "orgId",
            "org_role": "org:admin",
            "org_slug": "orgSlug",
            "org_permissions": ["org:f1:read", "org:f2:manage"],
            "sub": "userId",
        }
    )
    assert check_authorization(parsed, role="org:admin") is True
    assert check_authorization(parsed, permission="org:f1:read") is True
    assert check_authorization(parsed, permission="org:f1") is False
    assert check_authorization(parsed, permission="org:f2:manage") is True
    assert check_authorization(parsed, permission="org:f2") is False
    assert check_authorization(parsed, feature="org:reservations") is False
    assert check_authorization(parsed, feature="org:impersonation") is False


def test_v2_has_for_orgs() -> None:
    parsed = parse_session_claims(
        {
            "v": 2,
            "___raw": "raw",
            "act": {"sub": "actor"},
            "sid": "sessionId",
            "fea": "o:reservations,o:impersonation",
            "o": {"id": "orgId", "rol": "admin", "slg": "orgSlug", "per": "read,manage", "fpm": "3"},
            "sub": "userId",
        }
    )
    assert check_authorization(parsed, role="org:admin") is True
    assert check_authorization(parsed, permission="org:reservations:read") is True
    assert check_authorization(parsed, permission="org:reservations") is False
    assert check_authorization(parsed, permission="org:reservations:manage") is True
    assert check_authorization(parsed, permission="org:impersonation:read") is False
    assert check_authorization(parsed, permission="org:impersonation:manage") is False
    assert check_authorization(parsed, feature="org:reservations") is True
    assert check_authorization(parsed, feature="org:impersonation") is True


BILLING_CLAIMS: dict[str, Any] = {
    "v": 2,
    "___raw": "raw",
    "act": {"sub": "actor"},
    "sid": "sessionId",
    "fea": "o:reservations,u:dashboard,uo:support-chat,o:impersonation",
    "o": {"id": "orgId", "rol": "member", "slg": "orgSlug", "per": "read,manage", "fpm": "2,3"},
    "pla": "u:pro,o:business",
    "sub": "userId",
}


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ({"permission": "org:reservations:read"}, False),
        ({"permission": "org:reservations:manage"}, True),
        ({"permission": "org:support-chat:read"}, True),
        ({"permission": "org:support-chat:manage"}, True),
        ({"permission": "u:dashboard:manage"}, False),
        ({"permission": "u:dashboard:read"}, False),
        ({"feature": "org:reservations"}, True),
        ({"feature": "user:reservations"}, False),
        ({"feature": "org:impersonation"}, True),
        ({"feature": "user:impersonation"}, False),
        ({"feature": "org:dashboard"}, False),
        ({"feature": "user:dashboard"}, True),
        ({"feature": "org:support-chat"}, True),
        ({"feature": "user:support-chat"}, True),
        ({"plan": "org:business"}, True),
        ({"plan": "user:business"}, False),
        ({"plan": "org:pro"}, False),
        ({"plan": "user:pro"}, True),
    ],
)
def test_v2_has_for_billing_with_scopes(asked: dict[str, str], expected: bool) -> None:
    assert check_authorization(parse_session_claims(BILLING_CLAIMS), **asked) is expected


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ({"feature": "reservations"}, True),  # the org has it
        ({"feature": "dashboard"}, True),  # the user has it
        ({"feature": "pro"}, False),  # a plan, not a feature
        ({"feature": "impersonation"}, True),
        ({"plan": "pro"}, True),  # the user's
        ({"plan": "business"}, True),  # the org's
    ],
)
def test_v2_has_for_billing_without_scopes(asked: dict[str, str], expected: bool) -> None:
    assert check_authorization(parse_session_claims(BILLING_CLAIMS), **asked) is expected


# --- roles and permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "asked", "expected"),
    [
        pytest.param("admin", "org:admin", True, id="legacy-v1-admin-asked-prefixed"),
        pytest.param("admin", "admin", True, id="legacy-v1-admin-asked-bare"),
        pytest.param("org:admin", "admin", True, id="prefixed-asked-bare"),
        pytest.param("org:admin", "org:org:admin", True, id="repeated-prefix-collapses"),
        pytest.param("org:admin", "org:member", False, id="other-role"),
        pytest.param("org:admin", "Org:admin", False, id="case-sensitive"),
        pytest.param("org:admin", "", False, id="empty-ask"),
        pytest.param("", "org:admin", False, id="empty-grant"),
        pytest.param(None, "org:admin", False, id="no-role"),
        pytest.param(7, "org:admin", False, id="non-string-grant"),
    ],
)
def test_role_compares_with_org_prefix_normalised(granted: Any, asked: str, expected: bool) -> None:
    assert check_authorization(claims(org_role=granted), role=asked) is expected


@pytest.mark.parametrize(
    ("granted", "asked", "expected"),
    [
        (("org:f1:read",), "org:f1:read", True),
        (("org:f1:read",), "f1:read", True),
        (("org:f1:read",), "org:org:f1:read", True),
        (("org:f1:read",), "f1", False),
        (("f1:read",), "f1:read", False),  # granted values are compared as issued (always prefixed)
        ((), "org:f1:read", False),
        (None, "org:f1:read", False),
        ("org:f1:read", "org:f1:read", False),  # not a list
    ],
)
def test_permission_membership(granted: Any, asked: str, expected: bool) -> None:
    assert check_authorization(claims(org_permissions=granted), permission=asked) is expected


@pytest.mark.parametrize("org_id", [None, "", 123])
def test_org_checks_need_an_org_id(org_id: Any) -> None:
    has = claims(org_id=org_id)
    assert check_authorization(has, role="org:admin") is False
    assert check_authorization(has, permission="org:sys_profile:delete") is False


@pytest.mark.parametrize("user_id", [None, "", 5])
def test_no_user_no_authorization(user_id: Any) -> None:
    has = claims(user_id=user_id, features="u:a", plans="u:b")
    for asked in ({"role": "org:admin"}, {"feature": "a"}, {"plan": "b"}, {"reverification": "lax"}):
        assert check_authorization(has, **asked) is False


# --- billing edge cases -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "asked", "expected"),
    [
        pytest.param("free_user,plus_user", "free_user", False, id="claim-without-scopes-is-malformed"),
        pytest.param("u:a,broken", "a", False, id="one-malformed-element-fails-all"),
        pytest.param("u:a,", "a", False, id="trailing-comma"),
        pytest.param("u:a", "x:a", False, id="unknown-scope"),
        pytest.param("u:a", "o:a", False, id="wrong-scope"),
        pytest.param("u:a:b", "user:a:b", False, id="asked-uses-first-two-fields-only"),
        pytest.param("u:a", "user:a:b", True, id="third-field-ignored"),
        pytest.param("u:u", "u:", True, id="empty-name-looks-up-the-scope"),
        pytest.param("o:a", "organization:a", True, id="organization-scope"),
        pytest.param(" u:a , o:b ", "b", True, id="claim-trimmed"),
        pytest.param("u:a", " a", False, id="ask-not-trimmed"),
        pytest.param("x:a", "a", False, id="unknown-claim-scope-ignored"),
        pytest.param("ou:a", "user:a", True, id="ou-in-both"),
    ],
)
def test_feature_and_plan_matching(claim: str, asked: str, expected: bool) -> None:
    assert check_authorization(claims(features=claim), feature=asked) is expected
    assert check_authorization(claims(plans=claim), plan=asked) is expected


@pytest.mark.parametrize("claim", [None, "", 5, ["u:a"]])
def test_malformed_billing_claims_fail(claim: Any) -> None:
    assert check_authorization(claims(features=claim, plans=claim), feature="a") is False
    assert check_authorization(claims(features=claim, plans=claim), plan="a") is False


# --- reverification ---------------------------------------------------------------------------------------


def test_presets_table() -> None:
    assert dict(REVERIFICATION_PRESETS) == {
        "strict_mfa": ReverificationConfig("multi_factor", 10),
        "strict": ReverificationConfig("second_factor", 10),
        "moderate": ReverificationConfig("second_factor", 60),
        "lax": ReverificationConfig("second_factor", 1440),
    }
    with pytest.raises(TypeError):
        REVERIFICATION_PRESETS["strict"] = ReverificationConfig("first_factor", 1)  # type: ignore[index]


@pytest.mark.parametrize(
    ("fva", "level", "minutes", "expected"),
    [
        # first_factor looks only at the first factor
        ((9, 500), "first_factor", 10, True),
        ((10, 0), "first_factor", 10, False),  # strictly less than after_minutes
        ((0, -1), "first_factor", 10, True),
        ((-1, 0), "first_factor", 10, False),
        # second_factor prefers the second factor...
        ((500, 9), "second_factor", 10, True),
        ((0, 10), "second_factor", 10, False),
        # ...and falls back to the first when no second factor is enrolled
        ((9, -1), "second_factor", 10, True),
        ((10, -1), "second_factor", 10, False),
        ((-1, 9), "second_factor", 10, True),
        # multi_factor wants both, or the first when no second factor is enrolled
        ((9, 9), "multi_factor", 10, True),
        ((10, 9), "multi_factor", 10, False),
        ((9, 10), "multi_factor", 10, False),
        ((9, -1), "multi_factor", 10, True),
        ((-1, 9), "multi_factor", 10, False),
        # nothing enrolled: nothing to verify
        ((-1, -1), "first_factor", 10, False),
        ((-1, -1), "second_factor", 10, False),
        ((-1, -1), "multi_factor", 10, False),
        # fractional limits and ages compare as numbers
        ((0.5, 0), "first_factor", 0.75, True),
        ((1, 1), "multi_factor", 1.5, True),
        ((10**20, 0), "first_factor", math.inf, True),
    ],
)
def test_reverification_levels(fva: tuple[float, float], level: str, minutes: float, expected: bool) -> None:
    has = claims(**NO_ORG, fva=fva)
    assert check_authorization(has, reverification={"level": level, "after_minutes": minutes}) is expected
    assert check_authorization(has, reverification={"level": level, "afterMinutes": minutes}) is expected
    assert check_authorization(has, reverification=ReverificationConfig(level, minutes)) is expected


@pytest.mark.parametrize(
    ("preset", "fresh", "stale"),
    [
        ("strict_mfa", (9, 9), (9, 10)),
        ("strict", (500, 9), (0, 10)),
        ("moderate", (0, 59), (0, 60)),
        ("lax", (0, 1439), (0, 1440)),
    ],
)
def test_reverification_presets(preset: str, fresh: tuple[int, int], stale: tuple[int, int]) -> None:
    assert check_authorization(claims(**NO_ORG, fva=fresh), reverification=preset) is True
    assert check_authorization(claims(**NO_ORG, fva=stale), reverification=preset) is False


@pytest.mark.parametrize(
    "config",
    [
        "",
        "STRICT",
        "invalid-value",
        {},
        {"level": "second_factor"},
        {"afterMinutes": 10},
        {"level": "second_factor", "afterMinutes": "10"},
        {"level": "second_factor", "afterMinutes": True},
        {"level": "second_factor", "afterMinutes": math.nan},
        {"level": "second_factor", "afterMinutes": None},
        {"level": ["second_factor"], "afterMinutes": 10},
        {"level": {"x": 1}, "afterMinutes": 10},
        {"level": "second_factor", "after_minutes": 0, "afterMinutes": 10},  # snake_case wins when present
        ReverificationConfig("second_factor", 0),
        ReverificationConfig("third_factor", 10),
        ["second_factor", 10],
        ("second_factor", 10),
        10,
        True,
    ],
)
def test_malformed_reverification_config_fails(config: Any) -> None:
    assert check_authorization(claims(), reverification=config) is False
    assert check_authorization(claims(), role="org:admin", reverification=config) is False


@pytest.mark.parametrize(
    "fva",
    [
        None,
        (),
        (0,),
        (0, 0, 0),
        ("0", "0"),
        (True, 0),
        (0, False),
        (-2, 0),
        (math.nan, 0),
        (0, math.inf),
        "00",
        {0: 0, 1: 0},
    ],
)
def test_malformed_factor_ages_fail(fva: Any) -> None:
    assert check_authorization(claims(**NO_ORG, fva=fva), reverification="lax") is False


def test_reverification_accepts_a_list_from_hand_built_claims() -> None:
    assert check_authorization(claims(**NO_ORG, fva=[0, 0]), reverification="strict") is True


def test_huge_integer_ages_do_not_overflow() -> None:
    assert check_authorization(claims(**NO_ORG, fva=(10**400, 0)), reverification="strict") is True
    assert check_authorization(claims(**NO_ORG, fva=(10**400, 10**400)), reverification="strict_mfa") is False


# --- hypothesis: arbitrary claims and arguments never raise ----------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=12,
)
SCOPED = st.lists(
    st.tuples(
        st.sampled_from(["o", "u", "ou", "uo", "org", "user", "x", "", " o"]),
        st.sampled_from([":", "", "::"]),
        st.text("abc:, ", max_size=4),
    ),
    max_size=5,
).map(lambda parts: ",".join(scope + colon + name for scope, colon, name in parts))
MASKS = st.lists(
    st.one_of(st.integers(min_value=0, max_value=2**70).map(str), st.text("0123456789-+. x\u0663", max_size=6)),
    max_size=5,
).map(",".join)
WORDS = st.lists(st.text("abcd ", max_size=3), max_size=5).map(",".join)
ORG = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(JSON, st.text(max_size=6)),
        "rol": st.one_of(JSON, st.sampled_from(["admin", "member", ""])),
        "slg": JSON,
        "per": st.one_of(WORDS, JSON),
        "fpm": st.one_of(MASKS, JSON),
    },
)
CLAIMS = st.fixed_dictionaries(
    {},
    optional={
        "v": st.one_of(st.sampled_from([2, 2.0, 1, "2", True]), JSON),
        "o": st.one_of(ORG, JSON),
        "fea": st.one_of(SCOPED, JSON),
        "pla": st.one_of(SCOPED, JSON),
        "sub": st.one_of(st.just("user_1"), JSON),
        "sid": JSON,
        "sts": JSON,
        "act": JSON,
        "fva": st.one_of(st.tuples(st.integers(-2, 100), st.integers(-2, 100)).map(list), JSON),
        "org_id": st.one_of(st.just("org_1"), JSON),
        "org_role": st.one_of(st.sampled_from(["admin", "org:admin"]), JSON),
        "org_slug": JSON,
        "org_permissions": st.one_of(st.lists(st.text(max_size=6), max_size=3), JSON),
    },
).flatmap(lambda known: st.dictionaries(st.text(max_size=4), JSON, max_size=3).map(lambda extra: {**extra, **known}))
ASKED = st.one_of(st.none(), st.text(max_size=10), SCOPED, JSON)
REVERIFICATION = st.one_of(
    st.none(),
    st.sampled_from([*REVERIFICATION_PRESETS, "", "nope"]),
    st.fixed_dictionaries(
        {},
        optional={
            "level": st.one_of(st.sampled_from(["first_factor", "second_factor", "multi_factor"]), JSON),
            "after_minutes": st.one_of(st.integers(-5, 2000), st.floats(), JSON),
            "afterMinutes": st.one_of(st.integers(-5, 2000), JSON),
        },
    ),
    JSON,
)


def _well_typed(parsed: SessionClaims) -> None:
    for name in ("session_id", "session_status", "user_id", "org_id", "org_role", "org_slug", "features", "plans"):
        assert getattr(parsed, name) is None or isinstance(getattr(parsed, name), str), name
    assert parsed.org_permissions is None or isinstance(parsed.org_permissions, list)
    assert all(isinstance(item, str) for item in parsed.org_permissions or ())
    fva = parsed.factor_verification_age
    assert fva is None or (len(fva) == 2 and all(type(age) is int and (age == -1 or age >= 0) for age in fva))


@settings(max_examples=300)
@given(raw=CLAIMS, role=ASKED, permission=ASKED, feature=ASKED, plan=ASKED, reverification=REVERIFICATION)
def test_arbitrary_claims_and_arguments_never_raise(
    raw: dict[str, Any], role: Any, permission: Any, feature: Any, plan: Any, reverification: Any
) -> None:
    parsed = parse_session_claims(raw)
    _well_typed(parsed)
    verdict = check_authorization(
        parsed, role=role, permission=permission, feature=feature, plan=plan, reverification=reverification
    )
    assert verdict in (True, False)
    assert check_authorization(parsed) is False
    if parsed.org_id and parsed.user_id:
        # Every permission the token grants is found again (v1 values as issued, so only canonical ones).
        for granted in parsed.org_permissions or ():
            if granted.startswith("org:") and not granted.startswith("org:org:"):
                assert check_authorization(parsed, permission=granted) is True


@given(
    user_id=JSON,
    org_id=JSON,
    org_role=JSON,
    org_permissions=JSON,
    features=JSON,
    plans=JSON,
    fva=JSON,
    role=ASKED,
    permission=ASKED,
    feature=ASKED,
    plan=ASKED,
    reverification=REVERIFICATION,
)
def test_hand_built_claims_of_any_type_never_raise(
    user_id: Any,
    org_id: Any,
    org_role: Any,
    org_permissions: Any,
    features: Any,
    plans: Any,
    fva: Any,
    role: Any,
    permission: Any,
    feature: Any,
    plan: Any,
    reverification: Any,
) -> None:
    has = claims(
        user_id=user_id,
        org_id=org_id,
        org_role=org_role,
        org_permissions=org_permissions,
        features=features,
        plans=plans,
        fva=fva,
    )
    verdict = check_authorization(
        has, role=role, permission=permission, feature=feature, plan=plan, reverification=reverification
    )
    assert verdict in (True, False)


def test_mapping_config_need_not_be_a_dict() -> None:
    class Config(Mapping[str, Any]):
        def __init__(self, **items: Any) -> None:
            self._items = items

        def __getitem__(self, key: str) -> Any:
            return self._items[key]

        def __iter__(self) -> Any:
            return iter(self._items)

        def __len__(self) -> int:
            return len(self._items)

    assert check_authorization(claims(), reverification=Config(level="second_factor", after_minutes=5)) is True
