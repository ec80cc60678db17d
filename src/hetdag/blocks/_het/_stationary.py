"""The stationary histogram of the law of motion, ``D = forward_step(D)``.

:func:`stationary_distribution` combines Gauss-Seidel sweeps, forward iteration and a
sparse direct solve of ``(I - T) d = 0`` on :func:`transition_matrix` (timings in its
docstring); the one-period steps are in :mod:`._law_of_motion`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...errors import ConvergenceError
from . import _histogram_kernels as K
from ._law_of_motion import Lottery, _as_pi_list, _check_lottery, _f64, _markov_axis, forward_step

# Forward iterations worth doing before the sparse direct solve. On a 7x500
# income-fluctuation problem one iteration costs ~12 us and the sparse solve ~15 ms, so
# the direct solve pays off once more than ~1000-1500 iterations would be needed. (The
# residual is too erratic early on to predict the count near the budget, so the budget
# is fixed.)
_FORWARD_BUDGET = 2000
# Only a prediction of over twice the budget, after this many iterations, hands over
# early (Python path: two assets or several chains). The two-asset household predicts
# far more than 4000 and spent ~90 ms on the 2000 iterations before its direct solve.
_GIVE_UP_AFTER = 100
# Gauss-Seidel sweeps before the forward iteration (to 1e-13: ~45 for the one-asset
# households, ~90 for the two-asset one)
_SWEEPS = 200


def transition_matrix(lottery: Lottery, Pi_list: Sequence[ArrayLike]):
    """Sparse (N, N) matrix ``T`` with ``forward_step(D).ravel() == T @ D.ravel()``."""
    import scipy.sparse as sp  # lazily: only the direct-solve fallback needs it

    Ps = _as_pi_list(Pi_list, lottery.shape, lottery.ndim_endo, "transition_matrix")
    shape = lottery.shape
    N = int(np.prod(shape))
    idx = np.arange(N).reshape(shape)
    target, weight = lottery.corners()
    n_endo = int(np.prod(shape[-lottery.ndim_endo :]))
    rows = idx // n_endo * n_endo + target  # the state's exogenous block, then its corner
    cols = np.broadcast_to(idx, rows.shape)
    L = sp.csr_matrix((weight.ravel(), (rows.ravel(), cols.ravel())), shape=(N, N))
    M = sp.identity(int(np.prod(shape[len(Ps) :])), format="csr")
    for P in reversed(Ps):
        M = sp.kron(sp.csr_matrix(P.T), M, format="csr")
    return (M @ L).tocsr()


def _iterate(D, lottery, Ps, tol, maxit, check_every=10):
    """Plain forward iteration; returns (D, estimated distance to the fixed point,
    iterations): ``max|D' - D| max(1, q / (1 - q))`` with q the observed contraction."""
    if lottery.ndim_endo == 1 and len(Ps) == 1 and D.ndim == 2:
        # the common case runs entirely in numba
        out = np.empty_like(D)
        res, it = K.forward_iterate_1d(
            np.ascontiguousarray(D),
            lottery.a_i,
            lottery.a_pi,
            Ps[0],
            tol,
            maxit,
            check_every,
            out,
        )
        return out, float(res), int(it)
    res = res_prev = np.inf
    for it in range(1, maxit + 1):
        Dn = lottery.forward(D)
        for k, P in enumerate(Ps):
            Dn = _markov_axis(Dn, P, k, forward=True)
        if it % check_every == 0 or it == maxit:
            res = float(np.max(np.abs(Dn - D)))
            # estimated distance to the fixed point, as in the numba kernel
            q = min((res / res_prev) ** (1.0 / check_every), 0.9999) if res_prev > 0 else 0.0
            seen_two = res_prev < np.inf
            res_prev = res
            est = res * max(1.0, q / (1 - q)) if seen_two else np.inf
            if res < tol and est < tol:
                return Dn, est, it
            if it == maxit:  # the distance left, as the numba kernel reports it
                return Dn, est, it
            # hand over to the direct solve early when the observed contraction rate
            # says maxit would not be enough (two-asset: q ~ 0.995, 2000 steps ~ 90 ms)
            if it >= _GIVE_UP_AFTER and seen_two and 0 < q < 1 and res > tol:
                needed = math.log(tol * (1 - q) / res) / math.log(q)
                if it + needed > 2 * maxit:
                    return Dn, res, it
        D = Dn
    return D, res, maxit


def _sweep(D, lottery, P, tol):
    """Gauss-Seidel sweeps (:func:`~hetdag.blocks._het_kernels.stationary_sweeps`) from
    ``D`` to an estimated distance of ``tol / 10``, or None if they cannot run. The
    forward iteration that follows judges the result by its own rule, so a poor start
    only costs it steps. Negative rounding residue is cleared and the mass renormalised."""
    E = D.shape[0]
    target, weight = lottery.corners()
    C = target.shape[0]
    flat = np.array(D, dtype=np.float64).reshape(E, -1)
    _, est = K.stationary_sweeps(
        target.reshape(C, E, -1), weight.reshape(C, E, -1), _f64(P), flat, _SWEEPS, tol / 10
    )
    if not (np.isfinite(est) and flat.min() > -1e-8):
        return None
    flat = np.maximum(flat, 0.0)
    return (flat / flat.sum()).reshape(D.shape)


def _uniform_or(D0, shape):
    if D0 is not None and np.all(D0 >= 0) and D0.sum() > 0:
        return D0 / D0.sum()
    return np.full(shape, 1.0 / np.prod(shape))


def _solve_pinned(T, k: int) -> NDArray:
    """Solve ``(I - T) d = 0`` with ``d[k] = 1`` (k must be recurrent); return d / sum(d).

    Column k moves to the right-hand side and row k becomes ``d[k] = 1``, which keeps the
    matrix as sparse as ``T`` (a dense ``sum(d) = 1`` row makes SuperLU fill in ~10x).
    The pinned matrix is a nonsingular M-matrix (columns of ``I - T`` sum to zero), for
    which elimination on the diagonal is stable: SuperLU factors it in reverse
    Cuthill-McKee order without pivoting (two-asset household, 10,500 states: 53 -> 40
    ms, 12% less fill than COLAMD with partial pivoting).
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    N = T.shape[0]
    B = (sp.identity(N, format="csr") - T).tocsc()
    rhs = -B[:, k].toarray().ravel()
    rhs[k] = 1.0
    mask = np.ones(N)
    mask[k] = 0.0
    A = sp.diags(mask) @ B @ sp.diags(mask) + sp.csc_matrix(([1.0], ([k], [k])), shape=(N, N))
    p = reverse_cuthill_mckee((A + A.T).tocsr(), symmetric_mode=True)
    dp = _spsolve(A[p][:, p].tocsc(), rhs[p], permc_spec="NATURAL", diag_pivot_thresh=0.0)
    d = np.empty(N)
    d[p] = dp
    with np.errstate(all="ignore"):
        return d / d.sum()


def _solve_sum_row(T) -> NDArray:
    """Solve ``(T - I) d = 0`` with the last equation replaced by ``sum(d) = 1``."""
    import scipy.sparse as sp

    N = T.shape[0]
    A = sp.vstack([(T - sp.identity(N, format="csr"))[:-1], np.ones((1, N))], format="csc")
    rhs = np.zeros(N)
    rhs[-1] = 1.0
    return _spsolve(A, rhs)


def _spsolve(A, rhs, **options) -> NDArray:
    """``A^{-1} rhs`` by SuperLU (``options`` go to ``splu``); NaN if the factor is singular."""
    import scipy.sparse.linalg as spla

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MatrixRankWarning: handled by the caller's checks
        try:
            if options:
                return spla.splu(A, **options).solve(rhs)
            return spla.spsolve(A, rhs)
        except RuntimeError:  # exactly singular factor
            return np.full(rhs.shape, np.nan)


def stationary_distribution(
    lottery: Lottery,
    Pi_list: Sequence[ArrayLike],
    D0: ArrayLike | None = None,
    tol: float = 1e-12,
    maxit: int = 100_000,
    block: str = "?",
) -> NDArray[np.float64]:
    """Stationary histogram ``D = forward_step(D)``, ``sum(D) = 1``, ``D >= 0``.

    Method (hybrid, chosen by timing): with one Markov chain, up to ``_SWEEPS``
    Gauss-Seidel sweeps from ``D0`` (or uniform) first, which shrink the error 2x (one
    asset) or 1.4x (two assets) per sweep on the example households, where a forward
    step shrinks it by 0.97-0.995; then up to 2000 forward iterations
    (``_FORWARD_BUDGET``), fewer when after ``_GIVE_UP_AFTER`` of them the observed
    contraction rate predicts over twice that many; if they have not met ``tol``, the
    sparse system
    ``(I - T) d = 0`` with ``d[k] = 1`` for the modal state ``k`` of the current iterate
    (recurrent) is solved by SuperLU. Pinning one state keeps the matrix as sparse as
    ``T``; the usual dense ``sum(d) = 1`` row makes SuperLU ~8x slower and is only the
    fallback. The result is cleaned of rounding negatives, renormalised and verified by
    one forward step, ``max|forward_step(D) - D| < tol`` (up to 1000 polishing
    iterations are allowed; ``100 * tol`` is accepted). If ``D0`` already meets ``tol``
    it is returned after one forward step. If the direct solves fail (e.g. several
    ergodic sets) forward iteration continues for up to ``maxit`` steps.

    ``Pi_list`` holds one row-stochastic matrix per exogenous axis (or is one 2-D array);
    ``D0`` (``lottery.shape``) is a warm start; ``tol`` bounds ``max|D' - D|``; ``maxit``
    caps forward iterations in the fallback; ``block`` names the block in errors.
    Returns a nonnegative array of ``lottery.shape`` summing to one.

    Raises
    ------
    ConvergenceError
        With ``block`` and ``residual`` set, when no accurate distribution was found.
    """
    fn = "stationary_distribution"
    _check_lottery(lottery, fn)
    Ps = _as_pi_list(Pi_list, lottery.shape, lottery.ndim_endo, fn)
    if D0 is not None:
        D0 = lottery._check(D0, "D0")
    start = _uniform_or(D0, lottery.shape)
    if len(Ps) == 1 and start.ndim == 1 + lottery.ndim_endo:
        swept = _sweep(start, lottery, Ps[0], tol)
        start = start if swept is None else swept
    D_fwd, res, it = _iterate(start, lottery, Ps, tol, min(maxit, _FORWARD_BUDGET))
    if res < tol:
        return D_fwd / D_fwd.sum()
    T = transition_matrix(lottery, Ps)
    k = int(np.argmax(D_fwd))  # after many steps the modal state is (almost surely) recurrent
    for solve in (lambda: _solve_pinned(T, k), lambda: _solve_sum_row(T)):
        d = solve()
        if not (np.all(np.isfinite(d)) and d.min() > -1e-8):
            continue
        D = np.maximum(d, 0.0).reshape(lottery.shape)
        D = D / D.sum()
        Dn = forward_step(D, lottery, Ps)  # verify by one step (the solve has no slow mode)
        D, res = Dn, float(np.max(np.abs(Dn - D)))
        if tol <= res < 100 * tol:  # polish
            D, res, _ = _iterate(D, lottery, Ps, tol, min(maxit, 1000))
        if res < 100 * tol:
            return D / D.sum()
    # at least two rate checks, so that res is an estimated distance, not infinite
    D, res, it = _iterate(D_fwd, lottery, Ps, tol, max(maxit - it, 20))
    if res >= 100 * tol:
        raise ConvergenceError(
            f"Block {block!r}: stationary distribution not found; max|D' - D| = {res:.3e} "
            f"after the sparse solves and {it} forward iterations (tol {tol:.1e})",
            block=block,
            variable="D",
            iterations=it,
            residual=res,
        )
    return D / D.sum()
