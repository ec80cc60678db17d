"""The solution methods every block has: steady states, Jacobians and impulse responses
in general equilibrium (implemented in :mod:`hetdag.solvers`), and sequence-jacobian's
partial-equilibrium methods (``impulse_linear``, ``impulse_nonlinear``,
``partial_jacobians``), with its keywords translated (see :mod:`._call_scope`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ..errors import ModelSpecError
from ..jacobians import JacobianDict
from ..results import ImpulseDict, SteadyState
from ..solvers._linear import solve_impulse_linear, solve_jacobian
from ..solvers._nonlinear import solve_impulse_nonlinear
from ..solvers._protocol import shock_horizon
from ..solvers._scope import block_kwargs, call_scope, split_block_options
from ..solvers._steady_state import solve_steady_state
from ._dissolve import check_dissolved_unknowns, dissolve_view


class SolveMixin:
    """Solution methods of :class:`~hetdag.blocks.Block` (see the module docstring)."""

    # Solution methods are implemented in hetdag.solvers; bound here so that every
    # block (a model, a solved block, a single het block) can be solved alike. The
    # keywords of sequence-jacobian (inputs=, Js=, options=, H_U_factored=, ss_initial=,
    # ttol=, h=, twosided=, ...) are translated here; see _call_scope.
    def solve_steady_state(
        self,
        calibration: Mapping,
        unknowns: Mapping[str, float | tuple[float, float]],
        targets: Mapping[str, float | str] | Sequence[str],
        solver: str | None = None,
        dissolve: Sequence[str] | None = None,
        options: Mapping[str, Mapping] | None = None,
        ttol: float | None = None,
        ctol: float | None = None,
        verbose: bool | None = None,
        **kwargs,
    ) -> SteadyState:
        """Find ``unknowns`` so that ``targets`` hold; see :mod:`hetdag.solvers._steady_state`.

        sequence-jacobian's ``ttol`` is ``tol`` (targets' tolerance); ``ctol`` (its
        tolerance for helper blocks) and ``constrained_method``/``constrained_kwargs``
        have no counterpart and are accepted but unused; ``verbose`` shows progress.
        ``dissolve=[name, ...]``: those solved blocks are not solved inside; their unknowns
        take values from ``calibration`` or from ``unknowns`` (see
        :mod:`hetdag.blocks._dissolve`), their targets may be among ``targets``.
        """
        block = dissolve_view(self, dissolve)
        for k in ("constrained_method", "constrained_kwargs"):
            kwargs.pop(k, None)
        if ttol is not None:
            kwargs.setdefault("tol", ttol)
        if verbose is not None:
            kwargs.setdefault("progress", bool(verbose))
        del ctol
        with call_scope(options, **split_block_options(kwargs)):
            return solve_steady_state(
                block, calibration, unknowns, targets, solver=solver, **kwargs
            )

    def solve_jacobian(
        self,
        ss: Mapping,
        unknowns: Sequence[str],
        targets: Sequence[str],
        inputs: Sequence[str],
        outputs: Sequence[str] | None = None,
        T: int = 300,
        Js: Mapping[str, JacobianDict] | None = None,
        options: Mapping[str, Mapping] | None = None,
        *,
        dissolve: Sequence[str] | None = None,
        **kwargs,
    ) -> JacobianDict:
        """General-equilibrium Jacobians ``G[o][z] = dO/dZ`` (T x T), by dU = -H_U^{-1} H_Z dZ.

        ``dissolve``: solved blocks whose unknowns and targets are among ``unknowns`` and
        ``targets`` (see :mod:`hetdag.blocks._dissolve`).
        """
        block = _dissolved(self, dissolve, unknowns, targets)
        with call_scope(options, Js, **split_block_options(kwargs)):
            return solve_jacobian(
                block, ss, unknowns, targets, inputs, outputs, T, **_with_defaults(self, kwargs)
            )

    def solve_impulse_linear(
        self,
        ss: Mapping,
        unknowns: Sequence[str],
        targets: Sequence[str],
        shocks: Mapping[str, np.ndarray] | None = None,
        outputs: Sequence[str] | None = None,
        Js: Mapping[str, JacobianDict] | None = None,
        options: Mapping[str, Mapping] | None = None,
        inputs: Mapping[str, np.ndarray] | None = None,
        *,
        dissolve: Sequence[str] | None = None,
        **kwargs,
    ) -> ImpulseDict:
        """First-order impulse responses (deviations) to the shock paths ``shocks``
        (sequence-jacobian's ``inputs=``); ``dissolve`` as in :meth:`solve_jacobian`."""
        shocks = _shocks(shocks, inputs, self.name)
        block = _dissolved(self, dissolve, unknowns, targets)
        with call_scope(options, Js, **split_block_options(kwargs)):
            return solve_impulse_linear(
                block, ss, unknowns, targets, shocks, outputs, **_with_defaults(self, kwargs)
            )

    def solve_impulse_nonlinear(
        self,
        ss: Mapping,
        unknowns: Sequence[str],
        targets: Sequence[str],
        shocks: Mapping[str, np.ndarray] | None = None,
        outputs: Sequence[str] | None = None,
        Js: Mapping[str, JacobianDict] | None = None,
        options: Mapping[str, Mapping] | None = None,
        inputs: Mapping[str, np.ndarray] | None = None,
        ss_initial: Mapping | None = None,
        *,
        dissolve: Sequence[str] | None = None,
        **kwargs,
    ) -> ImpulseDict:
        """Perfect-foresight transition (deviations) solving H(U, Z) = 0 for all t < T.

        ``ss_initial``: the steady state the economy starts from (heterogeneous-agent
        blocks start from its histogram); deviations are still from ``ss``. ``dissolve``
        as in :meth:`solve_jacobian`.
        """
        shocks = _shocks(shocks, inputs, self.name)
        block = _dissolved(self, dissolve, unknowns, targets)
        with call_scope(options, Js, ss_initial, **split_block_options(kwargs)):
            return solve_impulse_nonlinear(
                block, ss, unknowns, targets, shocks, outputs, **_with_defaults(self, kwargs)
            )

    # partial-equilibrium responses, as sequence-jacobian's Block methods
    def impulse_nonlinear(
        self,
        ss: Mapping,
        inputs: Mapping[str, np.ndarray],
        outputs: Sequence[str] | None = None,
        internals: Iterable[str] | None = None,
        Js: Mapping[str, JacobianDict] | None = None,
        options: Mapping[str, Mapping] | None = None,
        ss_initial: Mapping | None = None,
        **kwargs,
    ) -> ImpulseDict:
        """Outputs along a path where ``inputs`` (deviations) move, nothing solved; the
        shocked inputs come back too (those named in ``outputs`` when it is given)."""
        with call_scope(options, Js, ss_initial, **block_kwargs(kwargs, self.name)):
            irf = self.impulse_nonlinear_partial(ss, inputs, internals)
        return _with_inputs(irf, inputs, outputs)

    def impulse_linear(
        self,
        ss: Mapping,
        inputs: Mapping[str, np.ndarray],
        outputs: Sequence[str] | None = None,
        Js: Mapping[str, JacobianDict] | None = None,
        options: Mapping[str, Mapping] | None = None,
        **kwargs,
    ) -> ImpulseDict:
        """First-order partial-equilibrium response ``J @ inputs``, nothing solved; the
        shocked inputs come back too (those named in ``outputs`` when it is given)."""
        T = shock_horizon(inputs, self)
        outs = None if outputs is None else [o for o in outputs if o not in inputs]
        J = self.jacobian(ss, list(inputs), outs, T=T, Js=Js, options=options, **kwargs)
        return _with_inputs(J @ inputs, inputs, outputs)

    def partial_jacobians(
        self,
        ss: Mapping,
        inputs: Sequence[str] | None = None,
        outputs: Sequence[str] | None = None,
        T: int = 300,
        Js: Mapping[str, JacobianDict] | None = None,
        options: Mapping[str, Mapping] | None = None,
        **kwargs,
    ) -> dict[str, JacobianDict]:
        """Each block's own Jacobian, ``{block name: JacobianDict}``, with respect to
        ``inputs`` and whatever they move upstream of it (the pieces that
        ``solve_jacobian`` chains); reuse them with ``Js=``."""
        inputs = list(self.inputs) if inputs is None else list(inputs)
        moving = set(inputs)
        out = {}
        with call_scope(options, Js, **block_kwargs(kwargs, self.name)):
            for b in getattr(self, "blocks", [self]):
                ins = [i for i in b.inputs if i in moving]
                if ins:
                    outs = None if outputs is None else [o for o in b.outputs if o in outputs]
                    out[b.name] = b.jacobian(ss, ins, outs, T=T)
                    moving |= set(b.outputs)
        return out


def _dissolved(block, dissolve, unknowns, targets):
    view = dissolve_view(block, dissolve)
    check_dissolved_unknowns(block, dissolve, unknowns, targets)
    return view


def _with_defaults(block, kwargs: dict) -> dict:
    """``kwargs`` over the model's own solve defaults (``model.solve_defaults``, e.g. an
    example whose determinacy check needs a longer horizon than its usual one)."""
    return {**getattr(block, "solve_defaults", {}), **kwargs}


def _shocks(shocks, inputs, name: str):
    if shocks is not None and inputs is not None:
        raise ModelSpecError(f"Model {name!r}: give the shock paths once (inputs= or shocks)")
    if shocks is None and inputs is None:
        raise ModelSpecError(f"Model {name!r}: no shock paths given (inputs=)")
    return shocks if shocks is not None else inputs


def _with_inputs(irf: ImpulseDict, inputs: Mapping, outputs: Sequence[str] | None):
    """As sequence-jacobian's Block methods answer: the shock paths first (all of them, or
    those that ``outputs`` names), then the outputs."""
    shocked = {k: v for k, v in inputs.items() if outputs is None or k in outputs}
    if outputs is not None:
        irf = _subset(irf, [o for o in outputs if o not in inputs])
    return ImpulseDict({**shocked, **irf}, irf.T, irf.kind, irf.internals, irf.label)


def _subset(irf: ImpulseDict, outputs: Sequence[str]) -> ImpulseDict:
    missing = [o for o in outputs if o not in irf]
    if missing:
        raise ModelSpecError(f"outputs {missing} are not among {sorted(irf)}")
    return ImpulseDict({o: irf[o] for o in outputs}, irf.T, internals=irf.internals)
