"""Secrets (secret keys, JWT keys, tokens) never appear in logs, reprs or exception messages."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import pytest

from clerk_core import Clerk, ClerkError, Secret
from clerk_core.api._request import build_request
from clerk_core.options import resolve_client_config
from clerk_core.testing import KeyPair, LocalClerk
from tests.conftest import PinnedClock


def _texts(*objects: Any) -> str:
    return "\n".join(f"{obj!r}\n{obj!s}" for obj in objects)


def test_secret_wrapper_masks_everywhere() -> None:
    secret = Secret("sk_live_supersecret")
    assert "supersecret" not in _texts(secret, [secret], {"k": secret}, f"{secret}", "%s" % (secret,))
    assert secret.reveal() == "sk_live_supersecret"
    assert len(secret.fingerprint) == 12
    assert "supersecret" not in secret.fingerprint
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_configuration_and_requests_do_not_show_secrets(keys: KeyPair) -> None:
    config = resolve_client_config(
        secret_key="sk_test_hidden1", jwt_key=keys.public_pem, machine_secret_key="ak_hidden2", environ={}
    )
    request = build_request(
        api_url="https://api.example",
        api_version="v1",
        secret=Secret("sk_test_hidden1"),
        method="GET",
        path="jwks",
        timeout=1,
        user_agent="ua",
    )
    client = Clerk(
        secret_key="sk_test_hidden1",
        jwt_key=keys.public_pem,
        machine_secret_key="ak_hidden2",
        load_entry_points=False,
        environ={},
    )
    text = _texts(config, request, client, client.config, client.providers, client._options)
    body = "".join(keys.public_pem.strip().splitlines()[1:-1])
    for secret in ("sk_test_hidden1", "ak_hidden2", body[:40]):
        assert secret not in text


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_logs_and_errors_on_every_jwks_path_hold_no_secret(keys: KeyPair, other_keys: KeyPair) -> None:
    capture = _Capture()
    logger = logging.getLogger("clerk_core")
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    errors: list[ClerkError] = []
    tokens: list[str] = []
    try:
        with LocalClerk(keys=[keys]) as local:
            client = Clerk(
                secret_key=local.secret_key,
                api_url=local.api_url,
                retry_backoff=0.0,
                jwks_kid_miss_cooldown=0,
                environ={},
                load_entry_points=False,
                plugins=[PinnedClock(10**9 * 1.7)],
            )
            for fault in (None, "status", "unauthorized", "bad_json", "empty_keys", "down"):
                local.clear_faults()
                if fault:
                    local.set_fault(fault)  # type: ignore[arg-type]
                client._verifier.keys._cache.clear()
                for signer in (keys, other_keys):
                    token = (
                        local.session_token()
                        if signer is keys
                        else __import__("clerk_core.testing", fromlist=["x"]).mint_session_token(signer)
                    )
                    tokens.append(token)
                    try:
                        client.verify_token(token)
                    except ClerkError as exc:
                        errors.append(exc)
            secret = local.secret_key
    finally:
        logger.removeHandler(capture)
        logger.setLevel(logging.NOTSET)
    assert capture.records, "expected clerk_core to log fetch failures at DEBUG"
    assert {e.reason for e in errors} >= {"jwk-remote-failed-to-load", "secret-key-invalid", "jwk-kid-mismatch"}
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in capture.records)
    raised = "\n".join(f"{e!r} {e} {getattr(e, 'full_message', '')}" for e in errors)
    for text in (logged, raised):
        assert secret not in text
        for token in tokens:
            assert token not in text
            assert token.split(".")[2][:20] not in text
