"""Finding entry-point plugins without importing ``importlib.metadata``.

``importlib.metadata`` costs about 25 ms to import (it pulls in ``email``,
``zipfile`` and ``csv``), more than a third of our cold-start budget for
"import + one networkless verification". Entry points live in
``*.dist-info/entry_points.txt`` files on ``sys.path`` (the layout pip,
uv and micropip install), so reading those few small files directly gives the
same answer in about a millisecond. As with ``importlib.metadata``, the first
distribution of a given name on ``sys.path`` wins.
"""

from __future__ import annotations

import os
import sys
from typing import NamedTuple

__all__ = ["EntryPoint", "find_entry_points", "load"]


class EntryPoint(NamedTuple):
    """``name = value`` from the group's section, and the distribution that declared it."""

    name: str
    value: str
    distribution: str


def find_entry_points(group: str, path: list[str] | None = None) -> list[EntryPoint]:
    """Every entry point declared under ``[group]`` by the distributions on ``path``."""
    found: list[EntryPoint] = []
    seen: set[str] = set()
    header = f"[{group}]"
    for folder in sys.path if path is None else path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            distribution = _normalise(name.rsplit(".", 1)[0].split("-", 1)[0])
            if distribution in seen:
                continue
            seen.add(distribution)
            try:
                with open(os.path.join(folder or ".", name, "entry_points.txt"), encoding="utf-8") as handle:
                    text = handle.read()
            except OSError:
                continue
            if header in text:
                found.extend(EntryPoint(n, v, distribution) for n, v in _section(text, header))
    return found


def _section(text: str, header: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            inside = line == header
            continue
        if inside and "=" in line:
            name, value = line.split("=", 1)
            pairs.append((name.strip(), value.strip()))
    return pairs


def _normalise(name: str) -> str:
    return name.replace("_", "-").replace(".", "-").lower()


def load(entry_point: EntryPoint) -> object:
    """Import ``module[:attr.path]`` (extras in ``[...]`` are ignored)."""
    import importlib

    target = entry_point.value.split("[", 1)[0].strip()
    module_name, _, attribute = target.partition(":")
    obj: object = importlib.import_module(module_name.strip())
    for part in filter(None, attribute.strip().split(".")):
        obj = getattr(obj, part)
    return obj
