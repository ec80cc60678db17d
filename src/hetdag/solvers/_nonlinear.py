"""Nonlinear perfect-foresight transitions.

Solve the stacked targets H(U, Z) = 0 (each of length T) for the unknown paths U,
given shock paths Z. Iterations start as quasi-Newton with the LU-factored
steady-state H_U, ``U <- U - H_U^{-1} H(U)``, and improve on it with rank-one
(good) Broyden updates of the inverse Jacobian, applied as a low-rank correction
on top of the LU solve. Each step backtracks until ||H|| decreases, and if a Broyden
direction fails the updates are dropped and the plain H_U direction is tried.

When the model's Jacobian with respect to the shocked inputs is cached, or can be
composed from cached heterogeneous-agent Jacobians (for a shock upstream of the
household, those H_U needed), the iteration starts from the linear solution
``dU = -H_U^{-1} H_Z dZ`` instead of the steady state: that guess costs a few matrix
products, and saves the household path evaluation that the first quasi-Newton step
would spend getting there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from scipy import linalg

from ..errors import ConvergenceError, ModelSpecError, NonFiniteError, format_residuals
from ..results import ImpulseDict
from ..results._results import in_fingerprint_scope
from ._linear import check_unknowns_targets, factored_hu
from ._protocol import (
    JacobianNotCached,
    as_steady_state,
    cached_jacobians_only,
    shock_horizon,
)
from ._steady_state import show_progress


class _BroydenInverse:
    """B^{-1} = H_U^{-1} plus rank-one corrections ``sum_k u_k w_k^T``."""

    def __init__(self, lu):
        self.lu = lu
        self.us: list[np.ndarray] = []
        self.ws: list[np.ndarray] = []

    def solve(self, v: np.ndarray) -> np.ndarray:
        out = linalg.lu_solve(self.lu.lu, v, check_finite=False)
        for u, w in zip(self.us, self.ws):
            out = out + u * (w @ v)
        return out

    def solve_T(self, v: np.ndarray) -> np.ndarray:
        out = linalg.lu_solve(self.lu.lu, v, trans=1, check_finite=False)
        for u, w in zip(self.us, self.ws):
            out = out + w * (u @ v)
        return out

    def update(self, s: np.ndarray, y: np.ndarray) -> None:
        By = self.solve(y)
        denom = s @ By
        if abs(denom) < 1e-14 * np.linalg.norm(s) * np.linalg.norm(By) or not np.isfinite(denom):
            return
        self.ws.append(self.solve_T(s))
        self.us.append((s - By) / denom)

    def reset(self) -> None:
        self.us.clear()
        self.ws.clear()


def _cached_linear_guess(block, ss, unknowns, targets, shocks: Mapping, T: int, lu):
    """``dU = -H_U^{-1} H_Z dZ`` stacked, if H_Z comes without a fake-news pass; else None.

    H_Z is read from the model's cache, or composed when every heterogeneous-agent
    Jacobian it needs is already cached (e.g. the shock enters a simple block upstream of
    the household, whose Jacobian H_U needed anyway). A new fake-news pass is never run:
    it costs more than the path evaluation the guess saves.
    """
    try:
        with cached_jacobians_only():
            J = block.jacobian(ss, list(shocks), targets, T=T)
    except JacobianNotCached:
        return None
    dH = J.apply(shocks)
    rhs = np.concatenate([dH[t] for t in targets])
    x = -lu.solve(rhs)
    return x if np.all(np.isfinite(x)) else None


@in_fingerprint_scope
def solve_impulse_nonlinear(
    block,
    ss: Mapping,
    unknowns: Sequence[str],
    targets: Sequence[str],
    shocks: Mapping[str, np.ndarray],
    outputs: Sequence[str] | None = None,
    internals: Iterable[str] | None = None,
    tol: float = 1e-10,
    maxit: int = 50,
    progress: bool | None = None,
    check_determinacy: bool = True,
    H_U_factored=None,
) -> ImpulseDict:
    """Nonlinear impulse responses (deviations from ``ss``) to shock paths ``shocks``.

    Raises ConvergenceError with each target's residual if ``maxit`` is reached.
    ``progress`` shows a tqdm bar with the residual (default: when stderr is a terminal).
    ``internals=['household']`` also returns that block's policies and distribution
    for every period in ``irf.internals['household']``.
    """
    ss = as_steady_state(ss)
    unknowns, targets = check_unknowns_targets(block, unknowns, targets)
    T = shock_horizon(shocks, block)
    for u in unknowns:
        if u in shocks:
            raise ModelSpecError(f"Model {block.name!r}: {u!r} is both an unknown and a shock")
    lu = factored_hu(block, ss, unknowns, targets, T, check_determinacy, H_U_factored)
    binv = _BroydenInverse(lu)
    base = {k: ss[k] + np.asarray(v, dtype=float) for k, v in shocks.items()}
    nu = len(unknowns)

    def evaluate(x: np.ndarray, ints=()):
        paths = dict(base)
        for a, u in enumerate(unknowns):
            paths[u] = ss[u] + x[a * T : (a + 1) * T]
        out, internal = block._path(ss, paths, T, set(ints))
        H = np.concatenate([out[t] - ss[t] for t in targets])
        return H, out, paths, internal

    def try_eval(x):
        nonlocal last
        try:
            res = evaluate(x)
        except NonFiniteError:
            return None
        last = (x, res)
        return res[0]

    bar = None
    if show_progress(progress):
        from tqdm import tqdm

        bar = tqdm(total=maxit, desc=f"transition {block.name}", leave=False)
    x = np.zeros(nu * T)
    last = None  # (x, evaluate(x)) of the latest evaluation, reused at the end
    guess = _cached_linear_guess(
        block,
        ss,
        unknowns,
        targets,
        {k: np.asarray(v, dtype=float) for k, v in shocks.items()},
        T,
        lu,
    )
    if guess is not None:
        try:
            last = (guess, evaluate(guess))
            x = guess
        except NonFiniteError:  # a large shock: the linear guess leaves the model's domain
            last = None
    if last is None:
        last = (x, evaluate(x))
    H = last[1][0]
    history = []
    try:
        for _ in range(maxit):
            err = float(np.max(np.abs(H)))
            history.append(err)
            if bar is not None:
                bar.set_postfix(residual=f"{err:.2e}")
                bar.update(1)
            if err < tol:
                break
            accepted = None
            for _attempt in range(2):
                d = -binv.solve(H)
                step = 1.0
                for _ in range(12):
                    xn = x + step * d
                    Hn = try_eval(xn)
                    if Hn is not None and np.linalg.norm(Hn) < (1 - 1e-4 * step) * np.linalg.norm(
                        H
                    ):
                        accepted = (xn, step * d, Hn)
                        break
                    step *= 0.5
                if accepted is not None or not binv.us:
                    break
                binv.reset()
            if accepted is None:
                break
            xn, s, Hn = accepted
            binv.update(s, Hn - H)
            x, H = xn, Hn
    finally:
        if bar is not None:
            bar.close()
    err = float(np.max(np.abs(H)))
    if err >= tol:
        residuals = {
            t: float(np.max(np.abs(H[a * T : (a + 1) * T]))) for a, t in enumerate(targets)
        }
        raise ConvergenceError(
            f"Model {block.name!r}: nonlinear transition did not converge after {len(history)} "
            f"iterations; max residuals {format_residuals(residuals)} (tol {tol:g}). "
            f"Residual history: {', '.join(f'{h:.1e}' for h in history[-8:])}",
            block=block.name,
            iterations=len(history),
            residual=err,
            residuals=residuals,
        )
    if internals or last[0] is not x:
        H, out, paths, ints = evaluate(x, internals or ())
    else:  # the converged point was the latest evaluation: reuse it
        H, out, paths, ints = last[1]
    outputs = list(block.outputs) if outputs is None else list(outputs)
    res = {k: paths[k] - ss[k] for k in paths}
    res.update({o: out[o] - ss[o] for o in outputs if o in out})
    irf = ImpulseDict(res, T, internals=ints, label="nonlinear")
    irf.iterations = len(history)  # type: ignore[attr-defined]
    irf.max_residual = err  # type: ignore[attr-defined]
    return irf
