"""sequence-jacobian's module names in hetdag: grids, interpolate, misc, hetblocks and
``x.apply(f)`` in simple blocks (issue 16). References: analytic moments, SSJ itself on
identical inputs, and brute-force Jacobian columns."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hetdag as hd
from hetdag import grids, hetblocks, misc
from hetdag.errors import ModelSpecError

from .conftest import rel_gap, sj, tight_households


@settings(max_examples=30, deadline=None)
@given(
    rho=st.floats(0.0, 0.99),
    sigma=st.floats(0.05, 2.0),
    N=st.integers(2, 11),
    method=st.sampled_from(["rouwenhorst", "tauchen"]),
)
def test_markov_chains_have_the_stated_cross_sectional_sd(rho, sigma, N, method):
    """sigma is the sd of log y under the chain's own stationary distribution, E[y] = 1."""
    y, pi, Pi = getattr(grids, f"markov_{method}")(rho, sigma, N)
    np.testing.assert_allclose(pi @ Pi, pi, atol=1e-12)
    np.testing.assert_allclose(Pi.sum(axis=1), 1.0, atol=1e-12)
    s = np.log(y)
    assert pi @ y == pytest.approx(1.0, abs=1e-12)
    assert np.sqrt(pi @ s**2 - (pi @ s) ** 2) == pytest.approx(sigma, rel=1e-9)


@pytest.mark.parametrize("args", [(0.966, 0.5, 7), (0.9, 0.92, 3), (0.5, 1.0, 11)])
def test_grids_match_sequence_jacobian(args):
    # SSJ iterates its stationary distribution to 1e-11 and rescales the grid with it; ours
    # is exact (the test above): they agree to 2e-8
    for name in ("markov_rouwenhorst", "markov_tauchen"):
        for a, b in zip(getattr(grids, name)(*args), getattr(sj.grids, name)(*args)):
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)
    np.testing.assert_array_equal(grids.agrid(50, 100, amin=-1), sj.grids.agrid(50, 100, amin=-1))
    np.testing.assert_allclose(grids.asset_grid(0, 50, 100), sj.grids.asset_grid(0, 50, 100))


def test_setmin_is_in_place_and_rejects_non_arrays():
    x = np.array([[-1.0, 2.0], [0.5, -3.0]])
    misc.setmin(x, 0.0)
    assert x.tolist() == [[0.0, 2.0], [0.5, 0.0]]
    with pytest.raises(TypeError, match="writeable ndarray"):
        misc.setmin([1.0, -1.0], 0.0)


@hd.simple
def pricing(pi, Y, mu, kappa):
    psi = mu / (mu - 1) / (2 * kappa) * (1 + pi).apply(np.log) ** 2 * Y
    lpi = (1 + pi(+1)).apply(np.log)
    return psi, lpi


def test_apply_in_a_simple_block_is_exact():
    """(1 + pi).apply(np.log) is log(1 + pi): values, paths and exact derivatives."""
    ss = {"pi": 0.02, "Y": 1.0, "mu": 1.2, "kappa": 0.1}
    out = pricing.steady_state(ss)
    c = 1.2 / 0.2 / 0.2
    assert out["psi"] == pytest.approx(c * np.log(1.02) ** 2)
    J = pricing.jacobian(out, ["pi"], T=5)
    # d psi / d pi = 2 c log(1+pi)/(1+pi) (t = s); d lpi_t / d pi_{t+1} = 1/(1+pi)
    np.testing.assert_allclose(np.diag(np.asarray(J["psi"]["pi"])), 2 * c * np.log(1.02) / 1.02)
    np.testing.assert_allclose(np.diag(np.asarray(J["lpi"]["pi"]), 1), 1 / 1.02)
    path = pricing.impulse_nonlinear_partial(out, {"pi": np.array([0.01, 0.0, 0.0])})
    assert path["lpi"][0] + np.log(1.02) == pytest.approx(np.log(1.02))
    assert path["lpi"][1] == pytest.approx(0.0)


def _labor_inputs():
    def make_grids(rho_e, sd_e, n_e, min_a, max_a, n_a):
        e_grid, pi_e, Pi = grids.markov_rouwenhorst(rho_e, sd_e, n_e)
        a_grid = grids.asset_grid(min_a, max_a, n_a)
        return e_grid, pi_e, Pi, a_grid

    def transfers(pi_e, Div, Tax, e_grid):
        T = (Div - Tax) / np.sum(pi_e * e_grid) * e_grid
        return T

    def wages(w, e_grid):
        we = w * e_grid
        return we

    calib = dict(
        rho_e=0.966, sd_e=0.5, n_e=3, min_a=0.0, max_a=100.0, n_a=80, Div=0.1, Tax=0.2,
        w=0.8, r=0.005, beta=0.98, eis=0.5, frisch=0.5, vphi=0.8,
    )  # fmt: skip
    return [make_grids, transfers, wages], calib


def test_hh_labor_agrees_with_sequence_jacobian_and_brute_force():
    hetinputs, calib = _labor_inputs()
    ours = hetblocks.hh_labor.hh.add_hetinputs(hetinputs)
    theirs = sj.hetblocks.hh_labor.hh.add_hetinputs(hetinputs)
    ss = ours.steady_state(calib)
    ss_sj = theirs.steady_state(calib, backward_tol=1e-12, forward_tol=1e-13)
    assert ss.internals["hh"]["a"].min() == 0.0  # the constrained branch is exercised
    for k in ("A", "C", "N"):
        assert ss[k] == pytest.approx(ss_sj[k], rel=1e-8), k
    J = ours.jacobian(ss, ["w", "r"], T=40)
    J_sj = theirs.jacobian(ss_sj, ["w", "r"], outputs=["A", "C", "N"], T=40)
    for o in ("A", "C", "N"):
        for i in ("w", "r"):
            assert rel_gap(J[o][i], J_sj[o][i]) < 2e-3, (o, i)
    h = 1e-5  # brute force: the block's own nonlinear transition, central differences
    for i in ("w", "r"):
        for s in (0, 1, 2, 20, 39):
            e = np.zeros(40)
            e[s] = h
            up = ours.impulse_nonlinear_partial(ss, {i: e})
            dn = ours.impulse_nonlinear_partial(ss, {i: -e})
            for o in ("A", "C", "N"):
                ref = (up[o] - dn[o]) / (2 * h)
                assert rel_gap(np.asarray(J[o][i])[:, s], ref) < 1e-5, (o, i, s)


def test_hh_sim_extended_matches_sequence_jacobian():
    calib = {**hetblocks.hh_sim.example_calibration(), "n_a": 100}
    ss = hetblocks.hh_sim.hh_extended.steady_state(calib)
    ss_sj = sj.hetblocks.hh_sim.hh_extended.steady_state(
        calib, backward_tol=1e-12, forward_tol=1e-13
    )
    for k in ("A", "C"):
        assert ss[k] == pytest.approx(ss_sj[k], rel=1e-8), k


def test_hh_twoasset_is_sequence_jacobians_algorithm(ssj_dag):
    """The two-asset household on SSJ's discretisation: at SSJ's calibrated inputs and
    tight tolerances the two steady states agree to 1e-9 (measured 2e-10), and the
    household Jacobians to SSJ's one-sided finite-difference error."""
    from sequence_jacobian.examples import two_asset

    model_s, ss_s = ssj_dag("two_asset")[2], ssj_dag("two_asset")[1]
    theirs = next(b for b in model_s.blocks if b.name == "hh")
    hetinputs = [two_asset.income, two_asset.make_grids]  # the example's user code
    ours = hetblocks.hh_twoasset.hh.add_hetinputs(hetinputs)
    calib = {k: ss_s[k] for k in theirs.inputs}
    with tight_households(model_s):
        ss_sj = theirs.steady_state(calib)
    ss_hd = ours.steady_state(calib)
    for k in ("A", "B", "C", "UCE", "CHI"):
        assert ss_hd[k] == pytest.approx(ss_sj[k], rel=1e-9), k
    J_hd = ours.jacobian(ss_hd, ["ra", "rb"], T=30)
    J_sj = theirs.jacobian(ss_sj, ["ra", "rb"], outputs=["A", "B", "C"], T=30)
    for o in ("A", "B", "C"):
        for i in ("ra", "rb"):
            assert rel_gap(J_hd[o][i], J_sj[o][i]) < 2e-3, (o, i)


@hd.simple
def gap_rule(Y, n_lags, phi):
    ygap = phi * (Y / Y.ss - 1)
    width = 2 * n_lags
    return ygap, width


def test_ss_attribute_is_a_constant_and_integers_stay_integers():
    """Y.ss is the steady state (derivative 1/Y_ss through Y only); n_lags stays an int."""
    from hetdag.blocks._simple import _steady

    ss = gap_rule.steady_state({"Y": 2.0, "n_lags": 5, "phi": 0.5})
    assert ss["ygap"] == 0.0 and ss["width"] == 10
    assert isinstance(_steady(5), int) and isinstance(_steady(np.int64(5)), int)
    assert not isinstance(_steady(5.0), int) and not isinstance(_steady(True), int)
    J = gap_rule.jacobian(ss, ["Y"], T=4)
    np.testing.assert_allclose(np.asarray(J["ygap"]["Y"]), 0.5 / 2.0 * np.eye(4))
    path = gap_rule.impulse_nonlinear_partial(ss, {"Y": np.array([0.2, 0.0, 0.0, 0.0])})
    np.testing.assert_allclose(path["ygap"], [0.05, 0, 0, 0])


def test_het_block_attributes_and_init_extras():
    """SSJ's attribute names on hetdag's blocks, and hh_labor's init output ``fininc``
    kept in the steady state (SSJ keeps it; it is (1 + r) a + T - a_min)."""
    hetinputs, calib = _labor_inputs()
    hh = sj.hetblocks.hh_labor.hh
    ours = hd.het(exogenous="Pi", policy="a", backward="Va",
                  backward_init=sj.hetblocks.hh_labor.hh_init)(hh.backward_fun.f)  # fmt: skip
    ours = ours.add_hetinputs(hetinputs)
    assert set(ours.non_backward_outputs) == {"a", "c", "n"}
    assert {"D", "Pi", "Va", "a", "c", "n", "we", "T", "a_grid"} <= set(ours.internals)
    ss = ours.steady_state(calib)
    ints = ss.internals[ours.name]
    np.testing.assert_allclose(
        ints["fininc"], (1 + ss["r"]) * ints["a_grid"] + ints["T"][:, None] - ints["a_grid"][0]
    )
    fewer = ours.remove_hetinputs("wages")
    assert "we" in fewer.inputs and "w" not in fewer.inputs
    with pytest.raises(ModelSpecError, match="no hetinput"):
        ours.remove_hetinputs("income")


def test_top_level_names_of_sequence_jacobians_tutorials():
    """``from sequence_jacobian import markov_rouwenhorst, agrid, interpolate_y`` (the
    labor-search tutorial): the same routines as in hd.grids / hd.interpolate, giving
    SSJ's values (SSJ warns that these names are deprecated; hetdag keeps them quietly)."""
    assert hd.markov_rouwenhorst is grids.markov_rouwenhorst
    assert hd.markov_tauchen is grids.markov_tauchen
    assert hd.agrid is grids.agrid
    assert hd.interpolate_y is hd.interpolate.interpolate_y
    with pytest.warns(UserWarning, match="deprecated"):
        theirs = sj.markov_rouwenhorst(rho=0.95, sigma=0.5, N=5)
    for a, b in zip(hd.markov_rouwenhorst(rho=0.95, sigma=0.5, N=5), theirs):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)
    with pytest.warns(UserWarning, match="deprecated"):
        theirs = sj.agrid(amin=0.0, amax=50, n=100)
    np.testing.assert_array_equal(hd.agrid(amin=0.0, amax=50, n=100), theirs)
    x, xq = np.linspace(0, 1, 5), np.array([0.1, 0.55])
    np.testing.assert_allclose(hd.interpolate_y(x, xq, x**2), [0.025, 0.3125])


def test_classes_module_path_of_sequence_jacobian():
    """``from sequence_jacobian.classes import FactoredJacobianDict`` (the two-asset
    tutorial) ports by changing the import."""
    from hetdag.classes import FactoredJacobianDict, ImpulseDict, JacobianDict, SteadyStateDict

    assert FactoredJacobianDict is hd.FactoredJacobianDict
    assert JacobianDict is hd.JacobianDict and ImpulseDict is hd.ImpulseDict
    assert SteadyStateDict is hd.SteadyStateDict
    assert hd.classes.FactoredJacobianDict is FactoredJacobianDict
    for name in ("FactoredJacobianDict", "ImpulseDict", "JacobianDict", "SteadyStateDict"):
        assert hasattr(sj.classes, name), name


@hd.simple
def _scaled(x, a):
    y = a * x
    return y


def test_jacobian_skips_names_that_are_not_inputs_as_sequence_jacobian():
    """The two-asset tutorial asks its household for 'r', not one of its inputs: SSJ
    skips it, and so does hetdag; asking only for non-inputs, or for an output the
    block lacks, still raises."""
    ss = _scaled.steady_state({"x": 1.0, "a": 2.0})
    J = _scaled.jacobian(ss, ["x", "r"], T=3)
    assert list(J.inputs) == ["x"]
    np.testing.assert_allclose(np.asarray(J["y"]["x"].matrix(3)), 2.0 * np.eye(3))
    with pytest.raises(ModelSpecError, match="not an output"):
        _scaled.jacobian(ss, ["x"], outputs=["z"], T=3)
    with pytest.raises(ModelSpecError, match=r"none of \['r'\] is an input"):
        _scaled.jacobian(ss, ["r"], T=3)  # nothing asked is an input: a mistake
