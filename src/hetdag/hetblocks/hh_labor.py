"""The incomplete-markets household with labour supply (endogenous grid method).

Utility ``c^{1-1/eis}/(1-1/eis) - vphi n^{1+1/frisch}/(1+1/frisch)``; budget
``c + a' = (1 + r) a + we n + T`` with ``we = w e`` and transfers ``T`` by state,
``a' >= a_grid[0]``. First-order conditions, with ``uc = c^{-1/eis}``:

    c = uc^{-eis},    n = (we uc / vphi)^frisch,    uc >= beta E[Va'],

so on the grid of choices a', ``uc = beta Va_p`` gives c and n, and today's assets
satisfy ``(1 + r) a = c - we n + a' - T``. Where that lies above today's grid point the
household is constrained: ``a' = a_grid[0]`` and uc solves
``uc^{-eis} - we (we uc / vphi)^frisch = (1 + r) a + T - a_grid[0]`` (Newton in log uc,
to roundoff; the left side falls in uc). Envelope: ``Va = (1 + r) uc``. Arrays are
(n_e, n_a) with any leading batch axes; the step never indexes the state axes, so
batches are exact.
"""

from __future__ import annotations

import numpy as np

from ..blocks import het
from ..errors import ConvergenceError
from ..utils.interpolate import interpolate_y

__all__ = ["hh", "hh_init", "solve_uc"]

_NEWTON_MAXIT = 50
_NEWTON_TOL = 1e-13  # in log uc


def hh_init(a_grid, we, r, eis, T):
    """Start: consume a tenth of cash on hand at one unit of hours."""
    coh = (1 + r) * a_grid[np.newaxis, :] + we[:, np.newaxis] + T[:, np.newaxis]
    Va = (1 + r) * (0.1 * coh) ** (-1 / eis)
    return Va


@het(exogenous="Pi", policy="a", backward="Va", backward_init=hh_init)
def hh(Va_p, a_grid, we, T, r, beta, eis, frisch, vphi):
    uc_nextgrid = beta * Va_p
    we_ = we[:, np.newaxis]
    c_nextgrid = uc_nextgrid ** (-eis)
    n_nextgrid = (we_ * uc_nextgrid / vphi) ** frisch
    lhs = c_nextgrid - we_ * n_nextgrid + a_grid - T[:, np.newaxis]
    rhs = (1 + r) * a_grid
    c = interpolate_y(lhs, rhs, c_nextgrid)
    n = interpolate_y(lhs, rhs, n_nextgrid)
    a = rhs + we_ * n + T[:, np.newaxis] - c
    low = a < a_grid[0]
    if low.any():
        shape = low.shape
        cash = np.broadcast_to(rhs + T[:, np.newaxis] - a_grid[0], shape)[low]
        w_low = np.broadcast_to(we_, shape)[low]
        uc = solve_uc(w_low, cash, eis, frisch, vphi, np.broadcast_to(uc_nextgrid, shape)[low])
        c[low] = uc ** (-eis)
        n[low] = (w_low * uc / vphi) ** frisch
        a[low] = a_grid[0]
    Va = (1 + r) * c ** (-1 / eis)
    return Va, a, c, n


def solve_uc(we, cash, eis, frisch, vphi, uc_seed):
    """uc with ``uc^{-eis} - we (we uc / vphi)^frisch = cash``, elementwise (all 1-D).

    Newton in ``x = log uc``: the residual ``c - we n - cash`` has derivative
    ``-eis c - frisch we n < 0``, so the root is unique; steps are capped at 1 in x.

    Raises
    ------
    ConvergenceError
        If some point has not converged after 50 steps (it names the worst residual).
    """
    x = np.log(uc_seed)
    for _ in range(_NEWTON_MAXIT):
        c = np.exp(-eis * x)
        wn = we * (we * np.exp(x) / vphi) ** frisch
        res = c - wn - cash
        dx = np.clip(res / (eis * c + frisch * wn), -1.0, 1.0)
        x = x + dx
        # to roundoff: finite-difference Jacobians divide this solve's error by their step
        if np.all(np.abs(dx) <= _NEWTON_TOL):
            return np.exp(x)
    worst = float(np.max(np.abs(res)))
    raise ConvergenceError(
        f"hh_labor: the constrained household's hours did not converge in {_NEWTON_MAXIT} "
        f"Newton steps (worst residual {worst:.3e})",
        block="hh",
        variable="n",
        iterations=_NEWTON_MAXIT,
        residual=worst,
    )
