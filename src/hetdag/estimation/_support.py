"""Helpers of the estimation problem: block kinds, small caches, BLAS threads, checks."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from numpy.typing import NDArray

import hetdag as hd
from hetdag.errors import HetdagError
from hetdag.utils._blas import one_blas_thread as _one_blas_thread


def one_blas_thread():
    """Context: one BLAS thread (see :mod:`hetdag.utils._blas`)."""
    return _one_blas_thread()


def _has_het(block) -> bool:
    if isinstance(block, hd.HetBlock) or getattr(block, "costly_jacobian", False):
        return True
    nested = list(getattr(block, "blocks", []) or [])
    for attr in ("block", "inner"):
        b = getattr(block, attr, None)
        if isinstance(b, hd.Block):
            nested.append(b)
    return any(_has_het(b) for b in nested)


class _LRU(OrderedDict):
    def __init__(self, size: int = 2):  # a default: pickle rebuilds it with no arguments
        super().__init__()
        self.size = size

    def put(self, key, value):
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value

    def hit(self, key):
        if key in self:
            self.move_to_end(key)
            return self[key]
        return None


def _dense(G, o: str, z: str, T: int) -> NDArray[np.float64]:
    m = G[o].get(z) if o in G else None
    if m is None:
        return np.zeros((T, T))
    return np.asarray(m, dtype=float) if isinstance(m, np.ndarray) else G.dense(o, z)


class TruncationError(HetdagError, ValueError):
    """Impulse responses have not died out by T."""


def _check_decay(M: NDArray[np.float64], T: int, rel: float = 1e-3) -> None:
    """Responses to a date-0 shock must die out by T (else the MA(T-1) truncation, or
    the equilibrium's determinacy, fails)."""
    peak = np.max(np.abs(M), axis=0)  # (n_obs, n_shocks)
    tail = np.max(np.abs(M[-max(T // 20, 2) :]), axis=0)
    bad = np.argwhere(tail > rel * np.maximum(peak, 1e-300))
    if bad.size:
        raise TruncationError(
            f"impulse responses have not died out by T={T} (last 5% of periods within {rel:g} "
            f"of their peak for observable/shock pairs {bad.tolist()}): an explosive or "
            "indeterminate equilibrium, or a T too short for the persistence"
        )
