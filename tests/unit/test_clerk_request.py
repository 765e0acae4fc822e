"""ClerkRequest and ClerkUrl: headers, cookies, Authorization, the proxy-aware URL, adapters, reprs.

Cases marked "reference" translate ``packages/backend/src/tokens/__tests__/clerkRequest.test.ts``
and the Authorization parsing of ``authenticateContext.ts`` from ``@clerk/backend``;
"deviation" marks a deliberate difference (see the module docstring of
``clerk_core.tokens.request`` and the test's own comment).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clerk_core.tokens.request import ClerkRequest, ClerkUrl, parse_cookie_header

LOCAL = "http://localhost:3000"


def _url(url: str, headers: dict[str, str] | None = None) -> str:
    return str(ClerkRequest("GET", url, headers or {}).clerk_url)


def _cookies(header: str) -> dict[str, str]:
    return dict(ClerkRequest("GET", LOCAL, {"cookie": header}).cookies)


def _token(value: str) -> str | None:
    return ClerkRequest("GET", LOCAL, {"Authorization": value}).authorization_token


# -- construction and headers --------------------------------------------------------------


def test_retains_method_upper_cased_and_url_as_given() -> None:  # reference: retains the method / url
    request = ClerkRequest("post", "http://localhost:3000")
    assert request.method == "POST"
    assert request.url == "http://localhost:3000"


def test_headers_from_mapping() -> None:  # reference: retains the headers
    request = ClerkRequest("GET", LOCAL, {"a": "1", "b": "2"})
    assert (request.header("a"), request.header("b"), request.header("c")) == ("1", "2", None)


def test_headers_from_list_of_pairs() -> None:
    request = ClerkRequest("GET", LOCAL, [("Accept", "text/html"), ("User-Agent", "ua")])
    assert request.accept == "text/html"
    assert request.user_agent == "ua"


def test_headers_from_byte_pairs_are_decoded_as_latin1() -> None:
    request = ClerkRequest("GET", LOCAL, [(b"x-name", b"caf\xe9"), (b"Host", b"example.com")])
    assert request.header("x-name") == "café"
    assert request.host == "example.com"


def test_header_names_are_case_insensitive() -> None:
    request = ClerkRequest("GET", LOCAL, {"X-Forwarded-Host": "example.com"})
    assert request.header("x-forwarded-host") == request.header("X-FORWARDED-HOST") == "example.com"
    assert request.forwarded_host == "example.com"


def test_repeated_headers_are_joined_with_a_comma() -> None:
    request = ClerkRequest("GET", LOCAL, [("Accept", "text/html"), ("accept", "application/json")])
    assert request.header("accept") == "text/html, application/json"


def test_repeated_cookie_headers_are_joined_with_a_semicolon() -> None:
    # HTTP/2 may split cookies across header fields (RFC 9113 §8.2.3).
    request = ClerkRequest("GET", LOCAL, [(b"cookie", b"a=1"), (b"cookie", b"__session=tok")])
    assert request.header("cookie") == "a=1; __session=tok"
    assert request.cookies == {"a": "1", "__session": "tok"}


def test_header_items_lists_lower_case_names() -> None:
    request = ClerkRequest("GET", LOCAL, {"Host": "example.com", "X-A": "1"})
    assert request.header_items() == [("host", "example.com"), ("x-a", "1")]


def test_convenience_headers_are_none_when_absent_or_empty() -> None:
    request = ClerkRequest("GET", LOCAL, {"origin": "", "referer": "  "})
    assert request.origin is None
    assert request.referrer is None
    assert request.sec_fetch_dest is None
    assert request.accept is None


def test_convenience_headers_read_their_header() -> None:
    request = ClerkRequest(
        "GET",
        LOCAL,
        {
            "Origin": "https://example.com",
            "Referer": "https://example.com/page",
            "Sec-Fetch-Dest": "document",
            "X-Forwarded-Proto": "https",
        },
    )
    assert request.origin == "https://example.com"
    assert request.referrer == "https://example.com/page"
    assert request.sec_fetch_dest == "document"
    assert request.forwarded_proto == "https"


def test_forwarded_proto_prefers_cloudfront() -> None:  # reference: authenticateContext initHeaderValues
    request = ClerkRequest("GET", LOCAL, {"X-Forwarded-Proto": "http", "CloudFront-Forwarded-Proto": "https"})
    assert request.forwarded_proto == "https"


# -- cookies ------------------------------------------------------------------------------------


def test_cookies_are_parsed() -> None:  # reference: should parse and return cookies
    assert ClerkRequest("GET", LOCAL, {"cookie": "foo=bar"}).cookie("foo") == "bar"


def test_cookies_without_cookie_header() -> None:  # reference: even if no cookie header exists
    request = ClerkRequest("GET", LOCAL, {})
    assert request.cookie("foo") is None
    assert request.cookies == {}


def test_cookies_with_empty_cookie_header() -> None:  # reference: even if cookie header is empty
    assert ClerkRequest("GET", LOCAL, {"cookie": ""}).cookie("foo") is None


def test_cookie_values_are_percent_decoded() -> None:
    assert _cookies("a=%20b%3Dc; e=caf%C3%A9; l=caf%c3%a9") == {"a": " b=c", "e": "café", "l": "café"}


def test_encoded_semicolon_is_not_a_delimiter() -> None:
    # Deviation. The reference decodes the whole header before splitting it, so its test
    # `foo=%20bar%3B%20baz%3Dqux` yields foo="bar" and baz="qux": an encoded ";" inside one
    # cookie's value can mint another cookie (say `__session`). Here values are decoded after
    # splitting, as the `cookie` library alone does.
    assert _cookies("foo=%20bar%3B%20baz%3Dqux") == {"foo": " bar; baz=qux"}
    assert "__session" not in _cookies("pref=x%3B%20__session%3Dforged")


def test_quoted_cookie_values_lose_their_quotes() -> None:
    assert _cookies('a="quoted value"; b=""; c="x') == {"a": "quoted value", "b": "", "c": '"x'}


def test_duplicate_cookie_names_first_wins() -> None:
    assert _cookies("a=1; a=2; b=3; a=4")["a"] == "1"


def test_forged_session_cookie_later_does_not_override() -> None:
    assert _cookies("__session=real; other=1; __session=forged")["__session"] == "real"


@pytest.mark.parametrize("raw", ["%", "100%", "%zz", "%E0%A4%A", "%FF", "%C3", "%ED%A0%80", "a%2"])
def test_bad_percent_escape_keeps_value_raw(raw: str) -> None:
    assert _cookies(f"a={raw}")["a"] == raw


def test_cookie_pairs_without_equals_are_skipped_and_spaces_trimmed() -> None:
    assert _cookies("  flag ; a = 1 ;;b=2=3;\tc=\t4") == {"a": "1", "b": "2=3", "c": "4"}


@pytest.mark.parametrize(
    "noise",
    [
        'json={"a":1,"b":2}',
        'quote=a"b',
        "comma=a,b",
        "space=a b c",
        "bracket=[x]",
        "weird name=1",
        "semi=%3B",
        "backslash=a\\b",
        "=nameless",
        "ümlaut=ö",
    ],
)
def test_cookies_that_break_simple_cookie_do_not_hide_session(noise: str) -> None:
    # http.cookies.SimpleCookie stops at the first pair it rejects: everything after it vanishes.
    assert _cookies(f"{noise}; __session=tok; __client_uat=1")["__session"] == "tok"
    assert _cookies(f"__session=tok; {noise}")["__session"] == "tok"


def test_cookies_are_parsed_once_and_cached() -> None:
    request = ClerkRequest("GET", LOCAL, {"cookie": "a=1"})
    assert request.cookies is request.cookies


def test_parse_cookie_header_is_public() -> None:
    assert parse_cookie_header("__session=x; __client_uat=0") == {"__session": "x", "__client_uat": "0"}


# -- Authorization ------------------------------------------------------------------------------


def test_authorization_bearer_token() -> None:  # reference: parseAuthorizationHeader
    assert _token("Bearer eyJ.abc.def") == "eyJ.abc.def"


def test_authorization_without_scheme_is_the_whole_value() -> None:
    assert _token("eyJ.abc.def") == "eyJ.abc.def"


def test_authorization_basic_scheme_is_ignored() -> None:
    assert _token("Basic dXNlcjpwYXNz") is None


def test_authorization_lower_case_bearer_is_another_scheme() -> None:
    # The reference compares the scheme with `===`: "bearer" is not "Bearer".
    assert _token("bearer eyJ.abc.def") is None
    assert _token("BEARER eyJ.abc.def") is None


def test_authorization_empty_or_missing_is_none() -> None:
    assert _token("") is None
    assert _token("   ") is None
    assert ClerkRequest("GET", LOCAL, {}).authorization_token is None


def test_authorization_extra_spaces() -> None:
    assert _token("  Bearer tok  ") == "tok"  # surrounding whitespace is not part of the value
    assert _token("Bearer a b") == "a"  # reference: split(' ', 2) keeps the second piece
    # Deviation: the reference yields "Bearer" here (its second piece is empty); the token is meant.
    assert _token("Bearer  tok") == "tok"
    assert _token(" Basic x") is None


def test_authorization_lone_scheme_word_is_taken_whole() -> None:
    # Reference behaviour kept: a value without a space is a raw token, even "Bearer".
    # It then fails verification, as in the reference, instead of looking like no header.
    assert _token("Bearer") == "Bearer"
    assert _token("Bearer ") == "Bearer"


# -- clerk_url ----------------------------------------------------------------------------------


def test_clerk_url_of_a_bare_origin_has_root_path() -> None:  # reference: should return a clerkUrl
    assert _url("http://localhost:3000") == "http://localhost:3000/"


def test_clerk_url_without_headers() -> None:  # reference: without headers / with path in request
    assert _url("http://localhost:3000/path") == "http://localhost:3000/path"


def test_clerk_url_keeps_query() -> None:  # reference: with query params in request
    assert _url("http://localhost:3000/path?foo=bar") == "http://localhost:3000/path?foo=bar"


def test_clerk_url_forwarded_proto_and_host() -> None:  # reference: with forwarded proto / host headers
    headers = {"x-forwarded-host": "example.com", "x-forwarded-proto": "https,http"}
    assert _url("http://localhost:3000/path", headers) == "https://example.com/path"


def test_clerk_url_forwarded_host_beats_host() -> None:  # reference: forwarded proto / host and host headers
    headers = {"x-forwarded-host": "example.com", "x-forwarded-proto": "https,http", "host": "example-host.com"}
    assert _url("http://localhost:3000/path", headers) == "https://example.com/path"


def test_clerk_url_forwarded_host_only() -> None:  # reference: with forwarded host (behind a proxy)
    assert _url("http://localhost:3000/path?foo=bar", {"x-forwarded-host": "example.com"}) == (
        "http://example.com/path?foo=bar"
    )


def test_clerk_url_forwarded_host_multiple_values() -> None:  # reference: with multiple values
    headers = {"x-forwarded-host": "example.com,example-2.com"}
    assert _url("http://localhost:3000/path?foo=bar", headers) == "http://example.com/path?foo=bar"
    headers = {"x-forwarded-host": " example.com , example-2.com"}
    assert _url("http://localhost:3000/path", headers) == "http://example.com/path"


def test_clerk_url_forwarded_proto_and_host_with_query() -> None:  # reference: with forwarded proto and host
    headers = {"x-forwarded-host": "example.com", "x-forwarded-proto": "https"}
    assert _url("http://localhost:3000/path?foo=bar", headers) == "https://example.com/path?foo=bar"


def test_clerk_url_host_header_alone() -> None:
    assert _url("http://127.0.0.1:8000/path", {"host": "example.com:8443"}) == "http://example.com:8443/path"


def test_clerk_url_forwarded_proto_without_any_host_header_keeps_url() -> None:
    # Reference: with neither x-forwarded-host nor host, the URL's own origin is used.
    assert _url("http://localhost:3000/path", {"x-forwarded-proto": "https"}) == "http://localhost:3000/path"


def test_clerk_url_cloudfront_proto_is_preferred() -> None:
    # Deviation: the reference reads CloudFront-Forwarded-Proto for its forwardedProto but not
    # for clerkUrl; behind CloudFront x-forwarded-proto is the CDN→origin hop, so it is used here too.
    headers = {"host": "example.com", "x-forwarded-proto": "http", "cloudfront-forwarded-proto": "https"}
    assert _url("http://10.0.0.1/path", headers) == "https://example.com/path"


@pytest.mark.parametrize("header", ["x-forwarded-host", "host"], ids=["malformed-forwarded-host", "malformed-host"])
def test_clerk_url_malformed_host_falls_back_to_url(header: str) -> None:  # reference: handle gracefully
    headers = {header: 'z2cgvm.xfh"></script><script>alert(document.domain);</script>', "x-forwarded-proto": "https"}
    assert _url("http://localhost:3000/path", headers) == "http://localhost:3000/path"


@pytest.mark.parametrize(
    "host",
    [
        "evil.com@good.com",
        "user:pass@example.com",
        "exa mple.com",
        "example.com/evil",
        "example.com\\evil",
        "example.com?x",
        "example.com#x",
        "example.com:99999",
        "example.com:port",
        "example.com:",
        "évil.com",
        "[::1",
        "%65vil.com",
        "example.com\r\nx: y",
    ],
)
def test_clerk_url_malicious_host_falls_back_to_url(host: str) -> None:
    assert _url("http://localhost:3000/path?q=1", {"x-forwarded-host": host}) == "http://localhost:3000/path?q=1"
    assert _url("http://localhost:3000/path?q=1", {"host": host}) == "http://localhost:3000/path?q=1"


@pytest.mark.parametrize("proto", ["javascript", "https://evil.com", "ftp", "h ttps", "1http"])
def test_clerk_url_unusable_proto_falls_back_to_url(proto: str) -> None:
    headers = {"x-forwarded-host": "example.com", "x-forwarded-proto": proto}
    assert _url("http://localhost:3000/path", headers) == "http://localhost:3000/path"


def test_clerk_url_empty_forwarded_headers() -> None:
    assert _url("http://localhost:3000/p", {"x-forwarded-host": "", "host": "example.com"}) == "http://example.com/p"
    assert _url("http://localhost:3000/p", {"x-forwarded-host": "", "host": ""}) == "http://localhost:3000/p"
    assert _url("http://localhost:3000/p", {"host": "example.com", "x-forwarded-proto": ""}) == "http://example.com/p"


def test_clerk_url_duplicate_leading_slashes() -> None:  # reference: with duplicate leading slashes in URL path
    assert _url("http://localhost:3000//path") == "http://localhost:3000//path"
    assert _url("http://localhost:3000////path") == "http://localhost:3000////path"


def test_clerk_url_duplicate_leading_slashes_behind_proxy() -> None:
    # Deviation: the reference re-parses "//path" against the forwarded origin, which reads
    # "path" as a host. The path is kept verbatim here.
    headers = {"x-forwarded-host": "example.com", "x-forwarded-proto": "https"}
    assert _url("http://localhost:3000//evil.com/x?q=1", headers) == "https://example.com//evil.com/x?q=1"


def test_clerk_url_drops_default_port_and_lower_cases_host() -> None:
    assert _url("http://localhost/p", {"host": "Example.COM:443", "x-forwarded-proto": "HTTPS"}) == (
        "https://example.com/p"
    )
    assert _url("http://localhost/p", {"host": "example.com:80"}) == "http://example.com/p"
    assert _url("http://localhost/p", {"host": "[::1]:8080"}) == "http://[::1]:8080/p"


def test_clerk_url_of_relative_url_uses_host_header() -> None:
    assert _url("/path?a=1", {"host": "example.com"}) == "http://example.com/path?a=1"
    assert ClerkRequest("GET", "/path").clerk_url.origin == "null"


def test_clerk_url_is_derived_once_and_cached() -> None:
    request = ClerkRequest("GET", LOCAL, {"host": "example.com"})
    assert request.clerk_url is request.clerk_url


def test_query_reads_first_value_of_clerk_url() -> None:
    request = ClerkRequest("GET", "http://localhost/p?a=1&b=x+y&a=2&c=%2F&e", {})
    assert request.query("a") == "1"
    assert request.query("b") == "x y"
    assert request.query("c") == "/"
    assert request.query("e") == ""
    assert request.query("missing") is None


@pytest.mark.parametrize(
    ("url", "headers", "expected"),
    [
        ("https://app.example/p", {}, None),
        ("https://app.example/p#frag?a=1", {}, None),  # a "?" in the fragment starts no query
        ("https://app.example/p?a=1#x", {}, "1"),
        ("/p?a=2", {"host": "app.example"}, "2"),  # relative URL, derived origin
        ("http://internal:8080/p?a=3", {"x-forwarded-host": "app.example", "x-forwarded-proto": "https"}, "3"),
    ],
)
def test_query_is_the_same_on_the_url_as_given_and_as_derived(
    url: str, headers: dict[str, str], expected: str | None
) -> None:
    request = ClerkRequest("GET", url, headers)
    assert request.query("a") == expected  # read before clerk_url is derived
    assert request.clerk_url.get("a") == expected
    assert ClerkRequest("GET", url, headers).clerk_url.query == request.clerk_url.query


# -- adapters -----------------------------------------------------------------------------------


def _scope(**overrides: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "scheme": "https",
        "server": ("10.0.0.5", 8000),
        "root_path": "",
        "path": "/dashboard",
        "query_string": b"",
        "headers": [(b"host", b"example.com"), (b"authorization", b"Bearer tok"), (b"cookie", b"a=1")],
    }
    scope.update(overrides)
    return scope


def test_from_asgi_reads_method_url_and_headers() -> None:
    request = ClerkRequest.from_asgi(_scope(method="post", query_string=b"__clerk_db_jwt=x&b=2"))
    assert request.method == "POST"
    assert request.url == "https://example.com/dashboard?__clerk_db_jwt=x&b=2"
    assert request.authorization_token == "tok"
    assert request.cookie("a") == "1"
    assert request.query("__clerk_db_jwt") == "x"


def test_from_asgi_without_host_header_uses_server() -> None:
    assert ClerkRequest.from_asgi(_scope(headers=[])).url == "https://10.0.0.5:8000/dashboard"
    assert (
        ClerkRequest.from_asgi(_scope(headers=[], server=("example.com", 443))).url == "https://example.com/dashboard"
    )
    assert ClerkRequest.from_asgi(_scope(headers=[], server=("::1", 8000))).url == "https://[::1]:8000/dashboard"
    assert ClerkRequest.from_asgi(_scope(headers=[], server=None)).url == "https://localhost/dashboard"


def test_from_asgi_untrusted_host_header_uses_server() -> None:
    request = ClerkRequest.from_asgi(_scope(headers=[(b"host", b"evil.com@good.com")]))
    assert request.url == "https://10.0.0.5:8000/dashboard"


def test_from_asgi_prepends_root_path() -> None:
    assert ClerkRequest.from_asgi(_scope(root_path="/app")).url == "https://example.com/app/dashboard"


def test_from_asgi_does_not_repeat_root_path_already_in_path() -> None:
    request = ClerkRequest.from_asgi(_scope(root_path="/app", path="/app/dashboard"))
    assert request.url == "https://example.com/app/dashboard"
    assert ClerkRequest.from_asgi(_scope(root_path="/app", path="/apple")).url == "https://example.com/app/apple"


def test_from_asgi_prefers_raw_path() -> None:
    request = ClerkRequest.from_asgi(_scope(path="/a/b c", raw_path=b"/a%2Fb%20c"))
    assert request.url == "https://example.com/a%2Fb%20c"


def test_from_asgi_percent_encodes_decoded_path() -> None:
    assert ClerkRequest.from_asgi(_scope(path="/café 1")).url == "https://example.com/caf%C3%A9%201"


def test_from_asgi_accepts_websocket_and_refuses_lifespan() -> None:
    assert ClerkRequest.from_asgi(_scope(type="websocket", scheme="wss")).url == "wss://example.com/dashboard"
    with pytest.raises(ValueError, match="lifespan"):
        ClerkRequest.from_asgi({"type": "lifespan"})


def _environ(**overrides: Any) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "wsgi.url_scheme": "https",
        "SERVER_NAME": "10.0.0.5",
        "SERVER_PORT": "8000",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/dashboard",
        "QUERY_STRING": "",
        "HTTP_HOST": "example.com",
        "HTTP_AUTHORIZATION": "Bearer tok",
        "HTTP_COOKIE": "__session=s",
        "HTTP_X_FORWARDED_PROTO": "https",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "",
    }
    environ.update(overrides)
    return environ


def test_from_wsgi_reads_method_url_and_headers() -> None:
    request = ClerkRequest.from_wsgi(_environ(REQUEST_METHOD="post", QUERY_STRING="a=1"))
    assert request.method == "POST"
    assert request.url == "https://example.com/dashboard?a=1"
    assert request.authorization_token == "tok"
    assert request.cookie("__session") == "s"
    assert request.header("X-Forwarded-Proto") == "https"
    assert request.header("content-type") == "application/json"
    assert request.header("content-length") is None


def test_from_wsgi_joins_script_name_and_path_info() -> None:
    request = ClerkRequest.from_wsgi(_environ(SCRIPT_NAME="/app", PATH_INFO="/dashboard"))
    assert request.url == "https://example.com/app/dashboard"


def test_from_wsgi_without_host_uses_server_name_and_port() -> None:
    environ = _environ()
    del environ["HTTP_HOST"]
    assert ClerkRequest.from_wsgi(environ).url == "https://10.0.0.5:8000/dashboard"
    assert ClerkRequest.from_wsgi({**environ, "SERVER_PORT": "443"}).url == "https://10.0.0.5/dashboard"


def test_from_wsgi_path_is_latin1_bytes_of_utf8() -> None:
    # PEP 3333: PATH_INFO carries the raw bytes decoded as latin-1.
    path_info = "/café".encode().decode("latin-1")
    assert ClerkRequest.from_wsgi(_environ(PATH_INFO=path_info)).url == "https://example.com/caf%C3%A9"


class _Url:
    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


class _MultiHeaders:
    """Starlette/httpx-like: items() merges repeats, multi_items() keeps them."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return [("cookie", ", ".join(v for k, v in self.pairs if k == "cookie"))]

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self.pairs)


class _StarletteLike:
    method = "GET"

    def __init__(self) -> None:
        self.url = _Url("https://example.com/p?x=1")
        self.headers = _MultiHeaders([("cookie", "a=1"), ("cookie", "__session=tok")])


class _FlaskLike:
    def __init__(self) -> None:
        self.method = "get"
        self.url = "http://localhost/p"
        self.headers = {"Host": "example.com", "Authorization": "Bearer tok"}


class _DjangoLike:
    def __init__(self) -> None:
        self.method = "GET"
        self.headers = {"Host": "example.com"}

    def build_absolute_uri(self) -> str:
        return "http://example.com/django/"


def test_from_object_starlette_like() -> None:
    request = ClerkRequest.from_object(_StarletteLike())
    assert request.url == "https://example.com/p?x=1"
    assert request.cookie("__session") == "tok"  # multi_items keeps the two cookie fields apart


def test_from_object_flask_like() -> None:
    request = ClerkRequest.from_object(_FlaskLike())
    assert request.method == "GET"
    assert request.authorization_token == "tok"
    assert str(request.clerk_url) == "http://example.com/p"


def test_from_object_django_like_uses_build_absolute_uri() -> None:
    assert ClerkRequest.from_object(_DjangoLike()).url == "http://example.com/django/"


def test_from_object_returns_a_clerk_request_as_is() -> None:
    request = ClerkRequest("GET", LOCAL)
    assert ClerkRequest.from_object(request) is request


def test_from_object_without_request_attributes_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"\.method, \.url and \.headers"):
        ClerkRequest.from_object(object())


# -- ClerkUrl -----------------------------------------------------------------------------------


def test_clerk_url_parse_normalises_scheme_host_and_port() -> None:
    url = ClerkUrl.parse("HTTPS://User:pw@Example.COM:443/a/b?x=1#frag")
    assert (url.scheme, url.host, url.path, url.query, url.fragment) == ("https", "example.com", "/a/b", "x=1", "frag")
    assert url.origin == "https://example.com"
    assert ClerkUrl.parse("http://localhost:3000").origin == "http://localhost:3000"


def test_clerk_url_parse_stops_authority_at_backslash() -> None:
    assert ClerkUrl.parse("https://evil.example\\@good.example/").host == "evil.example"


def test_clerk_url_parse_relative_reference() -> None:
    url = ClerkUrl.parse("/sign-in?x=1")
    assert (url.host, url.path, url.query, url.origin, str(url)) == ("", "/sign-in", "x=1", "null", "/sign-in?x=1")


def test_clerk_url_params_keep_order_and_repeats() -> None:
    url = ClerkUrl.parse("https://e.com/?b=2&a=1&b=3&s=a+b%20c")
    assert url.params() == [("b", "2"), ("a", "1"), ("b", "3"), ("s", "a b c")]
    assert url.get("b") == "2"
    assert url.get("zzz") is None


# URLSearchParams semantics: every mutation writes the whole query out again in the
# application/x-www-form-urlencoded serialisation (as Node's URL does), so these expected
# strings are what `new URL(u); u.searchParams.<op>(...); u.href` gives in the reference.


def test_search_params_set_replaces_the_first_in_place_and_drops_repeats() -> None:
    url = ClerkUrl.parse("https://e.com/p?x=%2F&__clerk_synced=false&y=a+b&__clerk_synced=again#f")
    params = url.search_params()
    params.set("__clerk_synced", "true")
    assert str(url.with_search(params)) == "https://e.com/p?x=%2F&__clerk_synced=true&y=a+b#f"


def test_search_params_append_adds_at_the_end_with_form_encoding() -> None:
    url = ClerkUrl.parse("https://e.com/p?a=1")
    params = url.search_params()
    params.append("redirect_url", "https://app.com/x?y=1&z=2")
    params.append("n", "a b*~'!()é")
    target = url.with_search(params)
    assert target.query == "a=1&redirect_url=https%3A%2F%2Fapp.com%2Fx%3Fy%3D1%26z%3D2&n=a+b*%7E%27%21%28%29%C3%A9"
    assert target.get("redirect_url") == "https://app.com/x?y=1&z=2"


def test_search_params_append_keeps_an_existing_name() -> None:
    params = ClerkUrl.parse("https://e.com/?__clerk_db_jwt=old").search_params()
    params.append("__clerk_db_jwt", "new")
    assert str(params) == "__clerk_db_jwt=old&__clerk_db_jwt=new"
    assert params.get("__clerk_db_jwt") == "old"


def test_search_params_delete_drops_every_occurrence_and_an_empty_query() -> None:
    url = ClerkUrl.parse("https://e.com/p?__clerk_db_jwt=a&keep=1&__clerk_db_jwt=b&__clerk_handshake=h")
    params = url.search_params()
    params.delete("__clerk_db_jwt")
    params.delete("__clerk_handshake")
    assert url.with_search(params).query == "keep=1"
    only = ClerkUrl.parse("https://e.com/p?__clerk_db_jwt=a")
    params = only.search_params()
    params.delete("__clerk_db_jwt")
    assert str(only.with_search(params)) == "https://e.com/p"


def test_search_params_rewrite_untouched_parameters_as_the_reference_does() -> None:
    url = ClerkUrl.parse("https://e.com/p?q=a%20b&flag&t=%7e&n=%5F%5Fclerk_db_jwt&u=%E2%82%AC")
    params = url.search_params()
    params.delete("nothing-to-delete")  # a delete still re-serialises (URLSearchParams update steps)
    assert url.with_search(params).query == "q=a+b&flag=&t=%7E&n=__clerk_db_jwt&u=%E2%82%AC"


def test_search_params_match_encoded_names() -> None:
    url = ClerkUrl.parse("https://e.com/p?%5F%5Fclerk_db_jwt=x&b=1")
    params = url.search_params()
    params.delete("__clerk_db_jwt")
    assert url.with_search(params).query == "b=1"


def test_search_params_lone_surrogates_become_replacement_characters() -> None:
    params = ClerkUrl.parse("https://e.com/").search_params()
    params.append("s", "a\ud800b")
    assert str(params) == "s=a%EF%BF%BDb"


def test_search_params_are_a_copy_and_never_show_values() -> None:
    url = ClerkUrl.parse("https://e.com/p?__clerk_handshake=secret-value")
    params = url.search_params()
    params.delete("__clerk_handshake")
    assert url.get("__clerk_handshake") == "secret-value"
    assert "secret-value" not in repr(url.search_params())


def test_clerk_url_is_immutable_and_hashable() -> None:
    url = ClerkUrl.parse("https://e.com/p?a=1")
    with pytest.raises(AttributeError):
        url.host = "evil.com"  # type: ignore[misc]
    assert url == ClerkUrl(scheme="https", host="e.com", path="/p", query="a=1")
    assert len({url, ClerkUrl.parse("https://e.com/p?a=1")}) == 1
    params = url.search_params()
    params.set("a", "2")
    assert url.with_search(params) != url


# -- reprs --------------------------------------------------------------------------------------


def test_request_repr_shows_names_never_secret_values() -> None:
    request = ClerkRequest(
        "GET",
        "http://localhost:3000/path?__clerk_handshake=hs-secret",
        {"Authorization": "Bearer auth-secret", "Cookie": "__session=cookie-secret", "Host": "example.com"},
    )
    text = repr(request)
    assert "GET http://example.com/path" in text
    assert "authorization" in text and "cookie" in text
    for secret in ("auth-secret", "cookie-secret", "hs-secret"):
        assert secret not in text
        assert secret not in repr(request.clerk_url)


def test_url_repr_shows_parameter_names_only() -> None:
    text = repr(ClerkUrl.parse("https://e.com/p?__clerk_db_jwt=dvb-secret"))
    assert "__clerk_db_jwt" in text
    assert "dvb-secret" not in text


# -- properties ---------------------------------------------------------------------------------

_HEADER_NAMES = st.sampled_from(
    [b"cookie", b"Cookie", b"authorization", b"host", b"x-forwarded-host", b"x-forwarded-proto"]
    + [b"cloudfront-forwarded-proto", b"origin", b"referer", b"sec-fetch-dest", b"accept"]
) | st.binary(max_size=20)
_COOKIE_NAME = st.text(st.characters(exclude_characters=';= \t"%', codec="utf-8"), min_size=1)
_COOKIE_VALUE = st.text(st.characters(exclude_characters=';% \t"', codec="utf-8"))


def _read_everything(request: ClerkRequest) -> Iterator[object]:
    yield request.authorization_token
    yield request.cookie("__session")
    yield request.query("__clerk_db_jwt")
    for name in ("origin", "host", "forwarded_host", "forwarded_proto", "referrer", "user_agent", "accept"):
        yield getattr(request, name)
    yield request.sec_fetch_dest


@given(st.lists(st.tuples(_HEADER_NAMES, st.binary(max_size=60)), max_size=12), st.text(max_size=60))
def test_any_header_bytes_never_raise(headers: list[tuple[bytes, bytes]], url: str) -> None:
    request = ClerkRequest("GET", url, headers)
    assert all(value is None or isinstance(value, str) for value in _read_everything(request))
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in request.cookies.items())
    clerk_url = request.clerk_url
    assert isinstance(str(clerk_url), str)
    assert isinstance(repr(request), str)


@given(st.text())
def test_any_cookie_header_text_never_raises(header: str) -> None:
    cookies = ClerkRequest("GET", LOCAL, {"cookie": header}).cookies
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in cookies.items())


@given(st.text())
def test_any_authorization_value_gives_str_or_none(value: str) -> None:
    token = _token(value)
    assert token is None or (isinstance(token, str) and token)


@given(st.lists(st.tuples(_COOKIE_NAME, _COOKIE_VALUE), min_size=1, max_size=8))
def test_duplicate_cookie_names_first_occurrence_wins(pairs: list[tuple[str, str]]) -> None:
    cookies = _cookies("; ".join(f"{name}={value}" for name, value in pairs))
    first: dict[str, str] = {}
    for name, value in pairs:
        first.setdefault(name.strip(" \t"), value.strip(" \t"))  # optional whitespace only (RFC 6265 OWS)
    assert cookies == first


_USV_TEXT = st.text(st.characters(exclude_categories=("Cs",)))


@given(_USV_TEXT.filter(bool), _USV_TEXT)
def test_search_params_round_trip_any_text(name: str, value: str) -> None:
    url = ClerkUrl.parse("https://e.com/p?keep=%2F")
    params = url.search_params()
    params.set(name, value)
    edited = url.with_search(params)
    assert edited.get(name) == value
    assert edited.query.startswith("keep=%2F") or name == "keep"
