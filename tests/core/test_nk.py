"""Three-equation NK model: closed form (undetermined coefficients) and determinacy."""

import numpy as np
import pytest

import hetdag as hd
from hetdag.errors import IndeterminacyError
from hetdag.examples import nk


@pytest.mark.parametrize("phi", [1.1, 1.5, 2.5])
@pytest.mark.parametrize("rho", [0.0, 0.5, 0.8])
def test_monetary_shock_matches_closed_form(rho, phi):
    model, ss, unknowns, targets, _ = nk.example(phi)
    T, n = 300, 60
    v = 0.01 * rho ** np.arange(T)
    irf = model.solve_impulse_linear(ss, unknowns, targets, {"v": v})
    a, b = nk.closed_form(rho, phi)
    # closed form re-derived here as a check on the example's formula itself
    sigma, kappa, beta = 1.0, 0.1, 0.99
    b_check = kappa * a / (1 - beta * rho)
    assert (1 - rho) * a + sigma * (phi * b_check + 1 - rho * b_check) == pytest.approx(
        0.0, abs=1e-12
    )
    np.testing.assert_allclose(irf["y"][:n], a * v[:n], rtol=0, atol=1e-10)
    np.testing.assert_allclose(irf["pi"][:n], b * v[:n], rtol=0, atol=1e-10)
    np.testing.assert_allclose(irf["i"][:n], (phi * b + 1) * v[:n], rtol=0, atol=1e-10)


def test_nonlinear_solver_on_linear_model_equals_closed_form():
    model, ss, unknowns, targets, _ = nk.example(1.5)
    T, rho = 200, 0.6
    v = 0.01 * rho ** np.arange(T)
    irf = model.solve_impulse_nonlinear(ss, unknowns, targets, {"v": v})
    a, b = nk.closed_form(rho, 1.5)
    np.testing.assert_allclose(irf["y"][:50], a * v[:50], atol=1e-10)
    np.testing.assert_allclose(irf["pi"][:50], b * v[:50], atol=1e-10)


def test_passive_taylor_rule_is_indeterminate():
    model, ss, unknowns, targets, _ = nk.example(0.8)
    v = 0.01 * 0.5 ** np.arange(100)
    with pytest.raises(IndeterminacyError, match="indeterminate") as info:
        model.solve_impulse_linear(ss, unknowns, targets, {"v": v})
    assert info.value.winding_number > 0
    with pytest.raises(IndeterminacyError, match="indeterminate"):
        model.solve_jacobian(ss, unknowns, targets, ["v"], T=100)
    with pytest.raises(IndeterminacyError, match="indeterminate"):
        model.solve_impulse_nonlinear(ss, unknowns, targets, {"v": v})
    # the truncated system still has a solution when asked for explicitly
    irf = model.solve_impulse_linear(ss, unknowns, targets, {"v": v}, check_determinacy=False)
    assert np.all(np.isfinite(irf["y"]))


def test_active_taylor_rule_is_determinate():
    model, ss, unknowns, targets, _ = nk.example(1.5)
    irf = model.solve_impulse_linear(ss, unknowns, targets, {"v": 0.01 * 0.5 ** np.arange(100)})
    assert np.all(np.isfinite(irf["y"]))


@hd.simple
def explosive(x, e, a):
    res = x - a * x(-1) - e
    return res


def test_explosive_scalar_has_no_bounded_equilibrium():
    model = hd.create_model([explosive], name="explosive_model")
    ss = model.steady_state({"x": 0.0, "e": 0.0, "a": 2.0})
    T = 30
    e = np.zeros(T)
    e[0] = 1e-3
    with pytest.raises(IndeterminacyError, match="no bounded equilibrium") as info:
        model.solve_impulse_linear(ss, ["x"], ["res"], {"e": e})
    assert info.value.winding_number < 0
    irf = model.solve_impulse_linear(ss, ["x"], ["res"], {"e": e}, check_determinacy=False)
    # backward recursion x_t = 2 x_{t-1} + e_t, computed by hand
    ref = np.zeros(T)
    prev = 0.0
    for t in range(T):
        prev = ref[t] = 2.0 * prev + e[t]
    np.testing.assert_allclose(irf["x"], ref, rtol=1e-10)


def test_stable_scalar_is_determinate():
    model = hd.create_model([explosive], name="stable_model")
    ss = model.steady_state({"x": 0.0, "e": 0.0, "a": 0.5})
    e = np.zeros(40)
    e[3] = 1.0
    irf = model.solve_impulse_linear(ss, ["x"], ["res"], {"e": e})
    ref = np.where(np.arange(40) >= 3, 0.5 ** (np.arange(40) - 3.0), 0.0)
    np.testing.assert_allclose(irf["x"], ref, atol=1e-12)


def test_determinacy_is_checked_even_if_h_u_was_cached_unchecked():
    # regression: an unchecked solve cached H_U and later checked solves skipped the test
    ex = nk.example(phi=0.8)
    shocks = {"v": 0.01 * 0.5 ** np.arange(60)}
    ex.model.solve_impulse_linear(ex.ss, ex.unknowns, ex.targets, shocks, check_determinacy=False)
    with pytest.raises(IndeterminacyError, match="indeterminate"):
        ex.model.solve_impulse_linear(ex.ss, ex.unknowns, ex.targets, shocks)
