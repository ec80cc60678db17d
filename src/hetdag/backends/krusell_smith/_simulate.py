"""Simulation of the Krusell–Smith economy: aggregate paths, Young histograms, Den Haan.

The cross-section ``D_t[e, j]`` (mass of households with employment ``e`` and assets
``a_grid[j]`` at the start of t) moves along a path of aggregate states ``z_t`` by

.. math::

    K_t = \\sum_{e,j} D_t[e, j]\\, a\\_grid[j], \\qquad
    D_{t+1} = \\Pi_{z_t z_{t+1}}^{\\top} \\Lambda\\big(a'(z_t, \\cdot, K_t, \\cdot)\\big) D_t,

where the savings policy is interpolated linearly in ``log K`` between the points of
``K_grid`` (linearly extrapolated outside) and ``Λ`` is Young's (2010) lottery, exactly
as in :func:`hetdag.blocks.young_step`; ``Pi_{z z'}`` is the employment chain
conditional on the aggregate move. The kernel runs the whole path in numba;
:func:`simulate_histogram_reference` does the same one period at a time with the
public :func:`~hetdag.blocks._law_of_motion.young_step` and is the test oracle.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from ...blocks import young_step
from ...errors import ModelSpecError

__all__ = [
    "draw_aggregate_path",
    "simulate_histogram",
    "simulate_histogram_reference",
    "rule_path",
    "den_haan_statistic",
]


# ------------------------------------------------------------------ kernels
@njit(cache=True)
def _draw_path_kernel(cum, u, z0, out):
    """``out[0] = z0``; ``out[t+1]`` = first ``j`` with ``u[t] < cum[out[t], j]``."""
    n = cum.shape[1]
    out[0] = z0
    for t in range(out.shape[0] - 1):
        row = cum[out[t]]
        j = 0
        while j < n - 1 and u[t] >= row[j]:
            j += 1
        out[t + 1] = j


@njit(cache=True)
def _simulate_kernel(
    a_pol, logK_grid, a_grid, z_path, Pi_cond, D, K_out, mass_out, clip_out, tmp, pol
):
    """Young histogram along ``z_path``; fills K_out, mass_out, clip_out (T,); D in/out.

    ``a_pol`` (n_z * n_e, n_K, n_a) is the savings choice, joint states z-major;
    ``Pi_cond`` (n_z, n_z, n_e, n_e); ``tmp`` and ``pol`` are (n_e, n_a) workspaces.
    ``clip_out[t]`` is the capital lost by clipping choices above the grid,
    ``sum D (x - a_grid[-1])`` over ``x > a_grid[-1]`` (zero in the last period).
    On return ``D`` is the histogram at the start of the last period, ``T - 1``.
    """
    T = z_path.shape[0]
    n_e, n_a = D.shape
    n_K = logK_grid.shape[0]
    lo = a_grid[0]
    hi = a_grid[n_a - 1]
    for t in range(T):
        K = 0.0
        m = 0.0
        for e in range(n_e):
            for j in range(n_a):
                K += D[e, j] * a_grid[j]
                m += D[e, j]
        K_out[t] = K
        mass_out[t] = m
        clip_out[t] = 0.0
        if t == T - 1:
            break
        z = z_path[t]
        x = np.log(K)
        k = 0
        while k < n_K - 2 and x >= logK_grid[k + 1]:
            k += 1
        w = (logK_grid[k + 1] - x) / (logK_grid[k + 1] - logK_grid[k])
        for e in range(n_e):
            s = z * n_e + e
            for j in range(n_a):
                pol[e, j] = w * a_pol[s, k, j] + (1.0 - w) * a_pol[s, k + 1, j]
        # Young lottery (same split as lottery_1d / forward_lottery_1d)
        for e in range(n_e):
            for j in range(n_a):
                tmp[e, j] = 0.0
            i = 0
            for j in range(n_a):
                xj = pol[e, j]
                d = D[e, j]
                if xj <= lo:
                    tmp[e, 0] += d
                elif xj >= hi:
                    tmp[e, n_a - 1] += d
                    clip_out[t] += d * (xj - hi)
                else:
                    if xj < a_grid[i]:
                        i = 0
                    while xj >= a_grid[i + 1]:
                        i += 1
                    p = (a_grid[i + 1] - xj) / (a_grid[i + 1] - a_grid[i])
                    tmp[e, i] += p * d
                    tmp[e, i + 1] += d - p * d
        # employment chain conditional on z_t -> z_{t+1}: D = P^T tmp
        P = Pi_cond[z, z_path[t + 1]]
        for ep in range(n_e):
            for j in range(n_a):
                D[ep, j] = 0.0
        for e in range(n_e):
            for ep in range(n_e):
                p = P[e, ep]
                if p != 0.0:
                    for j in range(n_a):
                        D[ep, j] += p * tmp[e, j]


@njit(cache=True)
def _rule_kernel(coef, z_path, logK0, out):
    """``out[0] = logK0``; ``out[t+1] = coef[z_t, 0] + coef[z_t, 1] * out[t]`` (never reset)."""
    out[0] = logK0
    for t in range(out.shape[0] - 1):
        z = z_path[t]
        out[t + 1] = coef[z, 0] + coef[z, 1] * out[t]


# ----------------------------------------------------------------- wrappers
def draw_aggregate_path(Pi_z: ArrayLike, T: int, seed: int, z0: int | None = None) -> NDArray:
    """Aggregate states ``z_0..z_{T-1}`` (int64) of the chain ``Pi_z``, seeded.

    ``z0`` defaults to a draw from the chain's stationary distribution.
    """
    P = np.ascontiguousarray(Pi_z, dtype=np.float64)
    rng = np.random.default_rng(seed)
    cum = np.cumsum(P, axis=1)
    cum[:, -1] = 1.0
    if z0 is None:
        from ...utils.grids import stationary

        z0 = int(np.searchsorted(np.cumsum(stationary(P)), rng.random(), side="right"))
        z0 = min(z0, P.shape[0] - 1)
    u = rng.random(int(T) - 1)
    out = np.empty(int(T), dtype=np.int64)
    _draw_path_kernel(cum, u, int(z0), out)
    return out


def _check_sim(a_pol, K_grid, a_grid, z_path, Pi_cond, D0):
    a_pol = np.ascontiguousarray(a_pol, dtype=np.float64)
    K_grid = np.ascontiguousarray(K_grid, dtype=np.float64)
    a_grid = np.ascontiguousarray(a_grid, dtype=np.float64)
    z_path = np.ascontiguousarray(z_path, dtype=np.int64)
    Pi_cond = np.ascontiguousarray(Pi_cond, dtype=np.float64)
    D = np.array(D0, dtype=np.float64, order="C")
    n_z, n_e = Pi_cond.shape[0], Pi_cond.shape[2]
    want = (n_z * n_e, K_grid.size, a_grid.size)
    if a_pol.shape != want:
        raise ModelSpecError(f"simulate_histogram: 'a_pol' has shape {a_pol.shape}, want {want}")
    if D.shape != (n_e, a_grid.size):
        raise ModelSpecError(
            f"simulate_histogram: 'D0' has shape {D.shape}, want {(n_e, a_grid.size)}"
        )
    if z_path.size < 1 or z_path.min() < 0 or z_path.max() >= n_z:
        raise ModelSpecError(f"simulate_histogram: 'z_path' must hold states in [0, {n_z - 1}]")
    return a_pol, K_grid, a_grid, z_path, Pi_cond, D


def simulate_histogram(
    a_pol: ArrayLike,
    K_grid: ArrayLike,
    a_grid: ArrayLike,
    z_path: ArrayLike,
    Pi_cond: ArrayLike,
    D0: ArrayLike,
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Young's non-stochastic simulation along ``z_path`` (numba, one call for all t).

    Parameters
    ----------
    a_pol : array, shape (n_z * n_e, n_K, n_a)
        Savings choice at each (joint state, K grid point, asset grid point).
    K_grid : array, shape (n_K,)
        Aggregate capital grid; the policy is interpolated linearly in log K.
    a_grid : array, shape (n_a,)
    z_path : int array, shape (T,)
    Pi_cond : array, shape (n_z, n_z, n_e, n_e)
        Employment chain conditional on the aggregate move (``AggregateRisk.Pi_cond``).
    D0 : array, shape (n_e, n_a)
        Histogram at the start of period 0 (consistent with ``z_path[0]``).

    Returns
    -------
    K : ndarray, shape (T,)
        Realized mean capital ``K_t`` at the start of each period.
    mass : ndarray, shape (T,)
        Total mass of ``D_t`` (one up to rounding).
    D : ndarray, shape (n_e, n_a)
        Histogram at the start of period ``T - 1``.
    clipped : ndarray, shape (T,)
        Capital lost by clipping choices above ``a_grid[-1]`` in each period.
    """
    a_pol, K_grid, a_grid, z_path, Pi_cond, D = _check_sim(
        a_pol, K_grid, a_grid, z_path, Pi_cond, D0
    )
    T = z_path.size
    K, mass, clipped = np.empty(T), np.empty(T), np.empty(T)
    tmp, pol = np.empty_like(D), np.empty_like(D)
    logK = np.log(K_grid)
    _simulate_kernel(a_pol, logK, a_grid, z_path, Pi_cond, D, K, mass, clipped, tmp, pol)
    return K, mass, D, clipped


def simulate_histogram_reference(a_pol, K_grid, a_grid, z_path, Pi_cond, D0):
    """Plain-NumPy twin of :func:`simulate_histogram` built on the public ``young_step``."""
    a_pol, K_grid, a_grid, z_path, Pi_cond, D = _check_sim(
        a_pol, K_grid, a_grid, z_path, Pi_cond, D0
    )
    n_e = D.shape[0]
    logK_grid = np.log(K_grid)
    T = z_path.size
    K, mass = np.empty(T), np.empty(T)
    for t in range(T):
        K[t] = float(np.sum(D * a_grid))
        mass[t] = float(D.sum())
        if t == T - 1:
            break
        z = z_path[t]
        k = int(np.clip(np.searchsorted(logK_grid, np.log(K[t]), side="right") - 1, 0, None))
        k = min(k, K_grid.size - 2)
        w = (logK_grid[k + 1] - np.log(K[t])) / (logK_grid[k + 1] - logK_grid[k])
        rows = slice(z * n_e, (z + 1) * n_e)
        pol = w * a_pol[rows, k] + (1 - w) * a_pol[rows, k + 1]
        D = young_step(D, pol, a_grid, Pi_cond[z, z_path[t + 1]])
    return K, mass, D


def rule_path(coefficients: ArrayLike, z_path: ArrayLike, K0: float) -> NDArray:
    """Capital implied by the forecasting rule alone, ``log K' = a_z + b_z log K``.

    Starts at ``K0`` and is never reset to the simulated value (Den Haan 2010).
    """
    coef = np.ascontiguousarray(coefficients, dtype=np.float64)
    z_path = np.ascontiguousarray(z_path, dtype=np.int64)
    out = np.empty(z_path.size)
    _rule_kernel(coef, z_path, float(np.log(K0)), out)
    return np.exp(out)


def den_haan_statistic(K: ArrayLike, K_rule: ArrayLike) -> tuple[float, float]:
    """``(100 max_t |log K_t - log K_t^rule|, 100 mean_t |...|)`` in percent, t >= 1."""
    gap = 100 * np.abs(np.log(np.asarray(K)[1:]) - np.log(np.asarray(K_rule)[1:]))
    return float(gap.max()), float(gap.mean())
