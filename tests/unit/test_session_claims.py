"""Session claims → auth-object fields (``jwtPayloadParser.spec.ts``), and private-data stripping.

The first part translates every case of the reference's ``jwtPayloadParser.spec.ts``
(v1/v2 layouts, permission bitmasks, ``splitByScope``), then pins what the
reference leaves to JavaScript: masks past 2**53, malformed masks and claims,
JavaScript's ``trim``. The second part covers ``stripPrivateDataFromObject``
(``decorateObjectWithResources.test.ts``) and nested payloads.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clerk_core.tokens.private_data import strip_private_data
from clerk_core.tokens.session_claims import SessionClaims, parse_session_claims, split_by_scope

BASE_CLAIMS: dict[str, Any] = {
    "exp": 1234567890,
    "iat": 1234567890,
    "iss": "https://api.clerk.com",
    "sub": "sub",
    "sid": "sid",
    "azp": "azp",
    "nbf": 1234567890,
    "__raw": "",
}


def parse(**claims: Any) -> SessionClaims:
    return parse_session_claims({**BASE_CLAIMS, **claims})


def v2(fea: str | None, **org: Any) -> SessionClaims:
    claims: dict[str, Any] = {"v": 2, "o": {"id": "org_id", "rol": "admin", "slg": "org_slug", **org}}
    if fea is not None:
        claims["fea"] = fea
    return parse(**claims)


def without_features(claims: SessionClaims) -> SessionClaims:
    """The v1/v2 comparisons of the reference ignore the raw ``fea`` claim, which only v2 sends here."""
    return msgspec.structs.replace(claims, features=None)


# --- jwtPayloadParser.spec.ts: JWTPayloadToAuthObjectProperties -------------------------------------


def test_v2_without_active_org_produces_nothing_org_related_like_v1() -> None:
    from_v2 = parse(v=2, fea="u:impersonation,u:memberships")
    from_v1 = parse()
    assert without_features(from_v2) == from_v1
    assert from_v1.org_id is None
    # No organization: None, not [] (the reference leaves orgPermissions undefined).
    assert from_v1.org_permissions is None
    assert from_v1.org_role is None
    assert from_v1.org_slug is None


def test_produced_auth_object_is_the_same_for_v1_and_v2() -> None:
    from_v2 = parse(
        v=2,
        fea="o:impersonation",
        o={"id": "org_xxxxxxx", "rol": "admin", "slg": "org_test", "per": "read,manage", "fpm": "3"},
    )
    from_v1 = parse(
        org_id="org_xxxxxxx",
        org_role="org:admin",
        org_slug="org_test",
        org_permissions=["org:impersonation:read", "org:impersonation:manage"],
    )
    assert without_features(from_v2) == from_v1


@pytest.mark.parametrize(
    ("fea", "per", "fpm", "expected"),
    [
        pytest.param(
            "o:impersonation,o:memberships",
            "read,manage",
            "1,3",
            ["org:impersonation:read", "org:memberships:read", "org:memberships:manage"],
            id="generated-when-fea-per-fpm-present",
        ),
        pytest.param(
            "o:impersonation,o:memberships,o:feature3",
            "read,manage",
            "1,3",
            ["org:impersonation:read", "org:memberships:read", "org:memberships:manage"],
            id="feature-without-mask-adds-nothing",
        ),
        pytest.param(
            "uo:impersonation,o:memberships,uo:feature3",
            "read,manage",
            "1,3,1",
            ["org:impersonation:read", "org:memberships:read", "org:memberships:manage", "org:feature3:read"],
            id="org-and-user-scoped-features",
        ),
        pytest.param(
            "ou:memberships,u:impersonation",
            "read,manage",
            "3",
            ["org:memberships:read", "org:memberships:manage"],
            id="constructed-correctly",
        ),
        pytest.param(
            "o:billing,o:email,o:fraud,o:instance,o:staging_plans",
            "manage,read",
            "3,3,3,3,1",
            [
                "org:billing:manage",
                "org:billing:read",
                "org:email:manage",
                "org:email:read",
                "org:fraud:manage",
                "org:fraud:read",
                "org:instance:manage",
                "org:instance:read",
                "org:staging_plans:manage",
            ],
            id="constructed-correctly-case-2",
        ),
        pytest.param(
            "o:repositories,o:projects",
            "read,create,update,delete,revoke",
            "7,21",
            [
                "org:repositories:read",
                "org:repositories:create",
                "org:repositories:update",
                "org:projects:read",
                "org:projects:update",
                "org:projects:revoke",
            ],
            id="constructed-correctly-case-3",
        ),
        pytest.param(
            "o:repositories,o:projects,o:webhooks,o:impersonation",
            "read,manage",
            "1,2,3",
            ["org:repositories:read", "org:projects:manage", "org:webhooks:read", "org:webhooks:manage"],
            id="constructed-correctly-case-4",
        ),
        pytest.param(
            "o:repositories,uo:projects,u:goldprofileborder",
            "read,create,update,delete,revoke",
            "7,21",
            [
                "org:repositories:read",
                "org:repositories:create",
                "org:repositories:update",
                "org:projects:read",
                "org:projects:update",
                "org:projects:revoke",
            ],
            id="constructed-correctly-case-5",
        ),
        pytest.param(
            "o:reservations,u:dashboard,uo:support-chat,o:impersonation",
            "read,manage",
            "2,3",
            ["org:reservations:manage", "org:support-chat:read", "org:support-chat:manage"],
            id="authObjects-billing-example",
        ),
    ],
)
def test_org_permissions_from_masks(fea: str, per: str, fpm: str, expected: list[str]) -> None:
    assert sorted(v2(fea, per=per, fpm=fpm).org_permissions) == sorted(expected)


def test_permissions_keep_feature_then_bit_order() -> None:
    # The reference sorts before comparing; the order it produces is feature order, then bit order.
    assert v2("o:a,o:b", per="read,manage", fpm="3,1").org_permissions == ["org:a:read", "org:a:manage", "org:b:read"]


def test_without_per_and_fpm_org_permissions_are_empty() -> None:
    assert v2("u:impersonation,u:memberships,u:feature3").org_permissions == []


def test_v2_org_role_is_prefixed_with_org() -> None:
    parsed = v2("u:impersonation,u:memberships,u:feature3")
    assert parsed.org_role == "org:admin"
    assert parsed.org_id == "org_id"
    assert parsed.org_slug == "org_slug"


# --- splitByScope (jwtPayloadParser.spec.ts and authorization.spec.ts) --------------------------------


@pytest.mark.parametrize(
    ("claim", "org", "user"),
    [
        pytest.param("", [], [], id="no-features"),
        pytest.param(None, [], [], id="absent"),
        pytest.param("o:impersonation,o:payments", ["impersonation", "payments"], [], id="only-org"),
        pytest.param("u:impersonation,u:payments", [], ["impersonation", "payments"], id="only-user"),
        pytest.param("o:payments,u:impersonation", ["payments"], ["impersonation"], id="org-and-user"),
        pytest.param("ou:payments,u:impersonation", ["payments"], ["payments", "impersonation"], id="multiple-scopes"),
        pytest.param("o:reservations,u:dashboard", ["reservations"], ["dashboard"], id="authorization-spec"),
        pytest.param(
            "o:reservations,u:dashboard,ou:support-chat,uo:billing",
            ["reservations", "support-chat", "billing"],
            ["dashboard", "support-chat", "billing"],
            id="ou-and-uo",
        ),
        pytest.param("x:ignored,o:a:b, u:c ", ["a:b"], ["c"], id="unknown-scope-ignored-name-after-first-colon"),
    ],
)
def test_split_by_scope(claim: str | None, org: list[str], user: list[str]) -> None:
    assert split_by_scope(claim) == (org, user)


def test_split_by_scope_rejects_an_element_without_colon() -> None:
    with pytest.raises(ValueError, match=r"Invalid claim element \(missing colon\): reservations"):
        split_by_scope("reservations,dashboard")


# --- bitmasks the reference computes with string division ---------------------------------------------

PER_64 = ",".join(f"p{index}" for index in range(64))


@pytest.mark.parametrize(
    ("mask", "bits"),
    [
        pytest.param(str(2**53 + 1), [0, 53], id="2**53+1-lost-by-a-double"),
        pytest.param(str(2**63 + 2**62 + 5), [0, 2, 62, 63], id="64-bit"),
        pytest.param(str(2**200 + 2**63), [63], id="bits-past-per-ignored"),
        pytest.param("0000000003", [0, 1], id="leading-zeros"),
        pytest.param("0", [], id="zero"),
    ],
)
def test_masks_beyond_double_precision_are_exact(mask: str, bits: list[int]) -> None:
    assert v2("o:f", per=PER_64, fpm=mask).org_permissions == [f"org:f:p{bit}" for bit in bits]


def test_mask_longer_than_pythons_int_digit_limit() -> None:
    # int() refuses more than 4300 digits by default; the reference has no limit.
    # 1000 is a multiple of 8, so the low three bits are those of the last three digits: 885 = 0b1110110101.
    mask = "9" * 6000 + "885"
    assert v2("o:f", per="read,write,admin", fpm=mask).org_permissions == ["org:f:read", "org:f:admin"]


@pytest.mark.parametrize(
    "mask", ["", "-1", "+3", "1.5", "0x3", "1e3", "abc", "3 3", "\uff13", "\u00b2", "\u0663", "3\u200b", "NaN"]
)
def test_malformed_mask_grants_nothing_for_its_feature_only(mask: str) -> None:
    parsed = v2("o:bad,o:good", per="read,manage", fpm=f"{mask},3")
    assert parsed.org_permissions == ["org:good:read", "org:good:manage"]


def test_masks_and_names_are_trimmed_like_javascript() -> None:
    parsed = v2(" o:a ,\ufeffo:b", per=" read ,\u3000manage", fpm=" 1 ,\u00a02 ")
    assert parsed.org_permissions == ["org:a:read", "org:b:manage"]


def test_python_only_whitespace_is_not_trimmed() -> None:
    # U+001C is whitespace to str.strip() but not to JavaScript's trim(): the
    # scope reads "\x1co", which is unknown, so the feature is ignored.
    assert v2("\x1co:a,o:b", per="read", fpm="1,1").org_permissions == ["org:b:read"]


def test_mask_count_and_feature_count_may_differ() -> None:
    assert v2("o:a", per="read", fpm="1,1,1").org_permissions == ["org:a:read"]
    assert v2("o:a,o:b,o:c", per="read", fpm="1").org_permissions == ["org:a:read"]


def test_empty_permission_names_are_kept_as_the_reference_does() -> None:
    assert v2("o:a", per="read,,manage", fpm="7").org_permissions == ["org:a:read", "org:a:", "org:a:manage"]


# --- malformed claims: the reference throws or reads garbage; here the org gets no permissions -------


@pytest.mark.parametrize(
    ("fea", "per", "fpm"),
    [
        pytest.param("o:a,broken", "read", "1", id="fea-element-without-colon"),
        pytest.param("o:a,", "read", "1", id="fea-trailing-comma"),
        pytest.param(123, "read", "1", id="fea-number"),
        pytest.param(["o:a"], "read", "1", id="fea-list"),
        pytest.param("o:a", ["read"], "1", id="per-list"),
        pytest.param("o:a", "read", 1, id="fpm-number"),
        pytest.param("o:a", "read", ["1"], id="fpm-list"),
        pytest.param("o:a", "", "1", id="per-empty"),
        pytest.param("o:a", "read", "", id="fpm-empty"),
        pytest.param("o:a", None, "1", id="per-null"),
    ],
)
def test_malformed_v2_claims_grant_no_permissions(fea: Any, per: Any, fpm: Any) -> None:
    parsed = parse(v=2, fea=fea, o={"id": "org_1", "rol": "admin", "per": per, "fpm": fpm})
    assert parsed.org_permissions == []
    assert parsed.org_id == "org_1"
    assert parsed.org_role == "org:admin"


@pytest.mark.parametrize("org", ["org_1", [], [{"id": "org_1"}], 7, True, {}])
def test_v2_with_an_org_value_that_is_not_an_org_object(org: Any) -> None:
    # The reference tests ``claims.o`` for truthiness only: any truthy value yields an
    # organization without fields and an empty permission list.
    parsed = parse(v=2, fea="o:a", o=org)
    assert (parsed.org_id, parsed.org_role, parsed.org_slug, parsed.org_permissions) == (None, None, None, [])


@pytest.mark.parametrize("org", [None, False, 0, "", float("nan")])
def test_v2_with_a_falsy_org_value_has_no_organization(org: Any) -> None:
    parsed = parse(v=2, fea="o:a", o=org)
    assert (parsed.org_id, parsed.org_role, parsed.org_slug, parsed.org_permissions) == (None, None, None, None)


@pytest.mark.parametrize(
    ("org", "expected"),
    [
        pytest.param({"id": 1, "rol": "admin", "slg": ["x"]}, (None, "org:admin", None), id="non-string-id-slug"),
        pytest.param({"id": "org_1", "rol": ""}, ("org_1", None, None), id="empty-role"),
        pytest.param({"id": "org_1", "rol": 5}, ("org_1", None, None), id="non-string-role"),
        pytest.param({"id": "", "rol": "org:x"}, ("", "org:org:x", None), id="role-is-prefixed-verbatim"),
    ],
)
def test_v2_org_fields_of_the_wrong_type_read_as_absent(org: dict[str, Any], expected: tuple[Any, ...]) -> None:
    parsed = parse(v=2, o=org)
    assert (parsed.org_id, parsed.org_role, parsed.org_slug) == expected


@pytest.mark.parametrize(
    ("version", "is_v2"),
    [(2, True), (2.0, True), (1, False), ("2", False), (True, False), (3, False), (None, False), ([2], False)],
)
def test_only_the_number_2_selects_the_v2_layout(version: Any, is_v2: bool) -> None:
    parsed = parse(v=version, o={"id": "org_v2", "rol": "admin"}, org_id="org_v1")
    assert parsed.org_id == ("org_v2" if is_v2 else "org_v1")


def test_v1_fields_are_read_directly_and_typed() -> None:
    parsed = parse(org_id="org_1", org_role="admin", org_slug="acme", org_permissions=["org:a:read", 5, None, "b"])
    assert (parsed.org_id, parsed.org_role, parsed.org_slug) == ("org_1", "admin", "acme")
    assert parsed.org_permissions == ["org:a:read", "b"]


def test_v1_claims_of_the_wrong_type_read_as_absent() -> None:
    # authObjects.test.ts "getToken returns the token passed in" builds its object from such claims.
    parsed = parse(
        act="actor",
        sid="sessionId",
        org_id="orgId",
        org_role="orgRole",
        org_slug="orgSlug",
        org_permissions="orgPermissions",
        sub="userId",
    )
    assert parsed.actor == "actor"
    assert parsed.session_id == "sessionId"
    assert parsed.user_id == "userId"
    assert parsed.org_permissions is None  # not a list: read as absent
    assert parse(sid=1, sub=["user"], org_id={"x": 1}).org_id is None
    assert parse(sid=1).session_id is None
    assert parse(sub=None).user_id is None


def test_identity_fields() -> None:
    parsed = parse(sts="pending", act={"sub": "user_admin"}, fea="u:a", pla="u:pro")
    assert parsed.session_id == "sid"
    assert parsed.user_id == "sub"
    assert parsed.session_status == "pending"
    assert parsed.actor == {"sub": "user_admin"}
    assert parsed.features == "u:a"
    assert parsed.plans == "u:pro"


def test_absent_optional_claims() -> None:
    parsed = parse_session_claims({})
    assert parsed == SessionClaims()
    assert parsed.session_status is None
    assert parsed.factor_verification_age is None
    assert parsed.actor is None


@pytest.mark.parametrize(
    ("fva", "expected"),
    [
        ([1, 2], (1, 2)),
        ((0, -1), (0, -1)),
        ([-1, 5], (-1, 5)),
        ([3.0, -1.0], (3, -1)),
        ([10**30, 0], (10**30, 0)),
        ([1], None),
        ([1, 2, 3], None),
        (["0", "0"], None),
        ([True, 0], None),
        ([-2, 0], None),
        ([-0.5, 0], None),
        ([0.5, 0], None),
        ([float("nan"), 0], None),
        ([float("inf"), 0], None),
        ("1,2", None),
        ({"0": 1, "1": 2}, None),
        (None, None),
    ],
)
def test_factor_verification_age(fva: Any, expected: tuple[int, int] | None) -> None:
    assert parse(fva=fva).factor_verification_age == expected


@pytest.mark.parametrize("value", [1, ["u:a"], {"u": "a"}, True])
def test_features_and_plans_of_the_wrong_type_read_as_absent(value: Any) -> None:
    parsed = parse(fea=value, pla=value, sts=value)
    assert (parsed.features, parsed.plans, parsed.session_status) == (None, None, None)


def test_parse_does_not_keep_a_reference_to_the_claim_list() -> None:
    permissions = ["org:a:read"]
    parsed = parse(org_id="org_1", org_permissions=permissions)
    permissions.append("org:a:write")
    assert parsed.org_permissions == ["org:a:read"]


@given(
    features=st.lists(st.text(alphabet="abc-_", min_size=1, max_size=5), min_size=1, max_size=6, unique=True),
    names=st.lists(st.text(alphabet="xyz", min_size=1, max_size=4), min_size=1, max_size=70),
    data=st.data(),
)
def test_masks_match_a_binary_oracle(features: list[str], names: list[str], data: st.DataObject) -> None:
    masks = [data.draw(st.integers(min_value=0, max_value=2**80)) for _ in features]
    parsed = v2(",".join(f"o:{f}" for f in features), per=",".join(names), fpm=",".join(map(str, masks)))
    expected = [
        f"org:{feature}:{name}"
        for feature, mask in zip(features, masks, strict=True)
        for bit, name in enumerate(names)
        if bin(mask)[2:][::-1][bit : bit + 1] == "1"
    ]
    assert parsed.org_permissions == expected


# --- stripPrivateDataFromObject (decorateObjectWithResources.test.ts) ---------------------------------


def test_removes_top_level_private_metadata_from_user_and_organization() -> None:
    result = strip_private_data(
        {
            "user": {"id": "user_1", "privateMetadata": {"secret": "a"}},
            "organization": {"id": "org_1", "private_metadata": {"secret": "b"}},
        }
    )
    assert result == {"user": {"id": "user_1"}, "organization": {"id": "org_1"}}


def _user_payload() -> dict[str, Any]:
    return {
        "id": "user_1",
        "object": "user",
        "private_metadata": {"ssn": "000-00-0000"},
        "public_metadata": {"plan": "pro"},
        "organization_memberships": [
            {
                "id": "orgmem_1",
                "private_metadata": {"note": "membership-secret"},
                "organization": {"id": "org_1", "private_metadata": {"billingCustomerId": "cus_secret"}},
            }
        ],
    }


def test_strips_private_metadata_nested_under_the_raw_payload() -> None:
    user = {"id": "user_1", "private_metadata": {"ssn": "000-00-0000"}, "_raw": _user_payload()}
    organization = {
        "id": "org_1",
        "privateMetadata": {"billingCustomerId": "cus_secret"},
        "raw": {"id": "org_1", "private_metadata": {"k": "org-secret"}, "public_metadata": {"tier": "enterprise"}},
    }
    result = strip_private_data({"user": user, "organization": organization})

    serialized = json.dumps(result)
    for secret in ("000-00-0000", "cus_secret", "membership-secret", "org-secret"):
        assert secret not in serialized
    assert "private_metadata" not in serialized
    assert result["user"]["_raw"]["public_metadata"] == {"plan": "pro"}
    assert result["organization"]["raw"]["public_metadata"] == {"tier": "enterprise"}
    assert result["user"]["_raw"]["organization_memberships"][0]["organization"] == {"id": "org_1"}


def test_does_not_mutate_the_input() -> None:
    given_object = {
        "session": {"id": "sess_1"},
        "user": {"id": "user_1", "private_metadata": {"ssn": "1"}, "_raw": _user_payload()},
        "organization": {"id": "org_1", "privateMetadata": {"x": 1}, "raw": {"privateMetadata": {"x": 1}}},
    }
    before = copy.deepcopy(given_object)
    result = strip_private_data(given_object)
    assert given_object == before
    assert result["session"] == {"id": "sess_1"}
    assert result is not given_object
    assert result["user"] is not given_object["user"]


def test_absent_and_null_resources_are_left_alone() -> None:
    assert strip_private_data({"user": None, "other": 1}) == {"user": None, "other": 1}
    assert strip_private_data({}) == {}
    assert strip_private_data({"user": {"id": "u", "raw": None}}) == {"user": {"id": "u", "raw": None}}


def test_lists_and_tuples_in_raw_are_redacted() -> None:
    raw = {"a": ({"private_metadata": 1, "b": [{"privateMetadata": 2, "c": 3}]},)}
    assert strip_private_data({"user": {"raw": raw}}) == {"user": {"raw": {"a": ({"b": [{"c": 3}]},)}}}


class UserModel(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    private_metadata: dict[str, Any] | None = None
    raw: dict[str, Any] | None = None


@dataclasses.dataclass(frozen=True)
class OrganizationModel:
    id: str
    private_metadata: dict[str, Any] | None = None
    _raw: dict[str, Any] | None = None


class AuthState:
    def __init__(self, user: Any, organization: Any) -> None:
        self.user = user
        self.organization = organization
        self.session_id = "sess_1"


def test_objects_are_copied_with_private_fields_cleared() -> None:
    user = UserModel(id="user_1", private_metadata={"ssn": "1"}, raw=_user_payload())
    organization = OrganizationModel(id="org_1", private_metadata={"k": 1}, _raw={"private_metadata": {"k": 1}})
    state = AuthState(user, organization)

    result = strip_private_data(state)

    assert isinstance(result, AuthState)
    assert result is not state
    assert result.session_id == "sess_1"
    assert result.user == UserModel(
        id="user_1",
        raw={
            "id": "user_1",
            "object": "user",
            "public_metadata": {"plan": "pro"},
            "organization_memberships": [{"id": "orgmem_1", "organization": {"id": "org_1"}}],
        },
    )
    assert result.organization == OrganizationModel(id="org_1", _raw={})
    # The originals still carry everything.
    assert state.user is user
    assert user.private_metadata == {"ssn": "1"}
    assert user.raw == _user_payload()
    assert organization._raw == {"private_metadata": {"k": 1}}


def test_properties_are_not_touched() -> None:
    class Resource:
        def __init__(self) -> None:
            self._raw = {"private_metadata": 1, "id": "x"}

        @property
        def raw(self) -> Any:
            return self._raw

    result = strip_private_data({"user": Resource()})
    assert result["user"].raw == {"id": "x"}


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["private_metadata", "privateMetadata", "a", "b"]), children, max_size=4)
    ),
    max_leaves=25,
)


def _has_private_key(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k in ("private_metadata", "privateMetadata") or _has_private_key(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_private_key(item) for item in value)
    return False


@given(raw=_JSON, private=_JSON)
def test_no_private_key_survives_at_any_depth(raw: Any, private: Any) -> None:
    given_object = {"user": {"private_metadata": private, "_raw": raw}, "organization": {"raw": raw}}
    before = copy.deepcopy(given_object)
    result = strip_private_data(given_object)
    assert given_object == before
    assert "private_metadata" not in result["user"]
    if raw:
        assert not _has_private_key(result["user"]["_raw"])
        assert not _has_private_key(result["organization"]["raw"])
