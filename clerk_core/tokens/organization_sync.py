"""Organization sync: which organization (or the personal account) a request path asks for.

Apps list path patterns (``organization_patterns=("/orgs/:slug", "/orgs/:slug/(.*)")``);
when a signed-in request's path names an organization other than the session's
active one, ``authenticate_request`` hands the request to the Frontend API to switch
(§3.9 of the reference study, ``B/tokens/organizationMatcher.ts``).

Patterns use the path-to-regexp 6.x syntax the reference vendors: literal text,
``:name`` parameters (one segment), ``(regex)`` custom and wildcard parameters such as
``(.*)``, ``{…}`` groups, and ``?``/``*``/``+`` modifiers. As there, matching ignores
case, tolerates one trailing delimiter (``/``, ``#`` or ``?``) and never decodes
percent-escapes. Two deliberate differences: case folding and the ``\\d``/``\\w``
classes are ASCII-only (request paths are percent-encoded ASCII anyway), and an
empty pattern list means "not configured" where the reference's ``[]`` would match
every path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Final, Literal, TypeAlias

import msgspec

from ..errors import ConfigurationError

__all__ = [
    "OrganizationMatcher",
    "OrganizationSyncOptions",
    "OrganizationSyncTarget",
    "compile_organization_sync",
    "needs_organization_sync",
]

_DELIMITERS: Final = "/#?"
#: A character before a parameter that becomes its prefix instead of literal text.
_PREFIXES: Final = "./"
_SEGMENT: Final = "[^/#?]+?"
_FLAGS: Final = re.IGNORECASE | re.ASCII
_DOCS: Final = "https://github.com/pillarjs/path-to-regexp/tree/6.x"

#: Matched parameters; a repeated one (``:id+``) is the list of its segments.
Params: TypeAlias = "dict[str, str | list[str]]"


class OrganizationSyncOptions(msgspec.Struct, frozen=True, kw_only=True):
    """Which paths activate an organization (by ``:id`` or ``:slug``) or the personal account."""

    organization_patterns: tuple[str, ...] = ()
    personal_account_patterns: tuple[str, ...] = ()


class OrganizationSyncTarget(msgspec.Struct, frozen=True, kw_only=True):
    """What a path asks to activate: an organization (by id or slug) or the personal account."""

    kind: Literal["organization", "personal_account"]
    organization_id: str | None = None
    organization_slug: str | None = None


class _PatternError(Exception):
    """A pattern path-to-regexp refuses; the message is the library's."""


# --- Lexer: pattern text -> (kind, index, value) tokens ------------------------------------------

_Token = tuple[str, int, str]
_NAME_CHARS: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


def _lex_name(text: str, start: int) -> tuple[_Token, int]:
    end = start + 1
    while end < len(text) and text[end] in _NAME_CHARS:
        end += 1
    if end == start + 1:
        raise _PatternError(f"Missing parameter name at {start}")
    return ("NAME", start, text[start + 1 : end]), end


def _lex_group(text: str, start: int) -> tuple[_Token, int]:
    """``(regex)``: balanced parentheses, nested groups only if non-capturing (``(?…``)."""
    pos = start + 1
    if text[pos : pos + 1] == "?":
        raise _PatternError(f'Pattern cannot start with "?" at {pos}')
    depth, body = 1, []
    while pos < len(text):
        char = text[pos]
        if char == "\\":
            body.append(text[pos : pos + 2])
            pos += 2
            continue
        if char == ")":
            depth -= 1
            if depth == 0:
                pos += 1
                break
        elif char == "(":
            depth += 1
            if text[pos + 1 : pos + 2] != "?":
                raise _PatternError(f"Capturing groups are not allowed at {pos}")
        body.append(char)
        pos += 1
    if depth:
        raise _PatternError(f"Unbalanced pattern at {start}")
    if not body:
        raise _PatternError(f"Missing pattern at {start}")
    return ("PATTERN", start, "".join(body)), pos


_SINGLE: Final = {"*": "MODIFIER", "+": "MODIFIER", "?": "MODIFIER", "{": "OPEN", "}": "CLOSE"}


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char in _SINGLE:
            tokens.append((_SINGLE[char], pos, char))
            pos += 1
        elif char == "\\":
            tokens.append(("ESCAPED_CHAR", pos, text[pos + 1 : pos + 2]))
            pos += 2
        elif char == ":":
            token, pos = _lex_name(text, pos)
            tokens.append(token)
        elif char == "(":
            token, pos = _lex_group(text, pos)
            tokens.append(token)
        else:
            tokens.append(("CHAR", pos, char))
            pos += 1
    tokens.append(("END", pos, ""))
    return tokens


# --- Parser: tokens -> literal text and parameter keys -------------------------------------------


class _Key(msgspec.Struct, frozen=True):
    """One parameter: ``name`` is a string, or a number for unnamed ``(regex)`` groups."""

    name: str | int
    prefix: str
    suffix: str
    pattern: str
    modifier: str


class _Parser:
    __slots__ = ("count", "parts", "pos", "tokens")

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.parts: list[str | _Key] = []
        self.count = 0  # names for unnamed groups: 0, 1, …

    def take(self, kind: str) -> str | None:
        if self.pos < len(self.tokens) and self.tokens[self.pos][0] == kind:
            self.pos += 1
            return self.tokens[self.pos - 1][2]
        return None

    def must(self, kind: str) -> str:
        value = self.take(kind)
        if value is None:
            found, index, _ = self.tokens[self.pos]
            raise _PatternError(f"Unexpected {found} at {index}, expected {kind}")
        return value

    def text(self) -> str:
        out = ""
        while value := self.take("CHAR") or self.take("ESCAPED_CHAR"):
            out += value
        return out

    def unnamed(self) -> int:
        self.count += 1
        return self.count - 1

    def segment_pattern(self, prefix: str) -> str:
        """The default pattern of a ``:name``: one segment, stopping before the text that follows it."""
        previous = self.parts[-1] if self.parts else None
        before = prefix or (previous if isinstance(previous, str) else "")
        if isinstance(previous, _Key) and not before:
            raise _PatternError(f'Must have text between two parameters, missing text after "{previous.name}"')
        if not before or any(d in before for d in _DELIMITERS):
            return _SEGMENT
        return f"(?:(?!{re.escape(before)})[^/#?])+?"


def _parse(text: str) -> list[str | _Key]:
    parser = _Parser(_lex(text))
    path = ""
    while parser.pos < len(parser.tokens):
        char = parser.take("CHAR")
        name = parser.take("NAME")
        pattern = parser.take("PATTERN")
        if name or pattern:
            prefix = char or ""
            if prefix not in _PREFIXES:
                path, prefix = path + prefix, ""
            if path:
                parser.parts.append(path)
                path = ""
            key_name: str | int = name or parser.unnamed()
            regex = pattern or parser.segment_pattern(prefix)
            parser.parts.append(_Key(key_name, prefix, "", regex, parser.take("MODIFIER") or ""))
            continue
        value = char or parser.take("ESCAPED_CHAR")
        if value:
            path += value
            continue
        if path:
            parser.parts.append(path)
            path = ""
        if parser.take("OPEN") is not None:
            _parse_group(parser)
            continue
        parser.must("END")
    return parser.parts


def _parse_group(parser: _Parser) -> None:
    """``{prefix:name(regex)suffix}modifier``, every piece optional."""
    prefix = parser.text()
    name = parser.take("NAME") or ""
    pattern = parser.take("PATTERN") or ""
    suffix = parser.text()
    parser.must("CLOSE")
    key_name: str | int = name or (parser.unnamed() if pattern else "")
    regex = parser.segment_pattern(prefix) if name and not pattern else pattern
    parser.parts.append(_Key(key_name, prefix, suffix, regex, parser.take("MODIFIER") or ""))


# --- Regex: parts -> source, keys in group order -------------------------------------------------


def _key_source(key: _Key) -> str:
    prefix, suffix, pattern, modifier = re.escape(key.prefix), re.escape(key.suffix), key.pattern, key.modifier
    if not pattern:
        return f"(?:{prefix}{suffix}){modifier}"
    if not (prefix or suffix):
        if modifier in ("+", "*"):
            raise _PatternError(f'Can not repeat "{key.name}" without a prefix and suffix')
        return f"({pattern}){modifier}"
    if modifier in ("+", "*"):
        optional = "?" if modifier == "*" else ""
        return f"(?:{prefix}((?:{pattern})(?:{suffix}{prefix}(?:{pattern}))*){suffix}){optional}"
    return f"(?:{prefix}({pattern}){suffix}){modifier}"


def _source(text: str, keys: list[_Key]) -> str:
    """Anchored at both ends; one trailing delimiter allowed (non-strict mode)."""
    source = "^"
    for part in _parse(text):
        if isinstance(part, str):
            source += re.escape(part)
            continue
        source += _key_source(part)
        if part.pattern:
            keys.append(part)
    return source + "[/#?]?\\Z"


class _PathMatcher:
    """Several patterns as one alternation, tried in order; parameters by name."""

    __slots__ = ("keys", "regex")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.keys: list[_Key] = []
        sources = [_source(pattern, self.keys) for pattern in patterns]
        try:
            self.regex = re.compile(f"(?:{'|'.join(sources)})", _FLAGS)
        except (re.error, RecursionError, OverflowError) as exc:
            raise _PatternError(f"Invalid regular expression: {exc}") from None

    def __call__(self, path: str) -> Params | None:
        found = self.regex.search(path)
        if found is None:
            return None
        params: Params = {}
        for index, value in enumerate(found.groups()):
            if value is None:
                continue
            if index >= len(self.keys):
                return None  # a group the pattern smuggled in: the reference fails and matches nothing
            key = self.keys[index]
            repeated = key.modifier in ("+", "*")
            params[str(key.name)] = value.split(key.prefix + key.suffix) if repeated else value
        return params


# --- The matcher ---------------------------------------------------------------------------------


def _param(params: Params, name: str) -> str | None:
    """A parameter as a string; a repeated one reads as JavaScript prints an array (comma-joined)."""
    value = params.get(name)
    text = ",".join(value) if isinstance(value, list) else value
    return text or None


def _compile(given: Iterable[str] | str) -> Callable[[str], Params | None] | None:
    # A lone string is one pattern, as the reference's match() accepts.
    patterns = (given,) if isinstance(given, str) else tuple(given)
    if not patterns:
        return None
    if not all(isinstance(p, str) for p in patterns):
        raise ConfigurationError("invalid-option", "Organization sync patterns must be strings.")
    try:
        return _PathMatcher(patterns)
    except _PatternError as exc:
        raise ConfigurationError(
            "invalid-option",
            f'Invalid pattern "{",".join(patterns)}": Error: Invalid path and options: '
            f"Consult the documentation of path-to-regexp here: {_DOCS}\n{exc}",
        ) from None


class OrganizationMatcher:
    """Organization-sync patterns compiled once; :meth:`match` maps a path to a target."""

    __slots__ = ("_organization", "_personal", "options")

    def __init__(self, options: OrganizationSyncOptions) -> None:
        self.options = options
        self._organization = _compile(options.organization_patterns)
        self._personal = _compile(options.personal_account_patterns)

    def __repr__(self) -> str:
        return f"OrganizationMatcher({self.options!r})"

    def match(self, path: str) -> OrganizationSyncTarget | None:
        """The target ``path`` names, or ``None``.

        Organization patterns win over personal-account ones, and ``:id`` over
        ``:slug``. An organization pattern that matches without a non-empty ``:id``
        or ``:slug`` gives way to the personal-account patterns, as in the reference.
        """
        if self._organization is not None and (params := self._organization(path)) is not None:
            if organization_id := _param(params, "id"):
                return OrganizationSyncTarget(kind="organization", organization_id=organization_id)
            if organization_slug := _param(params, "slug"):
                return OrganizationSyncTarget(kind="organization", organization_slug=organization_slug)
        if self._personal is not None and self._personal(path) is not None:
            return OrganizationSyncTarget(kind="personal_account")
        return None


def compile_organization_sync(options: OrganizationSyncOptions) -> OrganizationMatcher:
    """Compile ``options`` once per client; an invalid pattern raises ``ConfigurationError``."""
    return OrganizationMatcher(options)


def needs_organization_sync(target: OrganizationSyncTarget | None, *, org_id: str | None, org_slug: str | None) -> bool:
    """Whether the session's active organization differs from what the path asks for.

    A slug or id other than the active one, or a personal-account path while an
    organization is active, needs a handshake (reason ``active-organization-mismatch``).
    """
    if target is None:
        return False
    if target.kind == "personal_account":
        return bool(org_id)
    slug, ident = target.organization_slug, target.organization_id
    return bool(slug and slug != org_slug) or bool(ident and ident != org_id)
