"""Batched evaluation of a user's backward step is verified on its real inputs (issue 16).

The fake-news pass and Newton's backward iteration evaluate the step on a stack of
continuation values at once when the step maps the stack slice by slice. Steps written
as sequence-jacobian users write them index the constrained states with ``np.nonzero``
(SSJ's ``hh_labor``): on a stacked input the first index array is the *batch* axis, so
the batch is mixed into the state axes exactly where the borrowing constraint binds.

Before issue 16 the decision was cached on the block from Newton's first iterate (where
nothing binds), so the Jacobian after a steady-state solve came out silently wrong
(J['A']['r'][0, 2] = 4671 instead of 0.56 for hh_labor) or raised an IndexError. The
reference here is brute force: the block's own nonlinear transition, which calls the
step one period at a time and never batches.
"""

import numpy as np
import pytest

import hetdag as hd
from hetdag.utils.grids import asset_grid, rouwenhorst
from hetdag.utils.interpolate import interpolate_y

from .test_fake_news import column_errors

T = 40
COLUMNS = (0, 1, 2, 20, T - 1)
TOL = 1e-5


def grids(rho_e, sd_e, n_e, max_a, n_a):
    e_grid, pi_e, Pi = rouwenhorst(int(n_e), rho_e, sd_e * np.sqrt(1 - rho_e**2))
    a_grid = asset_grid(0.0, max_a, int(n_a))
    return e_grid, Pi, a_grid


def income(w, e_grid):
    y = w * e_grid
    return y


def thrifty_init(a_grid, y, r, eis):
    """A start that consumes a tenth of cash on hand, as hh_labor's does: nobody is
    constrained at Newton's first iterate, so a batch check there passes."""
    coh = (1 + r) * a_grid + y[:, np.newaxis]
    Va = (1 + r) * (0.1 * coh) ** (-1 / eis)
    return Va


def indexed_step(Va_p, a_grid, y, r, beta, eis):
    """The EGM step with the constrained states set by index pairs (e, a), SSJ-style."""
    c_next = (beta * Va_p) ** (-eis)
    coh = (1 + r) * a_grid + y[:, np.newaxis]
    a = interpolate_y(c_next + a_grid, coh, a_grid)
    c = coh - a
    iconst = np.nonzero(a < a_grid[0])
    a[iconst] = a_grid[0]
    c[iconst] = (1 + r) * a_grid[iconst[1]] + y[iconst[0]] - a_grid[0]
    Va = (1 + r) * c ** (-1 / eis)
    return Va, a, c


CALIB = dict(rho_e=0.9, sd_e=0.5, n_e=3, max_a=60.0, n_a=50, w=1.0, r=0.01, beta=0.97, eis=1.0)


@pytest.mark.parametrize("newton", [True, False])
def test_jacobian_after_steady_state_matches_brute_force(newton):
    hh = hd.het(
        exogenous="Pi",
        policy="a",
        backward="Va",
        backward_init=thrifty_init,
        backward_newton=newton,
    )(indexed_step).add_hetinputs([grids, income])
    ss = hh.steady_state(CALIB)
    assert ss.internals[hh.name]["a"].min() == 0.0  # the constraint binds: the case at issue
    J = hh.jacobian(ss, ["r", "w"], T=T)
    for shock in ("r", "w"):
        errs = column_errors(hh, ss, J, shock, COLUMNS)
        worst = max(errs, key=errs.get)
        assert errs[worst] < TOL, f"{shock}: worst column {worst}: {errs[worst]:.2e}"


def test_labor_supply_household_of_sequence_jacobian():
    """SSJ's own hh_labor step, used as user code: its Jacobian after the steady state
    agrees with SSJ's (one-sided, h = 1e-4) to SSJ's finite-difference error."""
    sj = pytest.importorskip("sequence_jacobian")
    ssj_hh = sj.hetblocks.hh_labor

    def make_grids(rho_e, sd_e, n_e, min_a, max_a, n_a):
        e_grid, pi_e, Pi = sj.grids.markov_rouwenhorst(rho_e, sd_e, n_e)
        a_grid = sj.grids.asset_grid(min_a, max_a, n_a)
        return e_grid, pi_e, Pi, a_grid

    def transfers(pi_e, Div, Tax, e_grid):
        T = (Div - Tax) / np.sum(pi_e * e_grid) * e_grid
        return T

    def wages(w, e_grid):
        we = w * e_grid
        return we

    hetinputs = [make_grids, transfers, wages]
    step = ssj_hh.hh.backward_fun.f
    ours = hd.het(exogenous="Pi", policy="a", backward="Va", backward_init=ssj_hh.hh_init)(step)
    ours = ours.add_hetinputs(hetinputs)
    theirs = ssj_hh.hh.add_hetinputs(hetinputs)
    calib = dict(
        rho_e=0.966, sd_e=0.5, n_e=7, min_a=0.0, max_a=150.0, n_a=200, Div=0.1, Tax=0.1,
        w=0.8, r=0.005, beta=0.98, eis=0.5, frisch=0.5, vphi=0.8,
    )  # fmt: skip
    ss_hd = ours.steady_state(calib)
    ss_sj = theirs.steady_state(calib, backward_tol=1e-12, forward_tol=1e-13)
    for k in ("A", "C", "N"):
        assert abs(ss_hd[k] / ss_sj[k] - 1) < 1e-8, k
    J_hd = ours.jacobian(ss_hd, ["r", "w"], outputs=["A", "C", "N"], T=T)
    J_sj = theirs.jacobian(ss_sj, ["r", "w"], outputs=["A", "C", "N"], T=T)
    for o in ("A", "C", "N"):
        for i in ("r", "w"):
            a, b = np.asarray(J_hd[o][i]), np.asarray(J_sj[o][i])
            assert np.max(np.abs(a - b)) < 2e-3 * np.max(np.abs(b)), (o, i)
