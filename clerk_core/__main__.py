"""``python -m clerk_core``: the ``clerk-core`` command."""

from __future__ import annotations

import sys

from clerk_core.cli import main

if __name__ == "__main__":
    sys.exit(main())
