"""The public surface is curated: ``__all__`` is sorted and names exactly the public attributes."""

from __future__ import annotations

import importlib
import types

import pytest

import clerk_core

MODULES = ["clerk_core", "clerk_core.errors", "clerk_core.providers", "clerk_core.hookspecs", "clerk_core.testing"]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    for attribute in exported:
        assert hasattr(module, attribute), attribute


def test_top_level_exports_are_exactly_the_public_names() -> None:
    for name in clerk_core._LAZY:  # lazily imported names resolve like the rest
        getattr(clerk_core, name)
    public = {
        name
        for name, value in vars(clerk_core).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name not in {"annotations", "TYPE_CHECKING", "Any", "Mapping"}
    }
    assert public | {"__version__"} == set(clerk_core.__all__)
