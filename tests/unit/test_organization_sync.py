"""Organization sync: path patterns to the organization (or personal account) to activate.

The fourteen table cases of the reference's ``getOrganizationSyncTarget`` tests
(``B/tokens/__tests__/request.test.ts``), the ``OrganizationMatcher`` unit tests
(``B/tokens/__tests__/organizationMatcher.test.ts``), the mismatch rules of §3.9, and the
path-to-regexp 6.x behaviour the patterns rely on.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clerk_core.errors import ConfigurationError
from clerk_core.tokens.organization_sync import (
    OrganizationMatcher,
    OrganizationSyncOptions,
    OrganizationSyncTarget,
    compile_organization_sync,
    needs_organization_sync,
)

RECOMMENDED = ("/orgs/:id", "/orgs/:id/", "/orgs/:id/(.*)")


def org_id(value: str) -> OrganizationSyncTarget:
    return OrganizationSyncTarget(kind="organization", organization_id=value)


def org_slug(value: str) -> OrganizationSyncTarget:
    return OrganizationSyncTarget(kind="organization", organization_slug=value)


PERSONAL = OrganizationSyncTarget(kind="personal_account")


def find(path: str, *, org: tuple[str, ...] = (), personal: tuple[str, ...] = ()) -> OrganizationSyncTarget | None:
    options = OrganizationSyncOptions(organization_patterns=org, personal_account_patterns=personal)
    return compile_organization_sync(options).match(path)


# --- getOrganizationSyncTarget: the reference's table ---------------------------------------------


def test_none_activates_nothing() -> None:
    assert find("/orgs/org_foo") is None


def test_can_activate_an_org_by_id_basic() -> None:
    assert find("/orgs/org_foo", org=("/orgs/:id",)) == org_id("org_foo")


def test_mismatch_activates_nothing() -> None:
    assert find("/personal-account/my-resource", org=("/orgs/:id",)) is None


def test_can_activate_an_org_by_id_recommended_matchers() -> None:
    assert find("/orgs/org_foo", org=RECOMMENDED) == org_id("org_foo")


def test_can_activate_an_org_by_id_with_a_trailing_slash() -> None:
    assert find("/orgs/org_foo/", org=RECOMMENDED) == org_id("org_foo")


def test_can_activate_an_org_by_id_with_a_trailing_path_component() -> None:
    assert find("/orgs/org_foo/nested-resource", org=RECOMMENDED) == org_id("org_foo")


def test_can_activate_an_org_by_id_with_many_trailing_path_components() -> None:
    path = "/orgs/org_foo/nested-resource/and/more/deeply/nested/resources"
    assert find(path, org=("/orgs/:id/(.*)",)) == org_id("org_foo")


def test_can_activate_an_org_by_id_with_an_unrelated_path_token_in_the_prefix() -> None:
    assert find("/unknown-thing/thing/orgs/org_foo", org=("/unknown-thing/:any/orgs/:id",)) == org_id("org_foo")


def test_can_activate_an_org_by_slug() -> None:
    assert find("/orgs/my-org", org=("/orgs/:slug",)) == org_slug("my-org")


def test_can_activate_the_personal_account() -> None:
    assert find("/personal-account", personal=("/personal-account",)) == PERSONAL


def test_id_match_precedes_slug_match() -> None:
    assert find("/orgs/my-org", org=("/orgs/:id", "/orgs/:slug")) == org_id("my-org")


def test_org_match_precedes_personal_account() -> None:
    assert find("/orgs/my-org", org=("/orgs/:slug",), personal=("/", "/(.*)")) == org_slug("my-org")


def test_personal_account_may_contain_path_tokens() -> None:
    assert find("/user/123/home", personal=("/user/:any", "/user/:any/(.*)")) == PERSONAL


def test_all_of_the_config_at_once() -> None:
    org = ("/orgs-by-id/:id", "/orgs-by-id/:id/(.*)", "/orgs-by-slug/:slug", "/orgs-by-slug/:slug/(.*)")
    personal = ("/personal-account", "/personal-account/(.*)")
    assert find("/orgs-by-slug/org_bar/sub-resource", org=org, personal=personal) == org_slug("org_bar")


# --- OrganizationMatcher --------------------------------------------------------------------------


def test_matcher_with_no_patterns() -> None:
    matcher = compile_organization_sync(OrganizationSyncOptions())
    assert isinstance(matcher, OrganizationMatcher)
    assert matcher.match("/orgs/123") is None


def test_finds_an_organization_by_id() -> None:
    assert find("/orgs/123", org=("/orgs/:id",)) == org_id("123")


def test_prioritizes_organization_over_personal_account_for_the_same_pattern() -> None:
    assert find("/orgs/123", org=("/orgs/:id",), personal=("/orgs/:id",)) == org_id("123")


def test_handles_nested_paths() -> None:
    assert find("/orgs/123/settings", org=("/orgs/:id/(.*)",)) == org_id("123")


def test_handles_multiple_patterns() -> None:
    assert find("/teams/123", org=("/orgs/:id", "/teams/:id")) == org_id("123")


def test_returns_none_for_non_matching_paths() -> None:
    assert find("/other/123", org=("/orgs/:id",)) is None


@pytest.mark.parametrize(
    ("options", "shown", "detail"),
    [
        (
            OrganizationSyncOptions(organization_patterns=("/orgs/:id/***",)),
            "/orgs/:id/***",
            "Unexpected MODIFIER at 10, expected END",
        ),
        (
            OrganizationSyncOptions(personal_account_patterns=("/account/***",)),
            "/account/***",
            "Unexpected MODIFIER at 9, expected END",
        ),
        (
            OrganizationSyncOptions(organization_patterns=("/orgs/:id", "/teams/:")),
            "/orgs/:id,/teams/:",  # the list as JavaScript prints an array
            "Missing parameter name at 7",
        ),
    ],
)
def test_an_invalid_pattern_is_a_configuration_error(options: OrganizationSyncOptions, shown: str, detail: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        compile_organization_sync(options)
    assert caught.value.message == (
        f'Invalid pattern "{shown}": Error: Invalid path and options: Consult the documentation of '
        f"path-to-regexp here: https://github.com/pillarjs/path-to-regexp/tree/6.x\n{detail}"
    )
    assert caught.value.message.startswith(f'Invalid pattern "{shown}": ')


@pytest.mark.parametrize(
    ("pattern", "detail"),
    [
        ("/:a:b", 'Must have text between two parameters, missing text after "a"'),
        ("/(?x)", 'Pattern cannot start with "?" at 2'),
        ("/(a(b))", "Capturing groups are not allowed at 3"),
        ("/(a", "Unbalanced pattern at 1"),
        ("/()", "Missing pattern at 1"),
        ("/a{", "Unexpected END at 3, expected CLOSE"),
        ("/a-(.*)*", 'Can not repeat "0" without a prefix and suffix'),
        ("/([a-)", "Invalid regular expression: "),
    ],
)
def test_path_to_regexp_errors(pattern: str, detail: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        find("/", org=(pattern,))
    assert f"\n{detail}" in caught.value.message


def test_a_lone_string_is_one_pattern() -> None:
    options = OrganizationSyncOptions(organization_patterns="/orgs/:id")  # type: ignore[arg-type]
    assert compile_organization_sync(options).match("/orgs/x") == org_id("x")


def test_non_string_patterns_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        compile_organization_sync(OrganizationSyncOptions(organization_patterns=(1,)))  # type: ignore[arg-type]


# --- Matching details (path-to-regexp 6.x defaults) -----------------------------------------------


def test_matching_ignores_case_and_keeps_the_parameter_as_written() -> None:
    assert find("/ORGS/My-Org", org=("/orgs/:slug",)) == org_slug("My-Org")


def test_one_trailing_delimiter_is_tolerated_not_two() -> None:
    assert find("/orgs/a/", org=("/orgs/:id",)) == org_id("a")
    assert find("/orgs/a#", org=("/orgs/:id",)) == org_id("a")
    assert find("/orgs/a//", org=("/orgs/:id",)) is None


def test_a_parameter_is_one_segment() -> None:
    assert find("/orgs/a/b", org=("/orgs/:id",)) is None
    assert find("/orgs/", org=("/orgs/:id",)) is None


def test_parameters_are_not_percent_decoded() -> None:
    assert find("/orgs/my%20org", org=("/orgs/:slug",)) == org_slug("my%20org")


def test_a_newline_is_part_of_the_parameter_not_a_line_end() -> None:
    assert find("/orgs/a\n", org=("/orgs/:id",)) == org_id("a\n")


def test_a_parameter_stops_before_the_literal_text_that_follows_it() -> None:
    assert find("/org-a-b/x", org=("/org-:slug-:id/x",)) == org_id("b")


def test_custom_parameter_patterns_and_optional_groups() -> None:
    org = (r"/orgs/:id(org_\w+)", "/teams{/:slug}?")
    assert find("/orgs/org_1", org=org) == org_id("org_1")
    assert find("/orgs/team_1", org=org) is None
    assert find("/teams/x", org=org) == org_slug("x")
    assert find("/teams", org=org) is None  # matched, but no id or slug: nothing to activate


def test_a_match_without_id_or_slug_falls_through_to_personal_account() -> None:
    assert find("/dashboard", org=("/dashboard",), personal=("/dashboard",)) == PERSONAL


def test_a_repeated_parameter_reads_as_a_comma_joined_list() -> None:
    assert find("/orgs/a/b", org=("/orgs/:id+",)) == org_id("a,b")


def test_escaped_characters_are_literal() -> None:
    assert find("/a:b/x", org=(r"/a\:b/:id",)) == org_id("x")
    assert find("/a(b)/x", org=(r"/a\(b\)/:id",)) == org_id("x")


def test_an_empty_pattern_list_is_not_configured() -> None:
    # The reference's match([]) would match every path; an empty tuple here means "none".
    assert find("/anything", personal=()) is None


# --- needs_organization_sync (mismatch rules) -----------------------------------------------------


@pytest.mark.parametrize(
    ("target", "active_id", "active_slug", "expected"),
    [
        (org_slug("acme"), "org_1", "acme", False),
        (org_slug("acme"), "org_1", "other", True),
        (org_slug("acme"), None, None, True),
        (org_id("org_1"), "org_1", "acme", False),
        (org_id("org_1"), "org_2", "acme", True),
        (org_id("org_1"), None, None, True),
        (PERSONAL, None, None, False),
        (PERSONAL, "org_1", "acme", True),
        (PERSONAL, "", None, False),
        (None, "org_1", "acme", False),
    ],
)
def test_needs_organization_sync(
    target: OrganizationSyncTarget | None, active_id: str | None, active_slug: str | None, expected: bool
) -> None:
    assert needs_organization_sync(target, org_id=active_id, org_slug=active_slug) is expected


# --- Properties -----------------------------------------------------------------------------------

_MATCHERS = [
    compile_organization_sync(OrganizationSyncOptions()),
    compile_organization_sync(
        OrganizationSyncOptions(
            organization_patterns=(*RECOMMENDED, "/orgs-by-slug/:slug", "/o/:id(org_\\w+)", "/t{/:slug}?", "/r/:id+"),
            personal_account_patterns=("/", "/(.*)", "/user/:any"),
        )
    ),
    compile_organization_sync(OrganizationSyncOptions(organization_patterns=("/:a-:id", "/x/:slug*"))),
]


@given(st.text())
def test_arbitrary_paths_never_make_the_matcher_raise(path: str) -> None:
    for matcher in _MATCHERS:
        found = matcher.match(path)
        assert found is None or found.kind in ("organization", "personal_account")


@given(st.from_regex(r"/orgs/[A-Za-z0-9_%-]{1,20}(/[a-z]{0,5}){0,3}", fullmatch=True))
def test_recommended_patterns_take_the_first_segment(path: str) -> None:
    found = _MATCHERS[1].match(path)
    assert found is not None
    assert found.organization_id == path.split("/")[2]
