"""The standard incomplete-markets household (one asset, endogenous grid method).

Budget ``c + a' = (1 + r) a + y(e)``, ``a' >= a_grid[0]``; Euler
``c^{-1/eis} >= beta E[Va']``. On the grid of choices a', consumption is
``c = (beta Va_p)^{-eis}`` and cash on hand ``c + a'``; interpolating a' against today's
cash on hand ``(1 + r) a + y`` gives the policy. Envelope: ``Va = (1 + r) c^{-1/eis}``.
Arrays are (n_e, n_a), with any leading batch axes.
"""

from __future__ import annotations

import numpy as np

from ..blocks import het
from ..utils.grids import asset_grid, markov_rouwenhorst
from ..utils.interpolate import interpolate_y

__all__ = ["example_calibration", "hh", "hh_extended", "hh_init", "income", "make_grids"]


def hh_init(a_grid, y, r, eis):
    """Start: consume a tenth of cash on hand."""
    coh = (1 + r) * a_grid + y[:, np.newaxis]
    Va = (1 + r) * (0.1 * coh) ** (-1 / eis)
    return Va


@het(exogenous="Pi", policy="a", backward="Va", backward_init=hh_init)
def hh(Va_p, a_grid, y, r, beta, eis):
    c_nextgrid = (beta * Va_p) ** (-eis)
    coh = (1 + r) * a_grid + y[..., np.newaxis]
    a = np.maximum(interpolate_y(c_nextgrid + a_grid, coh, a_grid), a_grid[0])
    c = coh - a
    Va = (1 + r) * c ** (-1 / eis)
    return Va, a, c


def make_grids(rho_e, sd_e, n_e, min_a, max_a, n_a):
    """Rouwenhorst chain (``sd_e`` is the cross-sectional sd of log e) and asset grid."""
    e_grid, _, Pi = markov_rouwenhorst(rho_e, sd_e, int(n_e))
    a_grid = asset_grid(min_a, max_a, int(n_a))
    return e_grid, Pi, a_grid


def income(w, e_grid):
    y = w * e_grid
    return y


hh_extended = hh.add_hetinputs([income, make_grids])


def example_calibration() -> dict:
    return dict(
        min_a=0, max_a=1000, rho_e=0.975, sd_e=0.7, n_a=200, n_e=7,
        w=1, r=0.01 / 4, beta=1 - 0.08 / 4, eis=1,
    )  # fmt: skip
