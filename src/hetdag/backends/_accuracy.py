"""Euler-equation errors shared by every global backend (NumPy and numba, no JAX).

All backends are measured by the same function: given, along a simulated path, the
consumption and savings policies on the asset grid, next period's consumption policy
in every possible aggregate state ``z'`` and the gross returns ``R'`` realised there,
the unit-free error at each grid point is

.. math::

    c^E = \\big(\\beta \\textstyle\\sum_{z', e'} \\Pi[(z,e),(z',e')]\\, R'_{z'}\\,
          c'_{z'}(e', a')^{-1/\\sigma}\\big)^{-\\sigma}, \\qquad
    \\varepsilon = |c^E / c - 1|

when the household consumes too much (``c > c^E``), and ``min(c^E / c - 1, (a' -
a_min) / c)`` when it consumes less than the Euler equation asks: the complementarity
of the Euler inequality ``c <= c^E`` and the borrowing limit ``a' >= a_min``, in units of
consumption. At the limit the error is zero; a household a hair above it (as a
shape-preserving policy head puts it) is charged that hair, not the full Euler gap.
``c'`` is interpolated linearly in assets at the choice ``a'``. Statistics are
weighted by the mass of the histogram at each point: log10 mean, median, 99th
percentile, and the max over points carrying mass above ``mass_tol``.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from ..errors import ModelSpecError

__all__ = ["euler_errors", "euler_error_stats"]

_FLOOR = 1e-16  # errors below this are reported as 1e-16 (log10 = -16)


@njit(cache=True)
def _euler_kernel(c, a_next, c_next, R_next, Pi_rows, a_grid, beta, eis, a_min, out):
    """Unit-free Euler errors; shapes: c, a_next, out (T, n_e, n_a); c_next
    (T, n_z, n_e, n_a); R_next (T, n_z); Pi_rows (T, n_e, n_z, n_e)."""
    T, n_e, n_a = c.shape
    n_z = c_next.shape[1]
    n_g = a_grid.shape[0]
    for t in range(T):
        for e in range(n_e):
            j = 0
            for k in range(n_a):
                x = a_next[t, e, k]
                # bracket of x on a_grid (linear extrapolation outside)
                if x < a_grid[j]:
                    j = 0
                while j < n_g - 2 and x >= a_grid[j + 1]:
                    j += 1
                w = (a_grid[j + 1] - x) / (a_grid[j + 1] - a_grid[j])
                mu = 0.0
                for zp in range(n_z):
                    acc = 0.0
                    for ep in range(n_e):
                        p = Pi_rows[t, e, zp, ep]
                        if p != 0.0:
                            cp = w * c_next[t, zp, ep, j] + (1.0 - w) * c_next[t, zp, ep, j + 1]
                            acc += p * cp ** (-1.0 / eis)
                    mu += R_next[t, zp] * acc
                ce = (beta * mu) ** (-eis)
                g = ce / c[t, e, k] - 1.0
                if g < 0.0:  # consumes more than the Euler equation allows
                    out[t, e, k] = -g
                else:  # wants to consume more: fine only as far as it is at the limit
                    out[t, e, k] = min(g, max(x - a_min, 0.0) / c[t, e, k])


def euler_errors(
    c: ArrayLike,
    a_next: ArrayLike,
    c_next: ArrayLike,
    R_next: ArrayLike,
    z_path: ArrayLike,
    Pi: ArrayLike,
    a_grid: ArrayLike,
    beta: float,
    eis: float,
) -> NDArray[np.float64]:
    """Unit-free Euler errors at every (t, e, asset grid point) of a path.

    Parameters
    ----------
    c, a_next : array, shape (T, n_e, n_a)
        Consumption and savings on the asset grid in period t (state ``z_path[t]``).
    c_next : array, shape (T, n_z, n_e, n_a)
        Consumption on the asset grid in period t+1 if the aggregate state is ``z'``,
        at the prices and aggregate state that the economy would then have.
    R_next : array, shape (T, n_z)
        Gross return ``1 + r'`` in period t+1 if the aggregate state is ``z'``.
    z_path : int array, shape (T,)
        Aggregate state in period t.
    Pi : array, shape (n_z * n_e, n_z * n_e)
        Joint chain over ``s = z * n_e + e`` (``AggregateRisk.Pi``).
    a_grid : array, shape (n_a,)
        Asset grid; ``a_grid[0]`` is the borrowing limit.
    beta, eis : float
        Discount factor and elasticity of intertemporal substitution (CRRA utility).

    Returns
    -------
    ndarray, shape (T, n_e, n_a)
        ``1 - c^E / c`` where ``c > c^E``, else ``min(c^E / c - 1, (a' - a_min) / c)``.
    """
    c = np.ascontiguousarray(c, dtype=np.float64)
    a_next = np.ascontiguousarray(a_next, dtype=np.float64)
    c_next = np.ascontiguousarray(c_next, dtype=np.float64)
    R_next = np.ascontiguousarray(R_next, dtype=np.float64)
    z_path = np.ascontiguousarray(z_path, dtype=np.int64)
    a_grid = np.ascontiguousarray(a_grid, dtype=np.float64)
    Pi = np.asarray(Pi, dtype=np.float64)
    if c.ndim != 3 or a_next.shape != c.shape:
        raise ModelSpecError(
            f"euler_errors: 'c' and 'a_next' must share a shape (T, n_e, n_a), got {c.shape} "
            f"and {a_next.shape}"
        )
    T, n_e, n_a = c.shape
    if a_grid.shape != (n_a,):
        raise ModelSpecError(f"euler_errors: 'a_grid' has shape {a_grid.shape}, want ({n_a},)")
    if c_next.ndim != 4 or c_next.shape[0] != T or c_next.shape[2:] != (n_e, n_a):
        raise ModelSpecError(
            f"euler_errors: 'c_next' has shape {c_next.shape}, want (T, n_z, {n_e}, {n_a})"
        )
    n_z = c_next.shape[1]
    if R_next.shape != (T, n_z) or z_path.shape != (T,):
        raise ModelSpecError(
            f"euler_errors: 'R_next' {R_next.shape} must be {(T, n_z)} and 'z_path' "
            f"{z_path.shape} must be {(T,)}"
        )
    if Pi.shape != (n_z * n_e, n_z * n_e):
        raise ModelSpecError(f"euler_errors: 'Pi' has shape {Pi.shape}, want {(n_z * n_e,) * 2}")
    if np.any(c <= 0) or np.any(c_next <= 0):
        raise ModelSpecError("euler_errors: consumption must be positive")
    Pi_rows = Pi.reshape(n_z, n_e, n_z, n_e)[z_path]  # (T, n_e, n_z', n_e')
    out = np.empty_like(c)
    _euler_kernel(
        c,
        a_next,
        c_next,
        R_next,
        np.ascontiguousarray(Pi_rows),
        a_grid,
        float(beta),
        float(eis),
        float(a_grid[0]),
        out,
    )
    return out


def _weighted_quantile(x: NDArray, w: NDArray, q: float) -> float:
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    k = int(np.searchsorted(cw, q * cw[-1], side="left"))
    return float(x[order][min(k, x.size - 1)])


def euler_error_stats(
    errors: ArrayLike, mass: ArrayLike, mass_tol: float = 1e-10
) -> dict[str, float]:
    """Mass-weighted summary of unit-free Euler errors, in log10.

    Parameters
    ----------
    errors : array
        Unit-free errors (e.g. from :func:`euler_errors`); floored at 1e-16.
    mass : array, same shape
        Histogram mass at each point (weights; need not sum to one).
    mass_tol : float
        The max is taken over points whose mass exceeds ``mass_tol`` times the
        total mass per period (the lottery leaves dust everywhere).

    Returns
    -------
    dict
        ``mean`` (mass-weighted mean of log10 errors), ``median``, ``p99``, ``max``.

    Example
    -------
    >>> s = euler_error_stats([1e-3, 1e-5], [0.5, 0.5])
    >>> round(s["mean"], 6), round(s["max"], 6)
    (-4.0, -3.0)
    """
    err = np.asarray(errors, dtype=np.float64).ravel()
    m = np.asarray(mass, dtype=np.float64).ravel()
    if err.shape != m.shape:
        raise ModelSpecError(
            f"euler_error_stats: errors {np.shape(errors)} and mass {np.shape(mass)} differ"
        )
    if np.any(m < 0) or not m.sum() > 0 or not np.all(np.isfinite(err)):
        raise ModelSpecError("euler_error_stats: need finite errors and nonnegative mass")
    lg = np.log10(np.maximum(err, _FLOOR))
    keep = m > mass_tol * m.sum() / max(1, _periods(np.shape(mass)))
    return {
        "mean": float(np.sum(lg * m) / m.sum()),
        "median": _weighted_quantile(lg, m, 0.5),
        "p99": _weighted_quantile(lg, m, 0.99),
        "max": float(lg[keep].max()) if keep.any() else float(lg.max()),
    }


def _periods(shape: tuple) -> int:
    return int(shape[0]) if len(shape) == 3 else 1
