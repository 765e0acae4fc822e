"""Fixtures shared by the request-authentication scenario modules."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from clerk_core.testing import KeyPair, LocalClerk, build_publishable_key
from clerk_core.testing.cookies import DEFAULT_FRONTEND_API

PROD_PK = build_publishable_key(DEFAULT_FRONTEND_API, live=True)


@pytest.fixture
def prod_clerk(clerk_keys: KeyPair) -> Iterator[LocalClerk]:
    """A production instance: ``pk_live_`` for ``clerk.local.dev`` and an ``sk_live_`` secret key."""
    with LocalClerk(
        keys=[clerk_keys], secret_key="sk_live_" + secrets.token_urlsafe(24), publishable_key=PROD_PK
    ) as clerk:
        yield clerk
