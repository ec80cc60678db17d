"""Krusell–Smith outer loop helpers: the OLS rule, starting histograms, messages."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from ...utils.grids import stationary
from .._base import AggregateRisk

__all__ = ["estimate_rule"]


def estimate_rule(
    K: NDArray, z_path: NDArray, burn_in: int, fallback: NDArray
) -> tuple[NDArray, NDArray]:
    """OLS of ``log K_{t+1}`` on ``(1, log K_t)`` per state ``z_t``, for t >= ``burn_in``.

    A state that is never visited keeps ``fallback``; a state whose ``log K`` does not
    vary (std < 1e-10) keeps the fallback slope and re-estimates the intercept only.
    Returns ``coef`` (n_z, 2) and ``r2`` (n_z,), NaN where undefined.
    """
    x, y, zs = np.log(K[burn_in:-1]), np.log(K[burn_in + 1 :]), z_path[burn_in:-1]
    coef = fallback.copy()
    r2 = np.full(fallback.shape[0], np.nan)
    for z in range(fallback.shape[0]):
        m = zs == z
        if m.sum() < 3:
            continue
        xz, yz = x[m], y[m]
        xc = xz - xz.mean()
        sxx = float(xc @ xc)
        if np.sqrt(sxx / xc.size) < 1e-10:
            b = fallback[z, 1]
        else:
            b = float(xc @ (yz - yz.mean())) / sxx
        a = float(np.mean(yz - b * xz))
        coef[z] = a, b
        ssr = float(np.sum((yz - a - b * xz) ** 2))
        sst = float(np.sum((yz - yz.mean()) ** 2))
        if sst > 0:
            r2[z] = 1 - ssr / sst
    return coef, r2


def _point_mass(a_grid: NDArray, K: float, e_share: NDArray) -> NDArray:
    """Histogram with all mass at assets K (split by lottery) and employment ``e_share``."""
    i = int(np.clip(np.searchsorted(a_grid, K) - 1, 0, a_grid.size - 2))
    p = float(np.clip((a_grid[i + 1] - K) / (a_grid[i + 1] - a_grid[i]), 0, 1))
    D = np.zeros((e_share.size, a_grid.size))
    D[:, i], D[:, i + 1] = e_share * p, e_share * (1 - p)
    return D


def _reweight(D: NDArray, e_share: NDArray) -> NDArray:
    """Keep each ``e``'s conditional asset distribution, set its mass to ``e_share[e]``."""
    mass = D.sum(axis=1, keepdims=True)
    return np.where(mass > 0, D / np.where(mass > 0, mass, 1), 1 / D.shape[1]) * e_share[:, None]


def _format_history(history: list[dict], n: int = 6) -> str:
    lines = []
    for k, h in enumerate(history[-n:], start=max(1, len(history) - n + 1)):
        c = "; ".join(f"({a:.6f}, {b:.6f})" for a, b in h["coefficients"])
        lines.append(
            f"  it {k}: rule {c}, residual {h['residual']:.3e}, weight {h['update_weight']:g}"
        )
    return "\n".join(lines)


def _rep_agent_capital(risk: AggregateRisk, calibration: Mapping) -> float:
    """Capital of the representative-agent economy at mean z and L (a starting guess)."""
    beta, alpha, delta = (float(calibration[k]) for k in ("beta", "alpha", "delta"))
    pz = stationary(risk.Pi_z)
    z, L = float(pz @ risk.z), float(pz @ risk.L)
    return L * (alpha * z / (1 / beta - 1 + delta)) ** (1 / (1 - alpha))
