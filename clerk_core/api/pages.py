"""Pages of list results, and walking ``limit``/``offset`` to the end."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar, overload

__all__ = ["Page"]

T = TypeVar("T")


class Page(Sequence[T], Generic[T]):
    """One page of a list operation: ``data`` (the items) and ``total_count`` when the API sends it.

    A page is a sequence of its items: iterate it, index it, take its ``len()``.
    """

    __slots__ = ("data", "total_count")

    def __init__(self, data: list[T], total_count: int | None) -> None:
        self.data = data
        self.total_count = total_count

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self.data[index]

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Page) and (self.data, self.total_count) == (other.data, other.total_count)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Page(items={len(self.data)}, total_count={self.total_count!r})"
