"""H_U singularity is judged by its condition number, not by LU pivot ratios.

Regression: HANK's H_U at T=1000 has a pivot ratio of 5e-20 but a condition number of
about 3.5e3; the pivot test called it singular.
"""

import numpy as np
import pytest

import hetdag as hd


def test_target_that_ignores_the_unknowns_is_singular():
    @hd.simple
    def eqs(x, y, z):
        h1 = x + y - z
        h2 = 2 * x + 2 * y
        return h1, h2

    m = hd.create_model([eqs], name="m")
    ss = m.steady_state({"x": 0.0, "y": 0.0, "z": 0.0})
    with pytest.raises(np.linalg.LinAlgError, match="'m'.*singular.*condition number"):
        m.solve_jacobian(ss, ["x", "y"], ["h1", "h2"], ["z"], T=20, check_determinacy=False)


def test_well_conditioned_but_graded_pivots_is_not_singular():
    # lower-triangular Toeplitz with geometrically shrinking pivots after row mixing:
    # a lag chain x_t = 0.5 x_{t-1} + z_t at long T is perfectly conditioned
    @hd.simple
    def chain(x, z):
        h = x - 0.5 * x(-1) - z
        return h

    m = hd.create_model([chain], name="ar1")
    ss = m.steady_state({"x": 0.0, "z": 0.0})
    G = m.solve_jacobian(ss, ["x"], ["h"], ["z"], T=1000)
    np.testing.assert_allclose(np.asarray(G["x"]["z"])[:3, 0], [1.0, 0.5, 0.25])


def test_numerically_singular_is_caught_without_an_exact_zero_pivot():
    # 2.1 - 3 * 0.7 is 4e-16 in floating point: LU finishes, the condition check must not
    @hd.simple
    def eqs(x, y, z):
        h1 = 0.1 * x + 0.7 * y - z
        h2 = 0.3 * x + 2.1 * y
        return h1, h2

    m = hd.create_model([eqs], name="m")
    ss = m.steady_state({"x": 0.0, "y": 0.0, "z": 0.0})
    with pytest.raises(np.linalg.LinAlgError, match="'m'.*singular.*condition number"):
        m.solve_jacobian(ss, ["x", "y"], ["h1", "h2"], ["z"], T=20, check_determinacy=False)
    with pytest.raises(np.linalg.LinAlgError, match="'m'.*singular.*condition number"):
        m.solve_impulse_linear(ss, ["x", "y"], ["h1", "h2"], {"z": np.ones(20)})
