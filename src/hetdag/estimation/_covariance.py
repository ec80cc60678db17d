"""Autocovariances from impulse responses, and the exact Gaussian log-likelihood.

The names and signatures of :func:`all_covariances` and :func:`log_likelihood` are
sequence-jacobian's (``sequence_jacobian.estimation``), so code written for it runs
unchanged: impulse responses are stacked ``M[t, o, z]`` (T, n_obs, n_shocks), the
response of observable o at t to a unit shock z at 0, and

.. math::  \\Sigma_l[o, o'] = \\mathrm{Cov}(y_{o,t}, y_{o',t+l})
           = \\sum_{k} M[k, o, :]\\, \\mathrm{diag}(\\sigma^2)\\, M[k+l, o', :]'.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.fft
from numpy.typing import NDArray
from scipy.linalg import lapack

from ..errors import HetdagError, ModelSpecError
from ._kernels import levinson_loglik


class NotPositiveDefiniteError(HetdagError, np.linalg.LinAlgError):
    """The covariance of the data is not positive definite.

    ``observable`` names the first observable (and ``period`` the period) whose variance,
    given every earlier observation, is zero or negative.
    """

    def __init__(self, msg: str, observable: str | int, period: int):
        self.observable = observable
        self.period = period
        super().__init__(msg)


def all_covariances(M: NDArray[np.float64], sigmas: NDArray[np.float64]) -> NDArray[np.float64]:
    """Autocovariances of the observables at lags 0..T-1, by FFT.

    Parameters
    ----------
    M : ndarray, shape (T, n_obs, n_shocks)
        Impulse responses to unit shocks (an MA(T-1) representation, truncated at T).
    sigmas : ndarray, shape (n_shocks,)
        Standard deviations of the shocks.

    Returns
    -------
    Sigma : ndarray, shape (T, n_obs, n_obs)
        ``Sigma[l, o, o'] = Cov(y_{o,t}, y_{o',t+l}) = sum_k M[k, o] diag(sigmas^2) M[k+l, o']'``.

    Notes
    -----
    The FFT is zero-padded to at least 2T - 1 points, so the result is the direct sum
    exactly (to roundoff). sequence-jacobian pads to 2T - 2, which wraps one term,
    ``M[T-1] diag(sigmas^2) M[0]'``, into the last lag; elsewhere the two agree.

    Examples
    --------
    >>> import numpy as np
    >>> M = (0.5 ** np.arange(50))[:, None, None]
    >>> Sigma = all_covariances(M, np.array([1.0]))
    >>> round(float(Sigma[0, 0, 0]), 6), round(float(Sigma[1, 0, 0]), 6)   # 1/(1-.25), .5x
    (1.333333, 0.666667)
    """
    M = np.asarray(M, dtype=float)
    if M.ndim != 3:
        raise ModelSpecError(
            f"all_covariances: M must have shape (T, n_obs, n_shocks), got {M.shape}"
        )
    sigmas = np.broadcast_to(np.asarray(sigmas, dtype=float), (M.shape[2],))
    T = M.shape[0]
    n = scipy.fft.next_fast_len(2 * T - 1, real=True)
    dft = scipy.fft.rfft(M, n=n, axis=0)
    total = (dft.conj() * sigmas**2) @ dft.swapaxes(1, 2)
    return scipy.fft.irfft(total, n=n, axis=0)[:T]


def build_full_covariance(
    Sigma: NDArray[np.float64], sigma_measurement: NDArray[np.float64], Tobs: int
) -> NDArray[np.float64]:
    """The (Tobs n_obs) x (Tobs n_obs) covariance of the stacked data ``Y.ravel()``.

    Block (t1, t2) is ``Sigma[t2-t1]`` for t1 <= t2 and its transpose below; lags beyond
    ``len(Sigma) - 1`` are zero; the diagonal blocks are symmetrised and get
    ``diag(sigma_measurement^2)``.
    """
    T, n, _ = Sigma.shape
    lags = np.arange(Tobs)[None, :] - np.arange(Tobs)[:, None]  # t2 - t1
    S = np.concatenate([Sigma, np.zeros((max(Tobs - T, 0), n, n))])[: max(Tobs, 1)]
    S0 = 0.5 * (S[0] + S[0].T) + np.diag(np.asarray(sigma_measurement, dtype=float) ** 2)
    S = S.copy()
    S[0] = S0
    upper = S[np.abs(lags)]  # (Tobs, Tobs, n, n)
    V = np.where((lags >= 0)[:, :, None, None], upper, upper.swapaxes(2, 3))
    return V.transpose(0, 2, 1, 3).reshape(Tobs * n, Tobs * n)


def _name(j: int, observables) -> str:
    return repr(observables[j]) if observables is not None else f"in column {j}"


def _not_pd(period: int, col: int, observables, what: str) -> NotPositiveDefiniteError:
    obs = _name(col, observables)
    return NotPositiveDefiniteError(
        f"log_likelihood: the {what} is not positive definite: observable {obs} at period "
        f"{period} has zero or negative variance given the observations before it (an "
        "observable that no shock moves, observables that are linear combinations of "
        "each other, or more observables than shocks; add measurement error with "
        "sigma_measurement=)",
        observable=observables[col] if observables is not None else col,
        period=period,
    )


def log_likelihood(
    Y: NDArray[np.float64],
    Sigma: NDArray[np.float64],
    sigma_measurement: NDArray[np.float64] | None = None,
    *,
    observables: Sequence[str] | None = None,
    method: str = "auto",
) -> float:
    """Exact Gaussian log-likelihood of the data ``Y`` given its autocovariances.

    Computes ``-1/2 (log det V + y' V^{-1} y)`` with ``y = Y.ravel()`` and V the full
    covariance built from ``Sigma`` (see :func:`build_full_covariance`). **The constant
    ``-Tobs n_obs / 2 * log(2 pi)`` is not included**, as in sequence-jacobian, whose
    function of the same name and signature this is; add it to compare with
    ``scipy.stats.multivariate_normal.logpdf``.

    Parameters
    ----------
    Y : ndarray, shape (Tobs, n_obs)
        Observed data in deviations from the steady state. NaN marks a missing
        observation: its row and column of V are dropped.
    Sigma : ndarray, shape (T, n_obs, n_obs)
        Autocovariances at lags 0..T-1, e.g. from :func:`all_covariances`.
    sigma_measurement : ndarray, shape (n_obs,), optional
        Standard deviations of iid measurement errors (zero if not given).
    observables : sequence of str, optional
        Names of Y's columns, used in error messages.
    method : {"auto", "levinson", "cholesky"}
        "levinson": the multivariate Durbin–Levinson recursion, O(Tobs^2 n^3);
        "cholesky": a dense Cholesky factor of V, O(Tobs^3 n^3). "auto" uses the first
        when no observation is missing.

    Raises
    ------
    ModelSpecError
        Y and Sigma disagree on the number of observables, or a value is not finite.
    NotPositiveDefiniteError
        V is not positive definite; the message names the observable and period.

    Examples
    --------
    >>> import numpy as np
    >>> Sigma = np.array([[[1.0]]])                      # white noise, variance 1
    >>> float(log_likelihood(np.array([[1.0], [-1.0]]), Sigma))   # -(0 + 2)/2
    -1.0
    """
    Y = np.asarray(Y, dtype=float)
    Sigma = np.asarray(Sigma, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2:
        raise ModelSpecError(f"log_likelihood: Y must have shape (Tobs, n_obs), got {Y.shape}")
    Tobs, n = Y.shape
    if Sigma.ndim != 3 or Sigma.shape[1:] != (n, n):
        raise ModelSpecError(
            f"log_likelihood: Y has {n} observable column(s) but Sigma has shape "
            f"{Sigma.shape}; expected (T, {n}, {n})"
        )
    if observables is not None and len(observables) != n:
        raise ModelSpecError(
            f"log_likelihood: {len(observables)} observable names for {n} columns of Y"
        )
    if not np.all(np.isfinite(Sigma)):
        raise ModelSpecError("log_likelihood: Sigma contains NaN or inf")
    if sigma_measurement is None:
        sigma_measurement = np.zeros(n)
    sigma_measurement = np.broadcast_to(np.asarray(sigma_measurement, dtype=float), (n,))
    if np.any(np.isinf(Y)):
        raise ModelSpecError("log_likelihood: Y contains inf")
    missing = np.isnan(Y)
    if method == "auto":
        method = "cholesky" if missing.any() else "levinson"
    if method == "levinson":
        if missing.any():
            raise ModelSpecError("log_likelihood: method='levinson' cannot skip NaN in Y")
        Gam = Sigma.transpose(0, 2, 1).copy()  # Gam[h] = E[y_{t+h} y_t'] = Sigma[h]'
        Gam[0] = 0.5 * (Sigma[0] + Sigma[0].T) + np.diag(sigma_measurement**2)
        status = np.empty(2, dtype=np.int64)
        ll = levinson_loglik(np.ascontiguousarray(Gam), np.ascontiguousarray(Y), status)
        if status[0] >= 0:
            raise _not_pd(int(status[0]), int(status[1]), observables, "covariance of the data")
        return float(ll)
    if method != "cholesky":
        raise ModelSpecError(
            f"log_likelihood: method={method!r}; use 'auto', 'levinson' or 'cholesky'"
        )
    V = build_full_covariance(Sigma, sigma_measurement, Tobs)
    keep = ~missing.ravel()
    y = Y.ravel()[keep]
    V = V[np.ix_(keep, keep)]
    if y.size == 0:
        return 0.0
    c, info = lapack.dpotrf(V, lower=True, clean=False, overwrite_a=False)
    L = np.tril(c)
    if info == 0:  # a pivot that is roundoff: exactly collinear observables
        small = np.flatnonzero(np.diag(L) ** 2 <= 1e-12 * np.abs(np.diag(V)))
        info = small[0] + 1 if small.size else 0
    if info != 0:
        k = np.flatnonzero(keep)[info - 1]
        raise _not_pd(int(k // n), int(k % n), observables, "covariance of the data")
    z = _solve_lower(L, y)
    return float(-(2 * np.sum(np.log(np.diag(L))) + z @ z) / 2)


def _solve_lower(L: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    from scipy.linalg import solve_triangular

    return solve_triangular(L, y, lower=True, check_finite=False)
