"""Backend API client costs: decoding a 500-user list, a users.get round trip, and a cold start.

Run from the project root::

    python -m benchmarks.backend_api             # or: make bench (after the verification benchmarks)
    python -m benchmarks.backend_api --json backend_api.json

Everything runs against the local instance on 127.0.0.1 (no Clerk account, no network): 500
users are created through its emulated Backend API, and the same bytes feed every decoder.

- **Decode**: the ``GET /v1/users?limit=500`` body decoded as the client decodes it — clerk-core's
  ``decode_response`` (msgspec, the models built once) against the official ``clerk-backend-api``'s
  ``unmarshal_json(text, List[models.User])`` (pydantic), text decoding included, as it does it.
  Both must return the 500 users with the same ids. Target: at least 3x faster.
- **Round trip**: ``users.get(id)`` over loopback with the sync client (its default transport, on
  the standard library's ``http.client``), the official client (httpx) and a bare kept-alive
  ``http.client.HTTPConnection`` with the same headers (the transport floor); clerk-core's
  overhead beyond its transport is the difference to the floor.
- **Cold start**: a fresh ``python -c`` process that imports the SDK, builds a client and makes
  one ``users.get`` call; the wall median less ``python -c pass``. Target: at most a quarter of
  the official SDK's.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from ._common import environment, format_environment, precompile, write_json
from .verify_token import run

Step = Callable[[str], Mapping[str, Any]]

USERS: Final = 500
MIN_DECODE_SPEEDUP: Final = 3.0
MAX_COLDSTART_SHARE: Final = 0.25
CLERK_CORE: Final = "clerk-core"
OFFICIAL: Final = "clerk-backend-api"
FLOOR: Final = "http.client keep-alive (floor)"

_CHILDREN: Final = {
    "interpreter only": "pass",
    CLERK_CORE: (
        "import os, clerk_core\n"
        "c = clerk_core.Clerk(secret_key=os.environ['BENCH_SK'], api_url=os.environ['BENCH_URL'])\n"
        "assert c.users.get(os.environ['BENCH_ID']).id == os.environ['BENCH_ID']"
    ),
    OFFICIAL: (
        "import os, clerk_backend_api\n"
        "c = clerk_backend_api.Clerk(bearer_auth=os.environ['BENCH_SK'], server_url=os.environ['BENCH_URL'] + '/v1')\n"
        "assert c.users.get(user_id=os.environ['BENCH_ID']).id == os.environ['BENCH_ID']"
    ),
}


def _list_body(api_url: str, secret_key: str) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - the local instance on 127.0.0.1
        f"{api_url}/v1/users?limit={USERS}", headers={"Authorization": f"Bearer {secret_key}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        body: bytes = response.read()
    return body


def decoders(official: bool) -> dict[str, Step]:
    """One decode of the list body per call; the argument is the body, as text."""
    from clerk_core.api import _gen_operations as ops
    from clerk_core.api.call import decode_response
    from clerk_core.providers import HttpResponse

    def core(text: str) -> Mapping[str, Any]:
        page = decode_response(ops.GET_USER_LIST, HttpResponse(status=200, body=text.encode("utf-8")))
        return {"ids": [user.id for user in page]}

    table: dict[str, Step] = {CLERK_CORE: core}
    if official:
        from clerk_backend_api import models
        from clerk_backend_api.utils.serializers import unmarshal_json

        def theirs(text: str) -> Mapping[str, Any]:
            return {"ids": [user.id for user in unmarshal_json(text, list[models.User])]}

        table[OFFICIAL] = theirs
    return table


def round_trips(api_url: str, secret_key: str, official: bool) -> tuple[dict[str, Step], Callable[[], None]]:
    """``users.get`` per call through each client, and a function that closes them."""
    import http.client
    from urllib.parse import urlsplit

    from clerk_core import Clerk

    clerk = Clerk(secret_key=secret_key, api_url=api_url)
    # The floor is the bare library the sync client's default transport is built on.
    split = urlsplit(api_url)
    connection = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=5)
    headers = {
        "Authorization": f"Bearer {secret_key}",
        "Clerk-API-Version": "2026-05-12",
        "User-Agent": "benchmark",
    }

    def core(user_id: str) -> Mapping[str, Any]:
        return {"id": clerk.users.get(user_id).id}

    def floor(user_id: str) -> Mapping[str, Any]:
        connection.request("GET", f"{split.path}/v1/users/{user_id}", headers=headers)
        return {"id": json.loads(connection.getresponse().read())["id"]}

    table: dict[str, Step] = {CLERK_CORE: core, FLOOR: floor}
    closers: list[Callable[[], None]] = [clerk.close, connection.close]
    if official:
        import clerk_backend_api

        theirs_client = clerk_backend_api.Clerk(bearer_auth=secret_key, server_url=f"{api_url}/v1")

        def theirs(user_id: str) -> Mapping[str, Any]:
            return {"id": theirs_client.users.get(user_id=user_id).id}

        table[OFFICIAL] = theirs

    def close() -> None:
        for closer in closers:
            closer()

    return table, close


def cold_starts(env: Mapping[str, str], runs: int, official: bool) -> dict[str, list[float]]:
    """Wall milliseconds of ``runs`` fresh processes per child, round-robin, after one warm-up each."""
    children = {name: code for name, code in _CHILDREN.items() if official or name != OFFICIAL}
    walls: dict[str, list[float]] = {name: [] for name in children}
    for repeat in range(runs + 1):
        for name, code in children.items():
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", code], env=dict(env), capture_output=True, check=False)  # noqa: S603
            wall = (time.perf_counter() - start) * 1e3
            if done.returncode != 0:
                raise RuntimeError(f"{name}: child failed:\n{done.stderr.decode(errors='replace')}")
            if repeat:
                walls[name].append(wall)
    return walls


def _check(name: str, result: Mapping[str, Any], expected: Any, key: str) -> None:
    if result[key] != expected:
        raise AssertionError(f"{name} returned the wrong {key}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.backend_api", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed passes per row (default 15)")
    parser.add_argument("--calls", type=int, default=200, help="round trips per pass (default 200)")
    parser.add_argument("--decodes", type=int, default=5, help="list decodes per pass (default 5)")
    parser.add_argument("--runs", type=int, default=10, help="cold-start processes per child (default 10)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--no-official", action="store_true", help="skip clerk-backend-api (e.g. not installed)")
    args = parser.parse_args(argv)
    official = not args.no_official and importlib.util.find_spec("clerk_backend_api") is not None

    from clerk_core import Clerk
    from clerk_core.testing import LocalClerk

    precompile()  # as an installed wheel has it: the children must not compile our sources
    env_facts = environment()
    print("Environment:\n" + format_environment(env_facts) + "\n")
    started = time.perf_counter()
    lines: list[str] = []
    ratios: dict[str, float] = {}
    targets: dict[str, bool] = {}
    with LocalClerk() as local, Clerk(secret_key=local.secret_key, api_url=local.api_url) as seed:
        for n in range(USERS):
            seed.users.create(
                email_address=[f"user{n}@example.com"],
                first_name=f"First{n}",
                last_name=f"Last{n}",
                username=f"user_{n}",
                public_metadata={"plan": "pro", "seat": n},
            )
        body = _list_body(local.api_url, local.secret_key)
        ids = [user["id"] for user in json.loads(body)]
        text = body.decode("utf-8")
        print(f"{USERS} users created; the list body is {len(body) / 1024:.0f} KiB")

        decode = decoders(official)
        for name, step in decode.items():
            _check(name, step(text), ids, "ids")
        decoded = run(decode, [text] * args.decodes, args.repeats)
        lines.append(f"Decoding {USERS} users ({args.decodes} per pass x {args.repeats} passes), ms per decode:")
        lines.extend(
            f"  {name:<34} best {item.best / 1e3:8.2f}  median {item.median / 1e3:8.2f}"
            for name, item in decoded.items()
        )
        if OFFICIAL in decoded:
            speedup = decoded[OFFICIAL].best / decoded[CLERK_CORE].best
            ratios["decode: official / clerk-core (best)"] = speedup
            targets[f"decode >= {MIN_DECODE_SPEEDUP:.0f}x faster than the official SDK"] = speedup >= MIN_DECODE_SPEEDUP
            lines.append(f"  clerk-core is {speedup:.1f}x faster")

        trips, close = round_trips(local.api_url, local.secret_key, official)
        try:
            sample = (ids * (args.calls // len(ids) + 1))[: args.calls]
            for name, step in trips.items():
                _check(name, step(ids[0]), ids[0], "id")
            timed = run(trips, sample, args.repeats)
        finally:
            close()
        lines.append("")
        lines.append(
            f"users.get round trip over loopback ({args.calls} calls per pass x {args.repeats} passes), us per call:"
        )
        lines.extend(f"  {name:<34} best {item.best:8.1f}  median {item.median:8.1f}" for name, item in timed.items())
        overhead = timed[CLERK_CORE].best - timed[FLOOR].best
        lines.append(f"  clerk-core beyond its transport: {overhead:.1f} us")
        ratios["round trip: clerk-core overhead beyond the transport (us)"] = overhead
        if OFFICIAL in timed:
            ratios["round trip: official / clerk-core (best)"] = timed[OFFICIAL].best / timed[CLERK_CORE].best

        child_env = {k: v for k, v in os.environ.items() if not k.startswith("CLERK_")}
        child_env.update(BENCH_SK=local.secret_key, BENCH_URL=local.api_url, BENCH_ID=ids[0])
        walls = cold_starts(child_env, args.runs, official)
    base = statistics.median(walls["interpreter only"])
    net = {name: statistics.median(values) - base for name, values in walls.items() if name != "interpreter only"}
    lines.append("")
    lines.append(
        f"Cold start: import + client + one users.get, {args.runs} processes each,"
        " wall ms (median, net of python -c pass):"
    )
    lines.extend(
        f"  {name:<34} wall {statistics.median(values):7.1f}  net {net.get(name, 0.0):7.1f}"
        for name, values in walls.items()
    )
    if OFFICIAL in net:
        share = net[CLERK_CORE] / net[OFFICIAL]
        ratios["cold start: clerk-core / official (net wall)"] = share
        targets[f"cold start <= {MAX_COLDSTART_SHARE:.2f} of the official SDK's"] = share <= MAX_COLDSTART_SHARE
        lines.append(f"  clerk-core takes {share:.2f} of the official SDK's cold start")
    lines.append("")
    lines.append("Targets:")
    lines.extend(f"  {name:<50} {'MET' if met else 'MISSED'}" for name, met in targets.items())
    print("\n".join(lines))
    print(f"\nTotal run time {time.perf_counter() - started:.1f} s")
    results: dict[str, Any] = {
        "decode_us": {name: item.as_json() for name, item in decoded.items()},
        "round_trip_us": {name: item.as_json() for name, item in timed.items()},
        "cold_start_wall_ms": walls,
    }
    if args.json:
        write_json(
            args.json,
            {
                "benchmark": "backend_api",
                "environment": env_facts,
                "results": results,
                "ratios": ratios,
                "targets": targets,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
