"""Heterogeneous-agent blocks: a backward step over individual states plus a histogram.

State layout: exogenous axes first, then endogenous (policy) axes, e.g. D[e, a] or
D[e, b, a]. Timing: D_t is the histogram over (e_t, a_{t-1}); policies a_t(e, a_{t-1})
are chosen after e_t is known; aggregates are ``X_t = sum D_t * x_t`` for every
lower-case individual output x; and

    D_{t+1} = Pi_{t+1}^T Λ(a_t) D_t     (Young lottery on the policy, then the chain).

A Markov matrix dated t moves e_{t-1} to e_t (a job-finding rate f_t is the chance
that someone unemployed at t-1 is employed at t; sequence-jacobian's dating), so a
path that moves Pi_0 moves D_0 = Pi_0^T Λ_ss D_ss. The backward step receives
continuation values already in expectation:
``Va_p[e, a'] = sum_e' Pi_{t+1}[e, e'] Va_{t+1}[e', a']``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..errors import ConvergenceError, GridBoundaryWarning, ModelSpecError, NonFiniteError
from ..jacobians._jacobian_dict import JacobianDict
from ..utils.extrapolate import IterateExtrapolator
from ..utils.grids import markov_check
from . import _het_kernels as K
from ._block import Block
from ._het_chain import FunctionChain
from ._law_of_motion import Lottery, _markov_axis, forward_step, stationary_distribution
from ._newton_backward import applies as newton_applies
from ._newton_backward import newton_backward
from ._parsing import read_inputs, read_outputs

# A tolerance that a root finder may grant while it is still far from the root (see
# solvers/_steady_state.py): household solves then stop at max(backward_tol, this)
# and the distribution's tolerance is loosened by the same factor. 0: the block's own.
_LOOSE_TOL: ContextVar[float] = ContextVar("hetdag_loose_tol", default=0.0)


@contextmanager
def loose_tolerance(tol: float) -> Iterator[None]:
    """Within the block, let steady-state household solves stop at ``tol`` (if looser)."""
    token = _LOOSE_TOL.set(float(tol))
    try:
        yield
    finally:
        _LOOSE_TOL.reset(token)


def _as_list(x) -> list[str]:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


@dataclass
class _Jump:
    """An extrapolation jump under check: the backward variables before it, the plain
    policy change before it, its estimated distance to the fixed point, and whether the
    first step after it (which measures how far it moved the policy) has been seen."""

    before: dict
    diff: float
    distance: float
    moved: bool = False


class HetBlock(Block):
    """A heterogeneous-agent block; see :func:`het`."""

    kind = "het"
    costly_jacobian = True  # a fake-news pass

    def __init__(
        self,
        f: Callable,
        exogenous: str | Sequence[str],
        policy: str | Sequence[str],
        backward: str | Sequence[str],
        backward_init: Callable | None = None,
        hetinputs: Sequence[Callable] = (),
        hetoutputs: Sequence[Callable] = (),
        name: str | None = None,
        backward_tol: float = 1e-10,
        backward_maxit: int = 20_000,
        forward_tol: float = 1e-12,
        jacobian_scheme: str = "forward",
        jacobian_h: float | None = None,
        backward_extrapolate: bool = True,
        backward_newton: bool = True,
    ):
        super().__init__()
        self.backward_extrapolate = bool(backward_extrapolate)
        self.backward_newton = bool(backward_newton)
        self.jacobian_scheme = jacobian_scheme
        self.jacobian_h = jacobian_h
        self.f = f
        self.name = name or f.__name__
        self.exogenous = _as_list(exogenous)
        self.policy = _as_list(policy)
        self.backward = _as_list(backward)
        self.backward_init = backward_init
        self.backward_tol = backward_tol
        self.backward_maxit = backward_maxit
        self.forward_tol = forward_tol
        self._hetinput_funcs = list(hetinputs)
        self._hetoutput_funcs = list(hetoutputs)
        self.hetinputs = FunctionChain(hetinputs, self.name, "hetinput")
        self.hetoutputs = FunctionChain(hetoutputs, self.name, "hetoutput")
        self.f_inputs = read_inputs(f)
        self.f_outputs = read_outputs(f)
        self.init_inputs = read_inputs(backward_init) if backward_init else ()
        self._validate()
        self.grids = [p + "_grid" for p in self.policy]
        self.individual = [o for o in self.f_outputs if o not in self.backward] + list(
            self.hetoutputs.outputs
        )
        self.outputs = tuple(o.upper() for o in self.individual)
        made = set(self.hetinputs.outputs) | set(self.f_outputs) | set(self.hetoutputs.outputs)
        p_args = {b + "_p" for b in self.backward}
        needed = [i for i in self.f_inputs if i not in p_args]
        needed += list(self.init_inputs) + list(self.hetoutputs.inputs)
        needed += self.exogenous + self.grids
        inputs = dict.fromkeys(self.hetinputs.inputs)
        inputs.update(dict.fromkeys(i for i in needed if i not in made))
        self.inputs = tuple(inputs)
        self._warm: dict = {}
        self._probe_batchable: dict = {}  # Newton's probes: see _fake_news._stack_step

    def _validate(self) -> None:
        n = self.name
        if not self.exogenous:
            raise ModelSpecError(f"Block {n!r}: give the Markov matrix name(s) in exogenous=")
        if not self.policy or len(self.policy) > 2:
            raise ModelSpecError(f"Block {n!r}: policy= must name one or two policies")
        for b in self.backward:
            if b + "_p" not in self.f_inputs:
                raise ModelSpecError(
                    f"Block {n!r}: backward variable {b!r} needs an argument {b + '_p'!r}"
                )
            if b not in self.f_outputs:
                raise ModelSpecError(f"Block {n!r}: backward variable {b!r} is not returned")
        for p in self.policy:
            if p not in self.f_outputs:
                raise ModelSpecError(f"Block {n!r}: policy {p!r} is not an output of the step")
        if self.backward_init is not None:
            init_out = read_outputs(self.backward_init)
            missing = [b for b in self.backward if b not in init_out]
            if missing:
                raise ModelSpecError(
                    f"Block {n!r}: backward_init {self.backward_init.__name__!r} must return "
                    f"{missing}"
                )
        bad = [o for o in self.f_outputs if o != o.lower() and o not in self.backward]
        if bad:
            raise ModelSpecError(
                f"Block {n!r}: individual outputs must be lower case (they aggregate to upper "
                f"case); got {bad}"
            )

    def _copy(self, **changes) -> HetBlock:
        kw = dict(
            f=self.f,
            exogenous=self.exogenous,
            policy=self.policy,
            backward=self.backward,
            backward_init=self.backward_init,
            hetinputs=self._hetinput_funcs,
            hetoutputs=self._hetoutput_funcs,
            name=self.name,
            backward_tol=self.backward_tol,
            backward_maxit=self.backward_maxit,
            forward_tol=self.forward_tol,
            jacobian_scheme=self.jacobian_scheme,
            jacobian_h=self.jacobian_h,
            backward_extrapolate=self.backward_extrapolate,
            backward_newton=self.backward_newton,
        )
        kw.update(changes)
        return HetBlock(**kw)

    def add_hetinputs(self, funcs: Sequence[Callable]) -> HetBlock:
        """New block whose step first runs ``funcs`` (e.g. grids, income by state)."""
        return self._copy(hetinputs=self._hetinput_funcs + list(funcs))

    def add_hetoutputs(self, funcs: Sequence[Callable]) -> HetBlock:
        """New block that also aggregates the outputs of ``funcs`` of individual policies."""
        return self._copy(hetoutputs=self._hetoutput_funcs + list(funcs))

    def internal_blocks(self) -> list[str]:
        return [self.name]

    def backward_step(self, values: dict, **continuation) -> dict:
        """Run the user's backward step once (no hetinputs, no expectation).

        ``values`` supplies the step's inputs (e.g. ``a_grid``, ``y``, ``r``, ``beta``);
        ``continuation`` the expected continuation values (``Va_p=...``). Arrays may carry
        extra leading axes if the step broadcasts over them (e.g. an aggregate state).
        Returns ``{name: array}`` for every output of the step, including hetoutputs.
        """
        missing = [i for i in self.f_inputs if i not in values and i not in continuation]
        if missing:
            raise ModelSpecError(f"Block {self.name!r}: backward_step needs {missing}")
        shape = np.shape(continuation[self.backward[0] + "_p"])[-len(self.policy) - 1 :]
        return self._step(values, continuation, tuple(shape), "backward_step")

    # ------------------------------------------------------------ pieces
    def _markovs(self, v: dict, where: str) -> list[np.ndarray]:
        Pis = []
        for name in self.exogenous:
            if name not in v:
                raise ModelSpecError(f"Block {self.name!r}: Markov matrix {name!r} is missing")
            P = np.asarray(v[name], dtype=float)
            markov_check(P, name, self.name)
            Pis.append(P)
        return Pis

    def _state_shape(self, v: dict, Pis: list[np.ndarray]) -> tuple[int, ...]:
        shape = []
        for P in Pis:
            shape.append(P.shape[0])
        for g in self.grids:
            grid = np.asarray(v[g], dtype=float)
            if grid.ndim != 1 or grid.size < 2 or np.any(np.diff(grid) <= 0):
                raise ModelSpecError(
                    f"Block {self.name!r}: grid {g!r} must be strictly increasing and 1-D, got "
                    f"shape {grid.shape}"
                    + ("" if grid.ndim != 1 or grid.size < 2 else " with non-increasing points")
                )
            shape.append(grid.size)
        return tuple(shape)

    def _expect(self, X: np.ndarray, Pis: list[np.ndarray], offset: int = 0) -> np.ndarray:
        """Apply each Pi along its exogenous axis (after ``offset`` leading axes)."""
        if len(Pis) == 1 and offset == 0:
            P = Pis[0]
            return (P @ X.reshape(P.shape[0], -1)).reshape(X.shape)
        for k, P in enumerate(Pis):
            X = _markov_axis(X, P, k + offset, forward=False)
        return X

    def _step(self, v: dict, cont: dict, shape: tuple, where: str, check: bool = True) -> dict:
        """One backward step plus hetoutputs: returns backward vars and individual outputs."""
        args = []
        for i in self.f_inputs:
            args.append(cont[i] if i in cont else v[i])
        with np.errstate(all="ignore"):
            try:
                res = self.f(*args)
            except ValueError as err:  # e.g. shapes that do not broadcast: name the block
                arrays = ", ".join(
                    f"{i} {np.shape(x)}" for i, x in zip(self.f_inputs, args) if np.ndim(x) > 0
                )
                raise ModelSpecError(
                    f"Block {self.name!r}: the step {self.f.__name__!r} failed ({where}); state "
                    f"shape {shape} (exogenous {self.exogenous}, grids {self.grids}), array "
                    f"inputs {arrays}: {err}"
                ) from err
        res = res if isinstance(res, tuple) else (res,)
        if len(res) != len(self.f_outputs):
            raise ModelSpecError(
                f"Block {self.name!r}: the step returned {len(res)} values for {self.f_outputs}"
            )
        out = dict(zip(self.f_outputs, res))
        if self.hetoutputs:
            with np.errstate(all="ignore"):
                out.update(self.hetoutputs.evaluate({**v, **out}))
        return self._check_outputs(out, shape, where) if check else out

    def _check_outputs(self, out: dict, shape: tuple, where: str) -> dict:
        """Outputs as float arrays of the state's shape (plus leading axes), all finite."""
        for k, x in out.items():
            x = np.asarray(x, dtype=float)
            if x.shape[-len(shape) :] != shape:
                raise ModelSpecError(
                    f"Block {self.name!r}: output {k!r} has shape {x.shape}, but the state "
                    f"shape is {shape} (exogenous {self.exogenous}, grids {self.grids})"
                )
            if not np.all(np.isfinite(x)):
                raise NonFiniteError(
                    f"Block {self.name!r}: backward step produced NaN or inf in {k!r} ({where})",
                    block=self.name,
                    variable=k,
                )
            out[k] = x
        return out

    def _lottery(self, out: dict, v: dict) -> Lottery:
        if len(self.policy) == 1:
            return Lottery.from_policy_1d(out[self.policy[0]], v[self.grids[0]])
        b, a = self.policy
        return Lottery.from_policy_2d(out[b], out[a], v[self.grids[0]], v[self.grids[1]])

    def _values(self, values: dict) -> dict:
        v = dict(values)
        if self.hetinputs:
            v.update(self.hetinputs.evaluate(values))
        return v

    # ------------------------------------------------------- steady state
    def _steady_state(self, values: dict) -> tuple[dict, dict]:
        v = self._values(values)
        Pis = self._markovs(v, "steady state")
        shape = self._state_shape(v, Pis)
        bw = self._initial_backward(v, shape)
        loosen = max(1.0, _LOOSE_TOL.get() / self.backward_tol)
        out, it = self._backward_fixed_point(v, Pis, shape, bw, self.backward_tol * loosen)
        if self.hetoutputs:  # functions of the converged policies: run them once, here
            with np.errstate(all="ignore"):
                out.update(self.hetoutputs.evaluate({**v, **out}))
        out = self._check_outputs(out, shape, f"steady-state backward iteration {it}")
        bw = {b: out[b] for b in self.backward}
        lottery = self._lottery(out, v)
        warm = self._nearest_warm(values, shape)
        D0 = warm["D"] if warm else None
        D = stationary_distribution(
            lottery, Pis, D0=D0, tol=self.forward_tol * loosen, block=self.name
        )
        self._store_warm(values, {"D": D, **bw})
        agg = {o.upper(): float(np.vdot(D, out[o])) for o in self.individual}
        internals = {k: x for k, x in v.items() if k not in values or isinstance(x, np.ndarray)}
        internals.update(out)
        internals["D"] = D
        internals["_edge_mass"] = self._edge_mass(D)
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
            for n in range(self.backward_maxit - it0):
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
            f"{self.backward_maxit} iterations; max policy change {diff:.3e} "
            f"(tol {tol:g})",
            block=self.name,
            iterations=self.backward_maxit,
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
        named = dict(zip(read_outputs(self.backward_init), init))
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

    def _edge_mass(self, D: np.ndarray) -> dict[str, float]:
        """Mass at the upper end of each policy grid (checked once a steady state is final)."""
        n_exo = len(self.exogenous)
        return {g: float(np.take(D, -1, axis=n_exo + k).sum()) for k, g in enumerate(self.grids)}

    # ------------------------------------------------------- transitions
    def _path(self, ss, paths: dict, T: int, internals) -> tuple[dict, dict]:
        ints = ss.internals[self.name]
        shape = ints["D"].shape
        vs, moved_hetin = self._path_values(ss, ints, paths, T)
        markov_moves = any(e in moved_hetin or e in paths for e in self.exogenous)
        Pis_ss = [
            np.ascontiguousarray(ints[e] if e in ints else ss[e], dtype=float)
            for e in self.exogenous
        ]
        Pis = (
            [self._markovs(vt, f"period {t}") for t, vt in enumerate(vs)] if markov_moves else None
        )
        outs = self._backward_path(ints, vs, Pis, Pis_ss, shape)
        keep = self.name in internals
        grids_fixed = all(vs[t][g] is vs[0][g] for g in self.grids for t in range(T))
        D0 = ints["D"]
        if Pis:  # Pi_0 moves e_{-1} to e_0: D_0 = Pi_0^T Λ_ss D_ss
            v_ss = {g: ints[g] if g in ints else ss[g] for g in self.grids}
            lot_ss = self._lottery({p: ints[p] for p in self.policy}, v_ss)
            D0 = forward_step(D0, lot_ss, Pis[0])
        if len(self.policy) == 1 and len(self.exogenous) == 1 and grids_fixed:
            agg, Ds = self._forward_aggregate_1d(D0, outs, vs, Pis, Pis_ss[0], keep)
            rec = {k: np.stack([o[k] for o in outs]) for k in outs[0]} if keep else {}
        else:
            rec = {k: np.stack([o[k] for o in outs]) for k in outs[0]}
            Ds = self._forward_path(D0, rec, vs, Pis, Pis_ss)
            n = Ds[0].size
            agg = {
                o.upper(): np.einsum("ti,ti->t", Ds.reshape(T, n), rec[o].reshape(T, n))
                for o in self.individual
            }
        if not all(np.all(np.isfinite(x)) for x in agg.values()):
            for t in range(T):  # find the first period with a bad output, and name it
                self._check_outputs(outs[t], shape, f"transition period {t}")
        result_ints = {}
        if keep:
            rec["D"] = Ds
            result_ints[self.name] = rec
        return agg, result_ints

    def _path_values(self, ss, ints: dict, paths: dict, T: int) -> tuple[list[dict], set]:
        """Inputs of the step in each period, and the hetinput outputs that move.

        Only hetinputs that (transitively) read a moving input run each period; the
        others keep their steady-state outputs. The plan is made once, not per period.
        """
        base = {i: ss[i] for i in self.inputs}
        ss_v = {**base, **{k: ints[k] for k in self.hetinputs.outputs}}
        if not paths:
            return [ss_v] * T, set()
        plan = self.hetinputs.moving(paths) if self.hetinputs else []
        vs = []
        for t in range(T):
            vt = dict(ss_v)
            for k, p in paths.items():
                vt[k] = p[t]
            self.hetinputs.run(plan, vt)
            vs.append(vt)
        return vs, {o for _, _, outs in plan for o in outs}

    def _backward_path(self, ints: dict, vs: list, Pis, Pis_ss: list, shape: tuple) -> list:
        """Outputs of the step in each period t = T-1..0, from the steady state at T."""
        T = len(vs)
        bw = {b: ints[b] for b in self.backward}
        outs: list[dict] = [None] * T  # type: ignore[list-item]
        fused = len(self.exogenous) == 1  # expectation and finite check in one kernel
        n_e = shape[0]
        f, f_inputs, f_outputs = self.f, self.f_inputs, self.f_outputs
        n_out = len(f_outputs)
        backward = list(self.backward)
        cont_names = [b + "_p" for b in backward]
        from_cont = [i in cont_names for i in f_inputs]
        hetoutputs = self.hetoutputs
        with np.errstate(all="ignore"):  # once, not per period: entering it costs ~1 us
            for t in range(T - 1, -1, -1):
                # E_t over e_{t+1} uses Pi_{t+1}, which moves e_t to e_{t+1}
                P = Pis[t + 1] if Pis and t + 1 < T else Pis_ss
                cont = {}
                for b, cn in zip(backward, cont_names):
                    X = bw[b]
                    if fused:
                        c = np.empty(X.shape)
                        ok = K.markov_expectation_finite(
                            X.reshape(n_e, -1), P[0], c.reshape(n_e, -1)
                        )
                    else:
                        c = self._expect(X, P)
                        ok = np.isfinite(float(X.sum()))
                    if not ok and t < T - 1:  # the step of period t + 1 made NaN or inf
                        self._check_outputs(outs[t + 1], shape, f"transition period {t + 1}")
                    cont[cn] = c
                vt = vs[t]
                if t == T - 1:  # full checks (shapes, dtypes, finiteness) on the first step
                    out = self._step(vt, cont, shape, f"transition period {t}")
                else:
                    try:
                        res = f(*[cont[i] if c else vt[i] for i, c in zip(f_inputs, from_cont)])
                    except ValueError:
                        self._step(vt, cont, shape, f"transition period {t}")  # names the block
                        raise
                    res = res if isinstance(res, tuple) else (res,)
                    if len(res) != n_out:
                        self._step(vt, cont, shape, f"transition period {t}")
                    out = dict(zip(f_outputs, res))
                    if hetoutputs:
                        out.update(hetoutputs.evaluate({**vt, **out}))
                bw = {b: out[b] for b in backward}
                outs[t] = out
        # period 0's backward variables feed no later step: check them here
        if not all(np.isfinite(float(np.sum(x))) for x in bw.values()):
            self._check_outputs(outs[0], shape, "transition period 0")
        return outs

    def _forward_aggregate_1d(self, D0, outs: list, vs: list, Pis, P_ss, keep: bool):
        """Aggregates ``X_t = sum D_t x_t`` along a path with one policy and one Markov chain.

        Runs ``D_{t+1} = Pi_{t+1}^T Λ(a_t) D_t`` one period at a time on the outputs as the
        step returned them: no stacked (T, *shape) copies of the policies, no stored
        lotteries, and without ``keep`` only two histograms in memory. Returns the
        aggregates and, with ``keep``, the histograms D_0..D_{T-1}.
        """
        T = len(outs)
        pol = self.policy[0]
        grid = np.ascontiguousarray(vs[0][self.grids[0]], dtype=float)
        others = [o for o in self.individual if o != pol]
        agg = {o.upper(): np.empty(T) for o in self.individual}
        A = agg[pol.upper()]
        Ds = np.empty((T,) + D0.shape) if keep else None
        D = np.ascontiguousarray(D0, dtype=float)
        if keep:
            Ds[0] = D
        tmp = np.empty_like(D)
        bufs = (np.empty_like(D), np.empty_like(D))
        for t in range(T):
            out = outs[t]
            for o in others:
                agg[o.upper()][t] = np.vdot(D, out[o])
            x = np.ascontiguousarray(out[pol], dtype=float)
            if t == T - 1:
                A[t] = np.vdot(D, x)
                break
            Dn = Ds[t + 1] if keep else bufs[t % 2]
            P = Pis[t + 1][0] if Pis else P_ss
            # the kernel returns sum(D * x), which is non-finite if x is
            A[t] = K.forward_step_lottery_1d(D, x, grid, P, tmp, Dn)
            D = Dn
        return agg, Ds

    def _forward_path(self, D0, rec: dict, vs: list, Pis, Pis_ss) -> np.ndarray:
        """D_0..D_{T-1} (T, *shape) along a path, given the policies in ``rec``.

        The general case (two policies, several Markov chains or moving grids); one
        policy on a fixed grid with one chain goes through :meth:`_forward_aggregate_1d`.
        """
        T = len(vs)
        Ds = [D0]
        for t in range(T - 1):
            lot = self._lottery({p: rec[p][t] for p in self.policy}, vs[t])
            Ds.append(forward_step(Ds[-1], lot, Pis[t + 1] if Pis else Pis_ss))
        return np.stack(Ds)

    # ------------------------------------------------------- Jacobians
    def _jacobian(self, ss, inputs: list[str], T: int) -> JacobianDict:
        from ._fake_news import fake_news_jacobian

        for i in inputs:
            if np.ndim(ss[i]) != 0:
                raise ModelSpecError(
                    f"Block {self.name!r}: cannot differentiate with respect to {i!r}, an array "
                    f"of shape {np.shape(ss[i])}; shock a scalar that a hetinput maps to it"
                )
        return fake_news_jacobian(self, ss, inputs, T, self.jacobian_h, self.jacobian_scheme)


def het(
    exogenous: str | Sequence[str],
    policy: str | Sequence[str],
    backward: str | Sequence[str],
    backward_init: Callable | None = None,
    **options,
) -> Callable[[Callable], HetBlock]:
    """Declare a heterogeneous-agent block from one backward step.

    Parameters
    ----------
    exogenous : str or list of str
        Names of row-stochastic Markov matrices ``Pi[e, e']``, one per exogenous axis.
    policy : str or list of str
        One or two asset policies; each ``x`` moves on the grid input ``x_grid``.
    backward : str or list of str
        Backward variables, e.g. ``'Va'``; the step receives ``Va_p`` (already the
        expectation over next period's exogenous state) and returns ``Va``.
    backward_init : callable
        Returns an initial guess of the backward variables.
    **options
        ``backward_tol`` (1e-10, estimated distance of the policies to the steady-state
        fixed point), ``backward_maxit`` (20,000), ``forward_tol`` (1e-12, max change of
        the stationary histogram), ``backward_newton`` (True: Newton's method for the
        steady-state backward iteration when there is one backward variable, one policy
        and one Markov chain; 18 Newton steps instead of 342 plain ones on the
        Krusell-Smith household), ``backward_extrapolate`` (True: reduced-rank
        extrapolation jumps in the plain iteration, about half its steps),
        ``jacobian_scheme`` and ``jacobian_h``.

    The step's other lower-case outputs (``a``, ``c``) aggregate to ``A``, ``C``.
    """

    def decorate(f: Callable) -> HetBlock:
        return HetBlock(f, exogenous, policy, backward, backward_init, **options)

    return decorate


def warn_grid_edges(internals: dict, stacklevel: int = 3) -> None:
    """Warn, naming the block and grid, where more than 1e-8 of the mass sits at a grid's top."""
    for name, ints in internals.items():
        for g, top in ints.get("_edge_mass", {}).items():
            if top > 1e-8:
                warnings.warn(
                    f"Block {name!r}: {top:.2e} of the mass sits at the upper end of grid "
                    f"{g!r}; raise its maximum",
                    GridBoundaryWarning,
                    stacklevel=stacklevel,
                )
