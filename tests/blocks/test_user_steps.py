"""Steps written by users, run on hetdag's fast paths (issue 21).

sequence-jacobian's ``hh_labor`` step (imported from the installed package, as a user
would) solves its constrained households by Newton's method from a seed read at the
state's own continuation value and indexes them with ``np.nonzero``. References: the
plain backward iteration to 1e-13 (steady state) and the full iteration of the step
over horizons (Jacobian), neither of which uses a derivative of the step.
"""

import numpy as np
import pytest

import hetdag as hd
import hetdag.blocks._het._fake_news as fake_news
import hetdag.blocks._het._newton_backward as newton_module
import hetdag.blocks._het._steady_state as steady_module
from hetdag.examples._household import make_grids

from .test_fake_news import column_errors

sj = pytest.importorskip("sequence_jacobian")

CALIB = dict(
    rho_e=0.966, sd_e=0.5, n_e=7, min_a=0.0, max_a=200.0, n_a=500, transfer=0.0,
    w=0.8, r=0.005, beta=0.98, eis=0.5, frisch=0.5, vphi=0.8,
)  # fmt: skip


def wages(w, e_grid):
    we = w * e_grid
    return we


def transfers(e_grid, transfer):
    T = transfer * e_grid
    return T


def labor_household(**options):
    step = sj.hetblocks.hh_labor.hh.backward_fun.f
    init = sj.hetblocks.hh_labor.hh_init
    hh = hd.het(exogenous="Pi", policy="a", backward="Va", backward_init=init, **options)(step)
    return hh.add_hetinputs([make_grids, wages, transfers])


def newton_result(monkeypatch) -> dict:
    """Record what newton_backward returns (out is None when it gave up)."""
    seen = {}
    original = newton_module.newton_backward

    def recording(*args, **kwargs):
        seen["result"] = original(*args, **kwargs)
        return seen["result"]

    monkeypatch.setattr(steady_module, "newton_backward", recording)
    return seen


def test_newton_converges_on_ssj_labor_step_from_its_own_start(monkeypatch, count_steps):
    # SSJ's start consumes a tenth of cash on hand: marginal values up to 20x too high.
    # Before issue 21 Newton gave up after 40 steps and the plain iteration ran (423
    # step calls on 7 x 500); plain steps while far from the fixed point fix that
    seen = newton_result(monkeypatch)
    hh = labor_household()
    calls = count_steps(hh)
    got = hh.steady_state(CALIB).internals[hh.name]
    assert seen["result"][0] is not None, "Newton gave up"
    assert calls["n"] < 120, calls
    ref = labor_household(backward_newton=False, backward_extrapolate=False, backward_tol=1e-13)
    want = ref.steady_state(CALIB).internals[ref.name]
    assert want["a"].min() == 0.0  # the constraint binds: SSJ's solve_cn runs
    for k in ("a", "c", "n", "Va"):
        assert np.max(np.abs(got[k] - want[k])) < 1e-8 * max(1.0, np.max(np.abs(want[k]))), k


def test_misbatched_newton_probes_are_caught(monkeypatch):
    # a block that once verified its probes batchable (where nobody was constrained)
    # must not trust that where hh_labor's np.nonzero mixes the batch into the states
    seen = newton_result(monkeypatch)
    hh = labor_household()
    hh._probe_batchable[(2, (CALIB["n_e"], CALIB["n_a"]))] = True
    hh.steady_state(CALIB)
    assert seen["result"][0] is not None, "Newton gave up"
    assert hh._probe_batchable[(2, (CALIB["n_e"], CALIB["n_a"]))] is False


def test_local_derivative_accepted_for_ssj_labor_step(monkeypatch):
    # the verification allows for rounding of the step's own output (a constrained
    # state, solved from a seed, differs by ~1e-15 between probes): before issue 21 it
    # was rejected (7 x 500: one state off by 6.5e-15 against a floor of 4.6e-15) and
    # the Jacobian iterated the full step T times (611 calls for T = 300)
    hh = labor_household()
    ss = hh.steady_state(CALIB)
    built = []
    original = fake_news.build_local_derivative

    def recording(*args, **kwargs):
        built.append(original(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(fake_news, "build_local_derivative", recording)
    T = 40
    J = hh.jacobian(ss, ["r", "w"], T=T)
    assert built and built[-1] is not None
    # against brute force (the block's own nonlinear path, step by step)
    for shock in ("r", "w"):
        errs = column_errors(hh, ss, J, shock, (0, 1, 20, T - 1))
        assert max(errs.values()) < 1e-5, (shock, errs)
