"""HetBlock: steady states, warm starts, transition internals, several agent types, errors.

References are written here in plain NumPy and do not call hetdag's kernels: the
Young lottery forward step, the expectation Pi @ V and the budget constraint.
Timing: D_t is over (e_t, a_{t-1}); D_{t+1} = Pi^T Λ(a_t) D_t; X_t = sum D_t x_t.
"""

import numpy as np
import pytest

import hetdag.blocks._het._steady_state as het_steady_state
from hetdag import create_model, het, simple
from hetdag.errors import ConvergenceError, GridBoundaryWarning, ModelSpecError, NonFiniteError
from hetdag.examples import krusell_smith
from hetdag.examples._household import household, household_init
from hetdag.utils.grids import asset_grid, rouwenhorst
from hetdag.utils.interpolate import interpolate_y

T = 60

# ------------------------------------------------------------------ NumPy references


def young_forward(D, a_pol, a_grid, Pi):
    """D_next[e', j] = sum_e Pi[e, e'] * (lottery mass from D[e, :] landing on a_grid[j])."""
    n_e, n_a = D.shape
    x = np.clip(a_pol, a_grid[0], a_grid[-1])
    i = np.clip(np.searchsorted(a_grid, x, side="right") - 1, 0, n_a - 2)
    w = (a_grid[i + 1] - x) / (a_grid[i + 1] - a_grid[i])
    after = np.zeros_like(D)
    for e in range(n_e):
        np.add.at(after[e], i[e], w[e] * D[e])
        np.add.at(after[e], i[e] + 1, (1 - w[e]) * D[e])
    return Pi.T @ after


def fresh_household():
    """An uncached, never-solved copy of the one-asset household (no hetinputs)."""
    return household.add_hetinputs([])


def raw_calibration(n_e=3, n_a=60, max_a=200.0):
    e, _, Pi = rouwenhorst(n_e, 0.966, 0.5 * np.sqrt(1 - 0.966**2))
    return dict(r=0.01, beta=0.98, eis=1.0, a_grid=asset_grid(0.0, max_a, n_a), y=0.89 * e, Pi=Pi)


# ------------------------------------------------------------------------ steady state


def test_steady_state_distribution_and_aggregates(ks_ex):
    ss = ks_ex.ss
    ints = ss.internals["household"]
    D, a, c = ints["D"], ints["a"], ints["c"]
    assert D.shape == a.shape == c.shape == (3, 60)
    assert np.all(D >= 0)
    assert abs(D.sum() - 1) < 1e-12
    # the marginal over e is the stationary distribution of Pi
    np.testing.assert_allclose(D.sum(axis=1), ints["pi_e"], atol=1e-10)
    np.testing.assert_allclose(D.sum(axis=1) @ ints["Pi"], D.sum(axis=1), atol=1e-12)
    # aggregates are sums over the histogram of the individual policies
    assert ss["A"] == pytest.approx(np.sum(D * a), rel=1e-13)
    assert ss["C"] == pytest.approx(np.sum(D * c), rel=1e-13)
    # budget: c + a' = (1 + r) a + w e
    coh = (1 + ss["r"]) * ints["a_grid"] + ss["w"] * ints["e_grid"][:, None]
    np.testing.assert_allclose(c + a, coh, rtol=1e-12)
    assert np.all(a >= ints["a_grid"][0] - 1e-14)
    # the asset market clears at the calibrated beta
    assert abs(ss["asset_mkt"]) < 1e-9
    assert ss["A"] == pytest.approx(ss["K"], abs=1e-9)
    # and a household solved alone at that beta holds K as well
    hh = krusell_smith.build_household()
    # (from a cold start: A differs by ~2e-9, as policies converge only to 1e-11)
    alone = hh.steady_state({i: ss[i] for i in hh.inputs})
    assert alone["A"] == pytest.approx(ss["K"], abs=1e-8)


def test_steady_state_is_a_fixed_point(ks_ex):
    ss = ks_ex.ss
    hh = ks_ex.model["household"]
    ints = ss.internals["household"]
    values = {"a_grid": ints["a_grid"], "y": ints["y"], "r": ss["r"], "beta": ss["beta"]}
    values["eis"] = ss["eis"]
    # one more backward step: Va_p[e, a'] = sum_e' Pi[e, e'] Va[e', a']
    out = hh.backward_step(values, Va_p=ints["Pi"] @ ints["Va"])
    assert np.max(np.abs(out["a"] - ints["a"])) < 1e-9
    assert np.max(np.abs(out["c"] - ints["c"])) < 1e-9
    assert np.max(np.abs(out["Va"] / ints["Va"] - 1)) < 1e-9
    # one more forward step of the histogram
    D_next = young_forward(ints["D"], ints["a"], ints["a_grid"], ints["Pi"])
    assert np.max(np.abs(D_next - ints["D"])) < 1e-10


# ------------------------------------------------------------------------- warm starts


def test_warm_start_block_steady_state(count_steps):
    hh = fresh_household()
    calls = count_steps(hh)
    calib = raw_calibration()
    ss1 = hh.steady_state(calib)
    cold = calls["n"]
    ss2 = hh.steady_state(calib)
    warm = calls["n"] - cold
    assert cold > 10
    # starts at the solution (to ~1e-12): converged within four Newton iterates, each a
    # step and (but the last) one batched derivative probe
    assert warm <= 7 and warm < cold / 3
    assert ss2["A"] == pytest.approx(ss1["A"], abs=1e-10)
    # a nearby calibration also starts from the stored solution
    hh.steady_state({**calib, "beta": 0.979})
    nearby = calls["n"] - cold - warm
    assert nearby < cold


def test_warm_start_model_steady_state(count_steps):
    import time

    model = krusell_smith.build_model()
    calls = count_steps(model["household"])
    t0 = time.perf_counter()
    ss1 = krusell_smith.steady_state(model, 3, 60)
    t1 = time.perf_counter()
    first = calls["n"]
    ss2 = krusell_smith.steady_state(model, 3, 60)
    t2 = time.perf_counter()
    second = calls["n"] - first
    # Brent starts at the bracket ends, far from the stored solution, so the saving is
    # small (measured 6825 -> 6413 step calls); but it must not cost more
    assert second < first, (first, second)
    assert ss2["beta"] == pytest.approx(ss1["beta"], abs=1e-10)
    assert t2 - t1 < 2 * (t1 - t0) + 0.5  # loose: never much slower
    # evaluating the model at the solved calibration starts from the stored solution; the
    # stopping rule (estimated distance to the fixed point) may take a few more steps
    # while they still make progress above roundoff (a cold solve takes ~600)
    calib = {i: ss2[i] for i in model.inputs}
    model.steady_state(calib)
    assert calls["n"] - first - second <= 10


# ---------------------------------------------------------------- transition internals


def test_nonlinear_transition_internals(ks_ex):
    model, ss = ks_ex.model, ks_ex.ss
    irf = model.solve_impulse_nonlinear(
        ss, ["K"], ["asset_mkt"], {"Z": 0.01 * 0.9 ** np.arange(T)}, internals=["household"]
    )
    ints = irf.internals["household"]
    ss_ints = ss.internals["household"]
    for k in ("a", "c", "Va", "D"):
        assert ints[k].shape == (T, 3, 60), k
    D, a, c = ints["D"], ints["a"], ints["c"]
    np.testing.assert_allclose(D.sum(axis=(1, 2)), 1.0, atol=1e-12)
    assert np.all(D >= 0)
    np.testing.assert_array_equal(D[0], ss_ints["D"])  # D_0 is predetermined
    np.testing.assert_allclose(np.sum(D * a, axis=(1, 2)), ss["A"] + irf["A"], atol=1e-12)
    np.testing.assert_allclose(np.sum(D * c, axis=(1, 2)), ss["C"] + irf["C"], atol=1e-12)
    # timing: D_{t+1} = Pi^T Λ(a_t) D_t and c_t + a_t = (1 + r_t) a_{t-1} + w_t e
    a_grid, e_grid, Pi = ss_ints["a_grid"], ss_ints["e_grid"], ss_ints["Pi"]
    for t in range(T - 1):
        np.testing.assert_allclose(young_forward(D[t], a[t], a_grid, Pi), D[t + 1], atol=1e-14)
    r, w = ss["r"] + irf["r"], ss["w"] + irf["w"]
    coh = (1 + r[:, None, None]) * a_grid + w[:, None, None] * e_grid[:, None]
    np.testing.assert_allclose(c + a, coh, rtol=1e-12)
    assert np.max(np.abs(irf["r"])) > 1e-4  # the shock does move prices
    assert np.max(np.abs(a[0] - ss_ints["a"])) > 1e-4


def test_nonlinear_transition_nan_names_period(ks_ex):
    hh = ks_ex.model["household"]
    dr = np.zeros(T)
    dr[5] = -1.0 - ks_ex.ss["r"]  # r_5 = -1: no return, marginal value 0, then inf
    with pytest.raises(NonFiniteError, match=r"Block 'household'.*NaN or inf.*transition period"):
        hh.impulse_nonlinear_partial(ks_ex.ss, {"r": dr})


# --------------------------------------------------------------- two household types


@simple
def aggregate_types(A_p, A_i, C_p, C_i):
    A = 0.5 * A_p + 0.5 * A_i
    C = 0.5 * C_p + 0.5 * C_i
    return A, C


def two_type_blocks():
    hh = krusell_smith.build_household()
    hp = hh.remap({"beta": "beta_p", "A": "A_p", "C": "C_p"}).rename("hh_patient")
    hi = hh.remap({"beta": "beta_i", "A": "A_i", "C": "C_i"}).rename("hh_impatient")
    return hp, hi


@pytest.fixture(scope="module")
def two_types():
    hp, hi = two_type_blocks()
    model = create_model(
        [hp, hi, aggregate_types, krusell_smith.firm, krusell_smith.mkt_clearing], name="two"
    )
    calib = {**krusell_smith.calibration(3, 60), "beta_i": 0.97}
    ss = model.solve_steady_state(calib, {"beta_p": (0.983, 0.989)}, {"asset_mkt": 0.0})
    return model, ss, hp, hi


def single_type_steady_state(ss, beta):
    hh = krusell_smith.build_household()
    calib = {i: ss[i] for i in hh.inputs if i != "beta"}
    return hh, hh.steady_state({**calib, "beta": beta})


def test_two_types_steady_state(two_types):
    model, ss, hp, hi = two_types
    assert hp.inputs.count("beta_p") == 1 and "beta" not in hp.inputs
    assert set(hp.outputs) == {"A_p", "C_p"} and set(hi.outputs) == {"A_i", "C_i"}
    assert set(ss.internals) == {"hh_patient", "hh_impatient"}
    Dp, Di = ss.internals["hh_patient"]["D"], ss.internals["hh_impatient"]["D"]
    ap, ai = ss.internals["hh_patient"]["a"], ss.internals["hh_impatient"]["a"]
    assert np.max(np.abs(Dp - Di)) > 1e-3 and np.max(np.abs(ap - ai)) > 1e-3
    assert ss["beta_p"] > ss["beta_i"] == 0.97
    assert ss["A_p"] == pytest.approx(np.sum(Dp * ap), rel=1e-13)
    assert ss["A_i"] == pytest.approx(np.sum(Di * ai), rel=1e-13)
    # each type equals a household solved alone at its own beta
    for beta, A, C in ((ss["beta_p"], "A_p", "C_p"), (ss["beta_i"], "A_i", "C_i")):
        _, alone = single_type_steady_state(ss, beta)
        assert alone["A"] == pytest.approx(ss[A], rel=1e-9)
        assert alone["C"] == pytest.approx(ss[C], rel=1e-9)
    # and the two together clear the capital market
    assert 0.5 * ss["A_p"] + 0.5 * ss["A_i"] == pytest.approx(ss["K"], abs=1e-9)
    assert ss["A_p"] > ss["K"] > ss["A_i"]


def test_two_types_jacobian_is_sum_of_single_type_jacobians(two_types):
    _, ss, hp, hi = two_types
    sub = create_model([hp, hi, aggregate_types], name="households")
    J = sub.jacobian(ss, ["r", "w"], T=T)
    refs = []
    for beta in (ss["beta_p"], ss["beta_i"]):
        hh, ss1 = single_type_steady_state(ss, beta)
        refs.append(hh.jacobian(ss1, ["r", "w"], T=T))
    for o in ("A", "C"):
        for i in ("r", "w"):
            ref = 0.5 * np.asarray(refs[0][o][i]) + 0.5 * np.asarray(refs[1][o][i])
            got = np.asarray(J[o][i])
            assert np.max(np.abs(got - ref)) < 1e-7 * np.max(np.abs(ref)), (o, i)
    # the two types' own Jacobians are different
    Jp, Ji = np.asarray(J["A_p"]["r"]), np.asarray(J["A_i"]["r"])
    assert np.max(np.abs(Jp - Ji)) > 0.1 * np.max(np.abs(Ji))


def test_two_types_transition_internals(two_types):
    model, ss, *_ = two_types
    irf = model.solve_impulse_nonlinear(
        ss,
        ["K"],
        ["asset_mkt"],
        {"Z": 0.01 * 0.9 ** np.arange(T)},
        internals=["hh_patient", "hh_impatient"],
    )
    assert set(irf.internals) == {"hh_patient", "hh_impatient"}
    p, i = irf.internals["hh_patient"], irf.internals["hh_impatient"]
    assert p["D"].shape == i["D"].shape == (T, 3, 60)
    assert np.max(np.abs(p["a"] - i["a"])) > 1e-3
    np.testing.assert_allclose(np.sum(p["D"] * p["a"], axis=(1, 2)), ss["A_p"] + irf["A_p"])
    np.testing.assert_allclose(np.sum(i["D"] * i["a"], axis=(1, 2)), ss["A_i"] + irf["A_i"])
    np.testing.assert_allclose(0.5 * irf["A_p"] + 0.5 * irf["A_i"], irf["K"], atol=1e-9)


# ---------------------------------------------------------------------- grid edges


def test_grid_edge_warning_names_grid(ks_ex):
    hh = krusell_smith.build_household()
    calib = {i: ks_ex.ss[i] for i in hh.inputs}
    hh.steady_state(calib)  # no warning at max_a = 200 (warnings are errors here)
    with pytest.warns(GridBoundaryWarning, match=r"Block 'household'.*grid 'a_grid'"):
        ss = hh.steady_state({**calib, "max_a": 1.0})
    assert ss.internals["household"]["_edge_mass"]["a_grid"] > 1e-3


# ------------------------------------------------------------------------ bad input


def test_pi_not_row_stochastic():
    calib = raw_calibration()
    bad = calib["Pi"].copy()
    bad[0, 0] += 0.1
    with pytest.raises(ModelSpecError, match=r"Block 'household'.*'Pi'.*not row-stochastic.*row 0"):
        fresh_household().steady_state({**calib, "Pi": bad})


def test_income_of_wrong_length_cold_block():
    """y over 5 states with a 3x3 Pi: backward_init returns the wrong shape."""
    calib = {**raw_calibration(), "y": np.linspace(0.5, 1.5, 5)}
    with pytest.raises(
        ModelSpecError,
        match=r"Block 'household': backward_init returned 'Va' of shape \(5, 60\), "
        r"expected the state shape \(3, 60\)",
    ):
        fresh_household().steady_state(calib)


def test_income_of_wrong_length_warm_block():
    """Same, but the warm start skips backward_init: the step's error names the block."""
    hh = fresh_household()
    calib = raw_calibration()
    hh.steady_state(calib)
    with pytest.raises(ModelSpecError, match=r"Block 'household'.*\(3, 60\).*y \(5,\)"):
        hh.steady_state({**calib, "y": np.linspace(0.5, 1.5, 5)})


def test_step_output_of_wrong_shape():
    @het(exogenous="Pi", policy="a", backward="Va", backward_init=household_init)
    def bad_shape(Va_p, a_grid, y, r, beta, eis):
        c_next = (beta * Va_p) ** (-eis)
        coh = (1 + r) * a_grid + y[:, np.newaxis]
        a = np.maximum(interpolate_y(c_next + a_grid, coh, a_grid), a_grid[0])
        c = (coh - a)[:, 1:]
        Va = (1 + r) * (coh - a) ** (-1 / eis)
        return Va, a, c

    with pytest.raises(
        ModelSpecError,
        match=r"Block 'bad_shape': output 'c' has shape \(3, 59\), but the state shape is "
        r"\(3, 60\)",
    ):
        bad_shape.steady_state(raw_calibration())


@pytest.mark.parametrize("kind", ["repeated", "decreasing"])
def test_grid_not_increasing(kind):
    calib = raw_calibration()
    g = calib["a_grid"].copy()
    if kind == "repeated":
        g[5] = g[4]
    else:
        g = g[::-1].copy()
    with pytest.raises(
        ModelSpecError,
        match=r"Block 'household': grid 'a_grid' must be strictly increasing.*\(60,\)",
    ):
        fresh_household().steady_state({**calib, "a_grid": g})


def test_backward_step_nan_names_iteration():
    # r = -1: cash on hand is income only and Va = (1 + r) u'(c) = 0, so c_next = inf
    with pytest.raises(
        NonFiniteError, match=r"Block 'household'.*NaN or inf in 'Va'.*iteration 0"
    ) as info:
        fresh_household().steady_state({**raw_calibration(), "r": -1.0})
    assert info.value.block == "household" and info.value.variable == "Va"


def nan_from_call(k: int, again: bool):
    """The household whose Va is NaN in its k-th call (and, with ``again``, every later one)."""
    calls = {"n": 0}

    @het(exogenous="Pi", policy="a", backward="Va", backward_init=household_init)
    def breaks(Va_p, a_grid, y, r, beta, eis):
        calls["n"] += 1
        c_next = (beta * Va_p) ** (-eis)
        coh = (1 + r) * a_grid + y[:, np.newaxis]
        a = np.maximum(interpolate_y(c_next + a_grid, coh, a_grid), a_grid[0])
        c = coh - a
        bad = calls["n"] == k or (again and calls["n"] > k)
        Va = (1 + r) * c ** (-1 / eis) * np.sqrt(-1.0 if bad else 1.0)
        return Va, a, c

    return breaks


def test_backward_step_nan_at_a_later_iteration():
    """A step whose Va turns NaN in its fifth call (iteration 4). The steady-state loop
    checks outputs in full only at iteration 0 and otherwise notices NaN through the policy
    change, so the NaN Va is reported when it reaches the policy, one iteration later."""
    breaks = nan_from_call(5, again=False)._copy(backward_newton=False)
    with pytest.raises(
        NonFiniteError, match=r"Block 'breaks'.*'Va' \(steady-state backward iteration [45]\)"
    ):
        breaks.steady_state(raw_calibration())


def test_backward_step_nan_under_newton_is_reported():
    """Newton halves a step whose next step makes NaN (it may have left the model's
    domain); a step that keeps making NaN from every point is still reported, by the
    plain iteration Newton hands over to."""
    with pytest.raises(
        NonFiniteError, match=r"Block 'breaks'.*'Va' \(steady-state backward iteration \d+\)"
    ):
        nan_from_call(5, again=True).steady_state(raw_calibration())


def test_backward_iteration_not_converged():
    @het(exogenous="Pi", policy="a", backward="Va", backward_init=household_init, backward_maxit=3)
    def slow(Va_p, a_grid, y, r, beta, eis):
        c_next = (beta * Va_p) ** (-eis)
        coh = (1 + r) * a_grid + y[:, np.newaxis]
        a = np.maximum(interpolate_y(c_next + a_grid, coh, a_grid), a_grid[0])
        c = coh - a
        Va = (1 + r) * c ** (-1 / eis)
        return Va, a, c

    with pytest.raises(
        ConvergenceError,
        match=r"Block 'slow': backward iteration did not converge in 3 iterations; "
        r"max policy change \d\.\d{3}e[-+]\d+",
    ) as info:
        slow.steady_state(raw_calibration())
    assert info.value.residual > 1e-6 and info.value.iterations == 3
    # the same through the constructor
    with pytest.raises(ConvergenceError, match=r"in 3 iterations; max policy change"):
        household.add_hetinputs([])._copy(backward_maxit=3).steady_state(raw_calibration())


def test_distribution_not_converged(monkeypatch):
    import hetdag.blocks._het._stationary as stationary

    monkeypatch.setattr(stationary, "_SWEEPS", 0)  # Gauss-Seidel would reach 1e-30 exactly
    original = het_steady_state.stationary_distribution

    def capped(lottery, Pis, D0=None, tol=1e-12, block="?"):
        return original(lottery, Pis, D0=D0, tol=1e-30, maxit=1001, block=block)

    monkeypatch.setattr(het_steady_state, "stationary_distribution", capped)
    with pytest.raises(
        ConvergenceError,
        match=r"Block 'household': stationary distribution not found; "
        r"max\|D' - D\| = \d\.\d{3}e[-+]\d+",
    ) as info:
        fresh_household().steady_state(raw_calibration())
    assert info.value.residual > 0 and info.value.block == "household"


# ---------------------------------------------------------------- declaration errors


def test_policy_not_returned():
    with pytest.raises(ModelSpecError, match=r"Block 'f': policy 'a' is not an output"):

        @het(exogenous="Pi", policy="a", backward="Va", backward_init=household_init)
        def f(Va_p, a_grid, y, r, beta, eis):
            c = (beta * Va_p) ** (-eis)
            Va = (1 + r) * c ** (-1 / eis)
            return Va, c


def test_backward_variable_without_p_argument():
    with pytest.raises(ModelSpecError, match=r"Block 'f': backward variable 'Va' needs .*'Va_p'"):

        @het(exogenous="Pi", policy="a", backward="Va", backward_init=household_init)
        def f(Va_next, a_grid, y, r, beta, eis):
            a = a_grid + 0 * Va_next
            Va = Va_next
            return Va, a


def test_backward_variable_not_returned():
    with pytest.raises(ModelSpecError, match=r"Block 'f': backward variable 'Va' is not returned"):

        @het(exogenous="Pi", policy="a", backward="Va", backward_init=household_init)
        def f(Va_p, a_grid, y, r, beta, eis):
            a = a_grid + 0 * Va_p
            return a


def test_upper_case_individual_output():
    with pytest.raises(ModelSpecError, match=r"Block 'f'.*lower case.*\['C'\]"):

        @het(exogenous="Pi", policy="a", backward="Va", backward_init=household_init)
        def f(Va_p, a_grid, y, r, beta, eis):
            a = a_grid + 0 * Va_p
            C = Va_p
            Va = Va_p
            return Va, a, C


def test_missing_backward_init():
    @het(exogenous="Pi", policy="a", backward="Va")
    def no_init(Va_p, a_grid, y, r, beta, eis):
        a = a_grid + 0 * Va_p
        c = Va_p
        Va = Va_p
        return Va, a, c

    with pytest.raises(ModelSpecError, match=r"Block 'no_init': needs backward_init="):
        no_init.steady_state(raw_calibration())


def test_backward_init_missing_backward_variable():
    def init(a_grid, y):
        V = y[:, None] + a_grid
        return V

    with pytest.raises(ModelSpecError, match=r"backward_init 'init' must return \['Va'\]"):

        @het(exogenous="Pi", policy="a", backward="Va", backward_init=init)
        def f(Va_p, a_grid, y, r, beta, eis):
            a = a_grid + 0 * Va_p
            Va = Va_p
            return Va, a
