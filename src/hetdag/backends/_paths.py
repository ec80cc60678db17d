"""Histogram simulation under any backend's policy, with Euler errors (NumPy, shared).

A backend supplies its consumption policy as a batched callable

``consumption(z_hist, D, K, coh) -> c``, with ``z_hist`` (B, H) the aggregate states
``z_t, z_{t-1}, ...`` (most recent first), ``D`` (B, n_e, n_a) the histogram, ``K``
(B,) capital and ``coh`` (B, n_e, n_a) cash on hand ``(1 + r) a + y`` net of the
borrowing limit, all at the start of the period; it returns consumption on the asset
grid (B, n_e, n_a).

:func:`simulate_policy` moves Young's histogram (:func:`hetdag.blocks.young_step`)
along a path of aggregate states with prices from the firm block at the simulated
capital, and evaluates every backend's Euler errors the same way
(:func:`~hetdag.backends._accuracy.euler_errors`): next period's consumption in each
possible ``z'`` at the capital the histogram then holds and the prices there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ..blocks import young_step
from ..errors import ModelSpecError
from ._accuracy import euler_error_stats, euler_errors
from ._base import AggregateRisk

_CHUNK = 500


def _histories(z_path: NDArray, pre: NDArray, H: int) -> NDArray:
    """(T, H): row t is ``z_t, z_{t-1}, ...``, continued into ``pre`` (most recent first)."""
    full = np.concatenate([np.asarray(pre, dtype=np.int64), z_path]).astype(np.int64)
    T, P = z_path.size, pre.size
    idx = P + np.arange(T)[:, None] - np.arange(H)[None, :]
    return full[np.maximum(idx, 0)]


def simulate_policy(
    consumption: Callable,
    prices: Callable,
    risk: AggregateRisk,
    a_grid: NDArray,
    z_path: NDArray,
    D0: NDArray,
    beta: float,
    eis: float,
    H: int = 1,
    pre_history: NDArray | None = None,
    errors: bool = True,
    keep_histograms: bool = False,
) -> dict:
    """Simulate the histogram along ``z_path`` and measure Euler errors.

    Parameters
    ----------
    consumption : callable
        Batched policy, see the module docstring.
    prices : callable
        ``prices(K, z) -> (r, w)`` from the firm block.
    risk : AggregateRisk
    a_grid : array (n_a,)
    z_path : int array (T,)
    D0 : array (n_e, n_a)
        Histogram at the start of period 0.
    beta, eis : float
    H : int
        Length of the aggregate history the policy reads.
    pre_history : int array, optional
        States before ``z_path[0]``, most recent last; default repeats ``z_path[0]``.
    errors : bool
        Also compute Euler errors (needs one more policy call per period and ``z'``).
    keep_histograms : bool
        Also return ``D_path`` (T, n_e, n_a), the histogram at the start of each period.

    Returns
    -------
    dict
        ``K, C, r, w`` (T,) paths; ``D`` (n_e, n_a) at the start of the last period;
        ``z_hist_end`` (H,); with ``errors``: ``euler`` (mass-weighted log10 ``mean,
        median, p99, max`` over all periods and points) and ``euler_path`` (T,), the
        mass-weighted mean log10 error in each period.
    """
    z_path = np.asarray(z_path, dtype=np.int64)
    D = np.array(D0, dtype=np.float64)
    n_z, n_e, n_a = risk.n_z, risk.n_e, a_grid.size
    if z_path.ndim != 1 or z_path.size < 2 or z_path.min() < 0 or z_path.max() >= n_z:
        raise ModelSpecError(f"simulate: 'z_path' must be 1-D with >= 2 states in [0, {n_z - 1}]")
    if D.shape != (n_e, n_a) or np.any(D < 0) or not np.isclose(D.sum(), 1.0, atol=1e-8):
        raise ModelSpecError(
            f"simulate: 'D0' must be a histogram of shape {(n_e, n_a)} with mass one"
        )
    pre = np.full(max(H - 1, 0), z_path[0]) if pre_history is None else np.asarray(pre_history)
    hist = _histories(z_path, pre, H)
    T = z_path.size
    Pi_cond = risk.Pi_cond
    a_min = a_grid[0]
    K, C, r, w = (np.empty(T) for _ in range(4))
    c_all = np.empty((T, n_e, n_a))
    ap_all = np.empty((T, n_e, n_a))
    D_all = np.empty((T, n_e, n_a))
    post_all = np.empty((T, n_e, n_a))
    for t in range(T):
        z = z_path[t]
        K[t] = float(D.sum(axis=0) @ a_grid)
        rt, wt = prices(np.array([K[t]]), np.array([z]))
        r[t], w[t] = float(rt[0]), float(wt[0])
        coh = (1 + r[t]) * a_grid[None, :] + w[t] * risk.income[z][:, None] - a_min
        c = np.asarray(consumption(hist[t : t + 1], D[None], K[t : t + 1], coh[None]))[0]
        ap = coh + a_min - c
        c_all[t], ap_all[t], D_all[t] = c, ap, D
        C[t] = float(np.sum(D * c))
        post_all[t] = young_step(D, ap, a_grid, np.eye(n_e))
        if t < T - 1:
            D = Pi_cond[z, z_path[t + 1]].T @ post_all[t]
    out = {"K": K, "C": C, "r": r, "w": w, "D": D, "z_hist_end": hist[-1]}
    if keep_histograms:
        out["D_path"] = D_all
    if not errors:
        return out
    K_next = post_all.sum(axis=1) @ a_grid  # (T,)
    zs = np.arange(n_z)
    r_n, w_n = prices(np.repeat(K_next, n_z), np.tile(zs, T))
    r_n, w_n = r_n.reshape(T, n_z), w_n.reshape(T, n_z)
    c_next = np.empty((T, n_z, n_e, n_a))
    for s in range(0, T, _CHUNK):
        sl = slice(s, min(T, s + _CHUNK))
        B = sl.stop - sl.start
        zh = np.concatenate(
            [
                np.broadcast_to(zs[None, :, None], (B, n_z, 1)),
                np.broadcast_to(hist[sl, None, : H - 1], (B, n_z, H - 1)),
            ],
            axis=2,
        ).reshape(B * n_z, H)
        Dn = np.einsum("tzef,tea->tzfa", Pi_cond[z_path[sl]], post_all[sl]).reshape(
            B * n_z, n_e, n_a
        )
        coh = (
            (1 + r_n[sl])[:, :, None, None] * a_grid
            + (w_n[sl][:, :, None] * risk.income[None])[..., None]
            - a_min
        )
        c_next[sl] = np.asarray(
            consumption(zh, Dn, np.repeat(K_next[sl], n_z), coh.reshape(B * n_z, n_e, n_a))
        ).reshape(B, n_z, n_e, n_a)
    err = euler_errors(c_all, ap_all, c_next, 1 + r_n, z_path, risk.Pi, a_grid, beta, eis)
    out["euler"] = euler_error_stats(err, D_all)
    lg = np.log10(np.maximum(err, 1e-16))
    out["euler_path"] = np.einsum("tea,tea->t", lg, D_all) / D_all.sum(axis=(1, 2))
    return out
