"""What the generated façades stand on: a client's runner, and resources that bind arguments.

A resource method builds the call flow (:func:`clerk_core.api.call.call`) and hands it to
the client's driver: a value from :class:`~clerk_core.Clerk`, an awaitable from
:class:`~clerk_core.AsyncClerk`. Pagination is decided here once for both flavours.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from .._flow import Flow
from .call import CallContext, call
from .operation import Operation
from .pages import Page

__all__ = ["ApiRunner", "AsyncResource", "Groups", "SyncResource", "next_page"]


class ApiRunner:
    """A client's Backend API context (built on first use) and the driver that runs its flows."""

    __slots__ = ("_context", "_make_context", "run")

    def __init__(self, make_context: Callable[[], CallContext], run: Callable[[Flow[Any]], Any]) -> None:
        self._make_context = make_context
        self._context: CallContext | None = None
        self.run = run

    @property
    def context(self) -> CallContext:
        context = self._context
        if context is None:
            context = self._context = self._make_context()
        return context

    def __repr__(self) -> str:
        return "ApiRunner()"


class Groups:
    """Base of the generated group tables; a client supplies ``_api_runner``."""

    __slots__ = ()

    @property
    def _api_runner(self) -> ApiRunner:
        raise NotImplementedError  # the client's property wins


class _Resource:
    __slots__ = ("_runner",)

    def __init__(self, runner: ApiRunner) -> None:
        self._runner = runner

    def _flow(
        self, op: Operation, args: Mapping[str, Any], timeout: float | None, idempotency_key: str | None
    ) -> Flow[Any]:
        return call(op, args, self._runner.context, timeout=timeout, idempotency_key=idempotency_key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SyncResource(_Resource):
    """A group of operations run synchronously."""

    __slots__ = ()

    def _call(
        self,
        op: Operation,
        args: Mapping[str, Any],
        *,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        return self._runner.run(self._flow(op, args, timeout, idempotency_key))

    def _iterate(
        self, op: Operation, args: Mapping[str, Any], *, page_size: int, max_items: int | None, timeout: float | None
    ) -> Iterator[Any]:
        _check_page_size(page_size)
        offset, seen = 0, 0
        while True:
            page: Page[Any] = self._call(op, {**args, "limit": page_size, "offset": offset}, timeout=timeout)
            for item in page.data:
                if max_items is not None and seen >= max_items:
                    return
                seen += 1
                yield item
            following = next_page(page, offset, page_size, seen, max_items)
            if following is None:
                return
            offset = following


class AsyncResource(_Resource):
    """A group of operations run with ``await``."""

    __slots__ = ()

    async def _call(
        self,
        op: Operation,
        args: Mapping[str, Any],
        *,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        return await self._runner.run(self._flow(op, args, timeout, idempotency_key))

    async def _iterate(
        self, op: Operation, args: Mapping[str, Any], *, page_size: int, max_items: int | None, timeout: float | None
    ) -> AsyncIterator[Any]:
        _check_page_size(page_size)
        offset, seen = 0, 0
        while True:
            page: Page[Any] = await self._call(op, {**args, "limit": page_size, "offset": offset}, timeout=timeout)
            for item in page.data:
                if max_items is not None and seen >= max_items:
                    return
                seen += 1
                yield item
            following = next_page(page, offset, page_size, seen, max_items)
            if following is None:
                return
            offset = following


def next_page(page: Page[Any], offset: int, page_size: int, seen: int, max_items: int | None) -> int | None:
    """The offset of the page after ``page``, or None when the walk is over.

    Over when the cap is reached, when a page comes back short (or empty), or when the
    ``total_count`` the API reported has been reached.
    """
    if max_items is not None and seen >= max_items:
        return None
    following = offset + len(page.data)
    if len(page.data) < page_size:
        return None
    if page.total_count is not None and following >= page.total_count:
        return None
    return following


def _check_page_size(page_size: int) -> None:
    from ..errors import ConfigurationError

    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 500:
        raise ConfigurationError("invalid-argument", "page_size must be an integer from 1 to 500.")
