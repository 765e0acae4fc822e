"""Cold start: ``import clerk_core`` plus one networkless verification in a fresh interpreter.

Run from the project root::

    python -m benchmarks.coldstart               # or: make coldstart
    python -m benchmarks.coldstart --runs 25 --json coldstart.json

The parent mints one RS256 session token and its PEM public key and hands them to every
child through the environment. Each child is a fresh ``python -c`` process that reads
them, then times with ``time.perf_counter()`` from just before the first import to just
after the verification returns: the in-process figure. The parent also times the whole
process (interpreter start-up and exit included) and reports it net of the interpreter's
own start-up and exit (the median wall time of ``python -c pass``): the cost a user feels
when a script or a CLI call verifies one token. Both have a 60 ms target. The child's
clock is the parent's (``perf_counter`` is the system's monotonic clock), so the parent
also splits off the teardown: from the end of the verification to the process's exit.
Scenarios run round-robin, one process at a time, after one discarded warm-up run each
(it writes bytecode caches and warms the page cache).

``--python`` runs the children with another interpreter, e.g. a virtual environment that
holds only ``clerk-core[josepy,niquests]`` as a user's would (``make coldstart`` measures
both): what else is installed changes a cold start (a ``.pth`` file runs at every start-up;
``typing_extensions``, when present, is imported by msgspec).
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ._common import environment, format_environment, generate_key, mint_tokens, precompile, public_pem, write_json

#: The issue's budget for ``import clerk_core`` plus one verification, in process and as a
#: whole process net of the interpreter's own start-up and exit.
TARGET_MS: Final = 60.0
CLERK_CORE: Final = "clerk-core Clerk(jwt_key=PEM)"
WHOLE: Final = "clerk-core verify_token(jwt_key=PEM)"
INTERPRETER: Final = "interpreter only"
_MARKER: Final = "@@ benchmark starts"

_CHILD: Final = """\
import os, time
{marker}PEM = os.environ["BENCH_PEM"]
TOKEN = os.environ["BENCH_TOKEN"]
SUB = os.environ["BENCH_SUB"]
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
{verify}
t2 = time.perf_counter()
if {check} and claims["sub"] != SUB:
    raise SystemExit("wrong claims")
import json, sys
json.dump({{"import_ms": (t1 - t0) * 1e3, "total_ms": (t2 - t0) * 1e3, "modules": len(sys.modules),
           "done_at": t2}}, sys.stdout)
"""


@dataclass(frozen=True)
class Scenario:
    """What one child process imports and verifies."""

    name: str
    imports: str
    verify: str
    env: Mapping[str, str] = field(default_factory=dict)
    #: Top-level module the scenario needs; the scenario is skipped when it is not installed.
    requires: str | None = None

    def code(self, *, marker: bool = False) -> str:
        check = "False" if self.verify == "claims = None" else "True"
        mark = f"import sys; sys.stderr.write({_MARKER!r} + '\\n')\n" if marker else ""
        return _CHILD.format(marker=mark, imports=self.imports, verify=self.verify, check=check)


def scenarios(pem: str) -> list[Scenario]:
    return [
        Scenario(INTERPRETER, "pass", "claims = None"),
        Scenario(
            CLERK_CORE,
            "import clerk_core",
            "claims = clerk_core.Clerk(jwt_key=PEM).verify_token(TOKEN)",
        ),
        Scenario(WHOLE, "import clerk_core", "claims = clerk_core.verify_token(TOKEN, jwt_key=PEM)"),
        Scenario(
            "clerk-core verify_token() + CLERK_JWT_KEY",
            "import clerk_core",
            "claims = clerk_core.verify_token(TOKEN)",
            env={"CLERK_JWT_KEY": pem},
        ),
        Scenario(
            "minimal (cryptography)",
            "import base64, json\n"
            "from cryptography.hazmat.primitives import hashes, serialization\n"
            "from cryptography.hazmat.primitives.asymmetric import padding",
            "h, p, s = TOKEN.split('.')\n"
            "d = lambda x: base64.urlsafe_b64decode(x + '=' * (-len(x) % 4))\n"
            "assert json.loads(d(h))['alg'] == 'RS256'\n"
            "serialization.load_pem_public_key(PEM.encode()).verify("
            "d(s), f'{h}.{p}'.encode(), padding.PKCS1v15(), hashes.SHA256())\n"
            "claims = json.loads(d(p))\n"
            "assert claims['nbf'] - 5 <= time.time() < claims['exp'] + 5",
        ),
        Scenario(
            "PyJWT jwt.decode(PEM)",
            "import jwt",
            "claims = jwt.decode(TOKEN, PEM, algorithms=['RS256'])",
            requires="jwt",
        ),
        Scenario(
            "clerk-backend-api verify_token",
            "import clerk_backend_api\nfrom clerk_backend_api.security import VerifyTokenOptions, verify_token",
            "claims = verify_token(TOKEN, VerifyTokenOptions(jwt_key=PEM))",
            requires="clerk_backend_api",
        ),
    ]


@dataclass
class Samples:
    """Per-run measurements of one scenario, in milliseconds."""

    scenario: Scenario
    in_process: list[float] = field(default_factory=list)
    imports: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    teardown: list[float] = field(default_factory=list)
    modules: int = 0


def _child_env(base: Mapping[str, str], token: str, sub: str, pem: str, extra: Mapping[str, str]) -> dict[str, str]:
    env = {name: value for name, value in base.items() if not name.startswith(("CLERK_", "PYTHONPROFILEIMPORTTIME"))}
    env.update(BENCH_PEM=pem, BENCH_TOKEN=token, BENCH_SUB=sub)
    env.update(extra)
    return env


def run_once(python: str, scenario: Scenario, env: Mapping[str, str]) -> tuple[float, float, dict[str, Any]]:
    """One fresh process: (wall ms, teardown ms, the child's own report)."""
    command = [python, "-c", scenario.code()]
    start = time.perf_counter()
    done = subprocess.run(command, env=dict(env), capture_output=True, text=True, check=False)  # noqa: S603
    end = time.perf_counter()
    if done.returncode != 0:
        raise RuntimeError(f"{scenario.name}: child failed ({done.returncode}):\n{done.stderr}")
    report: dict[str, Any] = json.loads(done.stdout)
    return (end - start) * 1e3, (end - report["done_at"]) * 1e3, report


def measure(python: str, items: Sequence[Scenario], envs: Mapping[str, Mapping[str, str]], runs: int) -> list[Samples]:
    results = [Samples(item) for item in items]
    for item in items:
        run_once(python, item, envs[item.name])  # warm-up, discarded
    for _ in range(runs):
        for samples in results:
            wall, teardown, child = run_once(python, samples.scenario, envs[samples.scenario.name])
            samples.wall.append(wall)
            samples.teardown.append(teardown)
            samples.in_process.append(child["total_ms"])
            samples.imports.append(child["import_ms"])
            samples.modules = child["modules"]
    return results


def report(results: Sequence[Samples], runs: int) -> dict[str, Any]:
    median = statistics.median
    lines = [
        f"{runs} fresh processes per scenario, round-robin; milliseconds",
        "",
        f"  {'scenario':<42} {'in-process':>10} {'(min)':>7} {'import':>7} {'verify':>7}"
        f" {'teardown':>9} {'wall':>7} {'(min)':>7} {'net wall':>9} {'modules':>8}",
    ]
    by_name = {item.scenario.name: item for item in results}
    interpreter = median(by_name[INTERPRETER].wall)
    for item in results:
        imports = median(item.imports)
        verify = median(total - imp for total, imp in zip(item.in_process, item.imports, strict=True))
        lines.append(
            f"  {item.scenario.name:<42} {median(item.in_process):>10.1f} {min(item.in_process):>7.1f}"
            f" {imports:>7.1f} {verify:>7.1f} {median(item.teardown):>9.1f} {median(item.wall):>7.1f}"
            f" {min(item.wall):>7.1f} {median(item.wall) - interpreter:>9.1f} {item.modules:>8}"
        )
    lines.append(
        "  (medians unless '(min)'; 'verify' includes building the client or key; 'teardown' is from the"
        " verification's end to the process's exit; 'net wall' is the wall median less the interpreter's)"
    )
    core, whole = by_name[CLERK_CORE], by_name[WHOLE]
    in_process = median(core.in_process)
    net = median(whole.wall) - interpreter
    targets = {
        f"import clerk_core + one verification < {TARGET_MS:.0f} ms in process": in_process < TARGET_MS,
        f"whole process, net of the interpreter <= {TARGET_MS:.0f} ms": net <= TARGET_MS,
    }
    lines.append("")
    verdict = "MET" if in_process < TARGET_MS else "MISSED"
    lines.append(
        f"Target: import clerk_core + one verification < {TARGET_MS:.0f} ms in process: "
        f"{verdict} (median {in_process:.1f} ms, min {min(core.in_process):.1f} ms)"
    )
    lines.append(
        f"Target: python -c 'import clerk_core; clerk_core.verify_token(TOKEN, jwt_key=PEM)' less python -c pass"
        f" <= {TARGET_MS:.0f} ms: {'MET' if net <= TARGET_MS else 'MISSED'} ({median(whole.wall):.1f} - "
        f"{interpreter:.1f} = {net:.1f} ms, medians)"
    )
    print("\n".join(lines))
    return {"target_ms": TARGET_MS, "targets": targets, "net_wall_ms": net}


def import_profile(python: str, scenario: Scenario, env: Mapping[str, str], *, min_ms: float, depth: int) -> None:
    """Run ``scenario`` once under ``-X importtime`` and print its import tree (start-up excluded).

    ``-X importtime`` adds its own overhead, so the figures run a little above the timed ones.
    """
    command = [python, "-X", "importtime", "-c", scenario.code(marker=True)]
    done = subprocess.run(command, env=dict(env), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{scenario.name}: child failed ({done.returncode}):\n{done.stderr}")
    lines = done.stderr.splitlines()
    lines = lines[lines.index(_MARKER) + 1 :] if _MARKER in lines else lines
    rows: list[tuple[float, float, int, str]] = []
    for line in lines:
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, label = line[len("import time:") :].split("|", 2)
        level = (len(label) - len(label.lstrip(" ")) - 1) // 2
        rows.append((int(self_us) / 1e3, int(cumulative_us) / 1e3, level, label.strip()))
    total = sum(row[1] for row in rows if row[2] == 0)
    print(f"\nImport tree of {scenario.name!r} under -X importtime ({total:.1f} ms of imports;")
    print(f"modules with cumulative >= {min_ms} ms, depth <= {depth}; children print before their parent):")
    print(f"  {'self ms':>8} {'cum ms':>8}  module")
    for own, cumulative, level, name in rows:
        if cumulative >= min_ms and level <= depth:
            print(f"  {own:>8.1f} {cumulative:>8.1f}  {'  ' * level}{name}")
    heaviest = sorted(rows, key=lambda row: row[0], reverse=True)[:12]
    print("Heaviest modules by self time: " + ", ".join(f"{name} {own:.1f}" for own, _, _, name in heaviest))


def _installed(python: str, module: str) -> bool:
    if python == sys.executable:
        return importlib.util.find_spec(module) is not None
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([python, "-c", code], check=False).returncode == 0  # noqa: S603


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.coldstart", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed processes per scenario (default 15)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--no-official", action="store_true", help="skip clerk-backend-api (e.g. not installed)")
    parser.add_argument(
        "--importtime", action="store_true", help="also print clerk-core's import tree from one -X importtime run"
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter the children run (default: this one)")
    args = parser.parse_args(argv)

    precompile()  # as an installed wheel has it: the children must not compile our sources
    env = environment()
    env["children's interpreter"] = args.python
    print("Environment:\n" + format_environment(env) + "\n")

    started = time.perf_counter()
    key = generate_key()
    pem = public_pem(key)
    token = mint_tokens(key, 1, now=int(time.time()))[0]
    items = []
    for item in scenarios(pem):
        if args.no_official and item.requires == "clerk_backend_api":
            continue
        if item.requires is not None and not _installed(args.python, item.requires):
            print(f"Skipping {item.name!r}: {item.requires} is not installed for {args.python}")
            continue
        items.append(item)
    envs = {item.name: _child_env(os.environ, token.token, token.sub, pem, item.env) for item in items}
    results = measure(args.python, items, envs, args.runs)
    summary = report(results, args.runs)
    if args.importtime:
        core = next(item for item in items if item.name == CLERK_CORE)
        import_profile(args.python, core, envs[CLERK_CORE], min_ms=1.5, depth=7)
    print(f"\nTotal run time {time.perf_counter() - started:.1f} s")

    if args.json:
        document = {
            "benchmark": "coldstart",
            "environment": env,
            "config": {"runs": args.runs, "unit": "ms"},
            "results": {
                item.scenario.name: {
                    "in_process": item.in_process,
                    "import": item.imports,
                    "wall": item.wall,
                    "modules": item.modules,
                    "in_process_median": statistics.median(item.in_process),
                    "in_process_min": min(item.in_process),
                    "wall_median": statistics.median(item.wall),
                    "wall_min": min(item.wall),
                    "teardown": item.teardown,
                }
                for item in results
            },
            **summary,
        }
        write_json(args.json, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
