"""Shared path simulation and Euler errors, through the Krusell–Smith solution (no JAX).

References: the Krusell–Smith backend's own numba histogram kernel (K path) and its
grid Euler errors (an independent implementation with the rule's forecast prices).
"""

import numpy as np
import pytest

from hetdag.backends.krusell_smith import (
    djj_aggregate_risk,
    djj_calibration,
    draw_aggregate_path,
    simulate_histogram,
    solve_krusell_smith,
)
from hetdag.errors import ModelSpecError
from hetdag.examples._household import household
from hetdag.examples.krusell_smith import firm, solve_aggregate_risk

SMALL = dict(n_a=120, a_max=3000.0, n_K=5, T=2500, burn_in=300, T_den_haan=1500, progress=False)


@pytest.fixture(scope="module")
def ks():
    return solve_krusell_smith(household, firm, djj_aggregate_risk(), djj_calibration(), **SMALL)


def test_simulate_matches_the_backends_histogram_kernel(ks):
    z = draw_aggregate_path(ks.risk.Pi_z, 400, 11, z0=int(ks.D_z))
    out = ks.simulate(z)
    n_s = ks.risk.n_z * ks.risk.n_e
    a_pol = ks.policies["a"].reshape(n_s, ks.K_grid.size, ks.a_grid.size)
    K_ref = simulate_histogram(a_pol, ks.K_grid, ks.a_grid, z, ks.risk.Pi_cond, ks.D)[0]
    np.testing.assert_allclose(out["K"], K_ref, rtol=1e-12)
    # prices are the firm block's at the simulated capital
    alpha, delta = ks.calibration["alpha"], ks.calibration["delta"]
    L = ks.risk.L[z]
    r_ref = alpha * ks.risk.z[z] * (out["K"] / L) ** (alpha - 1) - delta
    np.testing.assert_allclose(out["r"], r_ref, rtol=1e-12)
    assert np.all(out["C"] > 0)


def test_euler_errors_with_realised_prices_agree_with_the_grid_errors(ks):
    """Along the path (realised prices, histogram weights) the errors are of the same
    order as the backend's grid errors (forecast prices, unweighted)."""
    z = draw_aggregate_path(ks.risk.Pi_z, 600, 12, z0=int(ks.D_z))
    e = ks.simulate(z)["euler"]
    assert e["median"] <= e["p99"] <= e["max"]
    assert abs(e["mean"] - ks.euler_error_mean) < 1.5
    assert e["mean"] < -3.5


def test_simulate_rejects_bad_paths(ks):
    with pytest.raises(ModelSpecError, match="z_path"):
        ks.simulate([0, 5, 1])
    with pytest.raises(ModelSpecError, match="D0"):
        ks.simulate([0, 1, 1], D0=np.ones((3, 3)))


def test_solve_aggregate_risk_rejects_unknown_method():
    with pytest.raises(ModelSpecError, match="method"):
        solve_aggregate_risk("value_function_iteration")
