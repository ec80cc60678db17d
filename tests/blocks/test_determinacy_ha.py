"""Determinacy check on heterogeneous-agent models whose Jacobians decay slowly.

Regression: HANK at T=60 gave winding number -2 from a truncated symbol and raised a
false IndeterminacyError; the model is determinate (winding 0 at T >= 100).
"""

import numpy as np
import pytest

from hetdag.errors import DeterminacyWarning
from hetdag.solvers._determinacy import edge_share, toeplitz_symbol, winding_number


def test_short_horizon_warns_instead_of_false_indeterminacy(hank_ex):
    ex = hank_ex
    dZ = {"ishock": 1e-4 * 0.6 ** np.arange(60)}
    with pytest.warns(DeterminacyWarning, match="inconclusive at T=60"):
        ex.model.solve_impulse_linear(ex.ss, ex.unknowns, ex.targets, dZ)


def test_long_horizon_hank_is_determinate(hank_ex):
    ex = hank_ex
    T = 300
    J = ex.model.jacobian(ex.ss, ex.unknowns, ex.targets, T=T)
    H_U = J.stack(ex.targets, ex.unknowns)
    assert winding_number(toeplitz_symbol(H_U, 3, T)) == 0
    assert edge_share(H_U, 3, T) > 0  # HA columns never vanish exactly


def test_edge_share_is_zero_for_finite_lead_lag_structure():
    T, n = 50, 1
    H = np.eye(T) - 0.5 * np.eye(T, k=1)
    assert edge_share(H, n, T) == 0.0
