"""Small helpers that sequence-jacobian users call inside backward steps."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["setmin"]


def setmin(x: NDArray[np.float64], xmin: float) -> None:
    """Raise every entry of ``x`` below ``xmin`` to ``xmin``, in place: x = max(x, xmin).

    Example
    -------
    >>> a = np.array([-1.0, 0.5, 2.0])
    >>> setmin(a, 0.0)
    >>> a.tolist()
    [0.0, 0.5, 2.0]
    """
    if not isinstance(x, np.ndarray) or not x.flags.writeable:
        raise TypeError(f"setmin: x must be a writeable ndarray, got {type(x).__name__}")
    np.maximum(x, xmin, out=x)
