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

    Raises ConvergenceError with the final residual when ``maxit`` is exhausted.
    """
    x = np.asarray(x0, dtype=float).copy()
    fx = f(x)
    J = fd_jacobian(f, x, fx)
    for it in range(maxit):
        err = np.max(np.abs(fx))
        if err < tol:
            return _polish(f, x, fx, J)
        try:
            dx = -np.linalg.solve(J, fx)
        except np.linalg.LinAlgError:
            dx = -np.linalg.lstsq(J, fx, rcond=None)[0]
        step = 1.0
        for _ in range(30):
            try:
                fnew = f(x + step * dx)
            except (FloatingPointError, ValueError):
                fnew = np.full_like(fx, np.nan)
            if np.all(np.isfinite(fnew)) and np.max(np.abs(fnew)) < (1 - 1e-4 * step) * err:
                break
            step *= 0.5
        else:
            raise ConvergenceError(
                f"Newton line search failed at iteration {it}; max residual {err:.3e}",
                iterations=it,
                residual=float(err),
            )
        xnew = x + step * dx
        if broyden:
            s, y = xnew - x, fnew - fx
            J = J + np.outer(y - J @ s, s) / (s @ s)
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


def _polish(f: Callable, x: np.ndarray, fx: np.ndarray, J: np.ndarray) -> np.ndarray:
    """One more Newton step once within tolerance, kept only if it lowers the residual."""
    try:
        xn = x - np.linalg.solve(J, fx)
        fn = f(xn)
    except (np.linalg.LinAlgError, FloatingPointError, ValueError):
        return x
    return xn if np.all(np.isfinite(fn)) and np.max(np.abs(fn)) < np.max(np.abs(fx)) else x
