"""Numba kernels for the law of motion of heterogeneous-agent histograms.

Only array-and-scalar functions live here (no dicts, classes or module globals), so
numba's on-disk cache stays valid. The validating wrappers are in
:mod:`hetdag.blocks._law_of_motion`.

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

from ..utils.interpolate import _locate


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
        j, lo, hi = 0, grid[0], grid[1]
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
        p, v = 0, 0.0
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
            p, v = 0, 0.0
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


@njit(cache=True)
def _corner_sum(coef, col, k, dcont, out):
    """out[e, m] = sum_{b,c} coef[k, b, c, e, m] dcont[b, e, col[c, e, m]]."""
    B, C = coef.shape[1], coef.shape[2]
    E, M = out.shape
    # innermost loop over m: contiguous in coef, col and out
    for e in range(E):
        for m in range(M):
            out[e, m] = 0.0
    for b in range(B):
        for c in range(C):
            for e in range(E):
                for m in range(M):
                    out[e, m] += coef[k, b, c, e, m] * dcont[b, e, col[c, e, m]]


@njit(cache=True)
def _two_corner_sums(coef, col, kb, kp, dcont, out_b, out_p):
    """:func:`_corner_sum` for outputs ``kb`` and ``kp`` at once when B = 1 and C = 2
    (one backward variable, a 1-D lottery cell): the two gathers per state serve both,
    which halves the pass (6.5 -> 3.1 us on 7 x 500; same operations, same order)."""
    E, M = out_b.shape
    for e in range(E):
        for m in range(M):
            x0 = dcont[0, e, col[0, e, m]]
            x1 = dcont[0, e, col[1, e, m]]
            out_b[e, m] = coef[kb, 0, 0, e, m] * x0 + coef[kb, 0, 1, e, m] * x1
            out_p[e, m] = coef[kp, 0, 0, e, m] * x0 + coef[kp, 0, 1, e, m] * x1


@njit(cache=True)
def apply_local_derivative(coef, col, dcont, out):
    """out[n, k, e, m] = sum_{b, c} coef[k, b, c, e, m] * dcont[n, b, e, col[c, e, m]].

    The derivative of a backward step whose outputs at state (e, m) depend on the
    continuation values only at the corners ``col[c, e, m]`` of their policy's lottery
    cell (one corner per colour c). Shapes: coef (K, B, C, E, M), col (C, E, M) int64,
    dcont (N, B, E, M), out (N, K, E, M).
    """
    for n in range(dcont.shape[0]):
        for k in range(coef.shape[0]):
            _corner_sum(coef, col, k, dcont[n], out[n, k])


@njit(cache=True)
def _lottery_then_markov(D, a_i, a_pi, Pi, tmp, out):
    """out = Pi^T lottery(D) for (n_e, n_a) arrays; ``tmp`` is scratch space."""
    forward_lottery_1d(D, a_i, a_pi, tmp)
    apply_markov_forward(tmp, Pi, out)


@njit(cache=True)
def forward_iterate_1d(D, a_i, a_pi, Pi, tol, maxit, check_every, out):
    """Iterate D <- Pi^T lottery(D) on (n_e, n_a) until the estimated distance to the
    fixed point, max|D' - D| q / (1 - q) with q the observed contraction rate, is below
    ``tol`` (checked every ``check_every`` steps). Writes the last iterate to ``out``;
    returns (estimated error, iterations), the estimate also when ``maxit`` ran out
    (inf before two checks), so that a caller cannot take a small last change for a
    converged histogram."""
    n_e, n_a = D.shape
    cur = D.copy()
    tmp = np.empty_like(D)
    nxt = np.empty_like(D)
    res = np.inf
    res_prev = np.inf
    est = np.inf
    for it in range(1, maxit + 1):
        _lottery_then_markov(cur, a_i, a_pi, Pi, tmp, nxt)
        if it % check_every == 0 or it == maxit:
            res = 0.0
            for e in range(n_e):
                for j in range(n_a):
                    d = abs(nxt[e, j] - cur[e, j])
                    if d > res:
                        res = d
            # distance to the fixed point ~ res * q / (1 - q), q the per-step contraction
            q = (res / res_prev) ** (1.0 / check_every) if res_prev > 0 else 0.0
            q = min(q, 0.9999)
            res_prev_finite = res_prev < np.inf
            res_prev = res
            # the distance left, not the last change: a slow mode hides in a small change
            est = res * max(1.0, q / (1.0 - q)) if res_prev_finite else np.inf
            if res < tol and est < tol:
                out[:] = nxt
                return est, it
        cur, nxt = nxt, cur
    out[:] = cur
    return est, maxit


@njit(cache=True)
def aggregation_weights(coef, col, D, o_idx):
    """Weights that aggregate the local derivative: ``curlyY[o] = sum g[o] * dcont``.

    ``g[o, b, e, n] = sum of D[e, m] coef[o_idx[o], b, c, e, m] over (c, m) with
    col[c, e, m] = n``, so an output that is only aggregated never needs its per-state
    derivative. Shapes: coef (K, B, C, E, M); col (C, E, M); D (E, M); returns
    (n_out, B, E, M).
    """
    K, B, C, E, M = coef.shape
    n_out = o_idx.shape[0]
    g = np.zeros((n_out, B, E, M))
    for o in range(n_out):
        k = o_idx[o]
        for b in range(B):
            for c in range(C):
                for e in range(E):
                    for m in range(M):
                        g[o, b, e, col[c, e, m]] += D[e, m] * coef[k, b, c, e, m]
    return g


# reassociation lets the aggregation dots vectorise; no finite-math assumptions, so a
# NaN still propagates to curlyY and curlyD
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def local_backward_path_1d(coef, col, bw0, Pi, D, a_i, grid, b_idx, p_idx, g, curlyY, curlyD):
    """Step 1 of the fake-news algorithm for horizons j >= 1, one input, local derivative.

    One exogenous chain and one endogenous axis. With ``dcont_j = Pi @ dbw_{j-1}`` for
    each backward variable b, the step's derivative is
    ``dout_j[k, e, m] = sum_{b,c} coef[k, b, c, e, m] dcont_j[b, e, col[c, e, m]]``.
    Only the backward variables (``dbw_j = dout_j[b_idx]``) and the policy
    (``dout_j[p_idx]``) are formed per state; ``curlyY[o, j] = sum g[o] * dcont_j``
    with ``g`` from :func:`aggregation_weights`, and
    ``curlyD[j] = Pi^T dΛ(dout_j[p_idx]) D``.

    Shapes: coef (K, B, C, E, M); col (C, E, M); bw0 (B, E, M), the backward variables'
    derivatives at j = 0; Pi (E, E); D, a_i (E, M); grid (M,); b_idx (B,) int64;
    g (n_out, B, E, M); curlyY (n_out, T) and curlyD (T, E, M), written for j >= 1.
    Releases the GIL, so that several inputs can run in threads.
    """
    B, E, M = bw0.shape
    n_out, T = g.shape[0], curlyY.shape[1]
    bw = bw0.copy()
    nbw = np.empty((B, E, M))
    dcont = np.empty((B, E, M))
    da = np.empty((E, M))
    dD = np.empty((E, M))
    # mass a unit policy change moves from grid point i to i + 1: D / (grid[i+1] - grid[i])
    w = np.empty((E, M))
    for e in range(E):
        for m in range(M):
            i = a_i[e, m]
            w[e, m] = D[e, m] / (grid[i + 1] - grid[i])
    for j in range(1, T):
        for b in range(B):
            apply_markov_expectation(bw[b], Pi, dcont[b])
        for o in range(n_out):
            acc = 0.0
            for b in range(B):
                for e in range(E):
                    for m in range(M):
                        acc += g[o, b, e, m] * dcont[b, e, m]
            curlyY[o, j] = acc
        if B == 1 and coef.shape[2] == 2:
            _two_corner_sums(coef, col, b_idx[0], p_idx, dcont, nbw[0], da)
        else:
            for b in range(B):
                _corner_sum(coef, col, b_idx[b], dcont, nbw[b])
            _corner_sum(coef, col, p_idx, dcont, da)
        for e in range(E):
            for m in range(M):
                dD[e, m] = 0.0
            row = dD[e]
            p, v = 0, 0.0
            for m in range(M):
                q = w[e, m] * da[e, m]
                p, v = _pair_add(row, a_i[e, m], -q, q, p, v)
            row[p] += v
        apply_markov_forward(dD, Pi, curlyD[j])
        bw, nbw = nbw, bw


@njit(cache=True, nogil=True)
def expectation_path_1d(E, Pi, a_i, a_pi, tmp):
    """Step 2 of the fake-news algorithm for one output: ``E[k] = Λ^T E[k-1]``.

    ``Λ^T X`` is the expectation one period ahead: ``Pi @ X`` over the exogenous states,
    then the lottery's expectation. E (T-1, n_e, n_a) with E[0] given; tmp (n_e, n_a)
    is scratch space. Releases the GIL, so that several outputs can run in threads.
    """
    for k in range(1, E.shape[0]):
        apply_markov_expectation(E[k - 1], Pi, tmp)
        expectation_lottery_1d(tmp, a_i, a_pi, E[k])


@njit(cache=True)
def forward_step_lottery_1d(D, x, grid, Pi, tmp, out):
    """One period of the histogram, the lottery built on the fly; returns ``sum(D * x)``.

    ``out = Pi^T Λ(x) D`` exactly as :func:`lottery_1d` then :func:`_lottery_then_markov`
    (same bracketing, weights and summation order, so bit-identical), without writing
    the lottery's index and weight arrays: along a transition that saves ~16 bytes per
    state and period of memory traffic. D, x, tmp (scratch) and out are (n_e, n_a);
    grid (n_a,); Pi (n_e, n_e). A NaN or inf in ``x`` makes the returned sum non-finite
    (``0 * inf`` is NaN), so the caller's finiteness check costs nothing extra.
    """
    n_e, n_a = D.shape
    agg = 0.0
    for r in range(n_e):
        for k in range(n_a):
            tmp[r, k] = 0.0
        row = tmp[r]
        p, v = 0, 0.0
        j, lo, hi = 0, grid[0], grid[1]
        for k in range(n_a):
            xk = x[r, k]
            d = D[r, k]
            agg += d * xk
            i, pi, j, lo, hi = _lottery_point(grid, xk, j, lo, hi)
            p, v = _pair_add(row, i, pi * d, d - pi * d, p, v)
        row[p] += v
    apply_markov_forward(tmp, Pi, out)
    return agg


@njit(cache=True)
def markov_expectation_finite(X, Pi, out):
    """``out = Pi @ X`` for (n_e, m) arrays; returns True iff every entry of X is finite.

    The check rides on the pass over X (``x - x`` is 0 only for finite x, and an integer
    OR vectorises where a float reduction would not), replacing a separate ``sum``.
    """
    apply_markov_expectation(X, Pi, out)
    n_e, m = X.shape
    bad = 0
    for e in range(n_e):
        for k in range(m):
            v = X[e, k]
            bad |= v - v != 0.0
    return bad == 0


@njit(cache=True)
def max_abs_diff(x, y):
    """``(max|x - y|, max|x|)`` over same-shape C-contiguous arrays; NaN if x or y has NaN/inf."""
    xf = x.ravel()
    yf = y.ravel()
    diff = 0.0
    big = 0.0
    bad = 0
    for k in range(xf.shape[0]):
        a = xf[k]
        d = abs(a - yf[k])
        diff = d if d > diff else diff
        a = abs(a)
        big = a if a > big else big
        bad |= d - d != 0.0
    if bad:
        return np.nan, np.nan
    return diff, big


@njit(cache=True)
def newton_coefficients_1d(out, base, st, x, grid, cf, cl):
    """The step's derivative at each state's two cell corners, from colour probes.

    ``out[c]`` (E, M) is the step's output with the continuation values raised by
    ``st`` at the grid points of parity c; ``base`` the unperturbed output; ``x`` the
    policy, whose bracket ``[grid[j], grid[j+1]]`` (clipped) is the cell. Writes, grid
    major, ``cl[m, e, c]`` = the corner of parity c and ``cf[m, e, c]`` = d output[e, m] /
    d continuation[e, cl] (one-sided; 0 for choices at or beyond the grid's top). cf, cl
    are (M, E, 2).
    """
    E, M = base.shape
    top = grid[M - 1]
    for e in range(E):
        j, lo, hi = 0, grid[0], grid[1]
        for m in range(M):
            i, pi, j, lo, hi = _lottery_point(grid, x[e, m], j, lo, hi)
            for c in range(2):
                k = i if i % 2 == c else i + 1
                cl[m, e, c] = k
                # beyond the grid the step extrapolates from the last cell, with weights
                # outside [0, 1] that can make the state feed on itself: no Newton there
                cf[m, e, c] = (out[c, e, m] - base[e, m]) / st[e, k] if x[e, m] < top else 0.0


@njit(cache=True)
def newton_sweeps_1d(cf, cl, Pi, r, d, max_sweeps, rtol):
    """Solve ``(I - J) d = r`` approximately, for a Newton step of the backward iteration.

    ``(J d)[e, m] = sum_c cf[m, e, c] (Pi d)[e, cl[m, e, c]]``: the step's derivative
    with respect to its continuation values, which (EGM) are read only at the two corners
    ``cl`` of each state's cell (:func:`newton_coefficients_1d`). cf, cl (M, E, 2),
    Pi (E, E), r and d (E, M); d holds the start and is overwritten. Symmetric
    Gauss-Seidel over the grid: in the upward pass the cells below a state (dissaving)
    are already updated, in the downward pass those above (saving), so the long chains
    along which the plain iteration converges slowly are solved in one pass.
    ``z[m] = (Pi d)[:, m]`` is refreshed column by column, and a state's dependence on
    its own column is solved for, not lagged; a state whose dependence on itself is
    near 1 keeps the plain update ``d = r``. Stops when a sweep (both passes) changes d
    by at most ``rtol * max|d|``; returns the number of sweeps.
    """
    M, E, _ = cf.shape
    rr = np.empty((M, E))
    dd = np.empty((M, E))
    z = np.empty((M, E))
    diag = np.zeros((M, E))
    inv = np.empty((M, E))
    for m in range(M):
        for e in range(E):
            rr[m, e] = r[e, m]
            dd[m, e] = d[e, m]
            for c in range(2):
                if cl[m, e, c] == m:
                    diag[m, e] += cf[m, e, c] * Pi[e, e]
            if not abs(diag[m, e]) < 0.999:  # also NaN
                diag[m, e] = 0.0
                cf[m, e, 0] = 0.0
                cf[m, e, 1] = 0.0
            inv[m, e] = 1.0 / (1.0 - diag[m, e])
    for m in range(M):
        for e in range(E):
            s = 0.0
            for e2 in range(E):
                s += Pi[e, e2] * dd[m, e2]
            z[m, e] = s
    sweeps = max_sweeps
    for sweep in range(max_sweeps):
        change = 0.0
        big = 0.0
        for half in range(2):
            for mm in range(M):
                m = mm if half == 0 else M - 1 - mm
                for e in range(E):
                    new = rr[m, e] - diag[m, e] * dd[m, e]
                    new += cf[m, e, 0] * z[cl[m, e, 0], e] + cf[m, e, 1] * z[cl[m, e, 1], e]
                    new *= inv[m, e]
                    change = max(change, abs(new - dd[m, e]))
                    big = max(big, abs(new))
                    dd[m, e] = new
                for e in range(E):
                    s = 0.0
                    for e2 in range(E):
                        s += Pi[e, e2] * dd[m, e2]
                    z[m, e] = s
        if change <= rtol * big:
            sweeps = sweep + 1
            break
    for m in range(M):
        for e in range(E):
            d[e, m] = dd[m, e]
    return sweeps


@njit(cache=True)
def stationary_sweeps(target, weight, Pi, D, max_sweeps, tol):
    """Gauss-Seidel for the stationary histogram ``D = Pi^T Λ D`` on (E, M) arrays.

    The lottery is given by its corners (``Lottery.corners``): state (e, m) sends
    ``weight[c, e, m]`` of its mass to flat grid point ``target[c, e, m]``, c < C (C = 2
    for one asset, 4 for two). ``y[k, e]``, the mass row e's lottery puts on point k, is
    kept current as D changes, and each state takes its inflow ``sum_e Pi[e, e'] y[k, e]``
    with its own share solved for: ``D = (inflow - s D) / (1 - s)``. Sweeps run up and
    down the flat grid (lexicographic in (b, a)), with the flows of savers and of
    dissavers: the error falls about 2x per sweep on the Krusell-Smith household, where a
    forward step shrinks it by 0.972 (two-asset HANK: about 90 sweeps, 18.5 ms, to 1e-13,
    against 50 ms for the forward iteration and sparse solve). D (start, overwritten)
    keeps its scale only approximately: normalise after. Stops when a sweep's largest
    change, extrapolated at the observed rate (``change q / (1 - q)``), is below ``tol``
    times the total mass; returns (sweeps, that estimate / mass), or (0, inf) with D
    untouched if a state keeps all of its own mass (absorbing).
    """
    C, E, M = target.shape
    y = np.zeros((M, E))
    selfw = np.zeros((E, M))
    for e in range(E):
        for m in range(M):
            for c in range(C):
                k = target[c, e, m]
                y[k, e] += weight[c, e, m] * D[e, m]
                if k == m:
                    selfw[e, m] += weight[c, e, m]
    inv = np.empty((E, M))
    for e in range(E):
        for m in range(M):
            selfw[e, m] *= Pi[e, e]
            if not selfw[e, m] < 1.0 - 1e-12:  # an absorbing state: not for point sweeps
                return 0, np.inf
            inv[e, m] = 1.0 / (1.0 - selfw[e, m])
    mass = D.sum()
    prev = est = np.inf
    for sweep in range(max_sweeps):
        change = 0.0
        for half in range(2):
            for kk in range(M):
                k = kk if half == 0 else M - 1 - kk
                for e2 in range(E):
                    inflow = 0.0
                    for e in range(E):
                        inflow += Pi[e, e2] * y[k, e]
                    old = D[e2, k]
                    dlt = (inflow - selfw[e2, k] * old) * inv[e2, k] - old
                    D[e2, k] = old + dlt
                    for c in range(C):
                        y[target[c, e2, k], e2] += weight[c, e2, k] * dlt
                    change = max(change, abs(dlt))
        q = min(change / prev, 0.9999) if prev < np.inf and prev > 0 else 0.9999
        prev = change
        est = change / mass * q / (1.0 - q)
        if sweep > 0 and est < tol:
            return sweep + 1, est
    return max_sweeps, est
