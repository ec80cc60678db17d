"""Law of motion of heterogeneous-agent histograms: validating wrappers around the kernels.

One period of the law of motion maps a beginning-of-period histogram ``D`` (exogenous
axes first, then one or two endogenous asset axes) to next period's by

.. math::

    D' = \\Pi^{\\top} \\Lambda(x)\\, D,

first the lottery :math:`\\Lambda(x)` that puts the mass of every state on the two (or
four) grid points bracketing its asset choice ``x``, then the exogenous Markov chain,
applied to each exogenous axis with its own matrix. :func:`expectation_step` is the
exact transpose :math:`\\Lambda^{\\top} \\Pi` used for expectation vectors. The
stationary histogram and the sparse transition matrix are in :mod:`._stationary`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...errors import ModelSpecError
from ...utils.grids import markov_check
from . import _lottery_kernels as K


def _f64(x: ArrayLike) -> NDArray[np.float64]:
    return np.ascontiguousarray(x, dtype=np.float64)


def _check_grid(grid: ArrayLike, name: str, n: int | None, fn: str) -> NDArray[np.float64]:
    g = _f64(grid)
    if g.ndim != 1 or g.shape[0] < 2:
        raise ModelSpecError(f"{fn}: {name!r} must be 1-D with >= 2 points, got shape {g.shape}")
    if n is not None and g.shape[0] != n:
        raise ModelSpecError(
            f"{fn}: {name!r} has {g.shape[0]} points but the policy's axis has {n}"
        )
    d = np.diff(g)
    if not (d.min() > 0 and np.isfinite(g[0]) and np.isfinite(g[-1])):
        k = int(np.argmin(d))
        raise ModelSpecError(
            f"{fn}: {name!r} must be finite and strictly increasing; "
            f"{name}[{k}]={float(g[k])!r} >= {name}[{k + 1}]={float(g[k + 1])!r}"
        )
    return g


def _check_markov(Pi: ArrayLike, name: str, n: int, fn: str, dshape: tuple) -> NDArray:
    P = _f64(Pi)
    if P.shape != (n, n):
        raise ModelSpecError(
            f"{fn}: {name!r} has shape {P.shape} but 'D' has {n} exogenous states (shape {dshape})"
        )
    try:
        return markov_check(P, name=name)
    except ModelSpecError as err:
        raise ModelSpecError(f"{fn}: {err}") from err


def _as_pi_list(Pi_list, shape: tuple, ndim_endo: int, fn: str) -> list[NDArray[np.float64]]:
    if isinstance(Pi_list, np.ndarray) and Pi_list.ndim == 2:
        Pi_list = [Pi_list]
    n_exog = len(shape) - ndim_endo
    if len(Pi_list) != n_exog:
        raise ModelSpecError(
            f"{fn}: got {len(Pi_list)} Markov matrices in 'Pi_list' but the histogram shape "
            f"{shape} has {n_exog} exogenous axes"
        )
    return [_check_markov(P, f"Pi_list[{k}]", shape[k], fn, shape) for k, P in enumerate(Pi_list)]


def _markov_axis(A: NDArray, Pi: NDArray, axis: int, forward: bool) -> NDArray:
    """Apply ``Pi.T`` (forward) or ``Pi`` (expectation) along ``axis`` of ``A``."""
    s = A.shape
    pre = int(np.prod(s[:axis], dtype=np.int64))
    M = Pi.T if forward else Pi
    out = M @ A.reshape(pre, s[axis], -1) if pre > 1 else M @ A.reshape(s[axis], -1)
    return out.reshape(s)


class Lottery:
    """Discretised asset choices: the lottery part of the law of motion.

    Attributes ``a_i`` (int64) and ``a_pi`` (float64) have the policy's shape
    ``(n_e1, ..., n_a)`` (1-D) or ``(n_e1, ..., n_b, n_a)`` (2-D, which also has
    ``b_i``, ``b_pi``); ``a_grid``/``b_grid`` are the grids; ``shape`` the histogram
    shape; ``ndim_endo`` is 1 or 2. Build with :meth:`from_policy_1d` or
    :meth:`from_policy_2d`.

    Example
    -------
    >>> import numpy as np
    >>> lot = Lottery.from_policy_1d(np.array([[0.25, 1.0]]), np.array([0.0, 1.0]))
    >>> lot.forward(np.array([[0.5, 0.5]]))
    array([[0.375, 0.625]])
    """

    __slots__ = ("a_i", "a_pi", "b_i", "b_pi", "a_grid", "b_grid", "shape", "ndim_endo")

    def __init__(self, a_i, a_pi, a_grid, b_i=None, b_pi=None, b_grid=None):
        self.a_i, self.a_pi, self.a_grid = a_i, a_pi, a_grid
        self.b_i, self.b_pi, self.b_grid = b_i, b_pi, b_grid
        self.shape = a_i.shape
        self.ndim_endo = 1 if b_i is None else 2

    def __repr__(self) -> str:
        return f"Lottery(shape={self.shape}, ndim_endo={self.ndim_endo})"

    @staticmethod
    def _lottery(x: NDArray, grid: NDArray):
        x2 = x.reshape(-1, x.shape[-1])
        i = np.empty(x2.shape, dtype=np.int64)
        pi = np.empty(x2.shape)
        K.lottery_1d(x2, grid, i, pi)
        return i.reshape(x.shape), pi.reshape(x.shape)

    @classmethod
    def from_policy_1d(cls, x: ArrayLike, grid: ArrayLike) -> Lottery:
        """Lottery of choices ``x``, shape (n_e1, ..., n_a), on ``grid`` (n_a,); clipped."""
        x = _f64(x)
        if x.ndim < 2:
            raise ModelSpecError(f"Lottery: policy 'x' must be (n_e, ..., n_a), got {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ModelSpecError("Lottery: policy 'x' has non-finite entries")
        g = _check_grid(grid, "grid", x.shape[-1], "Lottery")
        return cls(*cls._lottery(x, g), g)

    @classmethod
    def from_policy_2d(cls, xb: ArrayLike, xa: ArrayLike, b_grid: ArrayLike, a_grid: ArrayLike):
        """Bilinear lottery of choices ``xb``, ``xa``, each (n_e1, ..., n_b, n_a)."""
        xb, xa = _f64(xb), _f64(xa)
        if xb.ndim < 3 or xb.shape != xa.shape:
            raise ModelSpecError(
                f"Lottery: 'xb' {xb.shape} and 'xa' {xa.shape} must share shape (n_e, n_b, n_a)"
            )
        if not (np.all(np.isfinite(xb)) and np.all(np.isfinite(xa))):
            raise ModelSpecError("Lottery: policies 'xb'/'xa' have non-finite entries")
        bg = _check_grid(b_grid, "b_grid", xb.shape[-2], "Lottery")
        ag = _check_grid(a_grid, "a_grid", xa.shape[-1], "Lottery")
        a_i, a_pi = cls._lottery(xa, ag)
        b_i, b_pi = cls._lottery(xb, bg)
        return cls(a_i, a_pi, ag, b_i, b_pi, bg)

    def corners(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """``(target, weight)``, each (C, *shape): where each state's mass goes, as a flat
        index into the endogenous grid (``b * n_a + a`` for two assets), and how much.
        C = 2 (1-D) or 4 (2-D, bilinear); the weights of a state sum to one."""
        if self.ndim_endo == 1:
            return np.stack([self.a_i, self.a_i + 1]), np.stack([self.a_pi, 1 - self.a_pi])
        n_a = self.shape[-1]
        base = self.b_i * n_a + self.a_i
        pb, pa = self.b_pi, self.a_pi
        target = np.stack([base, base + 1, base + n_a, base + n_a + 1])
        weight = np.stack([pb * pa, pb * (1 - pa), (1 - pb) * pa, (1 - pb) * (1 - pa)])
        return target, weight

    # -- shapes -------------------------------------------------------------------------
    def _flat(self, A: NDArray, batch: bool = False) -> NDArray:
        tail = self.shape[-self.ndim_endo :]
        return A.reshape(((A.shape[0],) if batch else ()) + (-1,) + tail)

    def _check(self, A: ArrayLike, name: str, batch: bool = False) -> NDArray[np.float64]:
        A = _f64(A)
        want = A.shape[1:] if batch else A.shape
        if want != self.shape or (batch and A.ndim != len(self.shape) + 1):
            exp = "(n_batch, *shape)" if batch else "shape"
            raise ModelSpecError(
                f"Lottery: {name!r} has shape {A.shape}, expected {exp} with shape={self.shape}"
            )
        return A

    def _idx(self, flat: bool = True):
        f = (lambda z: z.reshape((-1,) + self.shape[-self.ndim_endo :])) if flat else (lambda z: z)
        if self.ndim_endo == 1:
            return f(self.a_i), f(self.a_pi)
        return f(self.b_i), f(self.b_pi), f(self.a_i), f(self.a_pi)

    # -- operators ----------------------------------------------------------------------
    def forward(self, D: ArrayLike) -> NDArray[np.float64]:
        """Histogram after the lottery only (no exogenous transition); shape preserved."""
        D = self._check(D, "D")
        out = np.empty_like(D)
        fn = K.forward_lottery_1d if self.ndim_endo == 1 else K.forward_lottery_2d
        fn(self._flat(D), *self._idx(), self._flat(out))
        return out

    def expectation(self, X: ArrayLike) -> NDArray[np.float64]:
        """Transpose of :meth:`forward`: ``out[s] = sum_s' Λ[s -> s'] X[s']``."""
        X = self._check(X, "X")
        out = np.empty_like(X)
        fn = K.expectation_lottery_1d if self.ndim_endo == 1 else K.expectation_lottery_2d
        fn(self._flat(X), *self._idx(), self._flat(out))
        return out

    def expectation_batch(self, X: ArrayLike) -> NDArray[np.float64]:
        """:meth:`expectation` for each ``X[k]``; X is (n_batch, *shape)."""
        X = self._check(X, "X", batch=True)
        out = np.empty_like(X)
        if self.ndim_endo == 1:
            fn = K.expectation_lottery_1d_batch
        else:
            fn = K.expectation_lottery_2d_batch
        fn(self._flat(X, True), *self._idx(), self._flat(out, True))
        return out

    def forward_deriv(self, *args: ArrayLike) -> NDArray[np.float64]:
        """First-order change of :meth:`forward` for policy shocks, holding indices fixed.

        1-D: ``forward_deriv(dx, D)``; 2-D: ``forward_deriv(db, da, D)``. Shocks are
        (n_batch, *shape) and the result has the same shape; an unbatched shock of
        ``shape`` gives an unbatched result.
        """
        if len(args) != self.ndim_endo + 1:
            sig = "(dx, D)" if self.ndim_endo == 1 else "(db, da, D)"
            raise ModelSpecError(f"Lottery.forward_deriv: expected arguments {sig}")
        D = self._check(args[-1], "D")
        shocks = [_f64(s) for s in args[:-1]]
        unbatched = shocks[0].shape == self.shape
        if unbatched:
            shocks = [s[None] for s in shocks]
        shocks = [self._check(s, n, batch=True) for s, n in zip(shocks, ("d1", "d2"))]
        out = np.empty_like(shocks[0])
        fl = [self._flat(s, True) for s in shocks]
        if self.ndim_endo == 1:
            a_i, a_pi = self._idx()
            K.forward_lottery_1d_batch(
                fl[0], self._flat(D), a_i, a_pi, self.a_grid, self._flat(out, True)
            )
        else:
            args2 = (*fl, self._flat(D), *self._idx(), self.b_grid, self.a_grid)
            K.forward_lottery_2d_batch(*args2, self._flat(out, True))
        return out[0] if unbatched else out


def young_step(D: ArrayLike, x_next: ArrayLike, grid: ArrayLike, Pi: ArrayLike) -> NDArray:
    """One step of the histogram (Young 2010 lottery, then the Markov chain).

    Parameters
    ----------
    D : ndarray, shape (n_exog, n_grid)
        Beginning-of-period histogram, finite and nonnegative.
    x_next : ndarray, shape (n_exog, n_grid)
        Next-period asset choice at each state; clipped to ``[grid[0], grid[-1]]``.
    grid : ndarray, shape (n_grid,)
        Strictly increasing, ``n_grid >= 2``.
    Pi : ndarray, shape (n_exog, n_exog)
        Row-stochastic (to 1e-10), ``Pi[e, e']``.

    Returns
    -------
    ndarray, shape (n_exog, n_grid)
        ``D_next = Pi.T @ Λ(x_next) D``. Mass and (for on-grid choices) the mean of
        assets ``sum(D * x_next)`` are preserved.

    Raises
    ------
    ModelSpecError
        On shape mismatch, a bad grid, a non-stochastic ``Pi`` or invalid ``D``/``x_next``.

    Example
    -------
    >>> young_step([[1.0, 0.0]], [[0.5, 0.0]], [0.0, 1.0], [[1.0]])
    array([[0.5, 0.5]])
    """
    fn = "young_step"
    D, x = _f64(D), _f64(x_next)
    if D.ndim != 2:
        raise ModelSpecError(f"{fn}: 'D' must be 2-D (n_exog, n_grid), got shape {D.shape}")
    if x.shape != D.shape:
        raise ModelSpecError(f"{fn}: 'x_next' has shape {x.shape} but 'D' has shape {D.shape}")
    g = _check_grid(grid, "grid", D.shape[1], fn)
    P = _check_markov(Pi, "Pi", D.shape[0], fn, D.shape)
    if not (D.min() >= 0 and np.isfinite(D.max())):  # min/max propagate NaN
        raise ModelSpecError(f"{fn}: 'D' must be finite and nonnegative")
    if not (np.isfinite(x.min()) and np.isfinite(x.max())):
        raise ModelSpecError(f"{fn}: 'x_next' must be finite")
    a_i = np.empty(D.shape, dtype=np.int64)
    a_pi = np.empty(D.shape)
    K.lottery_1d(x, g, a_i, a_pi)
    tmp = np.empty_like(D)
    K.forward_lottery_1d(D, a_i, a_pi, tmp)
    K.apply_markov_forward(tmp, P, a_pi)  # reuse a_pi as output (~25% faster than Pi.T @)
    return a_pi


def _check_lottery(lottery, fn):
    if not isinstance(lottery, Lottery):
        raise ModelSpecError(f"{fn}: 'lottery' must be a Lottery, got {type(lottery).__name__}")


def forward_step(D: ArrayLike, lottery: Lottery, Pi_list: Sequence[ArrayLike]) -> NDArray:
    """``D' = (⊗_k Pi_k)^T Λ D``: lottery, then ``Pi_list[k].T`` along exogenous axis k.

    ``D`` has ``lottery.shape`` = (n_e1, ..., n_ek, endogenous dims...), k = len(Pi_list).
    """
    _check_lottery(lottery, "forward_step")
    Ps = _as_pi_list(Pi_list, lottery.shape, lottery.ndim_endo, "forward_step")
    out = lottery.forward(D)
    for k, P in enumerate(Ps):
        out = _markov_axis(out, P, k, forward=True)
    return out


def expectation_step(X: ArrayLike, lottery: Lottery, Pi_list: Sequence[ArrayLike]) -> NDArray:
    """Exact transpose of :func:`forward_step`: ``X ↦ Λ^T (⊗_k Pi_k) X``."""
    _check_lottery(lottery, "expectation_step")
    Ps = _as_pi_list(Pi_list, lottery.shape, lottery.ndim_endo, "expectation_step")
    X = lottery._check(X, "X")
    for k, P in enumerate(Ps):
        X = _markov_axis(X, P, k, forward=False)
    return lottery.expectation(X)


def expectation_step_batch(X: ArrayLike, lottery: Lottery, Pi_list: Sequence[ArrayLike]):
    """:func:`expectation_step` for each ``X[b]``; X is (n_batch, *lottery.shape)."""
    _check_lottery(lottery, "expectation_step_batch")
    Ps = _as_pi_list(Pi_list, lottery.shape, lottery.ndim_endo, "expectation_step_batch")
    X = lottery._check(X, "X", batch=True)
    for k, P in enumerate(Ps):
        X = _markov_axis(X, P, k + 1, forward=False)
    return lottery.expectation_batch(X)
