"""How a client reaches its Backend API groups (``clerk.users``, ``clerk.organizations``, …).

The generated façade modules are large; they are imported on the first group access, not
when ``clerk_core`` is imported or a client is built, so token verification never pays
for 249 operations.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from .call import CallContext
from .resource import ApiRunner

if TYPE_CHECKING:
    from .._client import _ClientBase

__all__ = ["group", "runner_for"]


def runner_for(client: _ClientBase) -> ApiRunner:
    """The client's runner: its call context (from its configuration and clock) and its driver."""
    config = client.config
    clock = client.providers.clock

    def context() -> CallContext:
        return CallContext(
            api_url=config.api_url,
            api_version=config.api_version,
            secret_key=config.secret_key,
            machine_secret_key=config.machine_secret_key,
            clerk_api_version=config.clerk_api_version,
            user_agent=config.user_agent,
            timeout=config.timeout,
            max_retries=config.max_retries,
            retry_backoff=config.retry_backoff,
            max_retry_time=config.max_retry_time,
            clock=clock,
        )

    return ApiRunner(context, client._run)


def group(client: _ClientBase, name: str) -> Any:
    """The group ``name`` of ``client``, built now; ``AttributeError`` if there is none."""
    prop = _groups_class(client._flavor).__dict__.get(name)
    if not isinstance(prop, functools.cached_property):
        raise AttributeError(f"{type(client).__name__!r} object has no attribute {name!r}")
    return prop.func(client)


@functools.cache
def _groups_class(flavor: str) -> type:
    if flavor == "sync":
        from ._gen_sync import SyncGroups

        return SyncGroups
    from ._gen_async import AsyncGroups

    return AsyncGroups
