"""Reduced-rank extrapolation (RRE) of a slowly converging fixed-point iteration.

Near its fixed point ``x*`` an iteration ``x_{n+1} = g(x_n)`` is linear,
``x_{n+1} - x* = J (x_n - x*)``, and its error lives on the few slowest eigenvectors of
``J``. From ``m + 2`` consecutive iterates ``x_0 .. x_{m+1}`` with differences
``u_i = x_{i+1} - x_i``, RRE picks weights ``gamma`` (summing to one) that minimise
``|| sum_i gamma_i u_i ||_2`` and returns ``sum_i gamma_i x_{i+1}``: exact when the
error spans at most ``m + 1`` eigenvectors, and otherwise it removes the slowest ones.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["IterateExtrapolator", "rre"]


def rre(X: NDArray[np.float64]) -> NDArray[np.float64]:
    """RRE of iterates ``X`` (m + 2, N) -> extrapolated point (N,).

    With ``gamma_m = 1 - sum_{i<m} beta_i`` the problem is unconstrained,
    ``min_beta || u_m + sum_{i<m} beta_i (u_i - u_m) ||``. Its (scaled) normal
    equations are 10x cheaper than an SVD and are used while well conditioned; two nearly
    equal slow eigenvalues make the differences close to dependent, and then squaring
    their condition number would lose the answer, so SVD least squares takes over (its
    minimum-norm ``beta`` also keeps the weights bounded when they are exactly dependent).
    """
    U = np.diff(X, axis=0)
    W = U[:-1] - U[-1]  # (m, N)
    G = W @ W.T
    s = np.sqrt(np.diag(G))
    if np.all(s > 0):
        try:
            L = np.linalg.cholesky(G / np.outer(s, s))
        except np.linalg.LinAlgError:
            L = None
        if L is not None and np.min(np.diag(L)) ** 2 > 1e-8:
            y = np.linalg.solve(L, -(W @ U[-1]) / s)
            beta = np.linalg.solve(L.T, y) / s
            return _combine(X, U, beta)
    beta = np.linalg.lstsq(W.T, -U[-1], rcond=None)[0]
    return _combine(X, U, beta)


def _combine(X: NDArray, U: NDArray, beta: NDArray) -> NDArray[np.float64]:
    # X[-1] + beta @ (X[1:-1] - X[-1]) = X[-1] - cumsum(beta) @ U[1:], since
    # X[i] - X[-1] = -(U[i] + ... + U[-1]): the same differences form without an (m, N)
    # temporary
    return X[-1] - np.cumsum(beta) @ U[1:]


class IterateExtrapolator:
    """Record iterates in cycles and propose RRE jumps.

    From iteration ``start`` on, every ``period`` iterations, the last ``m + 2`` iterates
    are combined by :func:`rre`. ``push(it, x, diff)`` stores ``x`` (by reference: the
    caller must not modify it afterwards) when it will be needed and returns the jump
    (or None); ``diff`` is the iteration's current step
    change. Jumps stop for good when the change has not fallen since the previous jump
    (they are not helping) or when a jump would move ``x`` 100x farther than the
    distance left that the last two differences imply. When the caller finds that a jump
    made things worse it calls :meth:`reject`: the next cycle is skipped (early on the
    iteration may not be linear yet), and the third rejection stops jumps. So only a
    bounded number of steps can be lost to bad jumps.
    """

    def __init__(self, m: int = 10, start: int = 40, period: int = 25):
        if period < m + 2:
            raise ValueError(f"IterateExtrapolator: period {period} < m + 2 = {m + 2}")
        self.m, self.next, self.period = m, start, period
        self.buf: list[NDArray] = []
        self.active = True
        self.last_diff = np.inf
        self.rejected = 0

    def wants(self, it: int) -> bool:
        """Whether :meth:`push` at iteration ``it`` would use ``x`` (callers skip building it)."""
        return self.active and it >= self.next - self.m - 1

    def push(self, it: int, x: NDArray, diff: float) -> NDArray | None:
        if not self.wants(it):
            return None
        self.buf.append(np.asarray(x, dtype=np.float64).ravel())
        if it < self.next:
            return None
        X, self.buf = np.array(self.buf[-(self.m + 2) :]), []
        self.next = it + self.period
        if not diff < self.last_diff:
            self.active = False
            return None
        self.last_diff = diff
        with np.errstate(all="ignore"):
            try:
                out = rre(X)
            except np.linalg.LinAlgError:
                return None
            # a jump covers the distance left, about |u_m| / (1 - q); 100x that is garbage
            step, prev = (float(np.max(np.abs(X[k] - X[k - 1]))) for k in (-1, -2))
            q = min(step / prev, 0.9999) if prev > 0 else 0.9999
            if not np.max(np.abs(out - X[-1])) <= 100 * step / (1 - q):  # also NaN
                self.active = False
                return None
        return out

    def reject(self) -> None:
        # the iteration may still be far from linear: back off, give up after three
        self.rejected += 1
        self.buf = []
        self.next += self.period
        self.active = self.rejected < 3
