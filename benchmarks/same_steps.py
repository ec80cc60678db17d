"""Households whose backward step is the *user's*, run by both libraries.

``compare_ssj.py --steps same`` times these instead of hetdag's example households (whose
steps call hetdag's tuned interpolation kernels). Each library receives the very same
step function:

* ``ks_ssj``: sequence-jacobian's own ``hh_sim`` step, imported from the installed
  package as a user would (``sj.hetblocks.hh_sim.hh.backward_fun.f``), in the
  Krusell-Smith economy;
* ``ks_user``: :func:`household_user` below, a plain EGM step written the way SSJ users
  write theirs, with its own small numba interpolation loop (2-D arrays only), in the
  same economy;
* ``labor_ssj``: sequence-jacobian's ``hh_labor`` step (endogenous hours; constrained
  households solved by its own Newton loop) in a Krusell-Smith economy with labour
  supply: unknowns K and L, targets asset and (effective) labour market clearing.

SSJ's step functions are imported from the installed package at run time, never copied.
The economies are built here in both libraries from the same arrays (hetdag's steady-state
grids and Markov matrix, handed to SSJ through a hetinput that returns them) and the same
calibrated parameters.
"""

from __future__ import annotations

import numpy as np
from numba import njit

SAME_STEP_MODELS = ("ks_ssj", "ks_user", "labor_ssj")
LABELS = {
    "ks_ssj": "KS {}x{}, SSJ hh_sim step",
    "ks_user": "KS {}x{}, user numba step",
    "labor_ssj": "KS-labor {}x{}, SSJ hh_labor",
}


# ------------------------------------------------------------ the user's own step (ours)
@njit(cache=True)
def interpolate_rows(x, xq, y):
    """Row by row, the piecewise-linear function through (x[e, j], y[j]) at xq[e, i].

    x : (n_e, n) increasing in j; xq : (n_e, nq) increasing in i; y : (n,).
    Linear extrapolation beyond the ends. One pass per row (both x and xq are sorted).
    """
    n_e, n = x.shape
    nq = xq.shape[1]
    out = np.empty((n_e, nq))
    for e in range(n_e):
        j = 0
        for i in range(nq):
            q = xq[e, i]
            while j < n - 2 and x[e, j + 1] < q:
                j += 1
            w = (x[e, j + 1] - q) / (x[e, j + 1] - x[e, j])
            out[e, i] = w * y[j] + (1.0 - w) * y[j + 1]
    return out


def household_user_init(a_grid, y, r, eis):
    coh = (1 + r) * a_grid[np.newaxis, :] + y[:, np.newaxis]
    Va = (1 + r) * (0.1 * coh) ** (-1 / eis)
    return Va


def household_user(Va_p, a_grid, y, r, beta, eis):
    """EGM step: c(a') = (beta Va_p)^(-eis); a(coh) by interpolating a' on c + a';
    a >= a_grid[0]; Va = (1 + r) c^(-1/eis). Arrays (n_e, n_a), as a user writes it."""
    c_nextgrid = (beta * Va_p) ** (-eis)
    coh = (1 + r) * a_grid[np.newaxis, :] + y[:, np.newaxis]
    a = interpolate_rows(c_nextgrid + a_grid[np.newaxis, :], coh, a_grid)
    a = np.maximum(a, a_grid[0])
    c = coh - a
    Va = (1 + r) * c ** (-1 / eis)
    return Va, a, c


# ---------------------------------------------------------------- the step functions
def step_functions(name: str):
    """(step, init) handed to both libraries for household ``name``."""
    import sequence_jacobian as sj

    if name == "ks_ssj":
        return sj.hetblocks.hh_sim.hh.backward_fun.f, sj.hetblocks.hh_sim.hh_init
    if name == "ks_user":
        return household_user, household_user_init
    if name == "labor_ssj":
        return sj.hetblocks.hh_labor.hh.backward_fun.f, sj.hetblocks.hh_labor.hh_init
    raise ValueError(name)


# ------------------------------------------------------------------ economy pieces
def income(w, e_grid):
    y = w * e_grid
    return y


def wages(w, e_grid):
    we = w * e_grid
    return we


def transfers(e_grid, transfer):
    T = transfer * e_grid
    return T


def effective_labor(n, e_grid):
    ne = e_grid[:, np.newaxis] * n
    return ne


def _ks_calibration(n_e: int, n_a: int, labor: bool) -> dict:
    from hetdag.examples import krusell_smith as ks

    calib = ks.calibration(n_e, n_a)
    if labor:  # hours are chosen: Frisch 0.5, vphi calibrated so that effective hours are L
        calib.update(frisch=0.5, transfer=0.0, eis=0.5)
    return calib


def build_hetdag(name: str, n_e: int, n_a: int):
    """hetdag's model, its calibrated steady state and (unknowns, targets, exogenous)."""
    import hetdag as hd
    from hetdag.examples import krusell_smith as ks
    from hetdag.examples._household import make_grids

    step, init = step_functions(name)
    hh = hd.het(exogenous="Pi", policy="a", backward="Va", backward_init=init)(step)
    labor = name == "labor_ssj"
    calib = _ks_calibration(n_e, n_a, labor)
    if labor:
        hh = hh.add_hetinputs([make_grids, wages, transfers]).add_hetoutputs([effective_labor])

        @hd.simple
        def mkt_clearing(K, A, NE, L, Y, C, delta):
            asset_mkt = A - K
            labor_mkt = NE - L
            goods_mkt = Y - C - (K - (1 - delta) * K(-1))
            return asset_mkt, labor_mkt, goods_mkt

        model = hd.create_model([hh, ks.firm, mkt_clearing], name=f"KS-labor ({name})")
        ss = model.solve_steady_state(
            calib, unknowns={"beta": 0.98, "vphi": 0.8},
            targets={"asset_mkt": 0.0, "labor_mkt": 0.0}, solver="broyden",
        )  # fmt: skip
        spec = (["K", "L"], ["asset_mkt", "labor_mkt"], ["Z"])
    else:
        hh = hh.add_hetinputs([make_grids, income])
        model = hd.create_model([hh, ks.firm, ks.mkt_clearing], name=f"KS ({name})")
        ss = model.solve_steady_state(
            calib, unknowns={"beta": (0.97, 0.99)}, targets={"asset_mkt": 0.0}
        )
        spec = (["K"], ["asset_mkt"], ["Z"])
    return model, ss, hh, spec


def build_ssj(name: str, grids: dict):
    """The same economy in SSJ with the same step; grids are hetdag's arrays."""
    import sequence_jacobian as sj

    step, init = step_functions(name)
    e_v, Pi_v, a_v = grids["e_grid"], grids["Pi"], grids["a_grid"]

    def fixed_grids(n_e, n_a):
        e_grid, Pi, a_grid = e_v, Pi_v, a_v
        return e_grid, Pi, a_grid

    hh = sj.het(exogenous="Pi", policy="a", backward="Va", backward_init=init)(step)

    @sj.simple
    def firm(K, L, Z, alpha, delta):
        r = alpha * Z * (K(-1) / L) ** (alpha - 1) - delta
        w = (1 - alpha) * Z * (K(-1) / L) ** alpha
        Y = Z * K(-1) ** alpha * L ** (1 - alpha)
        return r, w, Y

    if name == "labor_ssj":
        hh = hh.add_hetinputs([fixed_grids, wages, transfers]).add_hetoutputs([effective_labor])

        @sj.simple
        def mkt_clearing(K, A, NE, L, Y, C, delta):
            asset_mkt = A - K
            labor_mkt = NE - L
            goods_mkt = Y - C - (K - (1 - delta) * K(-1))
            return asset_mkt, labor_mkt, goods_mkt
    else:
        hh = hh.add_hetinputs([fixed_grids, income])

        @sj.simple
        def mkt_clearing(K, A, Y, C, delta):
            asset_mkt = A - K
            goods_mkt = Y - C - (K - (1 - delta) * K(-1))
            return asset_mkt, goods_mkt

    return sj.create_model([hh, firm, mkt_clearing], name=f"KS (SSJ, {name})"), hh
