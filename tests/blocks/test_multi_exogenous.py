"""Several exogenous Markov processes on their own axes.

Independent reference: the same household with ONE chain over the product state,
Pi = kron(P1, P2), must give the same steady state and the same Jacobians.
"""

import numpy as np
import pytest

import hetdag as hd
from hetdag.examples._household import household, household_init
from hetdag.utils.grids import asset_grid, rouwenhorst

P1 = np.array([[0.9, 0.1], [0.2, 0.8]])
E1 = np.array([0.7, 1.3])
E2, _, P2 = rouwenhorst(3, 0.8, 0.3)
A_GRID = asset_grid(0.0, 60.0, 80)


def two_axes(w):
    y = w * E1[:, None] * E2[None, :]
    return y


def product_chain(w):
    y = w * np.kron(E1, E2)
    return y


@hd.het(exogenous=["P1", "P2"], policy="a", backward="Va", backward_init=household_init)
def hh_two(Va_p, a_grid, y, r, beta, eis):
    Va, a, c = household.f(Va_p, a_grid, y, r, beta, eis)
    return Va, a, c


def _run(block, extra):
    calib = {"a_grid": A_GRID, "r": 0.01, "w": 1.0, "beta": 0.97, "eis": 1.0, **extra}
    return block.steady_state(calib)


@pytest.fixture(scope="module")
def solved():
    two = hh_two.add_hetinputs([two_axes])
    one = household.add_hetinputs([product_chain])
    ss2 = _run(two, {"P1": P1, "P2": P2})
    ss1 = _run(one, {"Pi": np.kron(P1, P2)})
    return two, one, ss2, ss1


def test_distribution_has_one_axis_per_process(solved):
    _, _, ss2, ss1 = solved
    D2 = ss2.internals["hh_two"]["D"]
    assert D2.shape == (2, 3, 80)
    np.testing.assert_allclose(D2.reshape(6, 80), ss1.internals["household"]["D"], atol=1e-10)


def test_aggregates_match_product_chain(solved):
    _, _, ss2, ss1 = solved
    for k in ("A", "C"):
        assert ss2[k] == pytest.approx(ss1[k], rel=1e-9)


def test_jacobians_match_product_chain(solved):
    two, one, ss2, ss1 = solved
    J2 = two.jacobian(ss2, ["r", "w"], T=40)
    J1 = one.jacobian(ss1, ["r", "w"], T=40)
    for o in ("A", "C"):
        for i in ("r", "w"):
            a, b = np.asarray(J2[o][i]), np.asarray(J1[o][i])
            assert np.max(np.abs(a - b)) < 1e-6 * np.max(np.abs(b)), (o, i)


def test_jacobian_matches_brute_force_early_and_late_columns(solved):
    two, _, ss2, _ = solved
    T, h = 40, 1e-5
    J = two.jacobian(ss2, ["r"], T=T)
    for s in (0, 1, 2, 30):
        dr = np.zeros(T)
        dr[s] = h
        up = two.impulse_nonlinear_partial(ss2, {"r": dr})
        dn = two.impulse_nonlinear_partial(ss2, {"r": -dr})
        col = (up["A"] - dn["A"]) / (2 * h)
        assert np.max(np.abs(col - np.asarray(J["A"]["r"])[:, s])) < 1e-5 * np.max(np.abs(col))
