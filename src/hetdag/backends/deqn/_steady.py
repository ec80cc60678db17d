"""Warm start (NumPy): the household block's own fixed point at constant capital.

With capital held at ``K`` the household's problem is stationary: iterate the block's
backward step (reused as it is) with ``Va_p = Pi Va`` over the joint (z, e) chain to
its fixed point, then iterate :func:`hetdag.blocks.young_step` in the most likely
aggregate state to a stationary histogram. Training starts from this policy and
these histograms; it is a starting point, not part of the solution.
"""

from __future__ import annotations

import numpy as np

from ...blocks import young_step
from ...errors import ConvergenceError
from ...utils.grids import stationary


def household_at_capital(econ, K: float, tol: float = 1e-8, maxit: int = 5000):
    """Policies ``c, a`` (n_z, n_e, n_a) at constant ``K`` and a histogram (n_e, n_a)."""
    hh, risk, g = econ.household, econ.risk, econ.a_grid
    n_z, n_e = risk.n_z, risk.n_e
    r, w = econ.prices(np.full(n_z, K), np.arange(n_z))
    y = (w[:, None] * risk.income).reshape(n_z * n_e)
    r_s = np.repeat(r, n_e)[:, None]
    values = {**econ.hh_values, "a_grid": g, "y": y, "r": r_s}
    c0 = y[:, None] + np.maximum(r_s, 0.01) * g[None, :]
    Va = (1 + r_s) * c0 ** (-1 / econ.eis)
    bw, pol = hh.backward[0], hh.policy[0]
    old, diff = None, np.inf
    for _ in range(maxit):
        out = hh.backward_step(values, **{bw + "_p": risk.Pi @ Va})
        Va = out[bw]
        if old is not None:
            diff = float(np.max(np.abs(out[pol] - old)))
            if diff < tol:
                break
        old = out[pol]
    else:
        raise ConvergenceError(
            f"DEQN backend: warm start: household {hh.name!r} did not converge at constant "
            f"K = {K:.6g} in {maxit} steps (max policy change {diff:.2e})",
            block=hh.name,
            iterations=maxit,
            residual=diff,
        )
    c = out["c"].reshape(n_z, n_e, -1)
    a = out[pol].reshape(n_z, n_e, -1)
    z0 = int(np.argmax(stationary(risk.Pi_z)))
    D = np.zeros((n_e, g.size))
    D[:, 0] = risk.e_dist[z0]
    P = risk.Pi_cond[z0, z0]
    for _ in range(20_000):
        Dn = young_step(D, a[z0], g, P)
        if np.max(np.abs(Dn - D)) < 1e-11:
            D = Dn
            break
        D = Dn
    return c, a, D / D.sum(), z0
