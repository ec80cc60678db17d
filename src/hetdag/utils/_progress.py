"""When to show a progress bar."""

from __future__ import annotations

import sys


def show_progress(progress: bool | None) -> bool:
    """``None``: show a bar when stderr is a terminal (as hetdag's solvers do)."""
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)
