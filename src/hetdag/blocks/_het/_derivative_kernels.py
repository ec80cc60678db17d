"""Numba kernels of the local derivative, Newton's method and the fake-news algorithm.

The local derivative of the backward step (its sparse corners), its use along the
T-period backward pass of the fake-news algorithm, the expectation vectors, the
aggregation weights, Newton's coefficients and sweeps for the steady-state backward
iteration, and the accumulation of news along diagonals. Only array-and-scalar
functions (conventions in :mod:`._lottery_kernels`, whose primitives they call;
numba's cache does not see edits across files, so clear it after changing those).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._lottery_kernels import (
    _lottery_point,
    _pair_add,
    apply_markov_expectation,
    apply_markov_forward,
    expectation_lottery_1d,
)


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
            p, v = np.int64(0), 0.0  # not a literal 0: numba would compile callees twice
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
        j, lo, hi = np.int64(0), grid[0], grid[1]  # not a literal: see above
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
def _live_flags(X, stop_at, live):
    # live[c] = any(X[:, c] != 0), row by row; returns the count, or -1 once it reaches
    # stop_at (the early rows of curlyD already reach most states, so this is cheap)
    n = 0
    for r in range(X.shape[0]):
        for c in range(X.shape[1]):
            if not live[c] and X[r, c] != 0.0:
                live[c] = True
                n += 1
        if n >= stop_at:
            return -1
    return n


@njit(cache=True)
def _diagonal_cumsum(F, J):
    # J[t, s] = F[t, s] + J[t-1, s-1], over a stack of (T, T) matrices
    n, T = F.shape[0], F.shape[1]
    for m in range(n):
        for s in range(T):
            J[m, 0, s] = F[m, 0, s]
        for t in range(1, T):
            J[m, t, 0] = F[m, t, 0]
            for s in range(1, T):
                J[m, t, s] = F[m, t, s] + J[m, t - 1, s - 1]
