"""The ``clerk-core`` command, run for real in a subprocess (``python -m clerk_core`` and the console script)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from clerk_core.testing import KeyPair, LocalClerk, default_keypair, mint_m2m_token, mint_session_token

HOOKS = (
    "clerk_crypto_backend",
    "clerk_http_transport",
    "clerk_b64url_decoder",
    "clerk_clock",
    "clerk_jwks_cache",
)
DEMO_REASONS = (
    "token-expired",
    "token-invalid-signature",
    "jwk-kid-mismatch",
    "token-invalid",
    "token-invalid-authorized-parties",
    "secret-key-invalid",
    "jwk-remote-failed-to-load",
)
#: Credentials the local instance generates: none may ever reach the CLI's output.
SECRET_PATTERN = re.compile(r"sk_test_[A-Za-z0-9_-]{8,}|\bak_[0-9a-f]{16,}")


def run_cli(
    *args: str,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m clerk_core ARGS`` with a clean Clerk environment plus ``env``."""
    full_env = {name: value for name, value in os.environ.items() if not name.startswith("CLERK_")}
    full_env["PYTHONIOENCODING"] = encoding
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "clerk_core", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding=encoding,
        env=full_env,
        timeout=30,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def assert_no_secret(result: subprocess.CompletedProcess[str], *secrets: str) -> None:
    text = output(result)
    for secret in secrets:
        assert secret not in text
    assert SECRET_PATTERN.search(text) is None


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return default_keypair()


@pytest.fixture(scope="module")
def token(keys: KeyPair) -> str:
    # Valid for ten minutes: the module's subprocesses finish long before.
    return mint_session_token(keys, ttl=600)


@pytest.fixture(scope="module")
def pem_file(keys: KeyPair, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "clerk.pem"
    path.write_text(keys.public_pem, encoding="utf-8")
    return path


@pytest.fixture
def instance(keys: KeyPair) -> Iterator[LocalClerk]:
    with LocalClerk(keys=[keys]) as local:
        yield local


# -- decode ------------------------------------------------------------------------------------


def test_decode_prints_header_and_payload(token: str, keys: KeyPair) -> None:
    result = run_cli("decode", token)
    assert result.returncode == 0, result.stderr
    decoded = json.loads(result.stdout)
    assert set(decoded) == {"header", "payload"}
    assert decoded["header"]["kid"] == keys.kid
    assert decoded["header"]["alg"] == "RS256"
    assert decoded["payload"]["sub"] == "user_2local"
    assert decoded["payload"]["sid"] == "sess_2local"
    assert token.split(".")[2] not in result.stdout  # never the signature


def test_decode_reads_stdin(token: str) -> None:
    result = run_cli("decode", "-", stdin=token + "\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["payload"]["sub"] == "user_2local"


@pytest.mark.parametrize("bad", ["not-a-jwt", "a.b.c", "e30.e30"])
def test_decode_malformed_token(bad: str) -> None:
    result = run_cli("decode", bad)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("token-invalid: Invalid JWT form.")


# -- verify, networkless -----------------------------------------------------------------------


def test_verify_with_pem_file(token: str, pem_file: Path) -> None:
    result = run_cli("verify", token, "--jwt-key", str(pem_file))
    assert result.returncode == 0, result.stderr
    claims = json.loads(result.stdout)
    assert claims["sub"] == "user_2local"
    assert claims["azp"] == "http://localhost:3000"


def test_verify_with_pem_text(token: str, keys: KeyPair) -> None:
    result = run_cli("verify", token, "--jwt-key", keys.public_pem)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sid"] == "sess_2local"


def test_verify_with_jwt_key_from_environment(token: str, keys: KeyPair) -> None:
    result = run_cli("verify", "-", stdin=token, env={"CLERK_JWT_KEY": keys.public_pem})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sub"] == "user_2local"


def test_verify_expired_token_prints_reason_and_message(keys: KeyPair, pem_file: Path) -> None:
    expired = mint_session_token(keys, now=time.time() - 3600)
    result = run_cli("verify", expired, "--jwt-key", str(pem_file))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("token-expired: JWT is expired.")


def test_verify_tampered_signature(token: str, pem_file: Path) -> None:
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    result = run_cli("verify", tampered, "--jwt-key", str(pem_file))
    assert result.returncode == 1
    assert result.stderr.startswith("token-invalid-signature: ")


def test_verify_prints_action_on_second_line(keys: KeyPair, pem_file: Path) -> None:
    result = run_cli("verify", mint_m2m_token(keys), "--jwt-key", str(pem_file))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "token-invalid: Invalid session token category."
    assert lines[1] == "Make sure that this is a valid Clerk-generated JWT."


def test_verify_claim_options(token: str, pem_file: Path) -> None:
    refused = run_cli("verify", token, "--jwt-key", str(pem_file), "--authorized-party", "https://app.example")
    assert refused.returncode == 1
    assert refused.stderr.startswith("token-invalid-authorized-parties: ")

    accepted = run_cli(
        "verify",
        token,
        "--jwt-key",
        str(pem_file),
        "--authorized-party",
        "https://app.example",
        "--authorized-party",
        "http://localhost:3000",
        "--issuer",
        "https://clerk.local.dev",
        "--clock-skew-ms",
        "1000",
    )
    assert accepted.returncode == 0, accepted.stderr

    wrong_issuer = run_cli("verify", token, "--jwt-key", str(pem_file), "--issuer", "https://other.example")
    assert wrong_issuer.returncode == 1
    assert wrong_issuer.stderr.startswith("token-invalid-issuer: ")


def test_verify_malformed_token(pem_file: Path) -> None:
    result = run_cli("verify", "garbage", "--jwt-key", str(pem_file))
    assert result.returncode == 1
    assert result.stderr.startswith("token-invalid: ")


def test_verify_unreadable_key_file_is_a_usage_error(token: str, tmp_path: Path) -> None:
    result = run_cli("verify", token, "--jwt-key", str(tmp_path / "missing.pem"))
    assert result.returncode == 2
    assert "--jwt-key" in result.stderr
    assert result.stdout == ""


def test_verify_json_result_objects(token: str, keys: KeyPair, pem_file: Path) -> None:
    ok = run_cli("verify", token, "--jwt-key", str(pem_file), "--json")
    assert ok.returncode == 0, ok.stderr
    body = json.loads(ok.stdout)
    assert body["ok"] is True
    assert body["claims"]["sub"] == "user_2local"
    assert "reason" not in body

    expired = mint_session_token(keys, now=time.time() - 3600)
    failed = run_cli("verify", expired, "--jwt-key", str(pem_file), "--json")
    assert failed.returncode == 1
    body = json.loads(failed.stdout)
    assert body["ok"] is False
    assert body["reason"] == "token-expired"
    assert body["message"].startswith("JWT is expired.")
    assert "claims" not in body


# -- verify over JWKS (a real loopback server) ---------------------------------------------------


def test_verify_over_jwks_with_flags(instance: LocalClerk, token: str) -> None:
    result = run_cli("verify", token, "--secret-key", instance.secret_key, "--api-url", instance.api_url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sub"] == "user_2local"
    assert instance.jwks_requests == 1
    (request,) = instance.requests
    assert request.path == "/v1/jwks"
    assert request.bearer == instance.secret_key
    assert_no_secret(result, instance.secret_key)


def test_verify_over_jwks_with_environment(instance: LocalClerk, token: str) -> None:
    env = {"CLERK_SECRET_KEY": instance.secret_key, "CLERK_API_URL": instance.api_url}
    result = run_cli("verify", token, "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
    assert instance.jwks_requests == 1
    assert_no_secret(result, instance.secret_key)


def test_verify_over_jwks_unknown_kid(instance: LocalClerk) -> None:
    stranger = mint_session_token(KeyPair.generate(kid="ins_stranger"))
    result = run_cli("verify", stranger, "--secret-key", instance.secret_key, "--api-url", instance.api_url)
    assert result.returncode == 1
    assert result.stderr.startswith("jwk-kid-mismatch: ")
    assert_no_secret(result, instance.secret_key)


def test_verify_over_jwks_wrong_secret_key(instance: LocalClerk, token: str) -> None:
    wrong = "sk_test_definitely_not_the_instance_key"
    result = run_cli("verify", token, "--secret-key", wrong, "--api-url", instance.api_url)
    assert result.returncode == 1
    assert result.stderr.startswith("secret-key-invalid: ")
    assert instance.jwks_requests >= 1
    assert_no_secret(result, wrong, instance.secret_key)

    as_json = run_cli("verify", token, "--secret-key", wrong, "--api-url", instance.api_url, "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["reason"] == "secret-key-invalid"
    assert_no_secret(as_json, wrong, instance.secret_key)


# -- plugins -----------------------------------------------------------------------------------


def test_plugins_lists_every_hook() -> None:
    result = run_cli("plugins")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"runtime: {sys.implementation.name} (sync)"
    for hook in HOOKS:
        rows = [line.split() for line in lines[1:] if line.split()[0] == hook]
        assert rows, f"{hook} missing from:\n{result.stdout}"
        assert sum(row[-1] == "selected" for row in rows) == 1
    assert any(line.split()[:2] == ["clerk_clock", "clerk_core.defaults"] for line in lines)


def test_plugins_async_and_json() -> None:
    result = run_cli("plugins", "--async", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["runtime"] == {"name": sys.implementation.name, "flavor": "async"}
    assert body["missing"] == []
    selected = {choice["hook"] for choice in body["choices"] if choice["outcome"] == "selected"}
    assert selected == set(HOOKS)

    text = run_cli("plugins", "--async", "--no-entry-points")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0] == f"runtime: {sys.implementation.name} (async)"


# -- demo --------------------------------------------------------------------------------------


def test_demo_passes_every_case() -> None:
    started = time.perf_counter()
    result = run_cli("demo")
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, output(result)
    text = result.stdout
    for reason in DEMO_REASONS:
        assert f" {reason} " in text, reason
    assert text.count("verified") >= 2
    assert "1 JWKS request for 2 verifications" in text
    assert "Invalid session token category." in text
    assert re.search(r"^2000 verifications: \d+(\.\d+)? µs each", text, re.MULTILINE)
    assert "\u2717" not in text.split("\n", 2)[2]  # no failed case (the legend names the marker)
    assert text.rstrip().splitlines()[-1] == "demo: 10 passed, 0 failed"
    assert_no_secret(result)
    assert elapsed < 15  # ~1 s here; generous for slow CI machines


def test_demo_falls_back_to_ascii() -> None:
    result = run_cli("demo", "--rounds", "50", encoding="ascii")
    assert result.returncode == 0, output(result)
    assert re.search(r"^50 verifications: \d+(\.\d+)? us each", result.stdout, re.MULTILINE)
    assert result.stdout.rstrip().endswith("demo: 10 passed, 0 failed")
    result.stdout.encode("ascii")  # raises if anything non-ASCII slipped through


# -- the command itself --------------------------------------------------------------------------


def test_console_script(token: str, pem_file: Path) -> None:
    script = Path(sys.executable).with_name("clerk-core")
    if not script.exists():
        pytest.skip("console script not installed next to the interpreter")
    result = subprocess.run(
        [str(script), "verify", token, "--jwt-key", str(pem_file)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sub"] == "user_2local"


def test_usage_errors_exit_2() -> None:
    assert run_cli().returncode == 2
    assert run_cli("verify").returncode == 2
    assert run_cli("frobnicate").returncode == 2


def test_demo_rejects_zero_rounds() -> None:
    result = run_cli("demo", "--rounds", "0")
    assert result.returncode == 2
    assert "at least 1" in result.stderr


def test_main_in_process(token: str, capsys: pytest.CaptureFixture[str]) -> None:
    from clerk_core.cli import main

    assert main(["decode", token]) == 0
    assert json.loads(capsys.readouterr().out)["payload"]["sub"] == "user_2local"
    assert main(["decode", "nope"]) == 1
    assert capsys.readouterr().err.startswith("token-invalid: ")


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("clerk-core ")


def test_importing_the_cli_loads_no_crypto_or_http() -> None:
    code = (
        "import sys, clerk_core.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('cryptography', 'niquests', 'josepy')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_console_script_exits_with_the_code_and_skips_the_final_collection(token: str) -> None:
    # atexit runs after run() raised SystemExit: it sees what the interpreter's shutdown will see.
    code = (
        "import atexit, gc, sys; "
        "atexit.register(lambda: sys.stderr.write(f'frozen={gc.get_freeze_count() > 0}')); "
        "sys.argv = ['clerk-core', 'decode', sys.argv[1]]; "
        "from clerk_core.cli import run; run()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, token], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["payload"]["sub"] == "user_2local"  # the output was flushed
    assert result.stderr == "frozen=True"
    failed = subprocess.run(
        [sys.executable, "-c", code, "nope"], capture_output=True, text=True, timeout=30, check=False
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("token-invalid: ") and failed.stderr.endswith("frozen=True")


# -- authenticate ----------------------------------------------------------------------------


def _authenticate(local: LocalClerk, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "authenticate",
        "--url",
        "https://app.example/dashboard",
        "--publishable-key",
        local.publishable_key,
        "--api-url",
        local.api_url,
        *extra,
        env={"CLERK_SECRET_KEY": local.secret_key},
    )


def test_authenticate_signed_in_with_session_cookies(local_clerk: LocalClerk) -> None:
    session = local_clerk.create_session()
    cookies = "; ".join(f"{k}={v}" for k, v in local_clerk.session_cookies(session, dev_browser="dvb_1").items())
    done = _authenticate(local_clerk, "-H", f"Cookie: {cookies}", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["status"], result["reason"], result["auth"]["user_id"]) == ("signed-in", None, "user_2local")
    assert local_clerk.secret_key not in done.stdout + done.stderr
    for value in local_clerk.session_cookies(session).values():
        assert value not in done.stdout  # tokens never printed


def test_authenticate_explains_a_handshake_and_redacts_tokens(local_clerk: LocalClerk) -> None:
    token = local_clerk.session_token()
    done = _authenticate(
        local_clerk, "-H", f"Cookie: __session={token}; __clerk_db_jwt=dvb_1", "-H", "Sec-Fetch-Dest: document"
    )
    assert done.returncode == 1
    assert "status:  handshake" in done.stdout
    assert "reason:  session-token-but-no-client-uat" in done.stdout
    assert "header:  Location: https://clerk.local.dev/v1/client/handshake?" in done.stdout
    assert "__clerk_redirect_count=<1 chars>" in done.stdout
    assert token not in done.stdout
    assert "dvb_1" not in done.stdout


def test_authenticate_rejects_a_malformed_header(local_clerk: LocalClerk) -> None:
    done = _authenticate(local_clerk, "-H", "no colon here")
    assert done.returncode == 2
    assert "Name: value" in done.stderr


# -- webhook verify ------------------------------------------------------------------------------


def test_webhook_verify_prints_the_event_or_the_reason() -> None:
    from clerk_core.testing import new_webhook_secret, sign_webhook

    secret = new_webhook_secret()
    body = json.dumps({"type": "user.created", "object": "event", "data": {"id": "user_cli"}})
    flags = [
        arg
        for name, value in sign_webhook(body, secret=secret, msg_id="msg_cli").items()
        for arg in ("-H", f"{name}: {value}")
    ]
    env = {"WEBHOOK_SECRET": secret}
    done = run_cli("webhook", "verify", "--secret-env", "WEBHOOK_SECRET", *flags, stdin=body, env=env)
    assert (done.returncode, done.stdout.strip()) == (0, "user.created msg_cli user_cli")

    as_json = run_cli("webhook", "verify", "--secret-env", "WEBHOOK_SECRET", "--json", *flags, stdin=body, env=env)
    assert json.loads(as_json.stdout) == {"ok": True, "type": "user.created", "id": "msg_cli", "data_id": "user_cli"}

    tampered = run_cli("webhook", "verify", "--secret-env", "WEBHOOK_SECRET", *flags, stdin=body + " ", env=env)
    assert tampered.returncode == 1 and tampered.stderr.startswith("invalid-signature: ")
    signature = flags[-1].partition(",")[2]
    assert secret not in tampered.stderr + tampered.stdout and signature not in tampered.stderr

    missing = run_cli("webhook", "verify", *flags, stdin=body, env={})
    assert missing.returncode == 2 and "CLERK_WEBHOOK_SIGNING_SECRET is not set" in missing.stderr
    no_headers = run_cli("webhook", "verify", "--secret-env", "WEBHOOK_SECRET", stdin=body, env=env)
    assert no_headers.returncode == 1 and no_headers.stderr.startswith("missing-headers: ")
