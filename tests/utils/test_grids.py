import numpy as np
import pytest

from hetdag.errors import ModelSpecError
from hetdag.utils.grids import (
    asset_grid,
    markov_check,
    rouwenhorst,
    stationary,
    tauchen,
    uniform_grid,
)


def moments(log_y, pi, Pi):
    mean = pi @ log_y
    var = pi @ (log_y - mean) ** 2
    cov = pi @ ((log_y - mean) * (Pi @ (log_y - mean)))
    return mean, np.sqrt(var), cov / var


@pytest.mark.parametrize("n", [2, 3, 7, 15])
@pytest.mark.parametrize("rho", [0.0, 0.5, 0.966, -0.4])
def test_rouwenhorst_exact_moments(n, rho):
    sigma = 0.3
    y, pi, Pi = rouwenhorst(n, rho, sigma)
    assert Pi.shape == (n, n) and np.allclose(Pi.sum(axis=1), 1, atol=1e-14)
    assert np.all(Pi >= 0)
    assert np.allclose(pi @ Pi, pi, atol=1e-14) and np.isclose(pi.sum(), 1)
    assert np.isclose(pi @ y, 1.0, rtol=1e-14)
    _, std, ac = moments(np.log(y), pi, Pi)
    assert np.isclose(std, sigma / np.sqrt(1 - rho**2), rtol=1e-12)
    assert np.isclose(ac, rho, rtol=1e-10, atol=1e-12)
    assert np.allclose(stationary(Pi), pi, atol=1e-13)


def test_tauchen_approximate_moments():
    rho, sigma = 0.9, 0.1
    y, pi, Pi = tauchen(25, rho, sigma, m=3.0)
    assert np.allclose(Pi.sum(axis=1), 1, atol=1e-14) and np.allclose(pi @ Pi, pi, atol=1e-14)
    assert np.isclose(pi @ y, 1.0)
    _, std, ac = moments(np.log(y), pi, Pi)
    assert np.isclose(std, sigma / np.sqrt(1 - rho**2), rtol=0.05)
    assert np.isclose(ac, rho, atol=0.02)


def test_single_state_chains():
    for f in (rouwenhorst, tauchen):
        y, pi, Pi = f(1, 0.9, 0.1)
        assert y.tolist() == [1.0] and pi.tolist() == [1.0] and Pi.tolist() == [[1.0]]


def test_stationary_matches_eigenvector():
    rng = np.random.default_rng(0)
    P = rng.uniform(size=(6, 6))
    P /= P.sum(axis=1, keepdims=True)
    w, V = np.linalg.eig(P.T)
    v = np.real(V[:, np.argmin(np.abs(w - 1))])
    assert np.allclose(stationary(P), v / v.sum(), atol=1e-14)


def test_markov_check_messages():
    with pytest.raises(ModelSpecError, match=r"Block 'hh': Markov matrix 'Pi_e' is not row-sto"):
        markov_check([[0.5, 0.6], [0.5, 0.5]], name="Pi_e", block="hh")
    with pytest.raises(ModelSpecError, match=r"row 0: 1\.1"):
        markov_check([[0.5, 0.6], [0.5, 0.5]])
    with pytest.raises(ModelSpecError, match="'Pi' must be square"):
        markov_check(np.ones((2, 3)) / 3)
    with pytest.raises(ModelSpecError, match="negative entries"):
        markov_check([[1.5, -0.5], [0.5, 0.5]])
    with pytest.raises(ModelSpecError, match="not row-stochastic"):
        stationary([[0.5, 0.6], [0.5, 0.5]])
    assert markov_check(np.eye(2)).flags.c_contiguous


def test_asset_grids():
    g = asset_grid(-1.0, 150.0, 200)
    assert g[0] == -1.0 and g[-1] == 150.0 and np.all(np.diff(g) > 0)
    assert np.all(np.diff(np.diff(g)) > 0)  # denser near amin
    u = uniform_grid(0.0, 1.0, 5)
    assert np.allclose(u, [0, 0.25, 0.5, 0.75, 1])
    with pytest.raises(ModelSpecError, match="'amin' < 'amax'"):
        asset_grid(2.0, 1.0, 10)
    with pytest.raises(ModelSpecError, match="'n' must be an integer >= 2"):
        uniform_grid(0.0, 1.0, 1)
    with pytest.raises(ModelSpecError, match="'rho' must lie in"):
        rouwenhorst(3, 1.0, 0.1)
