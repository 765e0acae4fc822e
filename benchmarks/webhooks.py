"""Webhook verification: one 2 KB Clerk delivery, clerk-core against svix and standardwebhooks.

Run from the project root::

    python -m benchmarks.webhooks                 # or: make bench
    python -m benchmarks.webhooks --json webhooks.json

Every row does what a handler does per delivery: check the three headers, the timestamp and
the HMAC-SHA256 signature over the raw body, and parse the body. The peers' verifier objects
are built once with the secret (as their docs show); clerk-core is called as a handler calls it,
``verify_webhook(headers, body, signing_secret=SECRET)``, and returns a typed event (the peers
return a dict). Rows:

- ``clerk-core verify_webhook``: the typed ``WebhookEvent`` (``user.created`` → ``User``);
- ``svix Webhook.verify`` (+ ``json.loads``: svix 2.x returns nothing) and ``standardwebhooks
  Webhook.verify`` (``webhook-*`` headers, which is what it reads), skipped when not installed;
- ``floor (hmac + json.loads)``: the standard library's HMAC, base64 and compare, then
  ``json.loads``, with no header handling: what the work costs at least.

The same rows are timed on a delivery whose signature does not match (a rejection must not be
the slow path). Target (issue): faster than both peers, in the same run.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import importlib.util
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from ._common import _version, environment, format_environment, write_json
from .verify_token import Series, run

Verify = Callable[[str], Any]

OURS: Final = "clerk-core verify_webhook"
SVIX: Final = "svix Webhook.verify"
STANDARD: Final = "standardwebhooks Webhook.verify"
FLOOR: Final = "floor (hmac + json.loads)"
PEERS: Final = (SVIX, STANDARD)
BODY_SIZE: Final = 2048


def delivery_body(size: int = BODY_SIZE) -> bytes:
    """A ``user.created`` event from Clerk's example, padded with metadata to ``size`` bytes."""
    from clerk_core.testing import webhook_payload

    payload = webhook_payload("user.created", timestamp_ms=1_760_000_000_000)
    payload["data"]["public_metadata"] = {"note": ""}
    base = len(json.dumps(payload, separators=(",", ":")).encode())
    payload["data"]["public_metadata"]["note"] = "x" * max(0, size - base)
    return json.dumps(payload, separators=(",", ":")).encode()


class Deliveries:
    """``count`` signed deliveries by message id: body, Svix headers and Standard Webhooks headers."""

    def __init__(self, secret: str, body: bytes, count: int, *, now: int, valid: bool = True) -> None:
        from clerk_core.testing import sign_webhook

        self.svix: dict[str, dict[str, str]] = {}
        self.standard: dict[str, dict[str, str]] = {}
        self.body = body
        for index in range(count):
            msg_id = f"msg_{index:06d}"
            headers = sign_webhook(body, secret=secret, msg_id=msg_id, timestamp=now)
            if not valid:
                headers["svix-signature"] = "v1," + base64.b64encode(b"\0" * 32).decode()
            self.svix[msg_id] = headers
            self.standard[msg_id] = {name.replace("svix-", "webhook-"): value for name, value in headers.items()}

    @property
    def ids(self) -> list[str]:
        return list(self.svix)


def verifiers(secret: str, deliveries: Deliveries) -> dict[str, Verify]:
    """One verification per call, keyed by message id."""
    from clerk_core.webhooks import verify_webhook

    body = deliveries.body

    def ours(msg_id: str) -> Any:
        return verify_webhook(deliveries.svix[msg_id], body, signing_secret=secret)

    key = base64.b64decode(secret.removeprefix("whsec_"))

    def floor(msg_id: str) -> Any:
        headers = deliveries.svix[msg_id]
        signed = f"{msg_id}.{headers['svix-timestamp']}.".encode() + body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
        if not hmac.compare_digest(headers["svix-signature"][3:].encode(), expected):
            raise ValueError("no match")
        return json.loads(body)

    table: dict[str, Verify] = {OURS: ours}
    if importlib.util.find_spec("svix") is not None:
        from svix.webhooks import Webhook as SvixWebhook

        svix_hook = SvixWebhook(secret)

        def svix_verify(msg_id: str) -> Any:
            # svix 2.x verifies and returns nothing; a handler then parses the body itself.
            svix_hook.verify(body, deliveries.svix[msg_id])
            return json.loads(body)

        table[SVIX] = svix_verify
    if importlib.util.find_spec("standardwebhooks") is not None:
        from standardwebhooks import Webhook as StandardWebhook

        standard_hook = StandardWebhook(secret)

        def standard_verify(msg_id: str) -> Any:
            return standard_hook.verify(body, deliveries.standard[msg_id])

        table[STANDARD] = standard_verify
    table[FLOOR] = floor
    return table


def refusing(table: Mapping[str, Verify]) -> dict[str, Verify]:
    """The same verifiers, expected to refuse: returning is an error, raising is the result."""

    def wrap(name: str, fn: Verify) -> Verify:
        def refuse(msg_id: str) -> None:
            try:
                fn(msg_id)
            except Exception:  # each library raises its own type; which one is not measured
                return
            raise AssertionError(f"{name} accepted a delivery with a wrong signature")

        return refuse

    return {name: wrap(name, fn) for name, fn in table.items()}


def check(table: Mapping[str, Verify], sample: str) -> None:
    """The correctness gate: every verifier accepts a good delivery and sees its event type."""
    for name, fn in table.items():
        result = fn(sample)
        event_type = result.type if hasattr(result, "type") else result["type"]
        if event_type != "user.created":
            raise AssertionError(f"{name} returned {event_type!r}")


def report(accept: Mapping[str, Series], refuse: Mapping[str, Series], *, count: int, repeats: int) -> dict[str, Any]:
    lines = [f"{count} deliveries of {BODY_SIZE} bytes x {repeats} interleaved passes per row", ""]
    lines.append(f"  {'row':<36} {'accept us':>10} {'/ ours':>8} {'refuse us':>10} {'/ ours':>8}")
    ours_ok, ours_no = accept[OURS].best, refuse[OURS].best
    for name in accept:
        good, bad = accept[name].best, refuse[name].best
        lines.append(f"  {name:<36} {good:>10.2f} {good / ours_ok:>7.2f}x {bad:>10.2f} {bad / ours_no:>7.2f}x")
    targets: dict[str, bool] = {}
    ratios: dict[str, float] = {}
    for peer in PEERS:
        if peer in accept:
            ratios[f"{peer} / ours (accept, best)"] = accept[peer].best / ours_ok
            ratios[f"{peer} / ours (refuse, best)"] = refuse[peer].best / ours_no
            targets[f"faster than {peer}"] = ours_ok < accept[peer].best and ours_no < refuse[peer].best
    lines.append("")
    for name, met in targets.items():
        lines.append(f"Target: {name} (accepting and refusing): {'MET' if met else 'MISSED'}")
    print("\n".join(lines))
    return {"targets": targets, "ratios": ratios}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.webhooks", description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=1000, help="deliveries per pass (default 1000)")
    parser.add_argument("--repeats", type=int, default=15, help="timed passes per row (default 15)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    args = parser.parse_args(argv)

    from clerk_core.testing import new_webhook_secret

    env = {**environment(), "svix": _version("svix"), "standardwebhooks": _version("standardwebhooks")}
    print("Environment:\n" + format_environment(env) + "\n")
    started = time.perf_counter()
    secret = new_webhook_secret()
    body = delivery_body()
    now = int(time.time())
    good = Deliveries(secret, body, args.deliveries, now=now)
    bad = Deliveries(secret, body, args.deliveries, now=now, valid=False)
    accepting = verifiers(secret, good)
    check(accepting, good.ids[0])
    refusing_table = refusing(verifiers(secret, bad))
    refusing_table[OURS](bad.ids[0])  # the gate for the other direction
    accept = run(accepting, good.ids, args.repeats)
    refuse = run(refusing_table, bad.ids, args.repeats)
    summary = report(accept, refuse, count=args.deliveries, repeats=args.repeats)
    print(f"\nTotal run time {time.perf_counter() - started:.1f} s")
    if args.json:
        document = {
            "benchmark": "webhooks",
            "environment": env,
            "config": {"deliveries": args.deliveries, "repeats": args.repeats, "body_bytes": len(body)},
            "results": {
                **{f"accept / {name}": item.as_json() for name, item in accept.items()},
                **{f"refuse / {name}": item.as_json() for name, item in refuse.items()},
            },
            **summary,
        }
        write_json(args.json, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
