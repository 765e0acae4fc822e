"""Shared pieces of the benchmarks: one RSA key, realistic Clerk session tokens, machine facts.

Tokens are signed here with ``cryptography`` directly, not with :mod:`clerk_core.testing`,
so the benchmark does not depend on the code it measures to produce its input.
"""

from __future__ import annotations

import base64
import json
import os
import platform
import random
import string
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Final

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "AZP",
    "CAT",
    "ISS",
    "KID",
    "LEEWAY_S",
    "TTL_S",
    "MintedToken",
    "environment",
    "format_environment",
    "generate_key",
    "mint_tokens",
    "public_pem",
    "sign",
    "tamper_signature",
]

#: Header and claim values shaped like a production Clerk instance's.
KID: Final = "ins_2pQ7r1XyZbVtLmNcKdWe3Hf9JsA"
CAT: Final = "cl_B7d4PD111AAA"  # Clerk's session-token category
AZP: Final = "https://app.example.com"
ISS: Final = "https://clerk.example.com"
#: Clock skew every verifier is given (Clerk's default is 5000 ms).
LEEWAY_S: Final = 5
#: Lifetime of minted tokens. Clerk's is 60 s; a longer one keeps a slow run from
#: expiring its own input, and the lifetime does not change the cost of a check.
TTL_S: Final = 3600

_ALPHABET: Final = string.ascii_letters + string.digits


@dataclass(frozen=True)
class MintedToken:
    """A signed token and the claims a verifier should hand back for it."""

    token: str
    sub: str
    sid: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def generate_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key with exponent 65537, as Clerk instances use."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    """SubjectPublicKeyInfo PEM: the "JWT public key" Clerk's dashboard shows."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def sign(key: rsa.RSAPrivateKey, header: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    """A compact RS256 JWS over ``header`` and ``payload``."""
    signing_input = f"{_b64url(_json(header))}.{_b64url(_json(payload))}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def _clerk_id(rng: random.Random, prefix: str) -> str:
    return prefix + "2" + "".join(rng.choice(_ALPHABET) for _ in range(26))


def session_claims(rng: random.Random, now: int, index: int) -> dict[str, Any]:
    """Claims of a v2 Clerk session token; ``sub``, ``sid``, ``jti`` and the times vary."""
    iat = now - (index % 50)  # issued within the last minute, as live tokens are
    return {
        "azp": AZP,
        "exp": iat + TTL_S,
        "fva": [rng.randrange(0, 600), -1],
        "iat": iat,
        "iss": ISS,
        "jti": "".join(rng.choice("0123456789abcdef") for _ in range(20)),
        "nbf": iat - 10,
        "pla": "u:free_user",
        "sid": _clerk_id(rng, "sess_"),
        "sts": "active",
        "sub": _clerk_id(rng, "user_"),
        "v": 2,
    }


def mint_tokens(key: rsa.RSAPrivateKey, count: int, *, now: int, seed: int = 2026) -> list[MintedToken]:
    """``count`` distinct session tokens signed with ``key`` (header: alg, cat, kid, typ)."""
    rng = random.Random(seed)
    header = {"alg": "RS256", "cat": CAT, "kid": KID, "typ": "JWT"}
    minted = []
    for index in range(count):
        claims = session_claims(rng, now, index)
        minted.append(MintedToken(sign(key, header, claims), claims["sub"], claims["sid"]))
    if len({item.token for item in minted}) != count:
        raise AssertionError("minted tokens are not distinct")
    return minted


def tamper_signature(token: str) -> str:
    """The token with one bit of its signature's first byte flipped (still canonical base64url)."""
    head, _, signature = token.rpartition(".")
    first = "A" if signature[0] != "A" else "B"
    return f"{head}.{first}{signature[1:]}"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _openssl() -> str:
    from cryptography.hazmat.backends.openssl.backend import backend

    return str(backend.openssl_version_text())


def environment() -> dict[str, str]:
    """Interpreter, library and machine facts that make a result reproducible."""
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": str(os.cpu_count()),
        "openssl": _openssl(),
        "clerk-core": _version("clerk-core"),
        "cryptography": _version("cryptography"),
        "PyJWT": _version("PyJWT"),
        "clerk-backend-api": _version("clerk-backend-api"),
        "msgspec": _version("msgspec"),
        "josepy": _version("josepy"),
    }


def format_environment(env: Mapping[str, str]) -> str:
    width = max(len(name) for name in env)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in env.items())


def write_json(path: str, document: Mapping[str, Any]) -> None:
    """Write a benchmark's results as indented JSON and say where."""
    with open(path, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
        out.write("\n")
    print(f"Wrote {path}")


#: The packages this checkout installs (an editable install of the checkout imports them from here).
OWN_PACKAGES: Final = ("clerk_core", "clerk_plugins", "clerk_contrib")


def precompile() -> None:
    """Write bytecode for clerk-core's own packages, as installing a wheel does.

    An editable checkout has none until an import writes it, and a shell with
    ``PYTHONDONTWRITEBYTECODE=1`` never writes it: every cold-start child would then compile the
    generated Backend API modules (about 15,000 lines, some 50 ms) that an installed package
    loads from ``.pyc``, while the peers, installed from wheels, have theirs. Cold starts are
    measured as users meet them: compiled.
    """
    import compileall
    import importlib.util

    for name in OWN_PACKAGES:
        spec = importlib.util.find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec is not None else []:
            compileall.compile_dir(location, quiet=1)
