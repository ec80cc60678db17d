"""Grids and Markov chains for heterogeneous-agent models.

Income processes discretise the AR(1) in logs

.. math::

    \\log y_{t+1} = \\rho \\log y_t + \\sigma \\varepsilon_{t+1}, \\qquad
    \\varepsilon \\sim N(0, 1),

and return ``(y_grid, pi, Pi)`` with ``Pi[e, e']`` row-stochastic, ``pi`` its stationary
distribution and ``y_grid`` the levels normalised so that ``pi @ y_grid == 1``. All
routines here are plain NumPy: they run once per model and are O(n^2) or less.
"""

from __future__ import annotations

import math
from math import comb

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from hetdag.errors import ConvergenceError, ModelSpecError

__all__ = [
    "rouwenhorst",
    "tauchen",
    "markov_rouwenhorst",
    "markov_tauchen",
    "agrid",
    "stationary",
    "markov_check",
    "asset_grid",
    "uniform_grid",
]

_STOCH_TOL = 1e-10


def markov_check(Pi: ArrayLike, name: str = "Pi", block: str | None = None) -> NDArray:
    """Check that ``Pi`` is a square, finite, nonnegative, row-stochastic matrix.

    Rows must sum to one within 1e-10. Returns ``Pi`` as a C-contiguous float64 array.

    Raises
    ------
    ModelSpecError
        Naming ``name`` and ``block`` (if given) and the offending rows and row sums.

    Example
    -------
    >>> markov_check([[0.9, 0.1], [0.2, 0.8]])
    array([[0.9, 0.1],
           [0.2, 0.8]])
    """
    where = f"Block {block!r}: " if block is not None else ""
    P = np.ascontiguousarray(Pi, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] == 0:
        raise ModelSpecError(f"{where}Markov matrix {name!r} must be square, got shape {P.shape}")
    if not np.all(np.isfinite(P)):
        raise ModelSpecError(f"{where}Markov matrix {name!r} has non-finite entries")
    if np.any(P < 0):
        r, c = np.argwhere(P < 0)[0]
        raise ModelSpecError(
            f"{where}Markov matrix {name!r} has negative entries, e.g. {name}[{r}, {c}]={P[r, c]}"
        )
    rows = P.sum(axis=1)
    bad = np.flatnonzero(np.abs(rows - 1.0) > _STOCH_TOL)
    if bad.size:
        desc = ", ".join(f"row {i}: {float(rows[i])!r}" for i in bad[:5])
        more = f" (and {bad.size - 5} more)" if bad.size > 5 else ""
        raise ModelSpecError(
            f"{where}Markov matrix {name!r} is not row-stochastic: row sums {desc}{more}"
        )
    return P


def stationary(Pi: ArrayLike, tol: float = 1e-14) -> NDArray[np.float64]:
    """Stationary distribution ``pi = pi @ Pi`` of a row-stochastic matrix.

    Solves ``(Pi^T - I) pi = 0`` with ``sum(pi) = 1`` by least squares, clips rounding
    negatives, then polishes by power iteration until ``max|pi @ Pi - pi| < tol``. For a
    reducible chain one of the stationary distributions is returned.

    Raises
    ------
    ModelSpecError
        If ``Pi`` is not row-stochastic.
    ConvergenceError
        If the residual stays above ``tol`` (e.g. periodic chains and a bad start).

    Example
    -------
    >>> stationary([[0.9, 0.1], [0.2, 0.8]]).round(12)
    array([0.66666667, 0.33333333])
    """
    P = markov_check(Pi)
    n = P.shape[0]
    A = np.vstack([P.T - np.eye(n), np.ones((1, n))])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    pi = np.linalg.lstsq(A, b, rcond=None)[0]
    pi = np.maximum(pi, 0.0)
    pi /= pi.sum()
    res = np.inf
    for _ in range(10_000):
        new = pi @ P
        new /= new.sum()
        res = float(np.max(np.abs(new - pi)))
        pi = new
        if res < tol:
            return pi
    raise ConvergenceError(
        f"stationary: no stationary distribution to tol {tol:.1e}; residual {res:.3e}",
        variable="pi",
        iterations=10_000,
        residual=res,
    )


def _check_ar1(fn: str, n: int, rho: float, sigma: float) -> None:
    if int(n) != n or n < 1:
        raise ModelSpecError(f"{fn}: 'n' must be a positive integer, got {n!r}")
    if not -1 < rho < 1:
        raise ModelSpecError(f"{fn}: 'rho' must lie in (-1, 1), got {rho!r}")
    if not sigma >= 0:
        raise ModelSpecError(f"{fn}: 'sigma' must be nonnegative, got {sigma!r}")


def _levels(log_grid: NDArray, pi: NDArray) -> NDArray:
    y = np.exp(log_grid - log_grid.max())
    return y / (pi @ y)


def rouwenhorst(n: int, rho: float, sigma: float):
    """Rouwenhorst discretisation of the log AR(1) with ``n`` states.

    ``Pi`` comes from the recursion with ``p = q = (1 + rho) / 2``, starting from
    ``[[p, 1-p], [1-p, p]]``: pad the (k-1)-state matrix into the four corners of a
    k-state matrix with weights ``p, 1-p, 1-q, q``, then halve the interior rows. The log
    grid is ``linspace(-psi, psi, n)`` with ``psi = sqrt(n-1) * sigma / sqrt(1-rho^2)``,
    so the chain's autocorrelation is exactly ``rho`` and its stationary std exactly
    ``sigma / sqrt(1 - rho^2)``; ``pi`` is Binomial(n-1, 1/2).

    Returns
    -------
    y_grid : ndarray, shape (n,)
        ``exp(log grid)`` scaled so that ``pi @ y_grid == 1``.
    pi : ndarray, shape (n,)
    Pi : ndarray, shape (n, n)

    Example
    -------
    >>> y, pi, Pi = rouwenhorst(3, 0.9, 0.1)
    >>> float(pi @ y), pi.tolist()
    (1.0, [0.25, 0.5, 0.25])
    """
    _check_ar1("rouwenhorst", n, rho, sigma)
    n = int(n)
    if n == 1:
        return np.ones(1), np.ones(1), np.ones((1, 1))
    Pi = _rouwenhorst_matrix(n, (1.0 + rho) / 2.0)
    pi = np.array([comb(n - 1, k) / 2 ** (n - 1) for k in range(n)])
    pi /= pi.sum()
    psi = np.sqrt(n - 1) * sigma / np.sqrt(1 - rho**2)
    return _levels(np.linspace(-psi, psi, n), pi), pi, Pi


def tauchen(n: int, rho: float, sigma: float, m: float = 3.0):
    """Tauchen (1986) discretisation of the log AR(1) on ``m`` unconditional stds.

    The log grid is ``linspace(-s, s, n)``, ``s = m * sigma / sqrt(1 - rho^2)``, step
    ``h``. ``Pi[i, j] = Phi((z_j - rho z_i + h/2)/sigma) - Phi((z_j - rho z_i - h/2)/sigma)``
    with the tails assigned to the end points. Moments match only approximately.

    Returns ``(y_grid, pi, Pi)`` as in :func:`rouwenhorst`.
    """
    _check_ar1("tauchen", n, rho, sigma)
    if not m > 0:
        raise ModelSpecError(f"tauchen: 'm' must be positive, got {m!r}")
    n = int(n)
    if n == 1 or sigma == 0:
        if n == 1:
            return np.ones(1), np.ones(1), np.ones((1, 1))
        raise ModelSpecError("tauchen: 'sigma' must be positive when n > 1")
    s = m * sigma / np.sqrt(1 - rho**2)
    z = np.linspace(-s, s, n)
    Pi = _tauchen_matrix(z, float(rho), float(sigma))
    pi = stationary(Pi)
    return _levels(z, pi), pi, Pi


def markov_rouwenhorst(rho: float, sigma: float, N: int = 7):
    """sequence-jacobian's ``markov_rouwenhorst``: ``sigma`` is the *cross-sectional* sd
    of ``log y`` (the innovation sd is ``sigma * sqrt(1 - rho^2)``).

    Returns ``(y_grid, pi, Pi)`` as :func:`rouwenhorst`, which it calls.

    Example
    -------
    >>> y, pi, Pi = markov_rouwenhorst(0.9, 0.5, 3)
    >>> round(float(np.sqrt(pi @ np.log(y) ** 2 - (pi @ np.log(y)) ** 2)), 12)
    0.5
    """
    _check_ar1("markov_rouwenhorst", N, rho, sigma)
    return rouwenhorst(int(N), rho, sigma * np.sqrt(1 - rho**2))


def markov_tauchen(rho: float, sigma: float, N: int = 7, m: float = 3.0, normalize=True):
    """sequence-jacobian's ``markov_tauchen``: Tauchen's bins on ``m`` unconditional sds
    of a unit-variance AR(1), then the log grid rescaled so that the *discrete* chain's
    cross-sectional sd of ``log y`` is exactly ``sigma``.

    Returns ``(y_grid, pi, Pi)``; with ``normalize=False`` the first entry is the log
    grid itself (mean not normalised), as in sequence-jacobian.
    """
    _check_ar1("markov_tauchen", N, rho, sigma)
    if not m > 0:
        raise ModelSpecError(f"markov_tauchen: 'm' must be positive, got {m!r}")
    N = int(N)
    if N == 1:
        return np.ones(1), np.ones(1), np.ones((1, 1))
    s = np.linspace(-m, m, N)
    Pi = _tauchen_matrix(s, float(rho), float(np.sqrt(1 - rho**2)))
    pi = stationary(Pi)
    s = s * (sigma / np.sqrt(pi @ s**2 - (pi @ s) ** 2))
    if not normalize:
        return s, pi, Pi
    y = np.exp(s)
    return y / (pi @ y), pi, Pi


def agrid(amax: float, n: int, amin: float = 0.0) -> NDArray[np.float64]:
    """sequence-jacobian's ``agrid``: equidistant in ``log(a - amin + pivot)`` with pivot
    ``|amin| + 0.25``; the first point is exactly ``amin``.

    Example
    -------
    >>> g = agrid(10.0, 4)
    >>> float(g[0]), round(float(g[-1]), 12)
    (0.0, 10.0)
    """
    _check_bounds("agrid", amin, amax, n)
    pivot = abs(amin) + 0.25
    g = np.geomspace(amin + pivot, amax + pivot, int(n)) - pivot
    g[0] = amin
    return g


def asset_grid(amin: float, amax: float, n: int) -> NDArray[np.float64]:
    """Double-exponential grid on ``[amin, amax]``, denser near ``amin``.

    ``u = log(1 + log(1 + amax - amin))``, ``grid = amin + exp(exp(linspace(0, u, n)) - 1) - 1``;
    the end points are set to ``amin`` and ``amax`` exactly.

    Example
    -------
    >>> g = asset_grid(0.0, 100.0, 5)
    >>> float(g[0]), float(g[-1]), bool(all(g[1:] > g[:-1]))
    (0.0, 100.0, True)
    """
    _check_bounds("asset_grid", amin, amax, n)
    g = _double_exponential(float(amin), float(amax), int(n))
    if not np.all(np.diff(g) > 0):
        raise ModelSpecError(
            f"asset_grid: {n} points on [{amin}, {amax}] are not strictly increasing in "
            "floating point; use fewer points or a wider range"
        )
    return g


def uniform_grid(amin: float, amax: float, n: int) -> NDArray[np.float64]:
    """Evenly spaced grid ``linspace(amin, amax, n)``."""
    _check_bounds("uniform_grid", amin, amax, n)
    return np.linspace(float(amin), float(amax), int(n))


def _check_bounds(fn: str, amin: float, amax: float, n: int) -> None:
    if int(n) != n or n < 2:
        raise ModelSpecError(f"{fn}: 'n' must be an integer >= 2, got {n!r}")
    if not (np.isfinite(amin) and np.isfinite(amax) and amax > amin):
        raise ModelSpecError(f"{fn}: need finite 'amin' < 'amax', got {amin!r}, {amax!r}")


def _rouwenhorst_matrix(n, p):
    """Rouwenhorst recursion with p = q: pad the (k-1)-state matrix into the four
    corners of a k-state one with weights p, 1-p, 1-p, p, then halve interior rows.

    Plain NumPy on purpose: n is small, and as a numba kernel its slice arithmetic
    compiled numba's shape-error formatting, 7.5 s of a new user's first run."""
    Pi = np.array([[p, 1.0 - p], [1.0 - p, p]])
    for k in range(3, n + 1):
        new = np.zeros((k, k))
        new[:-1, :-1] += p * Pi
        new[:-1, 1:] += (1.0 - p) * Pi
        new[1:, :-1] += (1.0 - p) * Pi
        new[1:, 1:] += p * Pi
        new[1:-1] /= 2.0
        Pi = new
    return Pi / Pi.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------- numba kernels


@njit(cache=True)
def _normal_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@njit(cache=True)
def _tauchen_matrix(z, rho, sigma):
    """Pi[i, j] = P(z' in bin j | z_i) with bins centred on the evenly spaced z."""
    n = z.shape[0]
    h = z[1] - z[0]
    Pi = np.empty((n, n))
    for i in range(n):
        mean = rho * z[i]
        for j in range(n):
            upper = _normal_cdf((z[j] - mean + h / 2) / sigma)
            lower = _normal_cdf((z[j] - mean - h / 2) / sigma)
            if j == 0:
                Pi[i, j] = upper
            elif j == n - 1:
                Pi[i, j] = _normal_cdf(-(z[j] - mean - h / 2) / sigma)
            else:
                Pi[i, j] = upper - lower
        Pi[i] /= Pi[i].sum()
    return Pi


@njit(cache=True)
def _double_exponential(amin, amax, n):
    """amin + expm1(expm1(linspace(0, u, n))) with u = log1p(log1p(amax - amin)); the
    end points are exactly amin and amax."""
    u = math.log1p(math.log1p(amax - amin))
    g = np.empty(n)
    for k in range(n):
        g[k] = amin + math.expm1(math.expm1(u * k / (n - 1)))
    g[0] = amin
    g[n - 1] = amax
    return g
