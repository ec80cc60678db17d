"""The heterogeneous-agent block's steady state: backward fixed point, then histogram.

:class:`SteadyStateMixin` holds the steady-state methods of
:class:`~hetdag.blocks._het._block.HetBlock`: the backward iteration to its fixed point
(Newton first where it applies, then plain steps with extrapolation jumps), warm
starts from nearby solves, and the stationary histogram. The checks and pieces they
use (``_step``, ``_check_outputs``, ``_lottery``...) are the block's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ...errors import ConvergenceError, ModelSpecError
from ...solvers._protocol import granted_tolerance
from ...utils.extrapolate import IterateExtrapolator
from . import _histogram_kernels as K
from ._newton_backward import applies as newton_applies
from ._newton_backward import newton_backward
from ._stationary import stationary_distribution


@dataclass
class _Jump:
    """An extrapolation jump under check: the backward variables before it, the plain
    policy change before it, its estimated distance to the fixed point, and whether the
    first step after it (which measures how far it moved the policy) has been seen."""

    before: dict
    diff: float
    distance: float
    moved: bool = False


class SteadyStateMixin:
    """Steady-state methods of :class:`HetBlock` (see the module docstring)."""

    def _steady_state(self, values: dict) -> tuple[dict, dict]:
        v = self._values(values)
        Pis = self._markovs(v, "steady state")
        shape = self._state_shape(v, Pis)
        bw = self._initial_backward(v, shape)
        loosen = max(1.0, granted_tolerance() / self._option("backward_tol"))
        out, it = self._backward_fixed_point(
            v, Pis, shape, bw, self._option("backward_tol") * loosen
        )
        if self.hetoutputs:  # functions of the converged policies: run them once, here
            with np.errstate(all="ignore"):
                out.update(self.hetoutputs.evaluate({**v, **out}))
        out = self._check_outputs(out, shape, f"steady-state backward iteration {it}")
        bw = {b: out[b] for b in self.backward}
        lottery = self._lottery(out, v)
        warm = self._nearest_warm(values, shape)
        D0 = warm["D"] if warm else None
        D = stationary_distribution(
            lottery, Pis, D0=D0, tol=self._option("forward_tol") * loosen, block=self.name
        )
        self._store_warm(values, {"D": D, **bw})
        agg = {o.upper(): float(np.vdot(D, out[o])) for o in self.individual}
        internals = {k: x for k, x in v.items() if k not in values or isinstance(x, np.ndarray)}
        internals.update(out)
        internals["D"] = D
        internals["_edge_mass"] = self._edge_mass(D)
        internals.update(self._init_extras(v))
        return agg, {self.name: internals}

    def _backward_fixed_point(
        self, v: dict, Pis: list, shape: tuple, bw: dict, tol: float
    ) -> tuple:
        """Iterate the backward step to its steady state; returns (outputs, iterations).

        With ``backward_newton`` (and one backward variable, one policy, one Markov
        chain) Newton's method runs first (:mod:`._newton_backward`); if it gives up,
        the plain iteration below starts afresh.

        Stops once the estimated distance to the fixed point, ``diff * q / (1 - q)`` with
        ``diff`` the largest policy change and ``q`` its observed contraction rate, is
        below ``tol`` (or ``diff`` is at roundoff). Hetoutputs are not run here.
        Per iteration the checks ride on two kernels: ``Pi @ Va`` also reports whether
        the last step's backward variables are finite, and the policy change also gives
        max|policy| and NaN detection.

        With ``backward_extrapolate`` the backward variables jump, every 25 steps from
        step 40, to the reduced-rank extrapolation of their last 12 iterates
        (:mod:`hetdag.utils.extrapolate`), so the slowest modes (contraction 0.954
        against <= 0.93 for the rest on the Krusell-Smith household) are removed instead
        of waited out. A jump is undone when the step after it makes NaN, moves the
        policy over 10x the estimated distance left, or the next change exceeds 10x the
        one before the jump; jumps then pause for a cycle, and stop after three undos.
        After a jump the stopping rule judges the distance left by the largest
        contraction rate seen in plain steps: what the jump left of the slow modes
        decays at that rate.
        """
        it0, newton_diff = 0, np.inf
        if newton_applies(self, Pis):
            out, it0, rest, newton_diff = newton_backward(self, v, Pis[0], shape, bw, tol)
            if out is not None:
                return out, it0
            bw = rest  # Newton gave up: the plain iteration from the start, within the budget
        fused = len(Pis) == 1
        P0 = np.ascontiguousarray(Pis[0]) if fused else None
        n_e = shape[0]
        f, f_inputs, f_outputs = self.f, self.f_inputs, self.f_outputs
        # per-step bookkeeping made once: this loop runs hundreds of times per solve
        backward, policy = list(self.backward), list(self.policy)
        cont_names = [b + "_p" for b in backward]
        from_cont = [i in cont_names for i in f_inputs]
        # the step's arguments: fixed values once, continuation slots refilled per step
        args = [None if c else v[i] for i, c in zip(f_inputs, from_cont)]
        slots = [(k, i) for k, (i, c) in enumerate(zip(f_inputs, from_cont)) if c]
        eps10 = 10 * np.finfo(float).eps
        extrap = IterateExtrapolator() if self.backward_extrapolate else None
        pending: _Jump | None = None  # the last jump, while its next two steps check it
        q = q_hi = 0.0
        jumped = False
        pol_old = None
        out = None
        diff, diff_prev = newton_diff, np.inf
        it = it0 - 1  # the last iteration run (Newton's, then these), for messages
        with np.errstate(all="ignore"):  # once, not per iteration
            for n in range(self._option("backward_maxit") - it0):
                it = it0 + n  # n counts plain steps: the checks and jumps are timed by it
                cont = {}
                finite = True
                for b, cn in zip(backward, cont_names):
                    X = bw[b]
                    if fused:
                        c = np.empty(X.shape)
                        if X.ndim == 2 and X.flags.c_contiguous:
                            ok = K.markov_expectation_finite(X, P0, c)
                        else:
                            ok = K.markov_expectation_finite(
                                X.reshape(n_e, -1), P0, c.reshape(n_e, -1)
                            )
                    else:
                        c = self._expect(X, Pis)
                        ok = np.isfinite(float(X.sum()))
                    if not ok and out is not None and pending is None:
                        # the previous step made NaN or inf
                        self._check_outputs(out, shape, f"steady-state backward iteration {it - 1}")
                    cont[cn] = c
                    finite = finite and ok
                if pending is not None and not finite:
                    # the step from the jump made NaN or inf: the jump was bad, not the model
                    bw, pending, pol_old, diff_prev = self._undo_jump(pending, extrap)
                    continue
                if n == 0:  # full checks (shapes, dtypes, finiteness) on the first step
                    out = self._step(v, cont, shape, f"steady-state backward iteration {it}")
                    out = {k: out[k] for k in f_outputs}
                else:
                    for k, i in slots:
                        args[k] = cont[i]
                    try:
                        res = f(*args)
                    except ValueError:  # rerun with checks that name the block and shapes
                        self._step(v, cont, shape, f"steady-state backward iteration {it}")
                        raise
                    res = res if isinstance(res, tuple) else (res,)
                    if len(res) != len(f_outputs):
                        self._step(v, cont, shape, f"steady-state backward iteration {it}")
                    out = dict(zip(f_outputs, res))
                bw = {b: out[b] for b in backward}
                pol = [np.ascontiguousarray(out[p], dtype=float) for p in policy]
                if pol_old is not None:
                    diff = big = 0.0
                    for x, y in zip(pol, pol_old):
                        d, m = K.max_abs_diff(x, y)
                        diff, big = max(diff, d), max(big, m)
                    if pending is not None and not pending.moved:
                        # diff is how far the jump moved the policy: about the estimated
                        # distance to the fixed point or less (<= 0.96x on the examples)
                        if not diff < 10 * pending.distance:  # also catches NaN
                            bw, pending, pol_old, diff_prev = self._undo_jump(pending, extrap)
                            continue
                        pending.moved = True
                        pol_old = pol
                        continue
                    if pending is not None:  # the first plain change after the jump
                        # fast modes the jump excites die within a few steps: allow 10x
                        if not diff < 10 * pending.diff:
                            bw, pending, pol_old, diff_prev = self._undo_jump(pending, extrap)
                            continue
                        pending = None
                    if not math.isfinite(diff):  # NaN or inf in a policy
                        self._check_outputs(out, shape, f"steady-state backward iteration {it}")
                    # stop on the estimated distance to the fixed point, not the last change:
                    # with contraction rate q it is diff * q / (1 - q)
                    # q needs two observed changes; a warm start must not stop on the first
                    q = min(diff / diff_prev, 0.9999) if diff_prev > 0 else 0.0
                    if diff_prev < np.inf and n >= 20 and pending is None:
                        q_hi = max(q_hi, q)
                    # after a jump the slowest modes are mostly gone and q measures faster
                    # ones; what is left of the slow ones decays at q_hi, so judge by that
                    q_use = max(q, q_hi) if jumped else q
                    done = diff_prev < np.inf and diff * q_use / (1 - q_use) < tol
                    # at roundoff the rate estimate is noise and more steps cannot help
                    noise = eps10 * big
                    if diff < tol and (done or diff < noise):
                        return out, it
                    diff_prev = diff
                pol_old = pol
                if extrap is not None and pending is None and extrap.wants(n):
                    jump = extrap.push(n, np.concatenate([x.ravel() for x in bw.values()]), diff)
                    if jump is not None:
                        q_ = max(q, 0.5)  # an underestimated rate would reject good jumps
                        pending = _Jump(bw, diff, diff * q_ / (1 - q_))
                        bw = self._unstack(jump, bw)
                        diff_prev, jumped = np.inf, True
        # a NaN in the last step's backward variables is a NaN, not a convergence failure
        if out is not None:
            self._check_outputs(out, shape, f"steady-state backward iteration {it}")
        raise ConvergenceError(
            f"Block {self.name!r}: backward iteration did not converge in "
            f"{self._option('backward_maxit')} iterations; max policy change {diff:.3e} "
            f"(tol {tol:g})",
            block=self.name,
            iterations=self._option("backward_maxit"),
            residual=diff,
        )

    @staticmethod
    def _undo_jump(pending: _Jump, extrap: IterateExtrapolator) -> tuple:
        """Restore the iterate before a rejected jump (the extrapolator backs off)."""
        extrap.reject()
        return pending.before, None, None, np.inf

    @staticmethod
    def _unstack(x: NDArray, like: dict) -> dict:
        out, i = {}, 0
        for k, a in like.items():
            out[k] = x[i : i + a.size].reshape(a.shape)
            i += a.size
        return out

    def _warm_key(self, values: dict) -> tuple:
        return tuple((k, float(values[k])) for k in self.inputs if np.ndim(values[k]) == 0)

    def _nearest_warm(self, values: dict, shape: tuple) -> dict | None:
        """The stored solve whose scalar inputs are closest (relative distance)."""
        key = self._warm_key(values)
        best, dist = None, np.inf
        for k, entry in self._warm.items():
            if entry["D"].shape != shape or [a for a, _ in k] != [a for a, _ in key]:
                continue
            d = sum(abs(x - y) / max(abs(y), 1e-8) for (_, x), (_, y) in zip(k, key))
            if d < dist:
                best, dist = entry, d
        return best

    def _store_warm(self, values: dict, entry: dict) -> None:
        # warm starts for calibration loops: a few recent solves, keyed by scalar inputs
        key = self._warm_key(values)
        self._warm.pop(key, None)
        self._warm[key] = entry
        while len(self._warm) > 16:
            self._warm.pop(next(iter(self._warm)))

    def _initial_backward(self, v: dict, shape: tuple) -> dict:
        warm = self._nearest_warm(v, shape)
        if warm is not None:
            return {b: warm[b] for b in self.backward}
        if self.backward_init is None:
            raise ModelSpecError(
                f"Block {self.name!r}: needs backward_init= to start the backward iteration"
            )
        init = self.backward_init(*[v[i] for i in self.init_inputs])
        init = init if isinstance(init, tuple) else (init,)
        named = dict(zip(self.init_outputs, init))
        bw = {}
        for b in self.backward:
            x = np.asarray(named[b], dtype=float)
            if x.shape != shape:
                raise ModelSpecError(
                    f"Block {self.name!r}: backward_init returned {b!r} of shape {x.shape}, "
                    f"expected the state shape {shape}"
                )
            bw[b] = x
        return bw

    def _init_extras(self, v: dict) -> dict:
        """Outputs of ``backward_init`` other than backward variables (SSJ's ``hh_labor``
        init also returns ``fininc``), at the steady state's inputs, kept as internals."""
        if self.backward_init is None:
            return {}
        names = self.init_outputs
        if all(n in self.backward for n in names):
            return {}
        init = self.backward_init(*[v[i] for i in self.init_inputs])
        init = init if isinstance(init, tuple) else (init,)
        return {k: x for k, x in zip(names, init) if k not in self.backward}

    def _edge_mass(self, D: np.ndarray) -> dict[str, float]:
        """Mass at the upper end of each policy grid (checked once a steady state is final)."""
        n_exo = len(self.exogenous)
        return {g: float(np.take(D, -1, axis=n_exo + k).sum()) for k, g in enumerate(self.grids)}
