"""``clerk-core demo``: verify valid and broken tokens against a local Clerk instance.

Runs offline with no Clerk account: :class:`~clerk_core.testing.LocalClerk` serves a
real JWKS endpoint on 127.0.0.1 and signs tokens with a key generated at start-up.
Each case prints one line: a marker saying whether the outcome matched what a
correct verifier must do, the outcome (``verified`` or the reason code) and the
message. The exit code is 0 only if every case matched, so the demo is a check too.

:mod:`clerk_core.testing` needs ``cryptography``; it is imported when the demo runs,
never when the CLI module is imported.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TextIO

__all__ = ["TIMING_ROUNDS", "run_demo"]

#: Networkless verifications timed for the closing line.
TIMING_ROUNDS: Final = 2000
#: Outcome shown for a token that verified.
VERIFIED: Final = "verified"


@dataclass(frozen=True)
class _Marks:
    ok: str
    bad: str
    dash: str
    micro: str


_UNICODE: Final = _Marks(ok="\u2713", bad="\u2717", dash="\u2014", micro="\u00b5s")
_ASCII: Final = _Marks(ok="+", bad="x", dash="-", micro="us")


def _marks_for(stream: TextIO) -> _Marks:
    """Unicode markers when ``stream`` can encode them, else ASCII ones."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "".join((_UNICODE.ok, _UNICODE.bad, _UNICODE.dash, _UNICODE.micro)).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return _ASCII
    return _UNICODE


@dataclass(frozen=True)
class _Case:
    label: str
    #: ``VERIFIED`` or the reason code the verification must fail with.
    expect: str
    run: Callable[[], dict[str, Any]]
    #: Extra words shown after the outcome, computed after the run (e.g. a request count).
    note: Callable[[], str] | None = None
    #: The exact message expected too, when the reason alone is ambiguous.
    message: str | None = None

    def matches(self, outcome: str, detail: str) -> bool:
        """Whether the run ended as this case expects."""
        return outcome == self.expect and (self.message is None or detail == self.message)


def _outcome(case: _Case) -> tuple[str, str]:
    """Run one case; return (outcome, detail)."""
    from clerk_core.errors import ClerkError

    try:
        claims = case.run()
    except ClerkError as exc:  # TokenVerificationError, or a configuration/plugin problem
        return exc.reason, exc.message
    except Exception as exc:  # a bug: show it as a failed case, never as a traceback
        return f"error ({type(exc).__name__})", str(exc)
    return VERIFIED, f"sub={claims.get('sub')} sid={claims.get('sid')}"


def run_demo(out: TextIO | None = None, *, rounds: int = TIMING_ROUNDS) -> int:
    """Run the demo, print what happened to ``out`` (stdout); 0 if every case matched, 1 if not, 2 if unavailable."""
    out = sys.stdout if out is None else out
    marks = _marks_for(out)
    try:
        from clerk_core import Clerk
        from clerk_core.testing import KeyPair, LocalClerk, mint_session_token
    except ImportError as exc:
        print(
            f"clerk-core demo needs the local instance's dependencies ({exc}); "
            "install them with: pip install 'clerk-core[all]'",
            file=sys.stderr,
        )
        return 2

    def say(line: str = "") -> None:
        print(line, file=out, flush=True)

    try:
        local = LocalClerk().start()
    except OSError as exc:
        print(f"clerk-core demo: cannot start the local instance on 127.0.0.1: {exc}", file=sys.stderr)
        return 2
    with local:
        signing = local.keys[0]
        say(f"clerk-core demo: local Clerk instance at {local.api_url} (kid {signing.kid}, {signing.alg})")
        say(f"  {marks.ok} = the verifier did what it must, {marks.bad} = it did not")
        say()

        token = local.session_token()
        networkless = Clerk(jwt_key=signing.public_pem)
        over_jwks = Clerk(secret_key=local.secret_key, api_url=local.api_url)
        # Never shown: it only has to differ from the instance's key.
        wrong_key = "sk_test_" + secrets.token_urlsafe(24)
        wrong_secret = Clerk(secret_key=wrong_key, api_url=local.api_url, retry_backoff=0)
        jwks_down = Clerk(secret_key=local.secret_key, api_url=local.api_url, retry_backoff=0)

        baseline = 0

        def count_from_now() -> None:
            nonlocal baseline
            baseline = local.jwks_requests

        def fetches_since(what: str) -> Callable[[], str]:
            def note() -> str:
                n = local.jwks_requests - baseline
                return f"{n} JWKS {'request' if n == 1 else 'requests'} {what}"

            return note

        def twice_over_jwks() -> dict[str, Any]:
            count_from_now()
            over_jwks.verify_token(token)
            claims = over_jwks.verify_token(token)
            if local.jwks_requests - baseline != 1:  # the key set must come from the cache the second time
                raise RuntimeError(f"expected 1 JWKS request, the server saw {local.jwks_requests - baseline}")
            return claims

        def tampered() -> dict[str, Any]:
            header, payload, signature = token.split(".")
            # Swap the first signature character: still canonical base64url, different bytes.
            flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
            return networkless.verify_token(f"{header}.{payload}.{flipped}")

        def unknown_kid() -> dict[str, Any]:
            stranger = KeyPair.generate(kid="ins_stranger")
            return over_jwks.verify_token(mint_session_token(stranger))

        def endpoint_down() -> dict[str, Any]:
            local.set_fault("status", status=503)
            count_from_now()
            try:
                return jwks_down.verify_token(token)
            finally:
                local.clear_faults()

        cases = [
            _Case("valid token, networkless (PEM public key)", VERIFIED, lambda: networkless.verify_token(token)),
            _Case(
                "same token over JWKS, verified twice",
                VERIFIED,
                twice_over_jwks,
                note=fetches_since("for 2 verifications"),
            ),
            _Case(
                "expired token",
                "token-expired",
                lambda: networkless.verify_token(local.session_token(now=time.time() - 3600)),
            ),
            _Case("tampered signature", "token-invalid-signature", tampered),
            _Case("signed by another key (unknown kid), over JWKS", "jwk-kid-mismatch", unknown_kid),
            _Case("malformed token", "token-invalid", lambda: networkless.verify_token("not.a-jwt")),
            _Case(
                "wrong azp with authorized_parties",
                "token-invalid-authorized-parties",
                lambda: networkless.verify_token(
                    local.session_token(azp="https://evil.example"),
                    authorized_parties=["http://localhost:3000"],
                ),
            ),
            _Case(
                "M2M token given to verify_token",
                "token-invalid",
                lambda: networkless.verify_token(local.m2m_token()),
                message="Invalid session token category.",
            ),
            _Case(
                "wrong secret key (server answers 401)", "secret-key-invalid", lambda: wrong_secret.verify_token(token)
            ),
            _Case(
                "JWKS endpoint down (503)",
                "jwk-remote-failed-to-load",
                endpoint_down,
                note=fetches_since("tried"),
            ),
        ]

        width = max(len(case.label) for case in cases)
        passed = failed = 0
        for case in cases:
            outcome, detail = _outcome(case)
            matched = case.matches(outcome, detail)
            passed, failed = (passed + 1, failed) if matched else (passed, failed + 1)
            mark = marks.ok if matched else marks.bad
            extra = f" ({case.note()})" if case.note is not None else ""
            line = f"{mark} {case.label:<{width}}  {outcome}{extra} {marks.dash} {detail}"
            if not matched:
                line += f"  [expected {case.expect}{f': {case.message}' if case.message else ''}]"
            say(line)

        say()
        try:
            networkless.verify_token(token)  # warm: key import and header cache
            begin = time.perf_counter()
            for _ in range(rounds):
                networkless.verify_token(token)
            each = (time.perf_counter() - begin) / rounds * 1e6
            say(f"{rounds} verifications: {each:.1f} {marks.micro} each (networkless, {signing.alg})")
        except Exception as exc:
            failed += 1
            say(f"{marks.bad} timing run failed: {type(exc).__name__}: {exc}")

        for client in (networkless, over_jwks, wrong_secret, jwks_down):
            client.close()

    say(f"demo: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
