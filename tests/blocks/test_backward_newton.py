"""Newton's method for the steady-state backward iteration.

References: the plain backward iteration (no Newton, no extrapolation) run to a
tolerance 1000x tighter, and, for the linear solver, a dense solve of the same system.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hetdag.blocks._het._newton_backward as newton_module
from hetdag.blocks._het._derivative_kernels import newton_sweeps_1d
from hetdag.examples._household import household
from hetdag.utils.grids import asset_grid, rouwenhorst


def calibration(n_e=5, n_a=300, eis=1.0, r=0.01, beta=0.98, rho=0.966, max_a=200.0):
    e, _, Pi = rouwenhorst(n_e, rho, 0.5 * np.sqrt(1 - rho**2))
    return dict(r=r, beta=beta, eis=eis, a_grid=asset_grid(0.0, max_a, n_a), y=0.89 * e, Pi=Pi)


def solve(calib, count_steps=None, **options):
    """Internals of a fresh household's steady state and (with ``count_steps``) its calls."""
    hh = household.add_hetinputs([])._copy(**options)
    calls = count_steps(hh) if count_steps else {"n": None}
    return hh.steady_state(calib).internals[hh.name], calls["n"]


def plain(calib):
    return solve(calib, backward_extrapolate=False, backward_newton=False, backward_tol=1e-13)[0]


def assert_same_steady_state(got, ref):
    for k in ("a", "c", "Va"):
        scale = max(1.0, np.max(np.abs(ref[k])))
        assert np.max(np.abs(got[k] - ref[k])) < 1e-9 * scale, k
    assert np.max(np.abs(got["D"] - ref["D"])) < 1e-10


@pytest.mark.parametrize("eis", [0.5, 1.0, 2.0])
def test_newton_steady_state_matches_plain_iteration_in_few_steps(eis, count_steps):
    calib = calibration(eis=eis)
    got, n_newton = solve(calib, count_steps)
    _, n_plain = solve(calib, count_steps, backward_newton=False)
    assert_same_steady_state(got, plain(calib))
    # one step and one batched derivative probe per Newton step, against hundreds of
    # plain steps even with extrapolation
    assert n_newton < 0.25 * n_plain, (n_newton, n_plain)


# patient, low-eis draws push mass to the grid's top (warned): the comparison still holds
@pytest.mark.filterwarnings("ignore::hetdag.errors.GridBoundaryWarning")
@settings(max_examples=12, deadline=None)
@given(
    eis=st.floats(0.3, 3.0),
    r=st.floats(0.0, 0.03),
    impatience=st.floats(0.005, 0.05),
    n_e=st.sampled_from([2, 3, 7]),
    rho=st.floats(0.5, 0.97),
)
def test_newton_and_plain_iteration_find_the_same_fixed_point(eis, r, impatience, n_e, rho):
    """Over calibrations (beta (1 + r) = 1 - impatience), on a small grid."""
    calib = calibration(
        n_e=n_e, n_a=80, eis=eis, r=r, beta=(1 - impatience) / (1 + r), rho=rho, max_a=100.0
    )
    assert_same_steady_state(solve(calib)[0], plain(calib))


def test_a_wrong_derivative_costs_steps_not_accuracy(monkeypatch, count_steps):
    """Newton's answer never depends on its derivative: with garbage coefficients it
    hands over to the plain iteration, which still converges to the same point."""

    def garbage(out, base, st, x, grid, cf, cl):
        cf[...] = 7.0
        cl[...] = np.arange(cl.shape[0])[::-1, None, None]

    monkeypatch.setattr(newton_module, "newton_coefficients_1d", garbage)
    calib = calibration(n_e=3, n_a=100)
    got, n_calls = solve(calib, count_steps)
    assert_same_steady_state(got, plain(calib))
    assert n_calls > 100  # it did fall back to plain steps


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), E=st.integers(1, 5), M=st.integers(3, 40))
def test_sweeps_solve_the_newton_system(seed, E, M):
    """(I - J) d = r with (J d)[e, m] = sum_c cf[m, e, c] (Pi d)[e, cl[m, e, c]], the
    corners two adjacent grid points anywhere (self-dependence included), against a
    dense solve. Row sums of |cf| below 1: the sweeps contract."""
    rng = np.random.default_rng(seed)
    Pi = rng.uniform(0, 1, (E, E))
    Pi /= Pi.sum(axis=1, keepdims=True)
    j = rng.integers(0, M - 1, (M, E))
    cl = np.stack([np.where(j % 2 == c, j, j + 1) for c in (0, 1)], axis=-1).astype(np.int64)
    cf = rng.uniform(-1, 1, (M, E, 2))
    cf *= rng.uniform(0, 0.9, (M, E, 1)) / np.abs(cf).sum(axis=-1, keepdims=True)
    r = rng.standard_normal((E, M))
    J = np.zeros((E * M, E * M))
    for m in range(M):
        for e in range(E):
            for c in range(2):
                J[e * M + m, np.arange(E) * M + cl[m, e, c]] += cf[m, e, c] * Pi[e]
    want = np.linalg.solve(np.eye(E * M) - J, r.ravel()).reshape(E, M)
    d = np.zeros((E, M))
    newton_sweeps_1d(cf.copy(), cl, Pi, r, d, 2000, 1e-15)
    assert np.max(np.abs(d - want)) < 1e-10 * max(1.0, np.max(np.abs(want)))


def test_trust_region_keeps_newton_where_the_step_is_defined():
    """eis = 2.5, rho = 0.75, 7 states: full Newton steps made Va non-monotone, the next
    step's endogenous grid folded (NaN), and halving six times did not help. Capping each
    state's relative move at 0.5 converges in about ten Newton steps, to the plain
    iteration's fixed point."""
    calib = calibration(
        n_e=7, n_a=80, eis=2.5, r=0.01171875, beta=(1 - 0.015625) / 1.01171875, rho=0.75,
        max_a=100.0,
    )  # fmt: skip
    hh = household.add_hetinputs([])
    v = hh._values(calib)
    Pis = hh._markovs(v, "")
    shape = hh._state_shape(v, Pis)
    out, it, _, _ = newton_module.newton_backward(
        hh, v, Pis[0], shape, hh._initial_backward(v, shape), 1e-10
    )
    assert out is not None and it < 20
    assert_same_steady_state(solve(calib)[0], plain(calib))
