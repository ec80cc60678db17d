"""Posterior mode by scipy.optimize, and the inverse Hessian there.

The inverse of minus the Hessian of the log posterior at the mode is the usual Laplace
approximation of the posterior covariance; random-walk Metropolis–Hastings draws its
proposals from it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from hetdag.errors import ConvergenceError, HetdagWarning

from ..utils._progress import show_progress
from ._problem import EstimationProblem


class EstimationWarning(HetdagWarning):
    """An estimation step finished, but its result needs care (see the message)."""


class ModeResult(dict):
    """The posterior mode: ``x`` (dict), ``theta``, ``log_posterior``, ``inv_hessian``,
    ``sd``, ``success``, ``message``, ``nit``, ``nfev``. Attribute access as for keys."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        x = ", ".join(f"{k}={v:.5g}" for k, v in self["x"].items())
        return (
            f"ModeResult(success={self['success']}, message={self['message']!r}, "
            f"log_posterior={self['log_posterior']:.6g}, x={{{x}}}, nfev={self['nfev']})"
        )

    def to_frame(self):
        """pandas DataFrame: mode and Laplace sd per parameter."""
        from ._draws import _pandas

        pd = _pandas()
        return pd.DataFrame({"mode": self["x"], "sd": dict(zip(self["x"], self["sd"]))})


def _steps(x: NDArray[np.float64], rel: float, bounds) -> NDArray[np.float64]:
    h = rel * np.maximum(np.abs(x), 1e-2)
    for j, (lo, hi) in enumerate(bounds):  # stay inside the support
        if lo is not None:
            h[j] = min(h[j], 0.5 * (x[j] - lo)) if x[j] > lo else h[j]
        if hi is not None:
            h[j] = min(h[j], 0.5 * (hi - x[j])) if x[j] < hi else h[j]
    return h


def hessian(
    f: Callable[[NDArray[np.float64]], float],
    x: NDArray[np.float64],
    rel_step: float = 1e-3,
    bounds=None,
    fx: float | None = None,
) -> NDArray[np.float64]:
    """Central finite-difference Hessian of ``f`` at ``x`` (steps ``rel_step * |x|``).

    ``f(x + h_i e_i + h_j e_j) - f(x + h_i e_i - h_j e_j) - ...`` over ``4 h_i h_j``;
    diagonal terms from ``f(x + 2h) - 2 f(x) + f(x - 2h)`` over ``4 h^2``.
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    h = _steps(x, rel_step, bounds or [(None, None)] * n)
    fx = f(x) if fx is None else fx
    H = np.empty((n, n))
    E = np.diag(h)
    for i in range(n):
        H[i, i] = (f(x + 2 * E[i]) - 2 * fx + f(x - 2 * E[i])) / (4 * h[i] ** 2)
        for j in range(i):
            v = (
                f(x + E[i] + E[j]) - f(x + E[i] - E[j]) - f(x - E[i] + E[j]) + f(x - E[i] - E[j])
            ) / (4 * h[i] * h[j])
            H[i, j] = H[j, i] = v
    return H


def _transforms(bounds):
    """Maps between the parameters x and unconstrained u, per support: logit on (lo, hi),
    log on (lo, inf) or (-inf, hi), identity on the real line. Optimising in u keeps the
    search inside the support and the finite-difference steps on one scale."""
    kinds = []
    for lo, hi in bounds:
        kinds.append(
            "real"
            if lo is None and hi is None
            else "lower"
            if hi is None
            else "upper"
            if lo is None
            else "both"
        )

    def to_u(x):
        u = np.empty(len(x))
        for j, ((lo, hi), k) in enumerate(zip(bounds, kinds)):
            if k == "real":
                u[j] = x[j]
            elif k == "lower":
                u[j] = math.log(x[j] - lo)
            elif k == "upper":
                u[j] = math.log(hi - x[j])
            else:
                z = (x[j] - lo) / (hi - lo)
                u[j] = math.log(z / (1 - z))
        return u

    def to_x(u):
        x = np.empty(len(u))
        for j, ((lo, hi), k) in enumerate(zip(bounds, kinds)):
            if k == "real":
                x[j] = u[j]
            elif k == "lower":
                x[j] = lo + math.exp(min(u[j], 700.0))
            elif k == "upper":
                x[j] = hi - math.exp(min(u[j], 700.0))
            else:
                x[j] = lo + (hi - lo) / (1 + math.exp(-max(min(u[j], 700.0), -700.0)))
        return x

    return to_x, to_u


def _progress(total: int | None, desc: str, enabled: bool | None):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, disable=not show_progress(enabled), leave=False)


def find_mode(
    problem: EstimationProblem,
    x0=None,
    method: str = "L-BFGS-B",
    *,
    maxiter: int = 500,
    tol: float | None = None,
    hessian_step: float = 1e-3,
    progress: bool | None = None,
    options: dict | None = None,
) -> ModeResult:
    """Maximise the log posterior with ``scipy.optimize.minimize``.

    Parameters
    ----------
    problem : EstimationProblem
    x0 : array or mapping, optional
        Starting values (default ``problem.initial``); must have a finite posterior.
    method : str
        A ``scipy.optimize.minimize`` method. It works on unconstrained transforms of
        the parameters (logit on a bounded support, log on a half line), with central
        finite-difference gradients.
    hessian_step : float
        Relative step of the finite-difference Hessian at the mode.
    progress : bool, optional
        Show a progress bar of log-posterior evaluations (default: when stderr is a
        terminal).

    Returns
    -------
    ModeResult
        With ``inv_hessian`` the inverse of minus the Hessian at the mode (made positive
        definite by flooring its eigenvalues, with an ``EstimationWarning``, if needed).

    Raises
    ------
    ConvergenceError
        The starting point has a log posterior of -inf (the message gives the reason).
    """
    x0 = problem.initial if x0 is None else problem.values(x0)
    if isinstance(x0, dict):
        x0 = np.array([x0[p] for p in problem.names])
    x0 = np.asarray(x0, dtype=float)
    f0 = problem.log_posterior(x0)
    if not math.isfinite(f0):
        raise ConvergenceError(
            f"find_mode: the log posterior at the starting point {dict(zip(problem.names, x0))} "
            f"is -inf ({problem.last_error!r}); start inside the priors' support where the "
            "model solves"
        )
    bounds = problem.priors.bounds()
    to_x, to_u = _transforms(bounds)
    bar = _progress(None, "find_mode", progress)
    best = [f0]

    def objective(u):
        v = problem.log_posterior(to_x(u))
        bar.update(1)
        if v > best[0]:
            best[0] = v
            bar.set_postfix(log_posterior=f"{v:.6g}", refresh=False)
        return -v if math.isfinite(v) else 1e300

    opts = {"maxiter": maxiter, **(options or {})}
    jac = None if method in ("Nelder-Mead", "Powell") else "3-point"
    with warnings.catch_warnings():
        # finite differences across a -inf region produce inf - inf
        warnings.simplefilter("ignore", RuntimeWarning)
        res = optimize.minimize(objective, to_u(x0), method=method, jac=jac, tol=tol, options=opts)
        x = to_x(np.asarray(res.x, dtype=float))
        fx = problem.log_posterior(x)
        H = hessian(problem.log_posterior, x, hessian_step, bounds, fx)
    bar.close()
    cov = _inverse_negative(H, problem.names)
    return ModeResult(
        x=dict(zip(problem.names, x.tolist())),
        theta=x,
        log_posterior=fx,
        hessian=H,
        inv_hessian=cov,
        sd=np.sqrt(np.diag(cov)),
        success=bool(res.success),
        message=str(res.message),
        nit=int(getattr(res, "nit", 0)),
        nfev=int(res.nfev),
    )


def _inverse_negative(H: NDArray[np.float64], names) -> NDArray[np.float64]:
    A = -0.5 * (H + H.T)
    if not np.all(np.isfinite(A)):
        warnings.warn(
            "find_mode: the Hessian at the mode is not finite (the mode sits at the edge of "
            "the region where the model solves); using a diagonal 1e-4 |x| covariance",
            EstimationWarning,
            stacklevel=3,
        )
        return np.eye(len(names)) * 1e-8
    w, V = np.linalg.eigh(A)
    if np.all(w > 0):
        return np.linalg.inv(A)
    bad = [names[j] for j in np.argmax(np.abs(V[:, w <= 0]), axis=0)]
    warnings.warn(
        f"find_mode: minus the Hessian is not positive definite at the mode (flat or "
        f"non-concave in {bad}); its eigenvalues were floored",
        EstimationWarning,
        stacklevel=3,
    )
    floor = max(1e-8 * np.max(np.abs(w)), 1e-12)
    w = np.maximum(w, floor)
    return (V / w) @ V.T
