"""Sparse shift operators: the exact Jacobians of simple blocks.

A simple block's output ``y_t = f(x_{t+k}, ...)`` has the Jacobian

.. math::  J = \\sum_k c_k S_k, \\qquad (S_k)_{t,s} = 1 \\text{ if } s = t + k,\\ 0 \\le s < T,

where ``c_k = df/dx_{t+k}`` at the steady state.

Truncation convention (the same for linear and nonlinear paths): a model's *inputs*
before 0 and from T on sit at the steady state; every variable *before 0* is at the
steady state (the economy was there before the news); every variable at t >= 0 is
computed from the inputs, including a variable at T that a block reads as a lead at
T-1. Jacobians of chains of simple blocks are therefore T x T truncations of products
of operators on sequences that start at t = 0: ``S_{+1} S_{-1} = I`` (r_T computed
from K_{T-1} moves the Euler equation at T-1), but ``S_{-1} S_{+1} = I - e_0 e_0^T``
(x_{-1} = f(y_0) would be a past that reacts to news at 0; it stays at the steady
state). A term is therefore a shift k *starting* at row m: ``E(k, m)_{t, t+k} = 1``
for ``t >= m``, and ``E(k1, m1) E(k2, m2) = E(k1 + k2, max(m1, m2 - k1, -k1))``.
Products with a dense T x T matrix (a heterogeneous-agent or solved block's
Jacobian: its inputs are cut at T, its outputs from T on are at the steady state)
are ordinary truncated products. Inside a model, a variable that depends on a block
with a T x T Jacobian keeps its rows from T on (:mod:`hetdag.jacobians._rows`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray


def _term(k: int, m: int = 0) -> tuple[int, int]:
    """Canonical (shift, first row): rows before -k read inputs before 0, zero anyway."""
    return int(k), max(int(m), 0, -int(k))


class ShiftMatrix:
    """A T x T matrix ``sum c * E(k, m)`` stored as ``{(shift, first row): coefficient}``.

    Parameters
    ----------
    coeffs : mapping int -> float, or (int, int) -> float
        Coefficient on ``x_{t+k}`` in ``dy_t``; k < 0 are lags, k > 0 leads. A key
        ``(k, m)`` applies from row m on (products of a lead then a lag start later).
    T : int
        Horizon; ``np.asarray(m)`` gives the dense (T, T) matrix.

    ``coeffs`` is ``{shift: coefficient}`` away from the first rows (the band of the
    operator); ``terms`` holds the exact ``{(shift, first row): coefficient}``.
    """

    __slots__ = ("terms", "T")
    # Makes ndarray (+, -, @) ShiftMatrix defer to our reflected methods.
    __array_ufunc__ = None

    def __init__(self, coeffs: Mapping, T: int):
        terms: dict[tuple[int, int], float] = {}
        for key, v in coeffs.items():
            km = _term(*key) if isinstance(key, tuple) else _term(key)
            terms[km] = terms.get(km, 0.0) + float(v)
        self.terms = {km: c for km, c in terms.items() if c != 0.0}
        self.T = int(T)

    @property
    def coeffs(self) -> dict[int, float]:
        out: dict[int, float] = {}
        for (k, _), c in self.terms.items():
            out[k] = out.get(k, 0.0) + c
        return {k: c for k, c in out.items() if c != 0.0}

    # --- conversion -------------------------------------------------------
    def to_dense(self) -> NDArray[np.float64]:
        return self.matrix()

    def matrix(self, T: int | None = None) -> NDArray[np.float64]:
        """Dense (T, T) truncation, at this operator's own T by default. The operator
        means the same at every horizon, so any T is exact (sequence-jacobian's
        ``SimpleSparse.matrix(T)``)."""
        T = self.T if T is None else int(T)
        out = np.zeros((T, T))
        self._add_to(out)
        return out

    def _add_to(self, out: NDArray[np.float64]) -> None:
        """``out += self`` for a C-contiguous (T, T) array, diagonal by diagonal.

        Entry (t, t + k) is element ``t (T + 1) + k`` of the flat array: each term is
        one strided slice (no index arrays, no (T, T) temporary). T is ``out``'s.
        """
        T = out.shape[0]
        flat = out.reshape(-1)
        for (k, m), c in self.terms.items():
            n = T - m - max(k, 0)  # rows m .. T-1 whose column t + k is inside
            if n > 0:
                flat[m * (T + 1) + k :: T + 1][:n] += c

    def __array__(self, dtype=None, copy=None):
        out = self.to_dense()
        return out if dtype is None else out.astype(dtype)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.T, self.T)

    def __repr__(self) -> str:
        def show(k, m):
            return f"S({k})" if m == max(0, -k) else f"S({k}, from {m})"

        terms = " + ".join(f"{c:g}*{show(k, m)}" for (k, m), c in sorted(self.terms.items()))
        return f"ShiftMatrix({terms or '0'}, T={self.T})"

    # --- algebra ----------------------------------------------------------
    def apply(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """``J @ x`` for x of shape (n,) or (n, m) without forming J, at horizon n."""
        x = np.asarray(x, dtype=float)
        T = x.shape[0]
        if len(self.terms) == 1:  # the common case: one scaled shift, no temporaries
            (((k, m), c),) = self.terms.items()
            out = np.zeros_like(x)
            hi = T - max(k, 0)
            if hi > m:
                np.multiply(x[m + k : hi + k], c, out=out[m:hi])
            return out
        out = np.zeros_like(x)
        for (k, m), c in self.terms.items():
            hi = T - max(k, 0)
            if hi > m:
                out[m:hi] += c * x[m + k : hi + k]
        return out

    def transpose(self) -> ShiftMatrix:
        """``E(k, m)^T = E(-k, m + k)``."""
        return ShiftMatrix({(-k, m + k): c for (k, m), c in self.terms.items()}, self.T)

    def rows_apply(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """``J @ X`` keeping every row that can be nonzero: X (n, ...) holds all the
        nonzero rows of its variable, and lags push them down to n + max lag."""
        X = np.asarray(X, dtype=float)
        extra = max([0, *(-k for k, _ in self.terms)])
        if extra:
            X = np.concatenate([X, np.zeros((extra, *X.shape[1:]))])
        return self.apply(X)

    def __add__(self, other):
        if isinstance(other, ShiftMatrix):
            terms = dict(self.terms)
            for km, c in other.terms.items():
                terms[km] = terms.get(km, 0.0) + c
            return ShiftMatrix(terms, _common_T(self, other))
        if isinstance(other, np.ndarray):
            if other.ndim != 2 or other.shape[0] != other.shape[1]:
                return self.to_dense() + other  # let NumPy broadcast or raise
            # one fresh (T, T) array, not two: fresh memory costs a page fault per 4 KiB
            out = np.array(other, dtype=np.result_type(other.dtype, np.float64), order="C")
            self._add_to(out)
            return out
        return NotImplemented

    __radd__ = __add__

    def __neg__(self) -> ShiftMatrix:
        return ShiftMatrix({km: -c for km, c in self.terms.items()}, self.T)

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, a):
        if np.isscalar(a):
            return ShiftMatrix({km: a * c for km, c in self.terms.items()}, self.T)
        return NotImplemented

    __rmul__ = __mul__

    def __matmul__(self, other):
        if isinstance(other, ShiftMatrix):
            terms: dict[tuple[int, int], float] = {}
            for (a, ma), ca in self.terms.items():
                for (b, mb), cb in other.terms.items():
                    km = _term(a + b, max(ma, mb - a, -a))
                    terms[km] = terms.get(km, 0.0) + ca * cb
            return ShiftMatrix(terms, _common_T(self, other))
        if isinstance(other, np.ndarray):
            return self.apply(other)
        return NotImplemented

    def __rmatmul__(self, other):
        if isinstance(other, np.ndarray):
            # (A @ J) = (J^T @ A^T)^T
            return self.transpose().apply(other.T).T
        return NotImplemented


def _common_T(a: ShiftMatrix, b: ShiftMatrix) -> int:
    """Shift operators are the same at every horizon: a sum or product of two made at
    different T (a simple block's Jacobian reused in a longer model) takes the longer."""
    return max(a.T, b.T)


def as_dense(m) -> NDArray[np.float64]:
    """Dense (T, T) array of a Jacobian entry (ShiftMatrix or ndarray)."""
    return m.to_dense() if isinstance(m, ShiftMatrix) else np.asarray(m)


def matmul(a, b):
    """Product of two Jacobian entries, keeping shift structure when exact."""
    if isinstance(a, ShiftMatrix):
        return a @ b
    if isinstance(b, ShiftMatrix):
        return b.__rmatmul__(np.asarray(a))
    return a @ b


def add(a, b):
    """Sum of two Jacobian entries; ``None`` stands for a structural zero."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b
