import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hetdag.errors import ModelSpecError
from hetdag.utils.interpolate import apply_coord, interpolate_coord, interpolate_y


def interp_ref(x, xq, y):
    """NumPy oracle with linear extrapolation from the end segments."""
    i = np.clip(np.searchsorted(x, xq, side="right") - 1, 0, x.size - 2)
    pi = (x[i + 1] - xq) / (x[i + 1] - x[i])
    return i, pi, pi * y[i] + (1 - pi) * y[i + 1]


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("sort", [True, False])
def test_matches_reference_and_np_interp(rng, sort):
    x = np.sort(rng.uniform(-2, 5, 30))
    y = rng.normal(size=30)
    xq = rng.uniform(-4, 7, 200)
    if sort:
        xq.sort()
    i, pi, yq = interp_ref(x, xq, y)
    assert np.allclose(interpolate_y(x, xq, y), yq, atol=1e-13)
    gi, gpi = interpolate_coord(x, xq)
    assert np.array_equal(gi, i) and np.allclose(gpi, pi, atol=1e-13)
    assert np.allclose(apply_coord(gi, gpi, y), yq, atol=1e-13)
    inside = (xq >= x[0]) & (xq <= x[-1])
    assert np.allclose(interpolate_y(x, xq, y)[inside], np.interp(xq[inside], x, y), atol=1e-13)


@settings(deadline=None, max_examples=50)
@given(
    a=st.floats(-10, 10),
    b=st.floats(-10, 10),
    xq=st.lists(st.floats(-100, 100), min_size=1, max_size=20),
)
def test_linear_functions_reproduced_including_extrapolation(a, b, xq):
    x = np.array([-3.0, -1.0, 0.5, 2.0, 4.0])
    xq = np.array(xq)
    got = interpolate_y(x, xq, a + b * x)
    assert np.allclose(got, a + b * xq, rtol=1e-12, atol=1e-11)
    xqi, xqpi = interpolate_coord(x, xq)
    assert np.allclose(xqpi * x[xqi] + (1 - xqpi) * x[xqi + 1], xq, rtol=1e-12, atol=1e-11)


@pytest.mark.parametrize("order", ["C", "F"])
def test_rowwise_2d_and_broadcast(rng, order):
    m, n, nq = 4, 12, 9
    x = np.sort(rng.uniform(0, 10, (m, n)), axis=1) + np.arange(n) * 1e-3
    y = rng.normal(size=(m, n))
    xq = rng.uniform(-1, 11, (m, nq))
    xF, yF, xqF = (np.asarray(v, order=order) for v in (x, y, xq))
    got = interpolate_y(xF, xqF, yF)
    ref = np.stack([interp_ref(x[r], xq[r], y[r])[2] for r in range(m)])
    assert got.shape == (m, nq) and np.allclose(got, ref, atol=1e-13)
    # xq shared by all rows
    got1 = interpolate_y(x, xq[0], y)
    ref1 = np.stack([interp_ref(x[r], xq[0], y[r])[2] for r in range(m)])
    assert np.allclose(got1, ref1, atol=1e-13)
    # EGM pattern: x = c_endog + a_grid (n_e, n_a), xq = a_grid (n_a,), y = coh (n_e, n_a)
    a_grid = np.linspace(0, 5, n)
    got2 = interpolate_y(x, a_grid, y)
    assert got2.shape == (m, n)
    xqi, xqpi = interpolate_coord(xF, xqF)
    assert np.allclose(apply_coord(xqi, xqpi, yF), ref, atol=1e-13)


def test_bad_inputs_raise():
    with pytest.raises(ModelSpecError, match="'y' has 3 points"):
        interpolate_y([0.0, 1.0], [0.5], [1.0, 2.0, 3.0])
    with pytest.raises(ModelSpecError, match="'x' needs >= 2 points"):
        interpolate_y([0.0], [0.5], [1.0])
    with pytest.raises(ModelSpecError, match="leading axes do not broadcast"):
        interpolate_y(np.zeros((3, 4)) + np.arange(4), np.zeros((2, 5)), np.zeros((3, 4)))
    with pytest.raises(ModelSpecError, match="'xqi' must lie in"):
        apply_coord([5], [0.5], [1.0, 2.0, 3.0])
    with pytest.raises(ModelSpecError, match="'xqi' has shape"):
        apply_coord([0, 1], [0.5], [1.0, 2.0, 3.0])
