"""Per-client costs: building a client, and building one then verifying its first token.

Run from the project root::

    python -m benchmarks.construction             # or: make bench (runs it after verify_token)
    python -m benchmarks.construction --json construction.json

Multi-tenant apps build a client per tenant or per request, so what a client costs to build
matters as much as what a warm verification costs. Every row runs in one warm process (the
first client was built before timing), with entry points loaded as by default, and repeats
``--per-pass`` constructions per pass in interleaved, rotating passes, as
:mod:`benchmarks.verify_token` does (the official client, which takes milliseconds, makes 10
constructions per pass and 5 passes). The rows:

- ``Clerk(jwt_key=PEM)``, ``AsyncClerk(jwt_key=PEM)`` and ``Clerk(secret_key=...)``: the issue's
  target is at most 50 us for the PEM client.
- ``Clerk(jwt_key=PEM)`` + first ``verify_token``: a client per request, the key parsed and
  imported by that client's first verification.
- the official ``clerk_backend_api.Clerk(bearer_auth=...)``, and PyJWT's ``jwt.decode`` with the
  PEM string (PyJWT parses the key on every call: its per-request cost);
- ``cryptography``'s ``load_pem_public_key``: what having a key object at all costs.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from cryptography.hazmat.primitives import serialization

from ._common import AZP, LEEWAY_S, environment, format_environment, generate_key, mint_tokens, public_pem, write_json
from .verify_token import Series, run

Step = Callable[[str], Mapping[str, Any]]

PEM_CLIENT: Final = "Clerk(jwt_key=PEM)"
PER_REQUEST: Final = "Clerk(jwt_key=PEM) + first verify"
OFFICIAL: Final = "clerk_backend_api.Clerk(bearer_auth=...)"
#: Constructions per pass and passes for rows that cost milliseconds (the official client).
SLOW_PER_PASS: Final = 10
SLOW_REPEATS: Final = 5
#: The issue's budget for building a client with a PEM key, warm.
TARGET_US: Final = 50.0
_SECRET: Final = "sk_live_" + "b" * 40  # never sent: nothing here makes a request


def steps(pem: str, subs: Mapping[str, str], *, official: bool = True) -> dict[str, Step]:
    """One construction (or construction + verification) per call; the argument is a token."""
    from clerk_core import AsyncClerk, Clerk

    def pem_client(token: str) -> Mapping[str, Any]:
        Clerk(jwt_key=pem)
        return {}

    def async_pem_client(token: str) -> Mapping[str, Any]:
        AsyncClerk(jwt_key=pem)
        return {}

    def secret_client(token: str) -> Mapping[str, Any]:
        Clerk(secret_key=_SECRET)
        return {}

    def per_request(token: str) -> Mapping[str, Any]:
        claims = Clerk(jwt_key=pem, authorized_parties=[AZP]).verify_token(token)
        if claims["sub"] != subs[token]:
            raise AssertionError("wrong claims")
        return claims

    def load_pem(token: str) -> Mapping[str, Any]:
        serialization.load_pem_public_key(pem.encode("ascii"))
        return {}

    table: dict[str, Step] = {
        PEM_CLIENT: pem_client,
        "AsyncClerk(jwt_key=PEM)": async_pem_client,
        "Clerk(secret_key=...)": secret_client,
        PER_REQUEST: per_request,
        "cryptography load_pem_public_key": load_pem,
    }
    if importlib.util.find_spec("jwt") is not None:
        import jwt

        def pyjwt_per_request(token: str) -> Mapping[str, Any]:
            claims: dict[str, Any] = jwt.decode(token, pem, algorithms=["RS256"], leeway=LEEWAY_S)
            return claims

        table["PyJWT decode(PEM string)"] = pyjwt_per_request
    if official and importlib.util.find_spec("clerk_backend_api") is not None:
        import clerk_backend_api

        def official(token: str) -> Mapping[str, Any]:
            clerk_backend_api.Clerk(bearer_auth=_SECRET)
            return {}

        table[OFFICIAL] = official
    return table


def report(series: Mapping[str, Series], *, per_pass: int, repeats: int) -> dict[str, Any]:
    base = series[PEM_CLIENT].best
    lines = [
        f"{per_pass} constructions x {repeats} interleaved passes per row (after one warm-up pass;"
        f" {SLOW_PER_PASS} x {SLOW_REPEATS} for the official client)",
        "",
        f"  {'row':<42} {'best us':>10} {'median us':>10} {'/ Clerk(jwt_key)':>17}",
    ]
    lines.extend(
        f"  {name:<42} {item.best:>10.1f} {item.median:>10.1f} {item.best / base:>16.2f}x"
        for name, item in series.items()
    )
    met = base <= TARGET_US
    verdict = "MET" if met else "MISSED"
    lines += ["", f"Target: Clerk(jwt_key=PEM) <= {TARGET_US:.0f} us warm: {verdict} ({base:.1f} us)"]
    ratios = {}
    if OFFICIAL in series:
        ratio = ratios["official Clerk() / Clerk(jwt_key=PEM) (best)"] = series[OFFICIAL].best / base
        lines.append(f"  the official client costs {ratio:.0f}x as much to build")
    print("\n".join(lines))
    return {"targets": {f"Clerk(jwt_key=PEM) <= {TARGET_US:.0f} us": met}, "ratios": ratios}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.construction", description=__doc__.split("\n")[0])
    parser.add_argument("--per-pass", type=int, default=300, help="constructions per pass (default 300)")
    parser.add_argument("--repeats", type=int, default=15, help="timed passes per row (default 15)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--no-official", action="store_true", help="skip clerk-backend-api (e.g. not installed)")
    args = parser.parse_args(argv)

    env = environment()
    print("Environment:\n" + format_environment(env) + "\n")
    started = time.perf_counter()
    key = generate_key()
    pem = public_pem(key)
    minted = mint_tokens(key, args.per_pass, now=int(time.time()))
    table = steps(pem, {item.token: item.sub for item in minted}, official=not args.no_official)
    table[PER_REQUEST](minted[0].token)  # the correctness gate: a client built per request verifies
    tokens = [item.token for item in minted]
    slow = {name: table.pop(name) for name in (OFFICIAL,) if name in table}
    series = run(table, tokens, args.repeats)
    # The official client takes tens of milliseconds to build: fewer constructions, same method.
    if slow:
        series.update(run(slow, tokens[:SLOW_PER_PASS], min(args.repeats, SLOW_REPEATS)))
    summary = report(series, per_pass=args.per_pass, repeats=args.repeats)
    print(f"\nTotal run time {time.perf_counter() - started:.1f} s")
    if args.json:
        document = {
            "benchmark": "construction",
            "environment": env,
            "config": {"per_pass": args.per_pass, "repeats": args.repeats, "unit": "us/construction"},
            "results": {name: item.as_json() for name, item in series.items()},
            **summary,
        }
        write_json(args.json, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
