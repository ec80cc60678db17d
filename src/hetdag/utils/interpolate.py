"""Piecewise-linear interpolation with linear extrapolation, row-wise over leading axes.

The core layout is ``(n),(nq)->(nq)``: ``x`` (increasing) and ``y`` have ``n`` points
along the last axis, queries ``xq`` have ``nq``. Leading axes of ``x``, ``y`` and ``xq``
broadcast against each other, so ``interpolate_y(c + a_grid, a_grid, coh)`` works for
``c`` of shape (n_e, n_a) in an EGM step. Queries outside ``[x[0], x[-1]]`` use the first
or last segment (linear extrapolation). In coordinates,

.. math::

    xq = xqpi \\cdot x[xqi] + (1 - xqpi) \\cdot x[xqi + 1],\\qquad
    yq = xqpi \\cdot y[xqi] + (1 - xqpi) \\cdot y[xqi + 1].

The kernels walk a pointer forward, which is O(n + nq) per row for increasing ``xq``,
and fall back to bisection whenever a query lies left of the pointer, so unsorted
``xq`` is still correct. ``x`` must be strictly increasing along its last axis; this is
not checked (it is on the hot path of backward iterations).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from hetdag.errors import ModelSpecError

__all__ = ["interpolate_y", "interpolate_coord", "apply_coord"]


@njit(cache=True)
def _locate(x, xq, j, lo, hi):
    """``(j, lo, hi)``: segment ``j`` in ``[0, n-2]`` for ``xq`` and its ends
    ``lo = x[j]``, ``hi = x[j+1]``, starting from pointer ``j`` with those ends.

    The ends ride along in registers (reloading them per query cost a third of the
    kernel's time); a query left of ``lo`` bisects on ``[0, j]``.
    """
    n = x.shape[0]
    if xq < lo and j > 0:  # pointer would move back
        a = 0
        b = j
        while b - a > 1:
            mid = (a + b) // 2
            if x[mid] <= xq:
                a = mid
            else:
                b = mid
        j = a
        lo = x[j]
        hi = x[j + 1]
    while xq >= hi and j < n - 2:
        j += 1
        lo = hi
        hi = x[j + 1]
    return j, lo, hi


@njit(cache=True)
def _interpolate_y_kernel(x, xq, y, out):
    """Rows of ``x`` (m, n) and ``xq``, ``out`` (m, nq); ``y`` (m, n), or (1, n) shared."""
    m, nq = xq.shape
    for r in range(m):
        xr = x[r]
        yr = y[0] if y.shape[0] == 1 else y[r]
        j, lo, hi = np.int64(0), xr[0], xr[1]  # a literal 0 compiles _locate twice
        for k in range(nq):
            q = xq[r, k]
            j, lo, hi = _locate(xr, q, j, lo, hi)
            pi = (hi - q) / (hi - lo)
            out[r, k] = pi * yr[j] + (1.0 - pi) * yr[j + 1]


@njit(cache=True)
def _interpolate_coord_kernel(x, xq, xqi, xqpi):
    """Rows of ``x`` (m, n) and ``xq``, ``xqi``, ``xqpi`` (m, nq)."""
    m, nq = xq.shape
    for r in range(m):
        xr = x[r]
        j, lo, hi = np.int64(0), xr[0], xr[1]  # a literal 0 compiles _locate twice
        for k in range(nq):
            q = xq[r, k]
            j, lo, hi = _locate(xr, q, j, lo, hi)
            xqi[r, k] = j
            xqpi[r, k] = (hi - q) / (hi - lo)


@njit(cache=True)
def _apply_coord_kernel(xqi, xqpi, y, out):
    """Rows of ``y`` (m, n) and ``xqi``, ``xqpi``, ``out`` (m, nq)."""
    m, nq = xqi.shape
    for r in range(m):
        for k in range(nq):
            i = xqi[r, k]
            out[r, k] = xqpi[r, k] * y[r, i] + (1.0 - xqpi[r, k]) * y[r, i + 1]


def _rows(a: NDArray, lead: tuple, fn: str, name: str) -> NDArray:
    """Broadcast ``a`` to ``lead + a.shape[-1:]`` and view it as a C-contiguous 2-D array."""
    try:
        b = np.broadcast_to(a, lead + a.shape[-1:])
    except ValueError as err:
        raise ModelSpecError(
            f"{fn}: leading axes of {name!r} (shape {a.shape}) do not broadcast to {lead}"
        ) from err
    return np.ascontiguousarray(b).reshape(-1, a.shape[-1])


def _lead(fn: str, **arrays: NDArray) -> tuple:
    for name, a in arrays.items():
        if a.ndim == 0:
            raise ModelSpecError(f"{fn}: {name!r} must have at least one axis, got a scalar")
    try:
        return np.broadcast_shapes(*(a.shape[:-1] for a in arrays.values()))
    except ValueError as err:
        shapes = ", ".join(f"{k!r} {a.shape}" for k, a in arrays.items())
        raise ModelSpecError(f"{fn}: leading axes do not broadcast: {shapes}") from err


def _check_xy(fn: str, x: NDArray, y: NDArray | None = None) -> None:
    if x.shape[-1] < 2:
        raise ModelSpecError(f"{fn}: 'x' needs >= 2 points on its last axis, got shape {x.shape}")
    if y is not None and y.shape[-1] != x.shape[-1]:
        raise ModelSpecError(
            f"{fn}: 'y' has {y.shape[-1]} points on its last axis (shape {y.shape}) "
            f"but 'x' has {x.shape[-1]} (shape {x.shape})"
        )


def interpolate_y(x: ArrayLike, xq: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """Linearly interpolate ``y(x)`` at ``xq`` (linear extrapolation outside ``x``).

    Parameters
    ----------
    x : ndarray, shape (..., n)
        Strictly increasing nodes along the last axis (not checked).
    xq : ndarray, shape (..., nq)
        Query points; any order, fastest when increasing.
    y : ndarray, shape (..., n)
        Values at ``x``.

    Returns
    -------
    ndarray, shape (broadcast leading axes..., nq)

    Raises
    ------
    ModelSpecError
        If ``x`` has fewer than 2 points, ``y`` and ``x`` differ in length, or the
        leading axes do not broadcast.

    Example
    -------
    >>> interpolate_y([0.0, 1.0], [-1.0, 0.5, 2.0], [1.0, 3.0])
    array([-1.,  2.,  5.])
    """
    x = np.asarray(x, dtype=np.float64)
    xq = np.asarray(xq, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.shape[-1] if x.ndim else 0
    if x.ndim >= 1 and n >= 2 and x.shape[:-1] == xq.shape[:-1] and y.shape in (x.shape, (n,)):
        # fast path of backward steps: rows of x and xq line up, y is per row or shared
        # (a shared y is one row that the kernel reuses, not a broadcast copy)
        x2 = x.reshape(-1, n)
        xq2 = xq.reshape(-1, xq.shape[-1])
        y2 = y.reshape(-1, n) if y.ndim == x.ndim else y.reshape(1, n)
        out = np.empty(xq2.shape)
        _interpolate_y_kernel(*_writeable(x2, xq2, y2), out)
        return out.reshape(xq.shape)
    lead = _lead("interpolate_y", x=x, xq=xq, y=y)
    _check_xy("interpolate_y", x, y)
    x2 = _rows(x, lead, "interpolate_y", "x")
    y2 = _rows(y, lead, "interpolate_y", "y")
    xq2 = _rows(xq, lead, "interpolate_y", "xq")
    out = np.empty(xq2.shape)
    _interpolate_y_kernel(*_writeable(x2, xq2, y2), out)
    return out.reshape(lead + xq.shape[-1:])


def _writeable(*arrays):
    # numba types a read-only array (a broadcast row, a frozen grid) apart from a
    # writeable one and compiles the kernel again for it: 0.4-0.7 s of a first run
    return [a if a.flags.writeable else a.copy() for a in arrays]


def interpolate_coord(x: ArrayLike, xq: ArrayLike) -> tuple[NDArray[np.int64], NDArray]:
    """Coordinates of ``xq`` in ``x``: ``xq = xqpi*x[xqi] + (1-xqpi)*x[xqi+1]``.

    ``x`` (..., n) strictly increasing, ``xq`` (..., nq). Returns ``xqi`` (int64, in
    ``[0, n-2]``) and ``xqpi`` (float64), both of the broadcast shape (..., nq); ``xqpi``
    lies outside ``[0, 1]`` for extrapolated queries.

    Example
    -------
    >>> interpolate_coord([0.0, 1.0, 2.0], [0.25, 3.0])
    (array([0, 1]), array([ 0.75, -1.  ]))
    """
    x, xq = (np.asarray(v, dtype=np.float64) for v in (x, xq))
    lead = _lead("interpolate_coord", x=x, xq=xq)
    _check_xy("interpolate_coord", x)
    x2 = _rows(x, lead, "interpolate_coord", "x")
    xq2 = _rows(xq, lead, "interpolate_coord", "xq")
    xqi = np.empty(xq2.shape, dtype=np.int64)
    xqpi = np.empty(xq2.shape)
    _interpolate_coord_kernel(x2, xq2, xqi, xqpi)
    shape = lead + xq.shape[-1:]
    return xqi.reshape(shape), xqpi.reshape(shape)


def apply_coord(xqi: ArrayLike, xqpi: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """Evaluate ``yq = xqpi*y[..., xqi] + (1-xqpi)*y[..., xqi+1]``.

    ``xqi``, ``xqpi`` (..., nq) from :func:`interpolate_coord`; ``y`` (..., n).

    Example
    -------
    >>> xqi, xqpi = interpolate_coord([0.0, 1.0, 2.0], [0.25, 3.0])
    >>> apply_coord(xqi, xqpi, [0.0, 10.0, 20.0])
    array([ 2.5, 30. ])
    """
    xqi = np.asarray(xqi, dtype=np.int64)
    xqpi = np.asarray(xqpi, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if xqi.shape != xqpi.shape:
        raise ModelSpecError(
            f"apply_coord: 'xqi' has shape {xqi.shape} but 'xqpi' has shape {xqpi.shape}"
        )
    lead = _lead("apply_coord", xqi=xqi, y=y)
    if xqi.size and (xqi.min() < 0 or xqi.max() > y.shape[-1] - 2):
        raise ModelSpecError(
            f"apply_coord: 'xqi' must lie in [0, {y.shape[-1] - 2}] for 'y' of shape {y.shape}"
        )
    i2 = _rows(xqi, lead, "apply_coord", "xqi")
    p2 = _rows(xqpi, lead, "apply_coord", "xqpi")
    y2 = _rows(y, lead, "apply_coord", "y")
    out = np.empty(p2.shape)
    _apply_coord_kernel(i2, p2, y2, out)
    return out.reshape(lead + xqi.shape[-1:])
