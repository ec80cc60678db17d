"""A small dense Newton/Broyden solver with backtracking, for steady states."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import ConvergenceError


def fd_jacobian(f: Callable, x: np.ndarray, fx: np.ndarray, h: float = 1e-6) -> np.ndarray:
    J = np.empty((len(fx), len(x)))
    for j in range(len(x)):
        step = h * max(1.0, abs(x[j]))
        xp = x.copy()
        xp[j] += step
        J[:, j] = (f(xp) - fx) / step
    return J


def newton_solve(
    f: Callable, x0: np.ndarray, tol: float = 1e-10, maxit: int = 100, broyden: bool = False
) -> np.ndarray:
    """Solve f(x) = 0. Backtracks until ||f|| decreases; Broyden updates J if asked.

    With ``broyden``, J is a finite-difference Jacobian at ``x0`` updated by Broyden's
    rank-one rule; when a line search fails on it, J is recomputed by finite differences
    at the current point and the step retried (Newton's method is that refresh every
    iteration). Raises ConvergenceError with the final residual when ``maxit`` is
    exhausted or a line search fails on a fresh Jacobian.
    """
    x = np.asarray(x0, dtype=float).copy()
    fx = f(x)
    J = fd_jacobian(f, x, fx)
    fresh = True  # J is a finite-difference Jacobian at x
    for it in range(maxit):
        err = np.max(np.abs(fx))
        if err < tol:
            return _polish(f, x, fx, J)
        step, fnew = _line_search(f, x, fx, J, err)
        if step is None and not fresh:
            # a stale Broyden Jacobian can point uphill: refresh it and try again
            J = fd_jacobian(f, x, fx)
            step, fnew = _line_search(f, x, fx, J, err)
        if step is None:
            raise ConvergenceError(
                f"Newton line search failed at iteration {it}; max residual {err:.3e}",
                iterations=it,
                residual=float(err),
            )
        xnew = x + step
        if broyden:
            s, y = xnew - x, fnew - fx
            J = J + np.outer(y - J @ s, s) / (s @ s)
            fresh = False
        else:
            J = fd_jacobian(f, xnew, fnew)
        x, fx = xnew, fnew
    err = np.max(np.abs(fx))
    if err < tol:
        return x
    raise ConvergenceError(
        f"Newton did not converge in {maxit} iterations; max residual {err:.3e}",
        iterations=maxit,
        residual=float(err),
    )


def _line_search(f: Callable, x, fx, J, err) -> tuple:
    """Backtrack along the Newton direction of J until max|f| falls; (step, f) or (None, None)."""
    try:
        dx = -np.linalg.solve(J, fx)
    except np.linalg.LinAlgError:
        dx = -np.linalg.lstsq(J, fx, rcond=None)[0]
    t = 1.0
    for _ in range(30):
        try:
            fnew = f(x + t * dx)
        except (FloatingPointError, ValueError):
            fnew = np.full_like(fx, np.nan)
        if np.all(np.isfinite(fnew)) and np.max(np.abs(fnew)) < (1 - 1e-4 * t) * err:
            return t * dx, fnew
        t *= 0.5
    return None, None


def _polish(f: Callable, x: np.ndarray, fx: np.ndarray, J: np.ndarray) -> np.ndarray:
    """One more Newton step once within tolerance, kept only if it lowers the residual."""
    try:
        xn = x - np.linalg.solve(J, fx)
        fn = f(xn)
    except (np.linalg.LinAlgError, FloatingPointError, ValueError):
        return x
    return xn if np.all(np.isfinite(fn)) and np.max(np.abs(fn)) < np.max(np.abs(fx)) else x
