"""A framework-neutral request: method, URL and headers, read lazily.

:class:`ClerkRequest` is what ``authenticate_request`` looks at (the reference's
``ClerkRequest``/``AuthenticateContext`` header reading). Building one is a
single pass that lower-cases header names into a dict; everything else (the
cookie map, the proxy-aware :class:`ClerkUrl`, query parameters) is computed
on first access and cached, so a request carrying a Bearer token pays for a
dict lookup and nothing more. Bodies are never read.

Cookies are parsed like the ``cookie`` npm library (``;``-separated, first
value wins, values percent-decoded with a raw fallback), never with
:mod:`http.cookies`, whose parser stops at the first cookie it dislikes and so
lets an unrelated malformed cookie hide ``__session``.

Cookie values and the Authorization header are credentials: reprs show header
and parameter *names* only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeAlias

from .._headers import COOKIE, wsgi_headers
from .._headers import HTTP_WS as _HTTP_WS
from .._headers import header_dict as _header_dict
from .._headers import text as _text

__all__ = ["ClerkRequest", "ClerkUrl", "HeadersInput", "SearchParams", "coerce_request", "parse_cookie_header"]

#: What :class:`ClerkRequest` accepts as headers: a mapping, or (name, value)
#: pairs as ASGI gives them (bytes are decoded as latin-1).
HeadersInput: TypeAlias = Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]]

AUTHORIZATION: Final = "authorization"
HOST: Final = "host"
FORWARDED_HOST: Final = "x-forwarded-host"
FORWARDED_PROTO: Final = "x-forwarded-proto"
CLOUDFRONT_FORWARDED_PROTO: Final = "cloudfront-forwarded-proto"

#: Cookie names and values are trimmed of optional whitespace only (RFC 6265 OWS).
_COOKIE_WS: Final = " \t"
#: WHATWG URL parsing drops leading and trailing C0 controls and spaces.
_C0_SPACE: Final = "".join(map(chr, range(0x21)))
_DEFAULT_PORTS: Final = MappingProxyType({"http": "80", "https": "443", "ws": "80", "wss": "443"})
#: Characters kept as they are when a decoded path is percent-encoded again (RFC 3986 pchar and "/").
_PATH_SAFE: Final = "/:@!$&'()*+,;="

# The authority stops at "\" too: browsers treat it as "/" in http(s) URLs, and a
# referrer such as "https://evil.example\@good.example" must not read as good.example.
_ABSOLUTE_URL: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#\\]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.S)
# A host taken from a header must be a plain name or a bracketed IPv6 literal with an
# optional port: no userinfo, path, spaces or markup can slip into the derived origin.
_HEADER_HOST: Final = re.compile(r"([a-z0-9._-]+|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?")
_PERCENT_RUN: Final = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_BAD_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PLAIN_PATH: Final = re.compile(rb"[A-Za-z0-9/:@!$&'()*+,;=._~-]*")
_PLAIN_ENCODED_PATH: Final = re.compile(rb"[A-Za-z0-9/:@!$&'()*+,;=._~%-]*")


def _decode_uri_component(text: str) -> str:
    """``decodeURIComponent`` with the ``cookie`` library's fallback: any malformed escape → ``text`` unchanged."""
    if "%" not in text or _BAD_PERCENT.search(text):
        return text
    try:
        return _PERCENT_RUN.sub(lambda run: bytes.fromhex(run.group().replace("%", "")).decode("utf-8"), text)
    except UnicodeDecodeError:
        return text


def parse_cookie_header(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` header the way the ``cookie`` npm library does.

    Pairs are ``;``-separated and split at their first ``=``; pairs without
    ``=`` are skipped; names and values are trimmed; a value wrapped in double
    quotes loses them; values are percent-decoded as UTF-8, a malformed escape
    leaving the value raw. The first occurrence of a name wins, so a cookie
    appended later cannot override an earlier one. Never raises.
    """
    cookies: dict[str, str] = {}
    for pair in header.split(";"):
        name, eq, value = pair.partition("=")
        if not eq:
            continue
        name = name.strip(_COOKIE_WS)
        if name in cookies:
            continue
        value = value.strip(_COOKIE_WS)
        if len(value) > 1 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        cookies[name] = _decode_uri_component(value) if "%" in value else value
    return cookies


def _first_value(value: str | None) -> str:
    return value.partition(",")[0].strip(_HTTP_WS) if value else ""


def _without_default_port(host: str, scheme: str) -> str:
    name, colon, port = host.rpartition(":")
    if colon and port in ("", _DEFAULT_PORTS.get(scheme)):
        return name
    return host


def _header_host(value: str, scheme: str) -> str | None:
    """A host taken from a header, lower-cased and without its default port; None when unsafe."""
    if not value.isascii():
        return None
    match = _HEADER_HOST.fullmatch(value.lower())
    if match is None:
        return None
    name, port = match.groups()
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return name
    return f"{name}:{port}" if int(port) <= 0xFFFF else None


def _trusted_host(headers: dict[str, str], scheme: str) -> str | None:
    """The ``Host`` header when it is safe to build a base URL from (adapters), else None."""
    return _header_host((headers.get(HOST) or "").strip(_HTTP_WS), scheme)


def _quote_path(path: bytes, *, encoded: bool = False) -> str:
    """Percent-encode a path's bytes; ``encoded`` keeps existing escapes (a raw path as received)."""
    if (_PLAIN_ENCODED_PATH if encoded else _PLAIN_PATH).fullmatch(path):
        return path.decode("ascii")  # nothing to escape: the common case skips urllib
    from urllib.parse import quote

    return quote(path, safe=_PATH_SAFE + "%" if encoded else _PATH_SAFE)


def _has_prefix(path: str, prefix: str) -> bool:
    return path == prefix or (path.startswith(prefix) and path[len(prefix)] == "/")


def _mounted_path(path: str, root: str) -> str:
    """``root + path`` unless the server already put the mount prefix in ``path`` (ASGI servers differ)."""
    root = root.rstrip("/")
    if not root or _has_prefix(path, root):
        return path or "/"
    return root + path


class SearchParams:
    """A URL's query as the WHATWG ``URLSearchParams`` holds it: decoded pairs, in order, repeats kept.

    The mutators behave as the reference's calls on ``url.searchParams`` do, so
    redirect URLs built with them are byte-identical to the reference's:
    :meth:`append` adds at the end, :meth:`set` replaces the first occurrence in
    place and drops the others (or appends), :meth:`delete` drops every
    occurrence. ``str()`` is the ``application/x-www-form-urlencoded``
    serialisation: UTF-8, space as ``+``, only ``*-._`` and alphanumerics kept.
    """

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._pairs = list(pairs)

    def get(self, name: str) -> str | None:
        """The first value of ``name``, or None."""
        for key, value in self._pairs:
            if key == name:
                return value
        return None

    def append(self, name: str, value: str) -> None:
        """Add ``name=value`` at the end."""
        self._pairs.append((name, value))

    def set(self, name: str, value: str) -> None:
        """Replace the first ``name`` in place and drop its repeats; append if absent."""
        out: list[tuple[str, str]] = []
        placed = False
        for key, old in self._pairs:
            if key != name:
                out.append((key, old))
            elif not placed:
                out.append((name, value))
                placed = True
        if not placed:
            out.append((name, value))
        self._pairs = out

    def delete(self, name: str) -> None:
        """Drop every ``name``."""
        self._pairs = [(key, value) for key, value in self._pairs if key != name]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._pairs)

    def __str__(self) -> str:
        return "&".join(f"{_form_encode(name)}={_form_encode(value)}" for name, value in self._pairs)

    def __repr__(self) -> str:  # values may be handshake or dev-browser tokens
        return f"SearchParams(names={[name for name, _ in self._pairs]!r})"


def _form_encode(text: str) -> str:
    """The ``application/x-www-form-urlencoded`` byte serialiser of the URL standard."""
    from urllib.parse import quote_plus

    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)  # a USVString: lone surrogates become U+FFFD
    # quote_plus keeps "~", which the form serialiser escapes.
    return quote_plus(text, safe="*").replace("~", "%7E")


class ClerkUrl:
    """An immutable absolute URL: scheme, host (with port), path, raw query and fragment.

    Scheme and host are lower-case and a default port is dropped, so two URLs
    of the same origin compare equal by :attr:`origin`. The query is kept
    exactly as received; :meth:`search_params` and :meth:`with_search` edit it as
    the reference's ``url.searchParams`` does.
    """

    # Read-only properties over private slots: immutable to callers and to mypy, yet as
    # cheap to build as a plain object (a __setattr__ guard would triple the cost).
    __slots__ = ("_fragment", "_host", "_parsed", "_path", "_query", "_scheme")

    def __init__(self, *, scheme: str, host: str, path: str = "/", query: str = "", fragment: str = "") -> None:
        self._scheme = scheme
        self._host = host
        self._path = path or "/"
        self._query = query
        self._fragment = fragment
        self._parsed: tuple[tuple[tuple[str, str], ...], dict[str, str]] | None = None

    @property
    def scheme(self) -> str:
        """Lower-case scheme without ``:`` (empty for a relative reference)."""
        return self._scheme

    @property
    def host(self) -> str:
        """Lower-case host with its port, if not the scheme's default (empty for a relative reference)."""
        return self._host

    @property
    def path(self) -> str:
        """The path as received (percent-encoded), at least ``/``."""
        return self._path

    @property
    def query(self) -> str:
        """The raw query string, without ``?``."""
        return self._query

    @property
    def fragment(self) -> str:
        """The raw fragment, without ``#``."""
        return self._fragment

    @classmethod
    def parse(cls, text: str) -> ClerkUrl:
        """Split ``text`` into a :class:`ClerkUrl`; never fails on a string.

        A relative reference (no ``scheme://``) gives an empty scheme and host
        and an ``origin`` of ``"null"``. Userinfo is dropped.
        """
        if not isinstance(text, str):
            raise TypeError(f"ClerkUrl.parse expects a str, got {type(text).__name__}")
        text = text.strip(_C0_SPACE)
        match = _ABSOLUTE_URL.fullmatch(text)
        if match is None:
            rest, _, fragment = text.partition("#")
            path, _, query = rest.partition("?")
            return cls(scheme="", host="", path=path, query=query, fragment=fragment)
        scheme, authority, path, query, fragment = match.groups()
        scheme = scheme.lower()
        host = _without_default_port(authority.rpartition("@")[2].lower(), scheme)
        return cls(scheme=scheme, host=host, path=path, query=query or "", fragment=fragment or "")

    @property
    def origin(self) -> str:
        """``scheme://host[:port]``, or ``"null"`` for a URL without a host (as browsers serialise opaque origins)."""
        return f"{self.scheme}://{self.host}" if self.host else "null"

    def _pairs(self) -> tuple[tuple[tuple[str, str], ...], dict[str, str]]:
        parsed = self._parsed
        if parsed is None:
            pairs: tuple[tuple[str, str], ...] = ()
            if self.query:
                from urllib.parse import parse_qsl

                # parse_qsl is application/x-www-form-urlencoded as URLSearchParams reads it:
                # "&"-separated, "+" is a space, bad escapes kept, bad UTF-8 replaced.
                pairs = tuple(parse_qsl(self.query, keep_blank_values=True))
            first: dict[str, str] = {}
            for name, value in pairs:
                first.setdefault(name, value)
            parsed = self._parsed = (pairs, first)
        return parsed

    def params(self) -> list[tuple[str, str]]:
        """The decoded query parameters, in order, repeats included."""
        return list(self._pairs()[0])

    def get(self, name: str) -> str | None:
        """The first value of query parameter ``name`` (``URLSearchParams.get``), or None."""
        if not self.query:
            return None
        return self._pairs()[1].get(name)

    def search_params(self) -> SearchParams:
        """A fresh, mutable copy of the query's parameters (the reference's ``url.searchParams``)."""
        return SearchParams(self._pairs()[0])

    def with_search(self, params: SearchParams) -> ClerkUrl:
        """A copy whose query is ``params`` serialised (no ``?`` when it is empty).

        As with ``URLSearchParams``, every parameter is written out again in the
        form encoding, the ones that were not touched included: a redirect URL the
        reference builds this way differs from the original query in its bytes.
        """
        return ClerkUrl(scheme=self.scheme, host=self.host, path=self.path, query=str(params), fragment=self.fragment)

    def _key(self) -> tuple[str, str, str, str, str]:
        return (self.scheme, self.host, self.path, self.query, self.fragment)

    def __str__(self) -> str:
        text = f"{self.origin}{self.path}" if self.host else self.path
        if self.query:
            text = f"{text}?{self.query}"
        return f"{text}#{self.fragment}" if self.fragment else text

    def __repr__(self) -> str:  # query values may be handshake or dev-browser tokens
        names = sorted({name for name, _ in self._pairs()[0]})
        return f"ClerkUrl({self.origin + self.path!r}, params={names!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClerkUrl) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


class ClerkRequest:
    """A framework-neutral view of an HTTP request: method, URL, headers. Never reads a body.

    ``headers`` is a mapping or a list of ``(name, value)`` pairs (``bytes``
    decoded as latin-1, as ASGI gives them). Names are case-insensitive;
    repeated headers are joined with ``", "`` except ``cookie`` (``"; "``).
    Cookies, :attr:`clerk_url` and query parameters are parsed on first use
    and cached (recomputing them concurrently is harmless: they are pure).
    """

    __slots__ = ("_clerk_url", "_cookies", "_headers", "_raw_url", "_url", "method")

    method: str

    def __init__(self, method: str, url: str, headers: HeadersInput = ()) -> None:
        self.method = (method if type(method) is str else _text(method)).upper()
        self._url: str | None = url if type(url) is str else str(url)
        self._raw_url: ClerkUrl | None = None
        self._headers = _header_dict(headers)
        self._cookies: dict[str, str] | None = None
        self._clerk_url: ClerkUrl | None = None

    @property
    def url(self) -> str:
        """The request URL as given (adapters: as rebuilt from the scope or environ)."""
        url = self._url
        if url is None:  # adapters hand over parts; the string is only made if asked for
            url = self._url = str(self._raw())
        return url

    def _raw(self) -> ClerkUrl:
        raw = self._raw_url
        if raw is None:
            raw = self._raw_url = ClerkUrl.parse(self._url or "")
        return raw

    # -- adapters ---------------------------------------------------------

    @classmethod
    def from_asgi(cls, scope: Mapping[str, Any]) -> ClerkRequest:
        """Build from an ASGI ``http`` (or ``websocket``) scope.

        The URL is rebuilt like Starlette does: ``scheme``, the ``host`` header
        (else ``server``), ``root_path`` + path (``raw_path`` preferred, since
        ``path`` is percent-decoded) and ``query_string``.
        """
        kind = scope.get("type", "http")
        if kind not in ("http", "websocket"):
            raise ValueError(f"ClerkRequest.from_asgi needs an http or websocket scope, not {kind!r}")
        headers = _header_dict(scope.get("headers") or ())
        scheme = _text(scope.get("scheme") or ("ws" if kind == "websocket" else "http")).lower()
        # A host header we would not trust for clerk_url is not trusted for the base URL either.
        host = _trusted_host(headers, scheme) or _server_host(scope.get("server"), scheme)
        raw_path = scope.get("raw_path")
        if raw_path:
            path = _quote_path(bytes(raw_path), encoded=True)
        else:
            path = _quote_path(_text(scope.get("path", "")).encode("utf-8"))
        root = _text(scope.get("root_path") or "")
        if root:
            path = _mounted_path(path, _quote_path(root.encode("utf-8")))
        raw = ClerkUrl(scheme=scheme, host=host, path=path, query=_text(scope.get("query_string") or b""))
        return cls._build(_text(scope.get("method", "GET")), raw, headers)

    @classmethod
    def from_wsgi(cls, environ: Mapping[str, Any]) -> ClerkRequest:
        """Build from a PEP 3333 environ, reconstructing the URL with the PEP's own recipe.

        ``SCRIPT_NAME`` and ``PATH_INFO`` are latin-1 "bytes as str"; their
        bytes (UTF-8 in practice) are percent-encoded into the URL.
        """
        headers = wsgi_headers(environ)
        scheme = _text(environ.get("wsgi.url_scheme") or "http").lower()
        host = _trusted_host(headers, scheme)
        if not host:
            host = _text(environ.get("SERVER_NAME", "localhost")).lower()
            port = _text(environ.get("SERVER_PORT", ""))
            if port and port != _DEFAULT_PORTS.get(scheme):
                host = f"{host}:{port}"
        path = _quote_path(_wsgi_bytes(environ.get("SCRIPT_NAME", "")) + _wsgi_bytes(environ.get("PATH_INFO", "")))
        raw = ClerkUrl(scheme=scheme, host=host, path=path, query=_text(environ.get("QUERY_STRING") or ""))
        return cls._build(_text(environ.get("REQUEST_METHOD", "GET")), raw, headers)

    @classmethod
    def from_object(cls, request: Any) -> ClerkRequest:
        """Build from any request object with ``.method``, ``.url`` and ``.headers``.

        Fits Starlette, Flask/Werkzeug, httpx, aiohttp and the like: ``.url``
        may be a string or an object whose ``str()`` is the URL (Django's
        ``build_absolute_uri()`` is used when there is no ``.url``); headers
        may be a mapping or anything with ``multi_items()``/``items()``. A
        :class:`ClerkRequest` is returned as is.
        """
        if isinstance(request, ClerkRequest):
            return request
        try:
            method, headers = request.method, request.headers
        except AttributeError:
            raise TypeError("ClerkRequest.from_object needs an object with .method, .url and .headers") from None
        url = getattr(request, "url", None)
        if url is None and callable(builder := getattr(request, "build_absolute_uri", None)):
            url = builder()
        if url is None:
            raise TypeError("ClerkRequest.from_object needs an object with .method, .url and .headers")
        return cls(_text(method), url if isinstance(url, str) else str(url), headers)

    @classmethod
    def _build(cls, method: str, raw: ClerkUrl, headers: dict[str, str]) -> ClerkRequest:
        request = cls.__new__(cls)
        request.method = method.upper()
        request._url = None
        request._raw_url = raw
        request._headers = headers
        request._cookies = None
        request._clerk_url = None
        return request

    # -- headers ----------------------------------------------------------

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), repeats joined; None when absent."""
        return self._headers.get(name.lower())

    def header_items(self) -> list[tuple[str, str]]:
        """All headers as ``(lower-case name, value)`` pairs. Contains credentials: never log it."""
        return list(self._headers.items())

    def _value(self, name: str) -> str | None:
        value = self._headers.get(name)
        if not value:
            return None
        return value.strip(_HTTP_WS) or None

    @property
    def authorization_token(self) -> str | None:
        """The token in the Authorization header, by the reference's rules.

        ``Bearer <token>`` gives the token; a value without a space is taken
        whole (a raw token); any other scheme (``Basic …``, lower-case
        ``bearer …``) and an empty header give None.
        """
        value = self._headers.get(AUTHORIZATION)
        if not value:
            return None
        value = value.strip(_HTTP_WS)  # the Fetch Headers the reference reads have it stripped
        scheme, space, rest = value.partition(" ")
        if not space:
            return value or None
        if scheme != "Bearer":  # case-sensitive, as the reference compares with ===
            return None
        return rest.lstrip(" ").partition(" ")[0] or None

    @property
    def origin(self) -> str | None:
        """The ``Origin`` header, None when absent or empty."""
        return self._value("origin")

    @property
    def host(self) -> str | None:
        """The ``Host`` header, None when absent or empty."""
        return self._value(HOST)

    @property
    def forwarded_host(self) -> str | None:
        """The raw ``X-Forwarded-Host`` header (all values), None when absent or empty."""
        return self._value(FORWARDED_HOST)

    @property
    def forwarded_proto(self) -> str | None:
        """``CloudFront-Forwarded-Proto``, else ``X-Forwarded-Proto`` (raw), None when neither is set."""
        return self._value(CLOUDFRONT_FORWARDED_PROTO) or self._value(FORWARDED_PROTO)

    @property
    def referrer(self) -> str | None:
        """The ``Referer`` header, None when absent or empty."""
        return self._value("referer")

    @property
    def user_agent(self) -> str | None:
        """The ``User-Agent`` header, None when absent or empty."""
        return self._value("user-agent")

    @property
    def sec_fetch_dest(self) -> str | None:
        """The ``Sec-Fetch-Dest`` header, None when absent or empty."""
        return self._value("sec-fetch-dest")

    @property
    def accept(self) -> str | None:
        """The ``Accept`` header, None when absent or empty."""
        return self._value("accept")

    # -- cookies, URL, query ----------------------------------------------

    @property
    def cookies(self) -> Mapping[str, str]:
        """The request's cookies (see :func:`parse_cookie_header`), parsed on first access."""
        cookies = self._cookies
        if cookies is None:
            header = self._headers.get(COOKIE)
            cookies = self._cookies = parse_cookie_header(header) if header else {}
        return cookies

    def cookie(self, name: str) -> str | None:
        """The value of cookie ``name`` (first occurrence), or None."""
        return self.cookies.get(name)

    @property
    def clerk_url(self) -> ClerkUrl:
        """The URL the client used, as seen through proxies, computed on first access.

        Host: the first ``X-Forwarded-Host`` value, else ``Host``. Scheme: the
        first ``CloudFront-Forwarded-Proto`` value, else ``X-Forwarded-Proto``,
        else the URL's own. Path and query come from :attr:`url`. Without a
        host header, or when the host or scheme is not a plain, safe value, the
        URL is used as given.
        """
        url = self._clerk_url
        if url is None:
            url = self._clerk_url = self._derive_url()
        return url

    def _derive_url(self) -> ClerkUrl:
        raw = self._raw()
        headers = self._headers
        host_value = _first_value(headers.get(FORWARDED_HOST)) or (headers.get(HOST) or "").strip(_HTTP_WS)
        if not host_value:
            return raw
        scheme = (
            _first_value(headers.get(CLOUDFRONT_FORWARDED_PROTO))
            or _first_value(headers.get(FORWARDED_PROTO))
            or raw.scheme
            or "http"
        ).lower()
        if scheme not in _DEFAULT_PORTS:
            return raw
        host = _header_host(host_value, scheme)
        if host is None or (scheme == raw.scheme and host == raw.host):
            return raw
        return ClerkUrl(scheme=scheme, host=host, path=raw.path, query=raw.query, fragment=raw.fragment)

    def query(self, name: str) -> str | None:
        """The first value of query parameter ``name`` of :attr:`clerk_url`, or None."""
        # Read from the URL as given: deriving clerk_url changes only its scheme and host,
        # and the cookie path reads parameters on every request (most URLs have no query).
        raw = self._raw_url
        if raw is None:
            if "?" not in (self._url or ""):
                return None
            raw = self._raw()
        return raw.get(name)

    def __repr__(self) -> str:  # names only: cookie and Authorization values are credentials
        url = self.clerk_url
        return f"ClerkRequest({self.method} {url.origin}{url.path}, headers={list(self._headers)!r})"


def _server_host(server: Any, scheme: str) -> str:
    """``host[:port]`` from an ASGI ``server`` tuple, default port omitted."""
    if not server:
        return "localhost"
    host, port = _text(server[0]).lower(), server[1] if len(server) > 1 else None
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if port is None or str(port) == _DEFAULT_PORTS.get(scheme):
        return host
    return f"{host}:{port}"


def _wsgi_bytes(value: Any) -> bytes:
    """PEP 3333 "bytes as latin-1 str" back to bytes (a server that already decoded gets UTF-8)."""
    text = _text(value)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def coerce_request(request: object) -> ClerkRequest:
    """A ClerkRequest from what a framework hands over: an ASGI scope, a WSGI environ, or a request object."""
    if isinstance(request, ClerkRequest):
        return request
    if isinstance(request, Mapping):
        if request.get("type") in ("http", "websocket"):
            return ClerkRequest.from_asgi(request)
        if "REQUEST_METHOD" in request:
            return ClerkRequest.from_wsgi(request)
    return ClerkRequest.from_object(request)
