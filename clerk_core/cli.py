"""The ``clerk-core`` command: decode and verify tokens, show plugins, run the demo.

Exit codes: 0 success; 1 the token is invalid (decode/verify) or a demo case did
not match; 2 usage, configuration or plugin errors.

Only the standard library is imported here; clients, plugins and the local test
instance are imported by the sub-command that needs them, so ``clerk-core decode``
never loads cryptography or an HTTP stack. Secret keys are never printed: errors
show the library's messages, which hold no secret, and the flags are not echoed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, NoReturn, TextIO

if TYPE_CHECKING:
    from clerk_core.errors import ClerkError

__all__ = ["build_parser", "main"]

#: Exit codes.
EXIT_OK: Final = 0
EXIT_INVALID: Final = 1
EXIT_USAGE: Final = 2

_PEM_MARKER: Final = "-----BEGIN"


class _UsageError(Exception):
    """A problem with the command line itself (exit 2)."""


# -- output helpers ----------------------------------------------------------------------------


def _utf8(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None) or ""
    return encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")


def _dump(obj: object, stream: TextIO) -> None:
    """Pretty JSON; non-ASCII is escaped when ``stream`` cannot take UTF-8."""
    print(json.dumps(obj, indent=2, ensure_ascii=not _utf8(stream), default=str), file=stream)


def _error_object(exc: ClerkError) -> dict[str, Any]:
    return {"ok": False, "reason": exc.reason, "message": exc.message, "action": getattr(exc, "action", None)}


def _report_error(exc: ClerkError, *, as_json: bool) -> None:
    """``reason: message`` (and the action) on stderr, or the JSON result object on stdout."""
    if as_json:
        _dump(_error_object(exc), sys.stdout)
        return
    print(f"{exc.reason}: {exc.message}", file=sys.stderr)
    action = getattr(exc, "action", None)
    if action:
        print(action, file=sys.stderr)


# -- inputs ------------------------------------------------------------------------------------


def _read_token(value: str) -> str:
    """The token argument, or stdin for ``-``; surrounding whitespace is dropped."""
    if value == "-":
        return sys.stdin.read().strip()
    return value.strip()


def _read_jwt_key(value: str) -> str:
    """``--jwt-key``: the PEM text itself, or the path of a file holding it."""
    if _PEM_MARKER in value:
        return value
    try:
        with open(value, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise _UsageError(f"--jwt-key: cannot read {value!r} ({reason}); pass a PEM file or the PEM text") from None


# -- sub-commands ------------------------------------------------------------------------------


def _cmd_decode(args: argparse.Namespace) -> int:
    from clerk_core import decode_jwt
    from clerk_core.errors import TokenVerificationError

    try:
        jwt = decode_jwt(_read_token(args.token))
    except TokenVerificationError as exc:
        print(f"{exc.reason}: {exc.message}", file=sys.stderr)
        return EXIT_INVALID
    _dump({"header": jwt.header, "payload": jwt.payload}, sys.stdout)
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from clerk_core import Clerk
    from clerk_core.errors import ClerkError, TokenVerificationError

    token = _read_token(args.token)
    jwt_key = _read_jwt_key(args.jwt_key) if args.jwt_key else None
    try:
        with Clerk(
            jwt_key=jwt_key,
            secret_key=args.secret_key,
            api_url=args.api_url,
            api_version=args.api_version,
            authorized_parties=args.authorized_parties,
            audience=args.audience,
            issuer=args.issuer,
            clock_skew_in_ms=args.clock_skew_ms,
        ) as clerk:
            claims = clerk.verify_token(token)
    except TokenVerificationError as exc:
        _report_error(exc, as_json=args.json)
        return EXIT_INVALID
    except ClerkError as exc:  # configuration, plugins, transport: not a verdict on the token
        _report_error(exc, as_json=args.json)
        return EXIT_USAGE
    _dump({"ok": True, "claims": claims} if args.json else claims, sys.stdout)
    return EXIT_OK


_SECRET_PARAMS = ("__session", "__clerk_db_jwt", "__clerk_handshake", "__clerk_handshake_nonce")


def _redact_header(name: str, value: str) -> str:
    """Response headers carry session tokens (cookies, handshake URLs): show their shape, not their value."""
    if name.lower() == "set-cookie":
        pair, _, attributes = value.partition(";")
        cookie, _, cookie_value = pair.partition("=")
        shown = f"{cookie.strip()}=<{len(cookie_value.strip())} chars>"
        return f"{shown};{attributes}" if attributes else shown
    if name.lower() == "location":
        from clerk_core.tokens.request import ClerkUrl

        url = ClerkUrl.parse(value)
        hidden = [name for name in _SECRET_PARAMS if url.get(name)]
        if not hidden:
            return value
        params = url.search_params()
        for name in hidden:
            params.set(name, "<redacted>")
        return str(url.with_search(params))
    return value


def _parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        # The text is not echoed: it may be a cookie, a token or a signature.
        raise _UsageError("a header is 'Name: value'; one of the -H values has no name or no colon")
    return name.strip(), value.strip()


def _cmd_authenticate(args: argparse.Namespace) -> int:
    from clerk_core import Clerk
    from clerk_core.errors import ClerkError
    from clerk_core.tokens.request import ClerkRequest
    from clerk_core.tokens.state import debug_request_state

    headers = [_parse_header(h) for h in args.header or ()]
    request = ClerkRequest(args.method, args.url, headers)
    accepts: Any = args.accepts_token[0] if args.accepts_token and len(args.accepts_token) == 1 else args.accepts_token
    try:
        with Clerk(
            jwt_key=_read_jwt_key(args.jwt_key) if args.jwt_key else None,
            secret_key=args.secret_key,
            publishable_key=args.publishable_key,
            api_url=args.api_url,
            authorized_parties=args.authorized_parties,
            domain=args.domain,
            proxy_url=args.proxy_url,
            sign_in_url=args.sign_in_url,
            is_satellite=args.satellite,
            accepts_token=accepts or "session_token",
        ) as clerk:
            state = clerk.authenticate_request(request)
    except ClerkError as exc:
        _report_error(exc, as_json=args.json)
        return EXIT_USAGE
    auth = state.to_auth()
    shown_headers = [(name, _redact_header(name, value)) for name, value in state.headers]
    result: dict[str, Any] = {
        "status": state.status,
        "reason": state.reason,
        "message": state.message,
        "token_type": state.token_type,
        "headers": [list(pair) for pair in shown_headers],
        "auth": None if auth is None else auth.debug(),
        "debug": debug_request_state(state),
    }
    if args.json:
        _dump(result, sys.stdout)
    else:
        print(f"status:  {state.status}")
        print(f"reason:  {state.reason or '-'}")
        if state.message:
            print(f"message: {state.message}")
        for name, value in shown_headers:
            print(f"header:  {name}: {value}")
        print(f"auth:    {json.dumps(result['auth'], default=str)}")
    return EXIT_OK if state.is_authenticated else EXIT_INVALID


def _cmd_webhook_verify(args: argparse.Namespace) -> int:
    from clerk_core.errors import ConfigurationError, WebhookVerificationError
    from clerk_core.webhooks import verify_webhook

    secret = os.environ.get(args.secret_env)
    if not secret:
        raise _UsageError(f"--secret-env: the environment variable {args.secret_env} is not set")
    headers = [_parse_header(text) for text in args.header or ()]
    body = sys.stdin.buffer.read() if args.body == "-" else _read_body(args.body)
    try:
        event = verify_webhook(headers, body, signing_secret=secret, tolerance_in_seconds=args.tolerance)
    except (WebhookVerificationError, ConfigurationError) as exc:
        _report_error(exc, as_json=args.json)
        return EXIT_INVALID
    data_id = event.data_dict.get("id") if isinstance(event.data_dict, dict) else None
    if args.json:
        _dump({"ok": True, "type": event.type, "id": event.id, "data_id": data_id}, sys.stdout)
    else:
        print(f"{event.type} {event.id}" + (f" {data_id}" if data_id else ""))
    return EXIT_OK


def _read_body(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise _UsageError(f"--body: cannot read {path!r} ({exc.strerror or type(exc).__name__})") from None


def _cmd_plugins(args: argparse.Namespace) -> int:
    from clerk_core import AsyncClerk, Clerk
    from clerk_core._plugins import PROVIDER_HOOKS
    from clerk_core.errors import ClerkError

    load_entry_points = False if args.no_entry_points else None
    try:
        if args.use_async:
            client: Clerk | AsyncClerk = AsyncClerk(load_entry_points=load_entry_points)
        else:
            client = Clerk(load_entry_points=load_entry_points)
    except ClerkError as exc:
        _report_error(exc, as_json=args.json)
        return EXIT_USAGE
    providers = client.providers
    runtime = providers.runtime
    rows = [(c.hook, c.plugin, c.outcome) for c in providers.choices]
    missing = [hook for hook in PROVIDER_HOOKS if not any(h == hook and o == "selected" for h, _, o in rows)]
    if args.json:
        _dump(
            {
                "runtime": {"name": runtime.name, "flavor": runtime.flavor},
                "choices": [{"hook": h, "plugin": p, "outcome": o} for h, p, o in rows],
                "missing": missing,
            },
            sys.stdout,
        )
    else:
        print(f"runtime: {runtime.name} ({runtime.flavor})")
        shown = rows + [(hook, "-", "no provider") for hook in missing]
        shown.sort(key=lambda row: PROVIDER_HOOKS.index(row[0]) if row[0] in PROVIDER_HOOKS else len(PROVIDER_HOOKS))
        hook_width = max(len(h) for h, _, _ in shown)
        plugin_width = max(len(p) for _, p, _ in shown)
        for hook, plugin, outcome in shown:
            print(f"{hook:<{hook_width}}   {plugin:<{plugin_width}}   {outcome}")
        if "clerk_http_transport" in missing:
            print("(no HTTP transport: networkless verification only; pip install 'clerk-core[niquests]')")
    _close(client)
    return EXIT_OK


def _close(client: Any) -> None:
    if hasattr(client, "aclose"):
        import asyncio

        asyncio.run(client.aclose())
    else:
        client.close()


def _cmd_demo(args: argparse.Namespace) -> int:
    from clerk_core._demo import run_demo

    return run_demo(rounds=args.rounds)


# -- parser ------------------------------------------------------------------------------------


def _version() -> str:
    from clerk_core._version import __version__

    return str(__version__)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _add_key_arguments(command: argparse.ArgumentParser) -> None:
    """The key, Backend API and azp options shared by the commands that verify."""
    command.add_argument("--jwt-key", metavar="PATH_OR_PEM", help="PEM public key: a file path or the PEM text")
    command.add_argument("--secret-key", metavar="SK", help="instance secret key (default: $CLERK_SECRET_KEY)")
    command.add_argument("--api-url", metavar="URL", help="Backend API URL (default: $CLERK_API_URL or Clerk's)")
    command.add_argument(
        "--authorized-party",
        dest="authorized_parties",
        metavar="P",
        action="append",
        help="accepted azp value (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``clerk-core`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="clerk-core",
        description="Decode and verify Clerk session tokens and webhooks, inspect plugins, run the offline demo.",
        epilog="Exit codes: 0 ok, 1 invalid token or webhook (or a demo case failed), 2 usage/configuration error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    decode = commands.add_parser("decode", help="print a token's header and payload (no verification)")
    decode.add_argument("token", metavar="TOKEN", help="the JWT, or - to read it from stdin")
    decode.set_defaults(handler=_cmd_decode)

    verify = commands.add_parser(
        "verify",
        help="verify a session token and print its claims",
        description=(
            "Verify a Clerk session token networklessly (--jwt-key / CLERK_JWT_KEY) or through the "
            "instance's JWKS (--secret-key / CLERK_SECRET_KEY). Prefer the environment variable for "
            "the secret key: command lines are visible to other users of the machine."
        ),
    )
    verify.add_argument("token", metavar="TOKEN", help="the JWT, or - to read it from stdin")
    _add_key_arguments(verify)
    verify.add_argument("--api-version", metavar="V", help="Backend API version segment (default: v1)")
    verify.add_argument("--audience", metavar="A", action="append", help="accepted aud value (repeatable)")
    verify.add_argument("--issuer", metavar="I", action="append", help="accepted iss value (repeatable)")
    verify.add_argument("--clock-skew-ms", metavar="N", type=float, help="allowed clock skew in ms (default: 5000)")
    verify.add_argument("--json", action="store_true", help="print a JSON result object on stdout")
    verify.set_defaults(handler=_cmd_verify)

    auth = commands.add_parser(
        "authenticate",
        help="run authenticate_request on a described request and print the state, reason and headers",
        description=(
            "Describe a request (URL, method, headers such as Cookie or Authorization) and see what "
            "authenticate_request decides: the tool to reach for when a redirect loops. Keys come from "
            "the flags or from CLERK_SECRET_KEY / CLERK_PUBLISHABLE_KEY / CLERK_JWT_KEY. Tokens in the "
            "printed headers are redacted."
        ),
    )
    auth.add_argument("--url", required=True, help="the full request URL")
    auth.add_argument("-X", "--method", default="GET", help="HTTP method (default: GET)")
    auth.add_argument("-H", "--header", action="append", metavar="'NAME: VALUE'", help="a request header (repeatable)")
    _add_key_arguments(auth)
    auth.add_argument("--publishable-key", metavar="PK", help="publishable key (default: $CLERK_PUBLISHABLE_KEY)")
    auth.add_argument("--domain", help="satellite domain")
    auth.add_argument("--proxy-url", help="proxy URL")
    auth.add_argument("--sign-in-url", help="sign-in URL (satellites)")
    auth.add_argument("--satellite", action="store_true", help="the app is a satellite")
    auth.add_argument("--accepts-token", action="append", metavar="TYPE", help="accepted token type (repeatable)")
    auth.add_argument("--json", action="store_true", help="print the state as JSON")
    auth.set_defaults(handler=_cmd_authenticate)

    webhook = commands.add_parser("webhook", help="webhook tools").add_subparsers(dest="action", metavar="ACTION")
    webhook.required = True
    check = webhook.add_parser(
        "verify",
        help="verify a webhook delivery (body on stdin) and print its event type and id",
        description=(
            "Verify a Clerk webhook delivery: the raw body on stdin (or --body FILE), the svix-* headers "
            "as -H flags. Prints '<type> <message id> <data id>', or the reason it was refused (exit 1). "
            "The signing secret is read from an environment variable, never from the command line."
        ),
    )
    check.add_argument(
        "--secret-env",
        metavar="NAME",
        default="CLERK_WEBHOOK_SIGNING_SECRET",
        help="environment variable holding the signing secret (default: CLERK_WEBHOOK_SIGNING_SECRET)",
    )
    check.add_argument(
        "-H", "--header", action="append", metavar="'NAME: VALUE'", help="a delivery header (repeatable)"
    )
    check.add_argument("--body", default="-", metavar="FILE", help="file holding the raw body (default: - for stdin)")
    check.add_argument("--tolerance", type=float, default=300.0, metavar="S", help="timestamp tolerance (default: 300)")
    check.add_argument("--json", action="store_true", help="print a JSON result object on stdout")
    check.set_defaults(handler=_cmd_webhook_verify)

    plugins = commands.add_parser("plugins", help="show which plugin serves each hook")
    plugins.add_argument("--async", dest="use_async", action="store_true", help="resolve for an AsyncClerk")
    plugins.add_argument("--no-entry-points", action="store_true", help="ignore plugins installed through entry points")
    plugins.add_argument("--json", action="store_true", help="print the resolution as JSON")
    plugins.set_defaults(handler=_cmd_plugins)

    demo = commands.add_parser("demo", help="verify valid and broken tokens against a local Clerk instance (offline)")
    demo.add_argument(
        "--rounds", type=_positive_int, default=2000, metavar="N", help="verifications to time (default: 2000)"
    )
    demo.set_defaults(handler=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``clerk-core`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        code: int = args.handler(args)
    except _UsageError as exc:
        if getattr(args, "json", False):
            _dump({"ok": False, "reason": "usage-error", "message": str(exc), "action": None}, sys.stdout)
        else:
            print(f"clerk-core {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and friends: stop quietly, like other CLI tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_INVALID
    return code


def run() -> NoReturn:
    """The console script: :func:`main`, then exit without the interpreter's final collection.

    A command is a whole process, and most of what it costs after its work is done is the
    garbage collection of every imported class and function at shutdown (6 to 8 ms of the 10
    to 14 ms a verification's process takes to exit, on the machine of docs/benchmarks.md).
    Frozen objects are left to the operating system; anything that is not in a reference cycle
    is still freed as usual, and the standard streams are still flushed.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
