"""Monte Carlo paths of the Krusell–Smith economy from given histograms and initial states.

Used to compute conditional expectations such as ``E[K_t | z_{-1} = good, z_0 = bad]``
and compare them with sequence-space impulse responses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...errors import ModelSpecError
from ._simulate import draw_aggregate_path, simulate_histogram

__all__ = ["simulate_conditional_paths"]


def simulate_conditional_paths(
    solution: Mapping,
    D0: ArrayLike,
    z_start: Sequence[int],
    T: int,
    n_paths: int,
    seed: int = 0,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Histogram simulations that start in fixed aggregate states, then follow the chain.

    Path ``i`` starts from ``D0[i % m]`` (``D0`` is one histogram (n_e, n_a) or ``m`` of
    them, (m, n_e, n_a), each consistent with ``z_start[0]``). Its aggregate states are
    ``z_start`` for ``t < len(z_start)``; after that they follow ``Pi_z``, drawn by
    :func:`draw_aggregate_path` with seed ``seed + i``. Calls that differ only in the
    values of ``z_start`` (same length) therefore share their random numbers (common
    random numbers), and their paths coincide once their states meet.

    Parameters
    ----------
    solution : KrusellSmithSolution
        Needs ``policies['a']``, ``K_grid``, ``a_grid`` and ``risk``.
    D0 : array, shape (n_e, n_a) or (m, n_e, n_a)
        Histograms at the start of period 0.
    z_start : sequence of int
        Forced aggregate states for the first ``len(z_start)`` periods (at least one).
    T : int
        Periods per path (``T >= len(z_start)``).
    n_paths : int
    seed : int

    Returns
    -------
    K : ndarray, shape (n_paths, T)
        Mean capital at the start of each period.
    z : ndarray, shape (n_paths, T)
        The aggregate states.

    Raises
    ------
    ModelSpecError
        For an empty or out-of-range ``z_start``, ``T < len(z_start)``, ``n_paths < 1`` or
        histograms of the wrong shape.
    """
    risk = solution["risk"]
    a_grid, K_grid = solution["a_grid"], solution["K_grid"]
    n_z, n_e = risk.n_z, risk.n_e
    start = np.asarray(z_start, dtype=np.int64)
    if start.ndim != 1 or start.size < 1 or start.min() < 0 or start.max() >= n_z:
        raise ModelSpecError(
            f"simulate_conditional_paths: 'z_start' needs states in [0, {n_z - 1}], got "
            f"{np.asarray(z_start).tolist()}"
        )
    if int(T) < start.size or int(n_paths) < 1:
        raise ModelSpecError(
            f"simulate_conditional_paths: need T >= len(z_start) = {start.size} and "
            f"n_paths >= 1, got T={T}, n_paths={n_paths}"
        )
    D0 = np.asarray(D0, dtype=np.float64)
    if D0.ndim == 2:
        D0 = D0[None]
    if D0.ndim != 3 or D0.shape[1:] != (n_e, a_grid.size):
        raise ModelSpecError(
            f"simulate_conditional_paths: 'D0' has shape {D0.shape}, want (n_e, n_a) = "
            f"{(n_e, a_grid.size)} or (m, n_e, n_a)"
        )
    a_pol = np.asarray(solution["policies"]["a"]).reshape(n_z * n_e, K_grid.size, a_grid.size)
    Pi_cond = risk.Pi_cond
    T, k = int(T), start.size
    K = np.empty((int(n_paths), T))
    z = np.empty((int(n_paths), T), dtype=np.int64)
    for i in range(int(n_paths)):
        tail = draw_aggregate_path(risk.Pi_z, T - k + 1, seed + i, z0=int(start[-1]))
        z[i] = np.concatenate([start[:-1], tail])
        K[i] = simulate_histogram(a_pol, K_grid, a_grid, z[i], Pi_cond, D0[i % D0.shape[0]])[0]
    return K, z
