"""The one-asset consumption-savings household (EGM backward step), shared by examples.

Budget: c + a' = (1 + r) a + y(e),  a' >= a_grid[0].  Euler: c^{-1/eis} >= beta E[Va'].
Endogenous grid: on the grid of choices a', consumption is c = (beta Va_p)^{-eis}, and
cash on hand is c + a'; interpolating a' against cash on hand gives the policy.
"""

from __future__ import annotations

import numpy as np

from ..blocks._het import het
from ..utils.grids import asset_grid, rouwenhorst
from ..utils.interpolate import interpolate_y


def household_init(a_grid, y, r, eis):
    c = np.maximum(1e-8, y[..., np.newaxis] + np.maximum(r, 0.01) * a_grid)
    Va = (1 + r) * c ** (-1 / eis)
    return Va


@het(exogenous="Pi", policy="a", backward="Va", backward_init=household_init)
def household(Va_p, a_grid, y, r, beta, eis):
    c_next = (beta * Va_p) ** (-eis)  # consumption at each choice a' (n_e, n_a)
    coh = (1 + r) * a_grid + y[..., np.newaxis]  # cash on hand on today's grid
    a = interpolate_y(c_next + a_grid, coh, a_grid)
    a = np.maximum(a, a_grid[0])  # borrowing constraint
    c = coh - a
    Va = (1 + r) * c ** (-1 / eis)
    return Va, a, c


def make_grids(rho_e, sd_e, n_e, min_a, max_a, n_a):
    # sd_e is the cross-sectional sd of log e; rouwenhorst takes the innovation sd
    e_grid, pi_e, Pi = rouwenhorst(int(n_e), rho_e, sd_e * np.sqrt(1 - rho_e**2))
    a_grid = asset_grid(min_a, max_a, int(n_a))
    return e_grid, pi_e, Pi, a_grid


def income(w, e_grid):
    y = w * e_grid
    return y
