"""Warnings that point at the user's line, however deep inside hetdag they are raised."""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../hetdag


def user_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside the hetdag package (counted from
    the caller of :func:`warn_user`), so that a warning names the user's call."""
    level, frame = 1, sys._getframe(2)  # the function that called warn_user
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


def warn_user(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` attributed to the user's code, not to hetdag's internals."""
    warnings.warn(message, category, stacklevel=user_stacklevel() + 1)
