"""The two-asset household: a liquid bond b and an illiquid account a with adjustment costs.

State (e, b, a) at the start of t (b and a chosen at t-1); choices b', a' and c:

.. math::

    c + b' + a' = (1 + r^b) b + (1 + r^a) a + y(e) - \\Psi(a', a),
    \\qquad b' \\ge b_0,\\ a' \\ge a_0,

    \\Psi(a', a) = \\frac{\\chi_1}{\\chi_2}
        \\left|a' - (1 + r^a) a\\right|^{\\chi_2} \\left((1 + r^a) a + \\chi_0\\right)^{1-\\chi_2},

with ``b_0 = b_grid[0]``, ``a_0 = a_grid[0]`` and CRRA utility ``c^{1-1/eis}/(1-1/eis)``.
The backward variables are the marginal values ``Vb = (1 + rb) c^{-1/eis}`` and
``Va = c^{-1/eis} ((1 + ra) - Psi_2(a', a))`` (envelope conditions).

Backward step (endogenous grid in the liquid asset), with ``W_b = beta Vb_p`` and
``W_a = beta Va_p`` on the (b', a') grid:

1. For each (e, b'_j) and today's a_i, the a-FOC ``W_a = W_b (1 + Psi_1(a', a_i))``
   pins a', with W linear in a' between grid points (a quadratic on each segment for
   chi2 = 2, solved in closed form; bracketed Newton otherwise); the b-FOC
   gives ``c = W_b(b'_j, a')^{-eis}``, and the budget gives today's liquid holdings
   ``b_endo``. Interpolating (b'_j, a') against ``b_endo`` in b gives the policies on the
   grid.
2. Where today's b lies below ``b_endo`` at ``b' = b_0``, the household is liquidity
   constrained: ``b' = b_0`` and a' solves ``W_a(b_0, a') = c^{-1/eis} (1 + Psi_1)``
   with c from the budget (or sits at ``a_0``).
3. Consumption always comes from the budget, so the budget holds exactly.

The step broadcasts over extra leading axes of ``Va_p``/``Vb_p`` (a batch of
continuation values), which lets the fake-news Jacobian batch its backward pass.
"""

from __future__ import annotations

import numpy as np

from ..blocks._het import het
from ..utils.grids import asset_grid, rouwenhorst
from . import _two_asset_kernels as K


def household_init(b_grid, a_grid, y, ra, rb, eis):
    """Initial guess: consume income plus the return on both assets."""
    income = y[:, np.newaxis, np.newaxis] + rb * b_grid[:, np.newaxis] + ra * a_grid
    uc = np.maximum(0.5 * income, 1e-6) ** (-1 / eis)
    Vb = (1 + rb) * uc
    Va = (1 + ra) * uc
    return Va, Vb


def solve_step(Wa, Wb, b_grid, a_grid, y, ra, rb, eis, chi0, chi1, chi2, nodes=False):
    """One backward step given ``W_a = beta E Va'`` and ``W_b = beta E Vb'``.

    Parameters
    ----------
    Wa, Wb : ndarray, shape (..., n_e, n_b, n_a)
        Discounted expected marginal values on the grid of choices (b', a'); leading
        axes are a batch.
    b_grid, a_grid : ndarray, shapes (n_b,), (n_a,)
    y : ndarray, shape (n_e,) or broadcastable to ``Wa.shape[:-2]``
        Income by exogenous state.
    ra, rb, eis, chi0, chi1, chi2 : float
    nodes : bool
        Also return the unconstrained node solutions ``ap_node`` and ``b_endo`` (shape
        of ``Wa``, indexed [..., e, j, i] for b'_j and today's a_i), for testing.

    Returns
    -------
    dict with ``b``, ``a``, ``c``, ``psi``, ``uc`` (= c^{-1/eis}), ``Va``, ``Vb``, each
    of the shape of ``Wa`` and indexed by today's state [..., e, b, a].
    """
    Wa = np.asarray(Wa, dtype=np.float64)
    Wb = np.asarray(Wb, dtype=np.float64)
    shape = np.broadcast_shapes(Wa.shape, Wb.shape)
    lead, (n_b, n_a) = shape[:-2], shape[-2:]
    rows = int(np.prod(lead))
    Wa = np.ascontiguousarray(np.broadcast_to(Wa, shape)).reshape(rows, n_b, n_a)
    Wb = np.ascontiguousarray(np.broadcast_to(Wb, shape)).reshape(rows, n_b, n_a)
    y = np.ascontiguousarray(np.broadcast_to(np.asarray(y, dtype=np.float64), lead)).ravel()
    b_grid = np.ascontiguousarray(b_grid, dtype=np.float64)
    a_grid = np.ascontiguousarray(a_grid, dtype=np.float64)
    scalars = tuple(float(v) for v in (ra, rb, eis, chi0, chi1, chi2))
    ap_node = np.empty((rows, n_b, n_a))
    b_endo = np.empty((rows, n_b, n_a))
    K.egm_nodes(Wb, Wa, b_grid, a_grid, y, *scalars, ap_node, b_endo)
    names = ("b", "a", "c", "psi", "uc", "Va", "Vb")
    out = {k: np.empty((rows, n_b, n_a)) for k in names}
    K.policies_on_grid(Wa, b_grid, a_grid, y, *scalars, ap_node, b_endo, *(out[k] for k in names))
    if nodes:
        out["ap_node"], out["b_endo"] = ap_node, b_endo
    return {k: v.reshape(shape) for k, v in out.items()}


@het(
    exogenous="Pi",
    policy=["b", "a"],
    backward=["Va", "Vb"],
    backward_init=household_init,
    backward_tol=1e-11,
    # forward differences of the step have error ~h; 1e-7 keeps the Jacobian within ~1e-5
    # of brute force without crossing the kinks of the interpolated problem (~1e-5 away)
    jacobian_h=1e-7,
)
def household(Va_p, Vb_p, b_grid, a_grid, e_grid, y, ra, rb, beta, eis, chi0, chi1, chi2):
    """Two-asset household step; ``uce = e c^{-1/eis}`` feeds the wage Phillips curve and
    ``chi = Psi(a', a)`` the goods market."""
    s = solve_step(beta * Va_p, beta * Vb_p, b_grid, a_grid, y, ra, rb, eis, chi0, chi1, chi2)
    Va, Vb, b, a, c = s["Va"], s["Vb"], s["b"], s["a"], s["c"]
    uce = s["uc"] * e_grid[:, np.newaxis, np.newaxis]
    chi = s["psi"]
    return Va, Vb, b, a, c, uce, chi


def make_grids(rho_e, sd_e, n_e, min_b, max_b, n_b, min_a, max_a, n_a):
    """Income states (sd_e is the cross-sectional sd of log e) and the two asset grids."""
    e_grid, pi_e, Pi = rouwenhorst(int(n_e), rho_e, sd_e * np.sqrt(1 - rho_e**2))
    b_grid = asset_grid(min_b, max_b, int(n_b))
    a_grid = asset_grid(min_a, max_a, int(n_a))
    return e_grid, pi_e, Pi, b_grid, a_grid


def income(e_grid, tax, w, N):
    """Post-tax labour income y(e) = (1 - tax) w N e."""
    y = (1 - tax) * w * N * e_grid
    return y


__all__ = ["household", "household_init", "income", "make_grids", "solve_step"]
