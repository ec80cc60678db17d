"""Warm start (NumPy): the household block's own solution at constant capital.

With capital held at ``K`` the household's problem is stationary: iterate the block's
backward step (reused as it is) with ``Va_p = Pi Va`` over the joint (z, e) chain to
its fixed point, then iterate :func:`hetdag.blocks.young_step` on the joint chain to a
stationary histogram. :func:`warm_start` finds the ``K`` at which households hold ``K``
(the economy with aggregate risk in prices but capital frozen). Wealth is very
persistent on the DJJ calibration (``beta (1 + r)`` within 1e-4 of one), so starting
the simulations there, rather than at a point mass, saves tens of thousands of periods
of burn-in. It is a starting point for training, not part of the solution.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import brentq

from ...errors import ConvergenceError, GridBoundaryWarning


def household_at_capital(econ, K: float, Va=None, tol: float = 1e-9, maxit: int = 20_000):
    """Policies ``c, a`` (n_z, n_e, n_a), marginal value ``Va`` (n_z * n_e, n_a) and the
    stationary joint histogram (n_z * n_e, n_a) at constant capital ``K``."""
    hh, risk, g = econ.household, econ.risk, econ.a_grid
    n_z, n_e = risk.n_z, risk.n_e
    r, w = econ.prices(np.full(n_z, K), np.arange(n_z))
    y = (w[:, None] * risk.income).reshape(n_z * n_e)
    r_s = np.repeat(r, n_e)[:, None]
    values = {**econ.hh_values, "a_grid": g, "y": y, "r": r_s}
    if Va is None:
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
    a = out[pol]
    return out["c"].reshape(n_z, n_e, -1), a.reshape(n_z, n_e, -1), Va, _stationary(a, g, risk.Pi)


def _stationary(a, g, Pi) -> np.ndarray:
    """Stationary histogram (n_s, n_a) of Young's lottery of ``a`` (n_s, n_a) followed by
    the joint chain ``Pi``: one sparse linear solve (the same split as ``young_step``)."""
    from scipy.sparse import coo_matrix, identity, vstack
    from scipy.sparse.linalg import lsqr, spsolve

    n_s, n_a = a.shape
    x = np.clip(a, g[0], g[-1])
    i = np.clip(np.searchsorted(g, x, side="right") - 1, 0, n_a - 2)
    p = np.clip((g[i + 1] - x) / (g[i + 1] - g[i]), 0.0, 1.0)
    src = np.arange(n_s * n_a)
    s_of, _ = np.divmod(src, n_a)
    rows, cols, vals = [], [], []
    for sp in range(n_s):
        w = Pi[s_of, sp]
        keep = w > 0
        for idx, wt in ((i.ravel(), p.ravel()), (i.ravel() + 1, 1 - p.ravel())):
            rows.append(sp * n_a + idx[keep])
            cols.append(src[keep])
            vals.append((w * wt)[keep])
    N = n_s * n_a
    M = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(N, N)
    ).tocsr()  # D' = M D
    A = (M - identity(N, format="csr")).tolil()
    A[0, :] = 1.0  # replace one balance equation by total mass one
    b = np.zeros(N)
    b[0] = 1.0
    try:
        D = spsolve(A.tocsc(), b)
    except Exception:  # singular (e.g. reducible chain): least squares
        D = lsqr(vstack([M - identity(N), np.ones((1, N))]).tocsr(), np.r_[np.zeros(N), 1.0])[0]
    D = np.maximum(D, 0.0)
    return (D / D.sum()).reshape(n_s, n_a)


def _joint_stationary(risk) -> np.ndarray:
    from ...utils.grids import stationary

    return stationary(risk.Pi)


def warm_start(econ, xtol: float = 1e-4):
    """Capital ``K*`` at which households hold ``K*`` when capital is frozen, with the
    policies there: ``(K*, c (n_z, n_e, n_a), D (n_e, n_a) in state z0, z0)``."""
    g = econ.a_grid
    cache = {"Va": None}

    def excess(K):
        with warnings.catch_warnings():  # the bracket's low end piles mass at the top
            warnings.simplefilter("ignore", GridBoundaryWarning)
            c, a, Va, D = household_at_capital(econ, K, cache["Va"])
        cache["Va"] = Va
        return float(D.sum(axis=0) @ g) - K

    lo, hi = econ.K_ref, 1.6 * econ.K_ref
    if excess(lo) * excess(hi) < 0:
        K = brentq(excess, lo, hi, xtol=xtol * econ.K_ref)
    else:  # no crossing in the bracket: start at the representative-agent capital
        K = econ.K_ref
    c, a, Va, D = household_at_capital(econ, K, cache["Va"])
    risk = econ.risk
    n_z, n_e = risk.n_z, risk.n_e
    Dz = D.reshape(n_z, n_e, -1)
    z0 = int(np.argmax(Dz.sum(axis=(1, 2))))
    D0 = Dz[z0] / Dz[z0].sum()
    return K, c, D0, z0
