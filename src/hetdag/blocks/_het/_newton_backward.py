"""Newton's method for the steady state of a backward iteration.

The plain iteration ``V <- S(Pi V)`` contracts at the rate at which a household's past
choices stop mattering, about ``(1 - MPC) * (beta (1 + r))^eis`` at high wealth: 0.955
on the Krusell-Smith household, so 342 steps even with extrapolation. Newton solves
``F(V) = S(Pi V) - V = 0`` instead:

.. math::  (I - J)\\, \\delta = S(\\Pi V) - V, \\qquad V \\leftarrow V + \\delta,

with ``J = S'(Pi V) Pi``. In an EGM step a state's outputs read the continuation values
only at the two grid points that bracket its choice, so ``S'`` has two coefficients per
state. They are probed as in the fake-news algorithm (:mod:`._local_backward`): raising
the continuation values at every other grid point moves each state through exactly one
corner, so one batched step of two slices gives all of them. The linear system is solved
by symmetric Gauss-Seidel over the grid (:func:`newton_sweeps_1d`), which follows the
chains of choices that make the plain iteration slow. From a cold start the
Krusell-Smith and HANK households (7 x 500) converge in 16-17 Newton steps, each one
step, one probe call and 3-6 sweeps: 9 ms in all against 18.6 ms plain with
extrapolation, and 2e-12 from a plain iteration to 1e-13 instead of 5e-12.

While the relative residual exceeds ``_FAR`` and plain steps keep cutting it, plain
steps replace Newton's (one call of the step instead of three where its probes cannot be
batched): from sequence-jacobian's start, a tenth of cash on hand consumed, Newton's
first steps were trust-region-cut plain steps anyway (issue 21).

Used for one backward variable, a 1-D policy and one Markov chain (``applies``). The
derivative is not verified: a poor one makes Newton slower, never wrong, because the
stopping rule judges the step itself. A Newton step whose next step makes NaN or inf, or
flips the sign of the backward variable, is halved; a step over ``_MAX_GAIN`` times the
residual is replaced by the plain one; and if Newton gives up or has not converged after
``_MAXIT`` steps, the caller runs the plain iteration from its own start, within the
same ``backward_maxit``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ._context import _stack_step
from ._derivative_kernels import newton_coefficients_1d, newton_sweeps_1d
from ._histogram_kernels import markov_expectation_finite, max_abs_diff

_MAXIT = 40  # Newton steps before handing over to the plain iteration
_SWEEPS = 16  # Gauss-Seidel sweeps per Newton step, at most
_SWEEP_RTOL = 3e-3  # ... stopping when a sweep changes the step by less than this
_MIN_DAMPING = 1 / 64  # a step that makes NaN or inf is halved down to this, then Newton stops
_H_PROBE = 1e-5  # one-sided probes of the derivative, relative to the continuation value
_MAX_GAIN = 1e3  # largest Newton step, in multiples of the residual, taken as it is
_MAX_MOVE = 0.5  # largest relative change of any state's backward variable per step
_FAR = 0.2  # relative residual above which a plain step replaces Newton's ...
_FAR_RATE = 0.8  # ... while successive plain steps cut it by this factor at least ...
_FAR_STEPS = 20  # ... for this many plain steps at most
_PROBE_SANE = 1e-2  # a probe moving the step's output by more (relative) was mis-batched


def applies(blk, Pis: list) -> bool:
    """Whether :func:`newton_backward` handles this block's steady state."""
    return blk.backward_newton and len(Pis) == 1 and len(blk.backward) == 1 and len(blk.policy) == 1


def newton_backward(blk, v: dict, P: np.ndarray, shape: tuple, bw: dict, tol: float):
    """Newton iteration to the fixed point of the block's backward step.

    Returns ``(out, it, None, diff)`` with the step's outputs at the fixed point and the
    index of the last iteration, or ``(None, n, bw, diff)``: the number of iterations
    used and the start the plain iteration should use, the caller's own ``bw`` (a step
    output from Newton's iterates can lie where the step fails, as it did for eis = 2.5,
    rho = 0.75, 7 states). ``diff`` is the last policy change. Stops like the plain
    iteration: when the policy change between Newton iterates, and the distance to the
    fixed point it implies, ``diff * q / (1 - q)`` with ``q`` the ratio of successive
    changes, are below ``tol``. Counts against ``backward_maxit`` like plain steps.
    """
    b, p = blk.backward[0], blk.policy[0]
    bp = b + "_p"
    grid = np.asarray(v[blk.grids[0]], dtype=float)
    P = np.ascontiguousarray(P, dtype=float)
    n_e, n_a = shape[0], grid.size
    f, f_outputs = blk.f, blk.f_outputs
    args = [None if i == bp else v[i] for i in blk.f_inputs]
    slot = blk.f_inputs.index(bp)
    eps10 = 10 * np.finfo(float).eps
    parity = (np.arange(n_a) % 2 == np.arange(2)[:, None]).astype(float)[:, None, :]
    cf = np.empty((n_a, n_e, 2))
    cl = np.empty((n_a, n_e, 2), dtype=np.int64)
    ctx = SimpleNamespace(block=blk, shape=shape, batchable=blk._probe_batchable)
    X = np.array(bw[b], dtype=float)  # a copy: the steps below write nothing else
    good = None  # (iterate, its Newton step) last accepted
    lam = 1.0  # damping of the last Newton step
    pol_old, diff, diff_prev = None, np.inf, np.inf
    rel_prev, n_plain = np.inf, 0  # relative residual of the last plain step; their count
    limit = min(_MAXIT, blk._option("backward_maxit"))
    with np.errstate(all="ignore"):
        for it in range(limit):
            W = np.empty(shape)
            ok = markov_expectation_finite(X.reshape(n_e, -1), P, W.reshape(n_e, -1))
            if ok and it == 0:  # full checks on the first step: shapes, names, NaN
                out = blk._step(v, {bp: W}, shape, "steady-state backward iteration 0")
                out = {k: out[k] for k in f_outputs}
                sign = np.asarray(out[b]) > 0
            elif ok:
                args[slot] = W
                res = f(*args)
                out = dict(zip(f_outputs, res if isinstance(res, tuple) else (res,)))
            if ok:
                X1 = np.asarray(out[b], dtype=float)
                pol = np.ascontiguousarray(out[p], dtype=float)
                # a step that flips the sign of a backward variable (a marginal value)
                # has left the region the model lives in, even where it stays finite
                ok = X1.shape == shape and bool(np.isfinite(X1.sum() + pol.sum()))
                ok = ok and np.array_equal(X1 > 0, sign)
            if not ok:  # the Newton step went too far: halve it
                if good is None or lam <= _MIN_DAMPING:
                    return None, it + 1, bw, diff
                lam /= 2
                X = good[0] + lam * good[1]
                continue
            r = X1 - X
            if pol_old is not None:
                diff, big = max_abs_diff(pol, pol_old)
                q = min(diff / diff_prev, 0.9999) if diff_prev > 0 else 0.0
                converged = diff_prev < np.inf and diff < tol
                converged = converged and (diff * q / (1 - q) < tol or diff < eps10 * big)
                # and the iterate is a fixed point of the step, not only of its policy
                if converged and np.max(np.abs(r)) <= np.sqrt(tol) * np.max(np.abs(X1)):
                    return out, it, None, diff
                diff_prev = diff
            pol_old = pol
            # far from the fixed point (SSJ's start, a tenth of cash on hand consumed, has
            # marginal values up to 20x too high) the trust region below cuts Newton's
            # step to about the plain one anyway, and a derivative probed there says
            # little about the fixed point: step plainly, one call instead of the step
            # and its probes (two more calls where the step cannot be batched). KS from
            # SSJ's start: 76 -> 56 calls; SSJ's hh_labor: no convergence in 40 Newton
            # steps -> 31 steps, 68 calls
            rel = float(np.max(np.abs(r) / np.maximum(np.abs(X), 1e-300)))
            if rel > _FAR and rel < _FAR_RATE * rel_prev and n_plain < _FAR_STEPS:
                rel_prev, n_plain = rel, n_plain + 1
                good, lam = (X, r), 1.0
                X = X1
                continue
            rel_prev = np.inf  # a Newton step: a plain one may follow if it left us far
            # the step's derivative at each cell's two corners: perturb the continuation
            # values at every other grid point at once (each state sees one corner per
            # colour), one-sided from X1. Unverified: a poor derivative makes Newton slower,
            # it cannot change the answer
            st = _H_PROBE * np.maximum(np.abs(W), 1e-12)
            probes = _probe(ctx, v, bp, b, W + st * parity, X1)
            newton_coefficients_1d(
                probes.reshape(2, n_e, -1), X1.reshape(n_e, -1), st.reshape(n_e, -1),
                pol.reshape(n_e, -1), grid, cf, cl,
            )  # fmt: skip
            d = np.zeros(shape)
            r2, d2 = r.reshape(n_e, -1), d.reshape(n_e, -1)
            newton_sweeps_1d(cf, cl, P, r2, d2, _SWEEPS, _SWEEP_RTOL)
            # the step exceeds the residual by 1/(1 - rate) at most, for contraction rates
            # below 0.999; more means a derivative probed across a kink: step plainly
            if not np.max(np.abs(d)) <= _MAX_GAIN * np.max(np.abs(r)):
                d = r
            # a trust region: no state's backward variable moves by over _MAX_MOVE of
            # itself in one step (far from the fixed point a full step can make Va
            # non-monotone, and then the next step's endogenous grid folds)
            move = np.max(np.abs(d) / np.maximum(np.abs(X), 1e-300))
            if move > _MAX_MOVE:
                d *= _MAX_MOVE / move
            good, lam = (X, d), 1.0
            X = X + d
    return None, limit, bw, diff


def _probe(ctx, v: dict, bp: str, b: str, cont: np.ndarray, X1: np.ndarray) -> np.ndarray:
    """The step's backward variable on the two probe slices ``cont`` (2, *shape).

    Batched where that was verified on an earlier iterate. A step that indexes where a
    constraint binds (SSJ's ``hh_labor``: ``np.nonzero(a < a_grid[0])``) maps a batch
    slice by slice only while nobody is constrained, so a batch verified early can turn
    wrong later: such a batch mixes states across slices and moves the outputs by O(1),
    where a probe of relative size ``_H_PROBE`` moves them by about that much. Probes
    further than ``_PROBE_SANE`` (relative) from the unperturbed step are redone slice
    by slice, and the block stops batching them.
    """
    probes = _stack_step(ctx, v, {bp: cont}, 2)[b]
    key = (2, ctx.shape)
    if ctx.batchable.get(key):
        with np.errstate(all="ignore"):
            far = np.abs(probes - X1) > _PROBE_SANE * np.abs(X1)
        if far.any():
            ctx.batchable[key] = False
            probes = _stack_step(ctx, v, {bp: cont}, 2)[b]
    return probes


__all__ = ["applies", "newton_backward"]
