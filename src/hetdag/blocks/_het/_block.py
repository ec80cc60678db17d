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

This module holds the block's declaration, checks and the pieces every pass uses;
the steady state is in :mod:`._steady_state`, transitions in :mod:`._transition`
and Jacobians in :mod:`._fake_news`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ...errors import ModelSpecError, NonFiniteError
from ...jacobians._jacobian_dict import JacobianDict
from ...solvers._scope import block_options
from ...utils.grids import markov_check
from .._block import Block
from .._parsing import read_inputs, read_outputs
from ._chain import FunctionChain
from ._law_of_motion import Lottery, _markov_axis
from ._steady_state import SteadyStateMixin
from ._transition import TransitionMixin


def _as_list(x) -> list[str]:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


class HetBlock(SteadyStateMixin, TransitionMixin, Block):
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
        self._probe_batchable: dict = {}  # Newton's probes: see _context._stack_step

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
        # read once: parsing the source costs ~0.5 ms, a tenth of a Newton steady state
        self.init_outputs = read_outputs(self.backward_init) if self.backward_init else ()
        if self.backward_init is not None:
            missing = [b for b in self.backward if b not in self.init_outputs]
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

    def remove_hetinputs(self, names: str | Sequence[str]) -> HetBlock:
        """New block without the hetinputs named (by function name)."""
        names = [names] if isinstance(names, str) else list(names)
        have = [f.__name__ for f in self._hetinput_funcs]
        missing = [n for n in names if n not in have]
        if missing:
            raise ModelSpecError(f"Block {self.name!r}: no hetinput {missing}; it has {have}")
        return self._copy(hetinputs=[f for f in self._hetinput_funcs if f.__name__ not in names])

    @property
    def non_backward_outputs(self) -> tuple[str, ...]:
        """The step's outputs other than backward variables (sequence-jacobian's name)."""
        return tuple(o for o in self.f_outputs if o not in self.backward)

    @property
    def internals(self) -> tuple[str, ...]:
        """Names kept in ``ss.internals[name]``: the histogram ``D``, the Markov matrices,
        the step's outputs and those of hetinputs and hetoutputs."""
        names = ["D", *self.exogenous, *self.f_outputs, *self.hetinputs.outputs]
        return tuple(dict.fromkeys(names + list(self.hetoutputs.outputs)))

    def add_hetoutputs(self, funcs: Sequence[Callable]) -> HetBlock:
        """New block that also aggregates the outputs of ``funcs`` of individual policies."""
        return self._copy(hetoutputs=self._hetoutput_funcs + list(funcs))

    def internal_blocks(self) -> list[str]:
        return [self.name]

    def grid_edge_mass(self, internals) -> dict[str, dict[str, float]]:
        edges = internals.get(self.name, {}).get("_edge_mass")
        return {self.name: edges} if edges else {}

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
    # ------------------------------------------------------- Jacobians
    def _jacobian_for(self, ss, inputs: list[str], outputs: list[str], T: int) -> JacobianDict:
        # the fake-news steps 2 and 3 run per output: skip those not asked for (H_U of
        # Krusell-Smith needs A, not C)
        return self._jacobian(ss, inputs, T, outputs).subset(outputs)

    def _jacobian(self, ss, inputs: list[str], T: int, outputs=None) -> JacobianDict:
        from ._fake_news import fake_news_jacobian

        for i in inputs:
            if np.ndim(ss[i]) != 0:
                raise ModelSpecError(
                    f"Block {self.name!r}: cannot differentiate with respect to {i!r}, an array "
                    f"of shape {np.shape(ss[i])}; shock a scalar that a hetinput maps to it"
                )
        o = block_options(self.name)  # sequence-jacobian's h= and twosided= for this call
        h = o.get("h", self.jacobian_h)
        scheme = self.jacobian_scheme
        if "twosided" in o:
            scheme = "central" if o["twosided"] else "forward"
        return fake_news_jacobian(self, ss, inputs, T, h, scheme, outputs)

    def _option(self, name: str):
        """``backward_tol``, ``forward_tol`` or ``backward_maxit`` for this call: the
        block's own unless the caller passed one (``options=`` or a keyword)."""
        return block_options(self.name).get(name, getattr(self, name))


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
