"""Numba kernel: the exact Gaussian log-likelihood of a stationary vector series.

Whittle's multivariate Durbin–Levinson recursion (Brockwell & Davis 1991, Prop. 11.4.1)
predicts each observation from all earlier ones. With ``Gam[h] = E[x_{t+h} x_t']``:

.. math::

    \\Delta_m = \\Gamma(m+1) - \\sum_{j=1}^m \\Phi_{m,j} \\Gamma(m+1-j),\\quad
    \\Phi_{m+1,m+1} = \\Delta_m U_m^{-1},\\quad \\Psi_{m+1,m+1} = \\Delta_m' V_m^{-1},

    \\Phi_{m+1,j} = \\Phi_{m,j} - \\Phi_{m+1,m+1} \\Psi_{m,m+1-j},\\quad
    \\Psi_{m+1,j} = \\Psi_{m,j} - \\Psi_{m+1,m+1} \\Phi_{m,m+1-j},

    V_{m+1} = V_m - \\Phi_{m+1,m+1} \\Delta_m',\\quad U_{m+1} = U_m - \\Psi_{m+1,m+1} \\Delta_m,

and the log-likelihood is ``-1/2 sum_m (log det V_m + e_m' V_m^{-1} e_m)`` over the
one-step prediction errors ``e_m = x_m - sum_j Phi_{m,j} x_{m-j}``. It costs
O(T_obs^2 n^3) instead of the O(T_obs^3 n^3) of a Cholesky factorisation.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _cholesky_small(A, L, ref):  # pragma: no cover - compiled
    """Lower Cholesky factor of the small symmetric matrix A into L; returns the first
    column whose pivot is not above ``1e-12 ref[j]`` (ref: unconditional variances), or -1.
    The tolerance catches exactly collinear observables, whose pivot is roundoff."""
    n = A.shape[0]
    for j in range(n):
        s = A[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not s > 1e-12 * ref[j]:
            return j
        L[j, j] = np.sqrt(s)
        for i in range(j + 1, n):
            t = A[i, j]
            for k in range(j):
                t -= L[i, k] * L[j, k]
            L[i, j] = t / L[j, j]
        for i in range(j):
            L[i, j] = 0.0
    return -1


@njit(cache=True)
def _inverse_spd(L, Linv, out):  # pragma: no cover - compiled
    """(L L')^{-1} into out, from the lower Cholesky factor L (Linv: workspace)."""
    n = L.shape[0]
    Linv[:] = 0.0
    for j in range(n):
        Linv[j, j] = 1.0 / L[j, j]
        for i in range(j + 1, n):
            s = 0.0
            for k in range(j, i):
                s -= L[i, k] * Linv[k, j]
            Linv[i, j] = s / L[i, i]
    for i in range(n):
        for j in range(n):
            s = 0.0
            for k in range(max(i, j), n):
                s += Linv[k, i] * Linv[k, j]
            out[i, j] = s


@njit(cache=True, fastmath={"reassoc", "contract"})
def levinson_loglik(Gam, X, out_status):  # pragma: no cover - compiled
    """Exact log-likelihood (without the 2 pi constant) of X (N, n) given Gam (H, n, n).

    ``Gam[h] = E[x_{t+h} x_t']``; lags at or beyond H are zero. Fills
    ``out_status = [m, j]`` with the period m and column j where a prediction-error
    covariance V_m stopped being positive definite, or [-1, -1].

    Layout: every sequence over j is stored with j last and contiguous, in the order in
    which the recursion walks it, so the O(m n^3) steps are n^3 stride-1 loops of length
    m that vectorise: ``Phi[i, k, j-1] = Phi_{m,j}``, ``Psi[i, k, N-j] = Psi_{m,j}``
    (reversed), ``GamR[i, k, N-1-h] = Gam[h]`` and ``XR[k, N-1-t] = X[t, k]`` (reversed).
    ``fastmath`` allows only reassociation and fused multiply-adds (the sums over j are
    vectorised reductions); no flag assumes finite values, so -inf and NaN checks hold.
    """
    N, n = X.shape
    H = Gam.shape[0]
    Phi = np.zeros((n, n, N))
    Psi = np.zeros((n, n, N))
    Phi_new = np.zeros((n, n, N))
    Psi_new = np.zeros((n, n, N))
    GamR = np.zeros((n, n, N))
    for h in range(min(H, N)):
        for i in range(n):
            for k in range(n):
                GamR[i, k, N - 1 - h] = Gam[h, i, k]
    XR = np.empty((n, N))
    for t in range(N):
        for k in range(n):
            XR[k, N - 1 - t] = X[t, k]
    V = Gam[0].copy()
    U = Gam[0].copy()
    ref = np.empty(n)
    for i in range(n):
        ref[i] = abs(Gam[0, i, i])
    LV = np.zeros((n, n))
    LU = np.zeros((n, n))
    Vinv = np.zeros((n, n))
    Uinv = np.zeros((n, n))
    Delta = np.zeros((n, n))
    W = np.zeros((n, n))
    Pnew = np.zeros((n, n))
    Qnew = np.zeros((n, n))
    e = np.zeros(n)
    z = np.zeros(n)
    ll = 0.0
    out_status[0] = -1
    out_status[1] = -1
    for m in range(N):
        # symmetrise V, U against roundoff, then factor V_m
        for i in range(n):
            for j in range(i):
                a = 0.5 * (V[i, j] + V[j, i])
                V[i, j] = a
                V[j, i] = a
                b = 0.5 * (U[i, j] + U[j, i])
                U[i, j] = b
                U[j, i] = b
        bad = _cholesky_small(V, LV, ref)
        if bad >= 0:
            out_status[0] = m
            out_status[1] = bad
            return -np.inf
        # prediction error e_m = x_m - sum_{j=1}^m Phi_{m,j} x_{m-j}  (x_{m-j}: XR[N-m+j-1])
        for i in range(n):
            s = X[m, i]
            for k in range(n):
                for q in range(m):
                    s -= Phi[i, k, q] * XR[k, N - m + q]
            e[i] = s
        # forward substitution L z = e
        for i in range(n):
            s = e[i]
            for k in range(i):
                s -= LV[i, k] * z[k]
            z[i] = s / LV[i, i]
        quad = 0.0
        logdet = 0.0
        for i in range(n):
            quad += z[i] * z[i]
            logdet += 2.0 * np.log(LV[i, i])
        ll -= 0.5 * (logdet + quad)
        if m == N - 1:
            break
        # Delta_m = Gam(m+1) - sum_{j=1}^m Phi_{m,j} Gam(m+1-j)  (Gam(m+1-j): GamR[N-2-m+j])
        for i in range(n):
            for k in range(n):
                s = GamR[i, k, N - 2 - m] if m + 1 < H else 0.0
                for l in range(n):
                    for q in range(m):
                        s -= Phi[i, l, q] * GamR[l, k, N - 1 - m + q]
                Delta[i, k] = s
        bad = _cholesky_small(U, LU, ref)
        if bad >= 0:
            out_status[0] = m
            out_status[1] = bad
            return -np.inf
        _inverse_spd(LU, W, Uinv)
        _inverse_spd(LV, W, Vinv)
        for i in range(n):
            for k in range(n):
                s = 0.0
                t = 0.0
                for l in range(n):
                    s += Delta[i, l] * Uinv[l, k]
                    t += Delta[l, i] * Vinv[l, k]
                Pnew[i, k] = s
                Qnew[i, k] = t
        # Phi_{m+1,j} = Phi_{m,j} - P Psi_{m,m+1-j}:  Phi[q] with Psi[N-m+q], q = j-1
        # Psi_{m+1,j} = Psi_{m,j} - Q Phi_{m,m+1-j}:  Psi[N-m+q] with Phi[q], q = m-j
        lo = N - m
        for i in range(n):
            for k in range(n):
                p = Pnew[i, 0]
                c = Qnew[i, 0]
                for q in range(m):
                    Phi_new[i, k, q] = Phi[i, k, q] - p * Psi[0, k, lo + q]
                for q in range(m):
                    Psi_new[i, k, lo + q] = Psi[i, k, lo + q] - c * Phi[0, k, q]
                for l in range(1, n):
                    p = Pnew[i, l]
                    c = Qnew[i, l]
                    for q in range(m):
                        Phi_new[i, k, q] -= p * Psi[l, k, lo + q]
                    for q in range(m):
                        Psi_new[i, k, lo + q] -= c * Phi[l, k, q]
                Phi_new[i, k, m] = Pnew[i, k]
                Psi_new[i, k, lo - 1] = Qnew[i, k]
        Phi, Phi_new = Phi_new, Phi
        Psi, Psi_new = Psi_new, Psi
        for i in range(n):
            for k in range(n):
                s = 0.0
                t = 0.0
                for l in range(n):
                    s += Pnew[i, l] * Delta[k, l]
                    t += Qnew[i, l] * Delta[l, k]
                V[i, k] -= s
                U[i, k] -= t
    return ll
