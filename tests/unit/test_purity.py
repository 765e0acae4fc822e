"""The core is import-pure: no crypto, HTTP or browser library is imported by the core.

Each check runs in a fresh interpreter so nothing imported by the test session
can hide a violation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from clerk_core.testing import KeyPair, mint_session_token

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("cryptography", "josepy", "niquests", "urllib3", "urllib3_future", "js", "pyodide")

# A deliberately minimal RS256 verifier in pure Python (RFC 8017 §8.2.2): enough to
# prove verification runs with no crypto library at all. It compares the whole
# encoded block instead of parsing the padding.
PURE_PROVIDER = """
import hashlib, hmac
from clerk_core.hookspecs import hookimpl
from clerk_core.jwt.b64 import b64url_decode

SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")

class PureRS256:
    def import_key(self, jwk, alg):
        if alg != "RS256" or jwk.get("kty") != "RSA":
            raise ValueError("RS256 only")
        return (int.from_bytes(b64url_decode(jwk["n"]), "big"), int.from_bytes(b64url_decode(jwk["e"]), "big"))

    def verify(self, alg, key, signature, data):
        n, e = key
        size = (n.bit_length() + 7) // 8
        if len(signature) != size:
            return False
        digest = SHA256_PREFIX + hashlib.sha256(data).digest()
        expected = b"\\x00\\x01" + b"\\xff" * (size - len(digest) - 3) + b"\\x00" + digest
        return hmac.compare_digest(pow(int.from_bytes(signature, "big"), e, n).to_bytes(size, "big"), expected)

class Plugin:
    @hookimpl
    def clerk_crypto_backend(self, runtime, options):
        return PureRS256()
"""


def _run(code: str, **env: str) -> Any:
    """The child's last line of output, parsed as JSON (a list or an object, as the test printed it)."""
    environment = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'plugins'}", **env}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_clerk_core_imports_no_backend_library() -> None:
    result = _run(
        "import sys, json, clerk_core; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} "
        "or m in ('asyncio', 'structlog', 'importlib.metadata'))))"
    )
    assert result == []


def test_networkless_verification_with_a_fake_provider_needs_no_backend(keys: KeyPair) -> None:
    token = mint_session_token(keys)
    poison = "; ".join(f"sys.modules[{name!r}] = None" for name in FORBIDDEN)
    code = f"""
import sys, json
{poison}
import clerk_core
exec({PURE_PROVIDER!r})
clerk = clerk_core.Clerk(jwt_key={keys.public_pem!r}, plugins=[Plugin()], environ={{}})
claims = clerk.verify_token({token!r})
tampered = {token[:-6] + "AAAAAA"!r}
try:
    clerk.verify_token(tampered)
    rejected = None
except clerk_core.TokenVerificationError as exc:
    rejected = exc.reason
loaded = sorted(m for m in sys.modules if sys.modules[m] is not None and m.split('.')[0] in {FORBIDDEN!r})
print(json.dumps({{"sub": claims["sub"], "rejected": rejected, "loaded": loaded,
                  "structlog": "structlog" in sys.modules, "asyncio": "asyncio" in sys.modules}}))
"""
    result = _run(code)
    assert result == {
        "sub": "user_2local",
        "rejected": "token-invalid-signature",
        "loaded": [],
        "structlog": False,
        "asyncio": False,
    }


def test_default_networkless_verification_never_imports_niquests_or_josepy(keys: KeyPair) -> None:
    token = mint_session_token(keys)
    # http.client and ssl too: the default sync transport is built with the client but imports on its first request.
    code = f"""
import sys, json, clerk_core
claims = clerk_core.Clerk(jwt_key={keys.public_pem!r}, environ={{}}).verify_token({token!r})
lazy = ("niquests", "urllib3", "josepy", "structlog", "importlib.metadata", "http.client", "ssl")
print(json.dumps([m for m in lazy if m in sys.modules]))
"""
    assert _run(code) == []
