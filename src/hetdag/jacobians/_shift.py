"""Sparse shift operators: the exact Jacobians of simple blocks.

A simple block's output ``y_t = f(x_{t+k}, ...)`` has the Jacobian

.. math::  J = \\sum_k c_k S_k, \\qquad (S_k)_{t,s} = 1 \\text{ if } s = t + k,\\ 0 \\le s < T,

where ``c_k = df/dx_{t+k}`` at the steady state.

Truncation convention: a model's *inputs* before 0 and from T on sit at the steady
state, and every variable inside the horizon, including a variable at T-1 that reads
an intermediate variable at T, is computed from them. Jacobians of chains of blocks
are therefore the T x T truncations of products of the infinite-horizon operators:
``S_a S_b = S_{a+b}`` for any signs (so ``S_{+1} S_{-1} = I``: r_T computed from
K_{T-1} moves the Euler equation at T-1). Products with a dense T x T matrix (a
heterogeneous-agent block's Jacobian) are ordinary truncated products.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray


class ShiftMatrix:
    """A T x T matrix ``sum_k coeffs[k] * S_k`` stored as ``{shift: coefficient}``.

    Parameters
    ----------
    coeffs : mapping int -> float
        Coefficient on ``x_{t+k}`` in ``dy_t``; k < 0 are lags, k > 0 leads.
    T : int
        Horizon; ``np.asarray(m)`` gives the dense (T, T) matrix.
    """

    __slots__ = ("coeffs", "T")
    # Makes ndarray (+, -, @) ShiftMatrix defer to our reflected methods.
    __array_ufunc__ = None

    def __init__(self, coeffs: Mapping[int, float], T: int):
        self.coeffs = {int(k): float(v) for k, v in coeffs.items() if v != 0.0}
        self.T = int(T)

    # --- conversion -------------------------------------------------------
    def to_dense(self) -> NDArray[np.float64]:
        return self.matrix()

    def matrix(self, T: int | None = None) -> NDArray[np.float64]:
        """Dense (T, T) truncation, at this operator's own T by default. A sum of shifts
        means the same at every horizon, so any T is exact (sequence-jacobian's
        ``SimpleSparse.matrix(T)``)."""
        T = self.T if T is None else int(T)
        out = np.zeros((T, T))
        self._add_to(out)
        return out

    def _add_to(self, out: NDArray[np.float64]) -> None:
        """``out += self`` for a C-contiguous (T, T) array, diagonal by diagonal.

        Entry (t, t + k) is element ``t (T + 1) + k`` of the flat array: each shift is
        one strided slice (no index arrays, no (T, T) temporary). T is ``out``'s.
        """
        T = out.shape[0]
        flat = out.reshape(-1)
        for k, c in self.coeffs.items():
            if 0 <= k < T:
                flat[k :: T + 1][: T - k] += c
            elif -T < k < 0:
                flat[-k * T :: T + 1][: T + k] += c

    def __array__(self, dtype=None, copy=None):
        m = self.to_dense()
        return m if dtype is None else m.astype(dtype)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.T, self.T)

    def __repr__(self) -> str:
        terms = " + ".join(f"{c:.4g}*S({k:+d})" for k, c in sorted(self.coeffs.items()))
        return f"ShiftMatrix({terms or '0'}, T={self.T})"

    # --- algebra ----------------------------------------------------------
    def apply(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """``J @ x`` for x of shape (n,) or (n, m) without forming J, at horizon n."""
        x = np.asarray(x, dtype=float)
        T = x.shape[0]
        if len(self.coeffs) == 1:  # the common case: one scaled shift, no temporaries
            ((k, c),) = self.coeffs.items()
            out = np.empty_like(x)
            if abs(k) >= T:
                out[:] = 0.0
            elif k >= 0:
                np.multiply(x[k:], c, out=out[: T - k])
                out[T - k :] = 0.0
            else:
                np.multiply(x[: T + k], c, out=out[-k:])
                out[:-k] = 0.0
            return out
        out = np.zeros_like(x)
        for k, c in self.coeffs.items():
            if k >= 0:
                if k < T:
                    out[: T - k] += c * x[k:]
            elif -k < T:
                out[-k:] += c * x[: T + k]
        return out

    def __add__(self, other):
        if isinstance(other, ShiftMatrix):
            coeffs = dict(self.coeffs)
            for k, c in other.coeffs.items():
                coeffs[k] = coeffs.get(k, 0.0) + c
            return ShiftMatrix(coeffs, _common_T(self, other))
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
        return ShiftMatrix({k: -c for k, c in self.coeffs.items()}, self.T)

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, a):
        if np.isscalar(a):
            return ShiftMatrix({k: a * c for k, c in self.coeffs.items()}, self.T)
        return NotImplemented

    __rmul__ = __mul__

    def __matmul__(self, other):
        if isinstance(other, ShiftMatrix):
            coeffs: dict[int, float] = {}
            for a, ca in self.coeffs.items():
                for b, cb in other.coeffs.items():
                    coeffs[a + b] = coeffs.get(a + b, 0.0) + ca * cb
            return ShiftMatrix(coeffs, _common_T(self, other))
        if isinstance(other, np.ndarray):
            return self.apply(other)
        return NotImplemented

    def __rmatmul__(self, other):
        if isinstance(other, np.ndarray):
            # (A @ J) = (J^T @ A^T)^T and J^T has the negated shifts
            return ShiftMatrix({-k: c for k, c in self.coeffs.items()}, self.T).apply(other.T).T
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
