"""The two-asset household of sequence-jacobian's two-asset HANK, on its discretisation.

State (z, b, a): income state, liquid bonds and illiquid assets at the start of t.
Budget, with the adjustment cost of moving the illiquid account,

    c + b' + a' = z + (1 + rb) b + (1 + ra) a - Psi(a', a),   b' >= b_grid[0],
    Psi(a', a) = chi1/chi2 |a' - (1+ra) a|^chi2 ((1+ra) a + chi0)^(1-chi2).

With ``Wb = beta Vb_p`` and ``Wa = beta Va_p`` on the (b', a') grid, the first-order
conditions are ``Wa / Wb = 1 + Psi1(a', a)`` (a') and ``c^{-1/eis} = Wb`` (b'), or with
the liquidity constraint binding, ``Wa / (Wb (1 + kappa)) = 1 + Psi1`` and
``c^{-1/eis} = (1 + kappa) Wb`` for a multiplier kappa on ``k_grid``. The a'-condition is
solved on the grid by linear interpolation of its gap between grid points (the
``Psi1`` hetinput holds ``Psi1(a'_i, a_j)``); the budget then gives the b that chooses
each b' (or kappa), and inverting that map by interpolation gives the policies. The
envelope conditions give ``Va = (1 + ra - Psi2) c^{-1/eis}`` and
``Vb = (1 + rb) c^{-1/eis}``. This is sequence-jacobian's algorithm (its steady state is
what SSJ users calibrated); hetdag's own example household
(:mod:`hetdag.examples._two_asset_household`) solves the a'-condition exactly between
grid points instead. Arrays are (n_z, n_b, n_a) with any leading batch axes.
"""

from __future__ import annotations

import numpy as np

from ..blocks import het
from ..utils.interpolate import apply_coord, interpolate_coord, interpolate_y
from ._twoasset_kernels import foc_coords

__all__ = ["adjustment_costs", "get_Psi_and_deriv", "hh", "hh_init", "marginal_cost_grid"]


def hh_init(b_grid, a_grid, z_grid, eis):
    shape = (z_grid.shape[0], 1, 1)
    Va = (0.6 + 1.1 * b_grid[:, np.newaxis] + a_grid) ** (-1 / eis) * np.ones(shape)
    Vb = (0.5 + b_grid[:, np.newaxis] + 1.2 * a_grid) ** (-1 / eis) * np.ones(shape)
    return Va, Vb


def get_Psi_and_deriv(ap, a, ra, chi0, chi1, chi2):
    """Psi(a', a) and its derivatives in a' (Psi1) and in a (Psi2)."""
    base = (1 + ra) * a
    move = ap - base
    denom = base + chi0
    scale = (np.abs(move) / denom) ** (chi2 - 1)
    Psi = chi1 / chi2 * np.abs(move) * scale
    Psi1 = chi1 * np.sign(move) * scale
    Psi2 = -(1 + ra) * (Psi1 + (chi2 - 1) * Psi / denom)
    return Psi, Psi1, Psi2


def marginal_cost_grid(a_grid, ra, chi0, chi1, chi2):
    """``Psi1[i, j]``: marginal cost of choosing ``a'_i`` from ``a_j``."""
    Psi1 = get_Psi_and_deriv(a_grid[:, np.newaxis], a_grid[np.newaxis, :], ra, chi0, chi1, chi2)[1]
    return Psi1


def adjustment_costs(a, a_grid, ra, chi0, chi1, chi2):
    chi = get_Psi_and_deriv(a, a_grid, ra, chi0, chi1, chi2)[0]
    return chi


def _solve_foc(lhs, rhs):
    """Coordinates on a' of ``lhs(a') = rhs[a', j]`` for each leading row and j."""
    lead = lhs.shape[:-1]
    flat = np.ascontiguousarray(lhs, dtype=float).reshape(-1, lhs.shape[-1])
    iout = np.empty((flat.shape[0], rhs.shape[1]), dtype=np.int64)
    piout = np.empty((flat.shape[0], rhs.shape[1]))
    foc_coords(flat, np.ascontiguousarray(rhs, dtype=float), iout, piout)
    return iout.reshape(lead + (-1,)), piout.reshape(lead + (-1,))


@het(
    exogenous="Pi",
    policy=["b", "a"],
    backward=["Vb", "Va"],
    backward_init=hh_init,
    hetinputs=[marginal_cost_grid],
    hetoutputs=[adjustment_costs],
)
def hh(
    Va_p, Vb_p, a_grid, b_grid, z_grid, e_grid, k_grid, beta, eis, rb, ra, chi0, chi1, chi2, Psi1
):
    Wb = beta * Vb_p
    Wa = beta * Va_p
    Wb, Wa = np.broadcast_arrays(Wb, Wa)
    ratio = Wa / Wb
    z = z_grid[:, np.newaxis, np.newaxis]
    mc = 1 + Psi1

    # unconstrained: a'(z, b', a) from the a'-condition, then c and the b choosing b'
    i, pi = _solve_foc(ratio, mc)
    a_endo = apply_coord(i, pi, a_grid)
    c_endo = apply_coord(i, pi, Wb) ** (-eis)
    Psi = get_Psi_and_deriv(a_endo, a_grid, ra, chi0, chi1, chi2)[0]
    b_endo = (c_endo + a_endo - z + b_grid[:, np.newaxis] - (1 + ra) * a_grid + Psi) / (1 + rb)
    # invert b' -> b along the b' axis, for each (z, a)
    bi, bpi = interpolate_coord(b_endo.swapaxes(-1, -2), b_grid)
    a_unc = apply_coord(bi, bpi, a_endo.swapaxes(-1, -2)).swapaxes(-1, -2)
    b_unc = apply_coord(bi, bpi, b_grid).swapaxes(-1, -2)

    # constrained (b' = b_grid[0]): a'(z, kappa, a) for each multiplier kappa
    k = k_grid[:, np.newaxis]
    i, pi = _solve_foc(ratio[..., 0:1, :] / (1 + k), mc)
    a_endo_c = apply_coord(i, pi, a_grid)
    c_endo_c = (1 + k) ** (-eis) * apply_coord(i, pi, Wb[..., 0:1, :]) ** (-eis)
    Psi = get_Psi_and_deriv(a_endo_c, a_grid, ra, chi0, chi1, chi2)[0]
    b_endo_c = (c_endo_c + a_endo_c - z + b_grid[0] - (1 + ra) * a_grid + Psi) / (1 + rb)
    a_con = interpolate_y(b_endo_c.swapaxes(-1, -2), b_grid, a_endo_c.swapaxes(-1, -2))
    a_con = a_con.swapaxes(-1, -2)

    low = b_unc <= b_grid[0]
    b = np.where(low, b_grid[0], b_unc)
    a = np.where(low, a_con, a_unc)
    Psi, _, Psi2 = get_Psi_and_deriv(a, a_grid, ra, chi0, chi1, chi2)
    c = z + (1 + rb) * b_grid[:, np.newaxis] + (1 + ra) * a_grid - Psi - a - b
    uc = c ** (-1 / eis)
    uce = e_grid[:, np.newaxis, np.newaxis] * uc
    Va = (1 + ra - Psi2) * uc
    Vb = (1 + rb) * uc
    return Va, Vb, a, b, c, uce
