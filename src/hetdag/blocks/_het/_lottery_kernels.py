"""Numba kernels for the law of motion of heterogeneous-agent histograms.

Only array-and-scalar functions live here (no dicts, classes or module globals), so
numba's on-disk cache stays valid. The validating wrappers are in
:mod:`hetdag.blocks._het._law_of_motion`. The kernels that iterate the histogram are in
:mod:`._histogram_kernels`, those of the local derivative, Newton's method and the
fake-news algorithm in :mod:`._derivative_kernels`; both call the primitives here
(numba's cache does not see edits across files: clear it after changing one here).

Conventions
-----------
A histogram ``D`` has shape ``(n_e, n_a)`` (exogenous states flattened into the first
axis) or ``(n_e, n_b, n_a)`` for two endogenous assets. A lottery ``(a_i, a_pi)`` has
the shape of the policy it discretises: mass at a state whose choice ``x`` lies in
``[grid[j], grid[j+1]]`` is split as

.. math::

    a_i = j, \\qquad a_\\pi = \\frac{grid[j+1] - x}{grid[j+1] - grid[j]},

with ``a_pi`` going to ``grid[a_i]`` and ``1 - a_pi`` to ``grid[a_i + 1]``. Choices
beyond the grid are clipped to its ends. Every ``forward_*`` kernel has an
``expectation_*`` kernel that is its exact transpose.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...utils.interpolate import _locate


@njit(cache=True)
def _lottery_point(grid, xk, j, lo, hi):
    """``(i, pi, j, lo, hi)``: the bracket ``i`` and weight ``pi`` of choice ``xk`` on
    ``grid`` (clipped at the ends), and the moved pointer ``j`` with its bracket ends
    ``lo = grid[j]``, ``hi = grid[j + 1]`` for the row's next choice (start a row with
    ``0, grid[0], grid[1]``).

    Inside the grid the bracket is interpolation's (:func:`~hetdag.utils.interpolate._locate`:
    the pointer moves forward along increasing policies, with its ends in registers, and
    bisects when a choice falls left of it, so any order is still correct); the lottery
    only adds the clipping at the ends.
    """
    n = grid.shape[0]
    if xk <= grid[0]:
        return 0, 1.0, j, lo, hi
    if xk >= grid[n - 1]:
        return n - 2, 0.0, j, lo, hi
    j, lo, hi = _locate(grid, xk, j, lo, hi)
    return j, (hi - xk) / (hi - lo), j, lo, hi


@njit(cache=True)
def _pair_add(row, i, lo, hi, p, v):
    """``row[i] += lo`` and ``row[i + 1] += hi``, with ``row[p]`` owed ``v`` in a
    register; returns the new ``(p, v)``. Start a row with ``(0, 0.0)`` and end it with
    ``row[p] += v``.

    Along increasing policies the next choice's lower point is usually ``p``: its add
    then never reloads the value just stored, which cut a 7 x 500 lottery from 2.8 to
    1.9 us. The sums are formed in the order of the plain two adds, so the result is
    bit-identical when indices do not decrease along the row.
    """
    if i == p:
        row[p] += v + lo
        return i + 1, hi
    if i + 1 == p:
        row[i] += lo
        return p, v + hi
    row[p] += v
    row[i] += lo
    return i + 1, hi


@njit(cache=True)
def lottery_1d(x, grid, a_i, a_pi):
    """Discretise choices ``x`` onto ``grid`` as a two-point lottery (clipped at the ends).

    Parameters
    ----------
    x : ndarray, shape (n_rows, n_a), float64
        Next-period asset choice at each state, possibly off-grid.
    grid : ndarray, shape (n_grid,), float64
        Strictly increasing asset grid, ``n_grid >= 2``.
    a_i : ndarray, shape (n_rows, n_a), int64
        Filled with the lower bracketing index in ``[0, n_grid - 2]``.
    a_pi : ndarray, shape (n_rows, n_a), float64
        Filled with the weight on ``grid[a_i]``, in ``[0, 1]``; ``x < grid[0]`` gives
        ``(0, 1)`` and ``x > grid[-1]`` gives ``(n_grid - 2, 0)``.

    Notes
    -----
    A moving pointer makes each row O(n_a + n_grid) when ``x`` is increasing along
    the row; when the pointer would have to move backwards the interval is found by
    bisection instead, so any ``x`` is handled correctly.
    """
    n_rows, n_a = x.shape
    for r in range(n_rows):
        j, lo, hi = np.int64(0), grid[0], grid[1]  # not a literal: see above
        for k in range(n_a):
            i, pi, j, lo, hi = _lottery_point(grid, x[r, k], j, lo, hi)
            a_i[r, k] = i
            a_pi[r, k] = pi


@njit(cache=True)
def forward_lottery_1d(D, a_i, a_pi, out):
    """Push a histogram through a 1-D lottery (no exogenous transition).

    ``out[e, a_i[e, j]] += a_pi[e, j] * D[e, j]`` and
    ``out[e, a_i[e, j] + 1] += (1 - a_pi[e, j]) * D[e, j]``; all arrays (n_rows, n_a).
    ``out`` is overwritten. Total mass is preserved.
    """
    n_rows, n_a = D.shape
    for r in range(n_rows):
        for j in range(n_a):
            out[r, j] = 0.0
        row = out[r]
        p, v = np.int64(0), 0.0  # not a literal 0: numba would compile callees twice
        for j in range(n_a):
            pi = a_pi[r, j]
            d = D[r, j]
            p, v = _pair_add(row, a_i[r, j], pi * d, d - pi * d, p, v)
        row[p] += v


@njit(cache=True)
def expectation_lottery_1d(X, a_i, a_pi, out):
    """Transpose of :func:`forward_lottery_1d`: expectation of ``X`` under the lottery.

    ``out[e, j] = a_pi[e, j] * X[e, a_i[e, j]] + (1 - a_pi[e, j]) * X[e, a_i[e, j] + 1]``;
    all arrays (n_rows, n_a).
    """
    n_rows, n_a = X.shape
    for r in range(n_rows):
        for j in range(n_a):
            i = a_i[r, j]
            pi = a_pi[r, j]
            out[r, j] = pi * X[r, i] + (1.0 - pi) * X[r, i + 1]


@njit(cache=True)
def forward_lottery_2d(D, b_i, b_pi, a_i, a_pi, out):
    """Push a histogram through a bilinear (b, a) lottery.

    All arrays (n_rows, n_b, n_a). Mass ``D[e, k, j]`` goes to the four points
    ``(b_i, a_i)``, ``(b_i, a_i+1)``, ``(b_i+1, a_i)``, ``(b_i+1, a_i+1)`` with weights
    ``b_pi*a_pi``, ``b_pi*(1-a_pi)``, ``(1-b_pi)*a_pi``, ``(1-b_pi)*(1-a_pi)``.
    ``out`` is overwritten.
    """
    n_rows, n_b, n_a = D.shape
    for r in range(n_rows):
        for k in range(n_b):
            for j in range(n_a):
                out[r, k, j] = 0.0
        for k in range(n_b):
            for j in range(n_a):
                ib = b_i[r, k, j]
                ia = a_i[r, k, j]
                pb = b_pi[r, k, j]
                pa = a_pi[r, k, j]
                d = D[r, k, j]
                db0 = pb * d
                db1 = d - db0
                out[r, ib, ia] += pa * db0
                out[r, ib, ia + 1] += db0 - pa * db0
                out[r, ib + 1, ia] += pa * db1
                out[r, ib + 1, ia + 1] += db1 - pa * db1


@njit(cache=True)
def expectation_lottery_2d(X, b_i, b_pi, a_i, a_pi, out):
    """Transpose of :func:`forward_lottery_2d`; all arrays (n_rows, n_b, n_a).

    ``out[e,k,j] = sum over the 4 corners of weight * X[e, corner]``.
    """
    n_rows, n_b, n_a = X.shape
    for r in range(n_rows):
        for k in range(n_b):
            for j in range(n_a):
                ib = b_i[r, k, j]
                ia = a_i[r, k, j]
                pb = b_pi[r, k, j]
                pa = a_pi[r, k, j]
                x0 = pa * X[r, ib, ia] + (1.0 - pa) * X[r, ib, ia + 1]
                x1 = pa * X[r, ib + 1, ia] + (1.0 - pa) * X[r, ib + 1, ia + 1]
                out[r, k, j] = pb * x0 + (1.0 - pb) * x1


@njit(cache=True)
def forward_lottery_1d_batch(dx, D, a_i, a_pi, grid, out):
    """First-order change of the post-lottery histogram for policy shocks, batched.

    Parameters
    ----------
    dx : ndarray, shape (n_batch, n_rows, n_a)
        Perturbations of the policy.
    D : ndarray, shape (n_rows, n_a)
        Histogram before the lottery.
    a_i, a_pi : ndarray, shape (n_rows, n_a)
        Lottery of the unperturbed policy (``a_pi`` is unused: the derivative of
        ``a_pi`` w.r.t. ``x`` does not depend on it; kept for a uniform signature).
    grid : ndarray, shape (n_grid,)
    out : ndarray, shape (n_batch, n_rows, n_a)
        Overwritten with ``d out[b] / d eps`` of ``forward_lottery_1d(D, lottery(x + eps dx[b]))``
        holding ``a_i`` fixed: the mass ``D*dx/(grid[a_i+1]-grid[a_i])`` moves from
        ``a_i`` to ``a_i + 1``. For clipped choices this is the derivative of the linear
        extension of the lottery.
    """
    n_batch = dx.shape[0]
    n_rows, n_a = D.shape
    for b in range(n_batch):
        for r in range(n_rows):
            for j in range(n_a):
                out[b, r, j] = 0.0
            row = out[b, r]
            p, v = np.int64(0), 0.0  # not a literal 0: numba would compile callees twice
            for j in range(n_a):
                i = a_i[r, j]
                m = D[r, j] * dx[b, r, j] / (grid[i + 1] - grid[i])
                p, v = _pair_add(row, i, -m, m, p, v)
            row[p] += v


@njit(cache=True)
def forward_lottery_2d_batch(db, da, D, b_i, b_pi, a_i, a_pi, b_grid, a_grid, out):
    """First-order change of the bilinear lottery for shocks to both choices, batched.

    ``db``, ``da`` and ``out`` are (n_batch, n_rows, n_b, n_a); the rest as in
    :func:`forward_lottery_2d`. Holding indices fixed, ``d b_pi = -db / Δb`` and
    ``d a_pi = -da / Δa``, so the four corner weights change by the product rule.
    ``out`` is overwritten.
    """
    n_batch = db.shape[0]
    n_rows, n_b, n_a = D.shape
    for bt in range(n_batch):
        for r in range(n_rows):
            for k in range(n_b):
                for j in range(n_a):
                    out[bt, r, k, j] = 0.0
            for k in range(n_b):
                for j in range(n_a):
                    ib = b_i[r, k, j]
                    ia = a_i[r, k, j]
                    pb = b_pi[r, k, j]
                    pa = a_pi[r, k, j]
                    d = D[r, k, j]
                    dpb = -db[bt, r, k, j] / (b_grid[ib + 1] - b_grid[ib]) * d
                    dpa = -da[bt, r, k, j] / (a_grid[ia + 1] - a_grid[ia]) * d
                    out[bt, r, ib, ia] += dpb * pa + pb * dpa
                    out[bt, r, ib, ia + 1] += dpb * (1.0 - pa) - pb * dpa
                    out[bt, r, ib + 1, ia] += -dpb * pa + (1.0 - pb) * dpa
                    out[bt, r, ib + 1, ia + 1] += -dpb * (1.0 - pa) - (1.0 - pb) * dpa


@njit(cache=True)
def expectation_lottery_1d_batch(X, a_i, a_pi, out):
    """:func:`expectation_lottery_1d` on each slice; X and out (n_batch, n_rows, n_a)."""
    for b in range(X.shape[0]):
        expectation_lottery_1d(X[b], a_i, a_pi, out[b])


@njit(cache=True)
def expectation_lottery_2d_batch(X, b_i, b_pi, a_i, a_pi, out):
    """:func:`expectation_lottery_2d` on each slice; X and out (n_batch, n_rows, n_b, n_a)."""
    for b in range(X.shape[0]):
        expectation_lottery_2d(X[b], b_i, b_pi, a_i, a_pi, out[b])


@njit(cache=True)
def apply_markov_forward(D, Pi, out):
    """``out = Pi.T @ D``: ``out[e', m] = sum_e Pi[e, e'] * D[e, m]``; D, out (n_e, m)."""
    n_e, m = D.shape
    for ep in range(n_e):
        for k in range(m):
            out[ep, k] = 0.0
    for e in range(n_e):
        for ep in range(n_e):
            p = Pi[e, ep]
            if p != 0.0:
                for k in range(m):
                    out[ep, k] += p * D[e, k]


@njit(cache=True)
def apply_markov_expectation(X, Pi, out):
    """``out = Pi @ X``: ``out[e, m] = sum_e' Pi[e, e'] * X[e', m]``; X, out (n_e, m)."""
    n_e, m = X.shape
    for e in range(n_e):
        for k in range(m):
            out[e, k] = 0.0
        for ep in range(n_e):
            p = Pi[e, ep]
            if p != 0.0:
                for k in range(m):
                    out[e, k] += p * X[ep, k]
