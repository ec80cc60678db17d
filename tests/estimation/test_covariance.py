"""Autocovariances and the exact Gaussian likelihood against independent references."""

import numpy as np
import pytest
from scipy import linalg
from scipy.stats import multivariate_normal

from hetdag.errors import ModelSpecError
from hetdag.estimation import NotPositiveDefiniteError, all_covariances, log_likelihood

LOG2PI = np.log(2 * np.pi)


def decaying_irfs(T=120, n_obs=3, n_shocks=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((T, n_obs, n_shocks)) * (0.85 ** np.arange(T))[:, None, None]


def test_all_covariances_equals_direct_sum():
    M = decaying_irfs()
    sigmas = np.array([0.7, 1.3])
    T = M.shape[0]
    direct = np.zeros((T, 3, 3))
    for lag in range(T):
        for k in range(T - lag):
            direct[lag] += M[k] @ np.diag(sigmas**2) @ M[k + lag].T
    assert np.allclose(
        all_covariances(M, sigmas), direct, rtol=0, atol=1e-13 * np.abs(direct).max()
    )


def test_all_covariances_matches_sequence_jacobian():
    ssj = pytest.importorskip("sequence_jacobian.estimation")
    M = decaying_irfs(seed=1)
    sigmas = np.array([0.5, 2.0])
    ours, theirs = all_covariances(M, sigmas), ssj.all_covariances(M, sigmas)
    scale = np.abs(ours).max()
    assert np.allclose(ours[:-1], theirs[:-1], rtol=0, atol=1e-13 * scale)
    # SSJ's FFT of length 2T-2 wraps M[T-1] diag(s^2) M[0]' into the last lag
    wrapped = M[-1] @ np.diag(sigmas**2) @ M[0].T
    assert np.allclose(theirs[-1] - ours[-1], wrapped, rtol=0, atol=1e-13 * scale)


@pytest.mark.parametrize("me", [None, np.array([0.1, 0.2, 0.3])])
def test_log_likelihood_matches_sequence_jacobian_and_scipy(me):
    ssj = pytest.importorskip("sequence_jacobian.estimation")
    M = decaying_irfs(seed=2, n_shocks=3)
    Sigma = all_covariances(M, np.ones(3))
    Y = np.random.default_rng(3).standard_normal((60, 3))
    ours = log_likelihood(Y, Sigma, me)
    theirs = ssj.log_likelihood(Y, Sigma, me)
    assert ours == pytest.approx(theirs, rel=1e-10)
    # the 2 pi constant is left out, as in sequence-jacobian
    V = ssj.build_full_covariance_matrix(Sigma, np.zeros(3) if me is None else me, 60)
    exact = multivariate_normal(np.zeros(V.shape[0]), V).logpdf(Y.ravel())
    assert ours - Y.size / 2 * LOG2PI == pytest.approx(exact, rel=1e-10)
    assert log_likelihood(Y, Sigma, me, method="cholesky") == pytest.approx(ours, rel=1e-10)


def arma_autocovariance(rho, theta, sigma, n):
    g = np.empty(n)
    g[0] = sigma**2 * (1 + 2 * rho * theta + theta**2) / (1 - rho**2)
    g[1] = sigma**2 * (1 + rho * theta) * (rho + theta) / (1 - rho**2)
    for h in range(2, n):
        g[h] = rho * g[h - 1]
    return g


@pytest.mark.parametrize("rho, theta", [(0.9, 0.0), (0.7, 0.4), (0.5, -0.3)])
def test_likelihood_of_arma_data_is_exact(rho, theta):
    """MA(inf) impulse responses of an ARMA(1,1), truncated at T, give the exact
    likelihood of scipy's multivariate normal with the closed-form autocovariances."""
    sigma, T, Tobs = 0.3, 400, 150
    m = np.empty(T)
    m[0] = 1.0
    m[1:] = (rho + theta) * rho ** np.arange(T - 1)
    Sigma = all_covariances(m[:, None, None], np.array([sigma]))
    V = linalg.toeplitz(arma_autocovariance(rho, theta, sigma, Tobs))
    y = multivariate_normal(np.zeros(Tobs), V).rvs(random_state=4)
    exact = multivariate_normal(np.zeros(Tobs), V).logpdf(y)
    ours = log_likelihood(y[:, None], Sigma) - Tobs / 2 * LOG2PI
    assert ours == pytest.approx(exact, rel=1e-8)


def test_missing_observations_drop_rows_and_columns():
    M = decaying_irfs(seed=5, n_shocks=3)
    Sigma = all_covariances(M, np.ones(3))
    Y = np.random.default_rng(6).standard_normal((40, 3))
    Y[[0, 7, 7, 39], [1, 0, 2, 1]] = np.nan
    me = np.array([0.2, 0.1, 0.3])
    ssj = pytest.importorskip("sequence_jacobian.estimation")
    V = ssj.build_full_covariance_matrix(Sigma, me, 40)
    keep = ~np.isnan(Y.ravel())
    Vk = V[np.ix_(keep, keep)]
    exact = multivariate_normal(np.zeros(keep.sum()), Vk).logpdf(Y.ravel()[keep])
    assert log_likelihood(Y, Sigma, me) - keep.sum() / 2 * LOG2PI == pytest.approx(exact, rel=1e-10)


def test_not_positive_definite_names_the_observable():
    # one shock moves "a"; "b" is exactly twice "a": b has no variance given a
    m = 0.8 ** np.arange(100)
    M = np.stack([m, 2 * m], axis=1)[:, :, None]
    Sigma = all_covariances(M, np.array([1.0]))
    Y = np.random.default_rng(0).standard_normal((20, 2))
    for method in ("levinson", "cholesky"):
        with pytest.raises(NotPositiveDefiniteError, match="observable 'b' at period 0") as e:
            log_likelihood(Y, Sigma, observables=["a", "b"], method=method)
        assert e.value.observable == "b"
    with pytest.raises(NotPositiveDefiniteError, match="observable in column 1"):
        log_likelihood(Y, Sigma)


def test_bad_shapes_name_the_argument():
    Sigma = np.zeros((10, 2, 2))
    with pytest.raises(ModelSpecError, match="Y has 3 observable column"):
        log_likelihood(np.zeros((5, 3)), Sigma)
    with pytest.raises(ModelSpecError, match=r"M must have shape \(T, n_obs, n_shocks\)"):
        all_covariances(np.zeros((10, 2)), np.ones(2))
    with pytest.raises(ModelSpecError, match="method='qr'"):
        log_likelihood(np.zeros((5, 2)), Sigma + np.eye(2), method="qr")


@pytest.mark.parametrize("Tobs, T", [(200, 300), (90, 40)])
@pytest.mark.parametrize("order", ["C", "F"])
def test_levinson_kernel_matches_scipy_on_block_toeplitz(Tobs, T, order):
    """The Levinson kernel (reversed, stride-1 layout) against scipy's multivariate normal
    on a block-Toeplitz covariance assembled here block by block; lags at or beyond T
    are zero (T < Tobs), and the inputs may be C- or Fortran-ordered."""
    M = decaying_irfs(T=T, seed=7, n_shocks=3)
    Sigma = all_covariances(M, np.array([0.5, 1.0, 2.0]))
    me = np.array([0.05, 0.0, 0.1])
    n = 3
    V = np.zeros((Tobs * n, Tobs * n))
    for t1 in range(Tobs):
        for t2 in range(t1, min(Tobs, t1 + T)):
            block = Sigma[t2 - t1] + (np.diag(me**2) if t2 == t1 else 0.0)
            V[t1 * n : (t1 + 1) * n, t2 * n : (t2 + 1) * n] = block
            V[t2 * n : (t2 + 1) * n, t1 * n : (t1 + 1) * n] = block.T
    V = 0.5 * (V + V.T)
    y = multivariate_normal(np.zeros(Tobs * n), V).rvs(random_state=8)
    exact = multivariate_normal(np.zeros(Tobs * n), V).logpdf(y)
    Y = np.asarray(y.reshape(Tobs, n), order=order)
    S = np.asarray(Sigma, order=order)
    ours = log_likelihood(Y, S, me, method="levinson") - Y.size / 2 * LOG2PI
    assert ours == pytest.approx(exact, rel=1e-10)
