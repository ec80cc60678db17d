"""Numba kernels for the two-asset household's backward step.

Notation: ``x = (1 + ra) a`` is today's gross illiquid wealth, ``d = a' - x`` the
deposit into the illiquid account, and the adjustment cost is

.. math::

    \\Psi(a', a) = \\frac{\\chi_1}{\\chi_2} |d|^{\\chi_2} (x + \\chi_0)^{1 - \\chi_2}.

``W_b = beta E V_b'`` and ``W_a = beta E V_a'`` live on the grid of choices (b', a').
The first-order conditions are

.. math::

    u'(c) = W_b(b', a') \\quad (b' > b_0), \\qquad
    u'(c) (1 + \\Psi_1(a', a)) = W_a(b', a') \\quad (a' > a_0),

with ``u'(c) = c^{-1/eis}`` and ``W`` linear in a' between grid points. Every function
here takes arrays and scalars only (no globals), so numba's cache stays valid. The root
finders are bracketed (Newton steps, bisection when a step leaves the bracket) and stop
after 100 iterations at the latest; consumption always comes from the budget, so an
unconverged root would only loosen a first-order condition, never the budget.

This module must be one file: its kernels call each other, and numba's on-disk cache
does not notice an edit to a kernel called from another file.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def marginal_utility(c, eis):
    """u'(c) = c^{-1/eis}, without a pow call for eis = 1 or 1/2."""
    if eis == 1.0:
        return 1.0 / c
    if eis == 0.5:
        return 1.0 / (c * c)
    return c ** (-1.0 / eis)


@njit(cache=True)
def inverse_marginal_utility(mu, eis):
    """c = mu^{-eis}, the inverse of :func:`marginal_utility`."""
    if eis == 1.0:
        return 1.0 / mu
    if eis == 0.5:
        return 1.0 / np.sqrt(mu)
    return mu ** (-eis)


@njit(cache=True)
def psi(ap, x, chi0, chi1, chi2):
    """Adjustment cost Psi(a', a) with x = (1 + ra) a."""
    d = ap - x
    s = x + chi0
    if chi2 == 2.0:
        return 0.5 * chi1 * d * d / s
    return chi1 / chi2 * abs(d) ** chi2 * s ** (1.0 - chi2)


@njit(cache=True)
def psi_1(ap, x, chi0, chi1, chi2):
    """dPsi/da'."""
    d = ap - x
    s = x + chi0
    if chi2 == 2.0:
        return chi1 * d / s
    return chi1 * np.sign(d) * abs(d) ** (chi2 - 1.0) * s ** (1.0 - chi2)


@njit(cache=True)
def psi_11(ap, x, chi0, chi1, chi2):
    """d^2 Psi / da'^2 (capped where it is infinite, at d = 0 for chi2 < 2)."""
    d = abs(ap - x)
    s = x + chi0
    if chi2 == 2.0:
        return chi1 / s
    if d == 0.0:
        return 0.0 if chi2 > 2.0 else 1e300
    return chi1 * (chi2 - 1.0) * d ** (chi2 - 2.0) * s ** (1.0 - chi2)


@njit(cache=True)
def psi_x(ap, x, chi0, chi1, chi2):
    """dPsi/dx at fixed a' (so dPsi/da = (1 + ra) psi_x)."""
    s = x + chi0
    return -psi_1(ap, x, chi0, chi1, chi2) + (1.0 - chi2) * psi(ap, x, chi0, chi1, chi2) / s


@njit(cache=True)
def _gap(wa, wb, ap, x, chi0, chi1, chi2):
    # W_a - W_b (1 + Psi_1): positive while more illiquid saving pays
    return wa - wb * (1.0 + psi_1(ap, x, chi0, chi1, chi2))


@njit(cache=True)
def solve_node(wa, wb, a_grid, x, k, chi0, chi1, chi2):
    """a' solving W_a(a') = W_b(a') (1 + Psi_1(a', a)) along one row of the a' grid.

    ``wa``, ``wb`` (n_a,) at fixed (e, b'); ``k`` is a starting segment. Returns
    ``(a', W_b(a'), k)``: a corner ``a' = a_grid[0]`` if the gap is <= 0 there, the top
    of the grid if it never turns negative, else the root on segment ``k``, found by
    Newton's method safeguarded by bisection on the exact piecewise-linear problem.
    """
    n = a_grid.shape[0]
    hk = _gap(wa[k], wb[k], a_grid[k], x, chi0, chi1, chi2)
    while k > 0 and hk <= 0.0:
        k -= 1
        hk = _gap(wa[k], wb[k], a_grid[k], x, chi0, chi1, chi2)
    if hk <= 0.0:
        return a_grid[0], wb[0], 0
    h1 = _gap(wa[k + 1], wb[k + 1], a_grid[k + 1], x, chi0, chi1, chi2)
    while h1 > 0.0 and k < n - 2:
        k += 1
        hk = h1
        h1 = _gap(wa[k + 1], wb[k + 1], a_grid[k + 1], x, chi0, chi1, chi2)
    if h1 > 0.0:
        return a_grid[n - 1], wb[n - 1], n - 2
    a0, da = a_grid[k], a_grid[k + 1] - a_grid[k]
    wa0, dwa = wa[k], wa[k + 1] - wa[k]
    wb0, dwb = wb[k], wb[k + 1] - wb[k]
    lo, hi = 0.0, 1.0
    t = hk / (hk - h1)
    for _ in range(100):
        ap = a0 + t * da
        wbt = wb0 + t * dwb
        p1 = psi_1(ap, x, chi0, chi1, chi2)
        g = wa0 + t * dwa - wbt * (1.0 + p1)
        if g > 0.0:
            lo = t
        else:
            hi = t
        dg = dwa - dwb * (1.0 + p1) - wbt * psi_11(ap, x, chi0, chi1, chi2) * da
        tn = t - g / dg if dg < 0.0 else 0.5 * (lo + hi)
        if not (lo <= tn <= hi):
            tn = 0.5 * (lo + hi)
        if abs(tn - t) < 1e-14 or hi - lo < 1e-15:
            t = tn
            break
        t = tn
    return a0 + t * da, wb0 + t * dwb, k


@njit(cache=True)
def _segment(grid, v):
    # index j in [0, n-2] with grid[j] <= v < grid[j+1] (end segments extrapolate)
    n = grid.shape[0]
    if v <= grid[0]:
        return 0
    if v >= grid[n - 1]:
        return n - 2
    lo, hi = 0, n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if grid[mid] <= v:
            lo = mid
        else:
            hi = mid
    return lo


@njit(cache=True)
def _constrained_gap(wa, a_grid, ap, x, cash, eis, chi0, chi1, chi2):
    # f = W_a(a') - c^{-1/eis} (1 + Psi_1) with c = cash - a' - Psi; and df/da'
    j = _segment(a_grid, ap)
    slope = (wa[j + 1] - wa[j]) / (a_grid[j + 1] - a_grid[j])
    w = wa[j] + slope * (ap - a_grid[j])
    c = cash - ap - psi(ap, x, chi0, chi1, chi2)
    if c <= 0.0:
        return -np.inf, 0.0
    p1 = 1.0 + psi_1(ap, x, chi0, chi1, chi2)
    uc = marginal_utility(c, eis)
    f = w - uc * p1
    df = slope - uc * (p1 * p1 / (eis * c) + psi_11(ap, x, chi0, chi1, chi2))
    return f, df


@njit(cache=True)
def _constrained_gap_quadratic(wa, a_grid, ap, x, inv_s, cash, eis, chi1, j):
    # _constrained_gap for chi2 = 2 (Psi = chi1 d^2 / (2 s)), with the segment found by
    # walking from the hint j (Newton's iterates move little): returns (f, df, j)
    n = a_grid.shape[0]
    while j > 0 and ap < a_grid[j]:
        j -= 1
    while j < n - 2 and ap >= a_grid[j + 1]:
        j += 1
    slope = (wa[j + 1] - wa[j]) / (a_grid[j + 1] - a_grid[j])
    w = wa[j] + slope * (ap - a_grid[j])
    d = ap - x
    g = chi1 * d * inv_s  # Psi_1
    c = cash - ap - 0.5 * g * d
    if c <= 0.0:
        return -np.inf, 0.0, j
    p1 = 1.0 + g
    uc = marginal_utility(c, eis)
    f = w - uc * p1
    df = slope - uc * (p1 * p1 / (eis * c) + chi1 * inv_s)
    return f, df, j


@njit(cache=True)
def solve_constrained(wa, a_grid, x, cash, guess, eis, chi0, chi1, chi2):
    """a' at the liquid constraint: W_a(a') = c^{-1/eis} (1 + Psi_1), c from the budget.

    ``wa`` (n_a,) is W_a at b' = b_grid[0]; ``cash = coh - b_grid[0]`` pays for
    ``c + a' + Psi(a', a)``. The root lies where ``1 + Psi_1 > 0`` and ``c > 0``; returns
    ``a_grid[0]`` at the corner where the gap is already <= 0 there.
    """
    s = x + chi0
    if chi2 == 2.0:
        dstar = -s / chi1
    else:
        dstar = -((s ** (chi2 - 1.0) / chi1) ** (1.0 / (chi2 - 1.0)))
    lo = x + dstar  # here 1 + Psi_1 = 0 and the gap is W_a > 0
    hi = cash  # c <= 0 from here on since Psi >= 0
    if lo <= a_grid[0]:
        lo = a_grid[0]
        f, _ = _constrained_gap(wa, a_grid, lo, x, cash, eis, chi0, chi1, chi2)
        if f <= 0.0:
            return lo
    ap = guess if lo < guess < hi else min(max(x, lo), 0.5 * (lo + hi))
    quadratic = chi2 == 2.0
    inv_s = 1.0 / s
    j = _segment(a_grid, ap)
    for _ in range(100):
        if quadratic:
            f, df, j = _constrained_gap_quadratic(wa, a_grid, ap, x, inv_s, cash, eis, chi1, j)
        else:
            f, df = _constrained_gap(wa, a_grid, ap, x, cash, eis, chi0, chi1, chi2)
        if f > 0.0:
            lo = ap
        else:
            hi = ap
        if np.isfinite(f) and df < 0.0:
            an = ap - f / df
        else:
            an = 0.5 * (lo + hi)
        if not (lo <= an <= hi):
            an = 0.5 * (lo + hi)
        if abs(an - ap) <= 1e-13 * (1.0 + abs(ap)) or hi - lo <= 1e-14 * (1.0 + abs(ap)):
            return an
        ap = an
    return ap


@njit(cache=True)
def _gap_quadratic(wa, wb, ap, x, inv_s, chi1):
    # _gap for chi2 = 2: W_a - W_b (1 + chi1 (a' - x) / s), with inv_s = 1 / s
    return wa - wb * (1.0 + chi1 * (ap - x) * inv_s)


@njit(cache=True)
def _gap_segments(wa, wb, a_grid, x, inv_s, chi1, kseg):
    """For chi2 = 2 and each today's a_i: the segment k of the a' grid where the gap
    ``W_a - W_b (1 + Psi_1)`` turns from positive to non-positive (the walk of
    :func:`solve_node`, starting from the last i's segment); -1 for the corner
    ``a' = a_grid[0]``, n - 1 when it never turns. ``inv_s = 1 / (x + chi0)``."""
    n = a_grid.shape[0]
    k = 0
    for i in range(x.shape[0]):
        xi, si = x[i], inv_s[i]
        hk = _gap_quadratic(wa[k], wb[k], a_grid[k], xi, si, chi1)
        while k > 0 and hk <= 0.0:
            k -= 1
            hk = _gap_quadratic(wa[k], wb[k], a_grid[k], xi, si, chi1)
        if hk <= 0.0:
            kseg[i] = -1
            k = 0
            continue
        h1 = _gap_quadratic(wa[k + 1], wb[k + 1], a_grid[k + 1], xi, si, chi1)
        while h1 > 0.0 and k < n - 2:
            k += 1
            h1 = _gap_quadratic(wa[k + 1], wb[k + 1], a_grid[k + 1], xi, si, chi1)
        kseg[i] = n - 1 if h1 > 0.0 else k


@njit(cache=True)
def egm_nodes(Wb, Wa, b_grid, a_grid, y, ra, rb, eis, chi0, chi1, chi2, ap_node, b_endo):
    """Unconstrained solutions on the (b', a) grid: for every row r (an exogenous state,
    possibly batched), choice b'_j and today's a_i, the a' solving the a-FOC, and the
    today's b from the budget with c = W_b(b'_j, a')^{-eis}.

    Wb, Wa, ap_node, b_endo: (m, n_b, n_a) with ap_node/b_endo indexed [r, j, i]; y (m,).
    For chi2 = 2 the segments are found first (a walk) and the roots then solved in a
    second loop, with the rare fallbacks (root outside the segment) out of its way.
    """
    m, n_b, n_a = Wb.shape
    x = (1.0 + ra) * a_grid
    inv_s = 1.0 / (x + chi0)
    inv_rb = 1.0 / (1.0 + rb)
    kseg = np.empty(n_a, dtype=np.int64)
    quadratic = chi2 == 2.0
    for r in range(m):
        for j in range(n_b):
            wa = Wa[r, j]
            wb = Wb[r, j]
            if quadratic:
                _gap_segments(wa, wb, a_grid, x, inv_s, chi1, kseg)
                for i in range(n_a):
                    k = min(max(kseg[i], 0), n_a - 2)
                    # gap(t) = qa t^2 + qb t + hk on t in [0, 1], gap(0) > 0 >= gap(1)
                    da = a_grid[k + 1] - a_grid[k]
                    dwb = wb[k + 1] - wb[k]
                    q0 = 1.0 + chi1 * (a_grid[k] - x[i]) * inv_s[i]
                    dq = chi1 * da * inv_s[i]
                    hk = wa[k] - wb[k] * q0
                    h1 = wa[k + 1] - wb[k + 1] * (q0 + dq)
                    qa = -dwb * dq
                    qb = (wa[k + 1] - wa[k]) - wb[k] * dq - dwb * q0
                    # roots hk / qq and qq / qa: the cancellation-free quadratic formula
                    sq = np.sqrt(max(qb * qb - 4.0 * qa * hk, 0.0))
                    qq = -0.5 * (qb - sq) if qb < 0.0 else -0.5 * (qb + sq)
                    t = hk / qq if qq != 0.0 else 0.0
                    if not 0.0 <= t <= 1.0:  # rare: the other root, or the secant
                        t2 = qq / qa if qa != 0.0 else 0.0
                        t_lin = hk / (hk - h1) if hk != h1 else 0.0
                        t = t2 if 0.0 <= t2 <= 1.0 else t_lin
                    t = 0.0 if kseg[i] < 0 else (1.0 if kseg[i] == n_a - 1 else t)
                    ap = a_grid[k] + t * da
                    wbt = wb[k] + t * dwb
                    d = ap - x[i]
                    p = 0.5 * chi1 * d * d * inv_s[i]
                    c = inverse_marginal_utility(wbt, eis)
                    ap_node[r, j, i] = ap
                    b_endo[r, j, i] = (c + b_grid[j] + ap + p - x[i] - y[r]) * inv_rb
            else:
                k = 0
                for i in range(n_a):
                    ap, wbt, k = solve_node(wa, wb, a_grid, x[i], k, chi0, chi1, chi2)
                    p = psi(ap, x[i], chi0, chi1, chi2)
                    c = inverse_marginal_utility(wbt, eis)
                    ap_node[r, j, i] = ap
                    b_endo[r, j, i] = (c + b_grid[j] + ap + p - x[i] - y[r]) * inv_rb


@njit(cache=True)
def policies_on_grid(
    Wa, b_grid, a_grid, y, ra, rb, eis, chi0, chi1, chi2, ap_node, b_endo,
    b_out, a_out, c_out, psi_out, uc_out, va_out, vb_out,
):  # fmt: skip
    """Policies on today's (b, a) grid from the nodes; the constrained solve where b' < b_0.

    For each row r and today's a_i, b' and a' are interpolated linearly in today's b
    along ``b_endo[r, :, i]`` (increasing); below ``b_endo[r, 0, i]`` the household is at
    ``b' = b_grid[0]`` and :func:`solve_constrained` gives a' (walking down in b from the
    kink, each solution the next one's starting guess). Consumption comes from the
    budget, so ``c + b' + a' + Psi = (1+rb) b + (1+ra) a + y`` holds exactly, and
    ``V_b = (1+rb) u'(c)``, ``V_a = u'(c) (1+ra) (1 - Psi_x)``. Non-positive consumption
    is returned as NaN (the caller reports it).
    """
    m, n_b, n_a = b_out.shape
    for r in range(m):
        for i in range(n_a):
            x = (1.0 + ra) * a_grid[i]
            kink = b_endo[r, 0, i]
            n_con = 0
            while n_con < n_b and b_grid[n_con] < kink:
                n_con += 1
            jb = 0
            for ib in range(n_con, n_b):
                while jb < n_b - 2 and b_grid[ib] >= b_endo[r, jb + 1, i]:
                    jb += 1
                lo, hi = b_endo[r, jb, i], b_endo[r, jb + 1, i]
                w = (b_grid[ib] - lo) / (hi - lo)
                bp = b_grid[jb] + w * (b_grid[jb + 1] - b_grid[jb])
                ap = ap_node[r, jb, i] + w * (ap_node[r, jb + 1, i] - ap_node[r, jb, i])
                b_out[r, ib, i] = max(bp, b_grid[0])
                a_out[r, ib, i] = max(ap, a_grid[0])
            # walking down in b from the kink, where the constrained a' is the node's;
            # each start is the linear extrapolation of the last two solutions in cash
            prev_cash = (1.0 + rb) * kink + x + y[r] - b_grid[0]
            prev = ap_node[r, 0, i]
            slope = 0.0
            for ib in range(n_con - 1, -1, -1):
                cash = (1.0 + rb) * b_grid[ib] + x + y[r] - b_grid[0]
                guess = prev + slope * (cash - prev_cash)
                ap = solve_constrained(Wa[r, 0], a_grid, x, cash, guess, eis, chi0, chi1, chi2)
                if cash != prev_cash:
                    slope = (ap - prev) / (cash - prev_cash)
                prev, prev_cash = ap, cash
                b_out[r, ib, i] = b_grid[0]
                a_out[r, ib, i] = ap
    # the budget and envelope conditions state by state, in memory order (i innermost),
    # after the searches above: this loop has no branches on the data and vectorises
    x = (1.0 + ra) * a_grid
    inv_s = 1.0 / (x + chi0)
    for r in range(m):
        for ib in range(n_b):
            coh = (1.0 + rb) * b_grid[ib] + y[r]
            if chi2 == 2.0:
                for i in range(n_a):
                    bp = b_out[r, ib, i]
                    d = a_out[r, ib, i] - x[i]
                    g = chi1 * d * inv_s[i]  # Psi_1
                    p = 0.5 * g * d
                    c = coh + x[i] - bp - a_out[r, ib, i] - p
                    uc = marginal_utility(c, eis)
                    c_out[r, ib, i] = c
                    psi_out[r, ib, i] = p
                    uc_out[r, ib, i] = uc
                    vb_out[r, ib, i] = (1.0 + rb) * uc
                    # Psi_x = -Psi_1 - Psi / s for chi2 = 2
                    va_out[r, ib, i] = uc * (1.0 + ra) * (1.0 + g + p * inv_s[i])
            else:
                for i in range(n_a):
                    bp = b_out[r, ib, i]
                    ap = a_out[r, ib, i]
                    p = psi(ap, x[i], chi0, chi1, chi2)
                    c = coh + x[i] - bp - ap - p
                    uc = marginal_utility(c, eis)
                    c_out[r, ib, i] = c
                    psi_out[r, ib, i] = p
                    uc_out[r, ib, i] = uc
                    vb_out[r, ib, i] = (1.0 + rb) * uc
                    va_out[r, ib, i] = uc * (1.0 + ra) * (1.0 - psi_x(ap, x[i], chi0, chi1, chi2))
            for i in range(n_a):
                if not c_out[r, ib, i] > 0.0:  # non-positive consumption: NaN, reported
                    c_out[r, ib, i] = np.nan
                    uc_out[r, ib, i] = np.nan
                    vb_out[r, ib, i] = np.nan
                    va_out[r, ib, i] = np.nan
