"""``python -m clerk_core``: the ``clerk-core`` command."""

from __future__ import annotations

from clerk_core.cli import run

if __name__ == "__main__":
    run()
