"""The interface every block (simple, solved, heterogeneous-agent, model) implements.

A block maps input sequences to output sequences over t = 0..T-1. Subclasses
implement three private methods; the public ones validate and cache:

- ``_steady_state(values) -> (outputs, internals)``
- ``_path(ss, paths, T, internals) -> (outputs, internals)``: levels in, levels out;
  inputs absent from ``paths`` sit at the steady state. Blocks with ``horizon_free``
  (simple blocks and models) evaluate paths longer than T on their whole length; the
  others are defined on T periods.
- ``_jacobian(ss, inputs, T) -> JacobianDict`` for ``inputs`` a subset of ``self.inputs``.

Also here: :class:`RemappedBlock`, the renamed view that ``Block.remap`` and
``Block.rename`` return (``hh.remap({'beta': 'beta_patient'}).rename('patient')``
reads ``beta_patient`` where ``hh`` reads ``beta``; its internals live under the new
name). It shares this module because ``Block`` constructs it and it is a ``Block``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from numbers import Number

import numpy as np

from ..errors import ModelSpecError, NonFiniteError
from ..jacobians._jacobian_dict import JacobianDict, check_T
from ..results import ImpulseDict, SteadyState
from ..results._results import in_fingerprint_scope
from ..solvers._protocol import (
    JacobianNotCached,
    as_steady_state,
    only_cached_jacobians,
    shock_horizon,
    warn_grid_edges,
)
from ..solvers._scope import block_kwargs, call_scope, given_jacobian, scope_key
from ._dissolve import dissolve_view
from ._solve_methods import SolveMixin


class Block(SolveMixin):
    """Base class: name, inputs, outputs and the public solution methods."""

    kind: str = "block"
    costly_jacobian: bool = False  # see cached_jacobians_only
    # outputs over any horizon n from inputs over n (simple blocks, models); the others
    # (a T x T Jacobian) read inputs up to T only, and their outputs from T on are at
    # the steady state
    horizon_free: bool = False
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def __init__(self) -> None:
        self._jac_cache: dict = {}

    # ------------------------------------------------------------------ hooks
    def lead_span(self, ss) -> int:
        """Periods beyond the horizon that its outputs at T-1 read through leads."""
        return 0

    def _steady_state(self, values: dict) -> tuple[dict, dict]:  # pragma: no cover
        raise NotImplementedError

    def _path(self, ss, paths: dict, T: int, internals) -> tuple[dict, dict]:  # pragma: no cover
        raise NotImplementedError

    def _jacobian(self, ss, inputs: list[str], T: int) -> JacobianDict:  # pragma: no cover
        raise NotImplementedError

    # --------------------------------------------------------------- helpers
    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.name!r} inputs={list(self.inputs)} "
            f"outputs={list(self.outputs)}>"
        )

    def _check_calibration(self, calibration: Mapping) -> dict:
        missing = [i for i in self.inputs if i not in calibration]
        if missing:
            raise ModelSpecError(
                f"Block {self.name!r}: missing calibration input(s) {missing}; "
                f"the block needs {sorted(self.inputs)}"
            )
        for k in self.inputs:
            check_numeric(calibration[k], k, self.name)
        return dict(calibration)

    def internal_blocks(self) -> list[str]:
        """Names of blocks (including nested ones) that keep internals."""
        return []

    def grid_edge_mass(self, internals: Mapping) -> dict[str, dict[str, float]]:
        """Mass at the top of each grid, ``{block name: {grid: mass}}``, read from ``internals``.

        The solvers warn where it exceeds 1e-8 (:func:`hetdag.solvers._protocol.warn_grid_edges`).
        Blocks without a histogram on grids have none; models ask their blocks.
        """
        return {}

    # ---------------------------------------------------------- public API
    def steady_state(
        self,
        calibration: Mapping,
        dissolve: Sequence[str] | None = None,
        options: Mapping[str, Mapping] | None = None,
        **kwargs,
    ) -> SteadyState:
        """Evaluate the block at given inputs (no solving) and return every variable.

        ``options={block: {...}}`` and keyword options (``backward_tol``, ...) apply to
        this call only, as in sequence-jacobian. ``dissolve=[name, ...]``: those solved
        blocks are evaluated at their unknowns' values in ``calibration`` instead of being
        solved (see :mod:`hetdag.blocks._dissolve`).
        """
        block = dissolve_view(self, dissolve)
        values = block._check_calibration(calibration)
        with call_scope(options, **block_kwargs(kwargs, self.name)):
            outputs, internals = block._steady_state(values)
        warn_grid_edges(block, internals)
        return SteadyState({**values, **outputs}, internals)

    @in_fingerprint_scope
    def jacobian(
        self,
        ss: Mapping,
        inputs: Sequence[str],
        outputs: Sequence[str] | None = None,
        T: int = 300,
        Js: Mapping[str, JacobianDict] | None = None,
        options: Mapping[str, Mapping] | None = None,
        **kwargs,
    ) -> JacobianDict:
        """Jacobian ``J[o][i][t, s] = d o_t / d i_s`` at the steady state.

        Results are cached on (steady state, inputs, outputs, T, options in force); a
        request for a subset of the inputs and outputs of a cached Jacobian is served
        from it (each entry J[o][i] does not depend on which other inputs were asked
        for). ``Js={name: J}`` supplies Jacobians the caller already has (used for the
        inputs they cover); ``options``/keywords (``h``, ``twosided``) as in
        sequence-jacobian.
        """
        with call_scope(options, Js, **block_kwargs(kwargs, self.name)):
            return self._jacobian_cached(ss, inputs, outputs, T)

    def _jacobian_cached(self, ss, inputs, outputs, T) -> JacobianDict:
        T = check_T(T, self.name)
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        # as in sequence-jacobian, a name that is not an input has no Jacobian (its
        # two-asset tutorial asks the household for 'r', which reaches it only as ra, rb);
        # when none of the names is an input, it is a mistake worth naming
        if inputs and not any(i in self.inputs for i in inputs):
            raise ModelSpecError(
                f"Block {self.name!r}: none of {inputs} is an input; inputs are "
                f"{sorted(self.inputs)}"
            )
        inputs = [i for i in inputs if i in self.inputs]
        outputs = list(self.outputs) if outputs is None else list(outputs)
        for o in outputs:
            if o not in self.outputs:
                raise ModelSpecError(
                    f"Block {self.name!r}: {o!r} is not an output; "
                    f"outputs are {sorted(self.outputs)}"
                )
        ss = as_steady_state(ss)
        given = given_jacobian(self.name)
        if given is not None:
            return _use_given(self, given, ss, inputs, outputs, T)
        opts = scope_key()  # options and given Jacobians in force (nested blocks read them)
        key = (ss.fingerprint(), tuple(inputs), tuple(outputs), T, opts)
        hit = self._jac_cache.get(key)
        if hit is not None:
            return hit
        for (fp, ins, outs, T_, o_), J in self._jac_cache.items():
            same = (fp, T_, o_) == (key[0], T, opts)
            if same and set(inputs) <= set(ins) and set(outputs) <= set(outs):
                return J.subset(outputs, inputs)
        if self.costly_jacobian and only_cached_jacobians():
            raise JacobianNotCached(self.name)
        J = self._jacobian_for(ss, inputs, outputs, T)
        if len(self._jac_cache) > 32:
            self._jac_cache.clear()
        self._jac_cache[key] = J
        return J

    def _depends_on(self, ss, outputs: list[str]) -> set[str]:
        """Inputs whose Jacobians ``outputs`` may need (all, unless a block knows better)."""
        return set(self.inputs)

    def _jacobian_for(self, ss, inputs: list[str], outputs: list[str], T: int) -> JacobianDict:
        """``_jacobian`` restricted to ``outputs``; blocks that can skip the work for the
        other outputs (heterogeneous-agent and combined blocks) override it."""
        return self._jacobian(ss, inputs, T).subset(outputs)

    def clear_caches(self) -> None:
        """Forget the cached Jacobians and factored H_U, here and in every nested block."""
        self.__dict__.get("_jac_cache", {}).clear()
        self.__dict__.pop("_hu_cache", None)
        nested = list(getattr(self, "blocks", []))
        if isinstance(getattr(self, "block", None), Block):
            nested.append(self.block)
        for b in nested:
            b.clear_caches()

    def impulse_nonlinear_partial(
        self, ss: Mapping, shocks: Mapping, internals: Iterable[str] | None = None
    ) -> ImpulseDict:
        """Outputs along a path where the inputs in ``shocks`` (deviations) move."""
        ss = as_steady_state(ss)
        T = shock_horizon(shocks, self)
        paths = {k: ss[k] + np.asarray(v, dtype=float) for k, v in shocks.items()}
        out, ints = self._path(ss, paths, T, set(internals or ()))
        return ImpulseDict({k: out[k] - ss[k] for k in out}, T, internals=ints)

    def remap(self, mapping: Mapping[str, str], name: str | None = None) -> Block:
        """Rename inputs/outputs (``{old: new}``); see :class:`RemappedBlock`."""
        return RemappedBlock(self, mapping, name)

    def rename(self, name: str | None = None, suffix: str | None = None) -> Block:
        """The block under a new name, or its name plus ``suffix`` (sequence-jacobian).

        With ``suffix`` a model or solved block also renames the blocks inside it
        (``hh`` -> ``hh_men``), as sequence-jacobian does, so that two renamed copies
        keep their internals and ``options`` apart; its variables keep their names
        (rename those with :meth:`remap`).
        """
        if (name is None) == (suffix is None):
            raise ModelSpecError(f"Block {self.name!r}: rename() takes a name or a suffix")
        if suffix is not None:
            return self._with_suffix(suffix)
        return RemappedBlock(self, {}, name)

    def _with_suffix(self, suffix: str) -> Block:
        """This block named ``name + suffix``; blocks holding others override it."""
        return RemappedBlock(self, {}, self.name + suffix)


def _use_given(block: Block, given: JacobianDict, ss, inputs, outputs, T) -> JacobianDict:
    """A caller's Jacobian for ``block`` (``Js=``): its entries for the inputs it covers,
    computed ones for the others. Its horizon must be T (shift operators fit any T)."""
    if not isinstance(given, JacobianDict):
        given = JacobianDict(given, name=block.name)
    dense_T = {np.shape(m)[0] for row in given.values() for m in row.values() if np.ndim(m) == 2}
    if dense_T and dense_T != {T}:
        raise ModelSpecError(
            f"Block {block.name!r}: the Jacobian given in Js has T={sorted(dense_T)}, the "
            f"solve uses T={T}"
        )
    have = [i for i in inputs if i in given.inputs]
    rest = [i for i in inputs if i not in given.inputs]
    nest = {o: {i: given[o][i] for i in have if i in given.get(o, {})} for o in outputs}
    if rest:
        with call_scope(Js={block.name: None}):
            J = block._jacobian_cached(ss, rest, outputs, T)
        for o in outputs:
            nest[o].update(J.get(o, {}))
    return JacobianDict(nest, T, block.name)


def check_numeric(value, variable: str, block: str) -> None:
    if isinstance(value, (bool, np.bool_)):
        raise ModelSpecError(
            f"Block {block!r}: input {variable!r} is a boolean ({value!r}); expected a number"
        )
    if isinstance(value, Number):
        return
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        return
    raise ModelSpecError(
        f"Block {block!r}: input {variable!r} must be numeric, got {type(value).__name__} "
        f"{value!r:.60}"
    )


def check_finite(outputs: Mapping, block: str, context: str) -> None:
    for k, v in outputs.items():
        a = np.asarray(v)
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            bad = np.argwhere(~np.isfinite(np.atleast_1d(a)))
            where = f" at index {tuple(int(j) for j in bad[0])}" if bad.size else ""
            raise NonFiniteError(
                f"Block {block!r} produced NaN or inf in {k!r}{where} ({context})",
                block=block,
                variable=k,
            )


def extend_path(x, ss_value, n: int) -> np.ndarray:
    """``x`` followed by its steady state up to length n (``x`` itself if long enough)."""
    x = np.asarray(x, dtype=float)
    if len(x) >= n:
        return x
    return np.concatenate([x, np.full(n - len(x), float(ss_value))])


class RemappedBlock(Block):
    """A view of ``block`` with variables renamed by ``mapping`` ({old: new})."""

    def __init__(self, block: Block, mapping: Mapping[str, str], name: str | None = None):
        super().__init__()
        if isinstance(block, RemappedBlock):
            name = name or block.name  # a remap of a renamed block keeps the new name
            mapping = {
                **{k: mapping.get(v, v) for k, v in block.mapping.items()},
                **{k: v for k, v in mapping.items() if k not in block.mapping.values()},
            }
            block = block.block
        self.block = block
        self.kind = block.kind
        self.horizon_free = block.horizon_free
        self.mapping = dict(mapping)
        self.back = {v: k for k, v in self.mapping.items()}
        self.name = name or block.name
        self.inputs = tuple(self.mapping.get(i, i) for i in block.inputs)
        self.outputs = tuple(self.mapping.get(o, o) for o in block.outputs)

    def _to_inner(self, d: Mapping) -> dict:
        return {self.back.get(k, k): v for k, v in d.items()}

    def _to_outer(self, d: Mapping) -> dict:
        return {self.mapping.get(k, k): v for k, v in d.items()}

    def _rename_internals(self, ints: Mapping) -> dict:
        return {self.name if k == self.block.name else k: v for k, v in ints.items()}

    def internal_blocks(self) -> list[str]:
        return [self.name if n == self.block.name else n for n in self.block.internal_blocks()]

    def grid_edge_mass(self, internals: Mapping) -> dict[str, dict[str, float]]:
        inner = {(self.block.name if k == self.name else k): v for k, v in internals.items()}
        return self._rename_internals(self.block.grid_edge_mass(inner))

    def _steady_state(self, values: dict) -> tuple[dict, dict]:
        out, ints = self.block._steady_state(self._to_inner(values))
        return self._to_outer(out), self._rename_internals(ints)

    def _inner_ss(self, ss):
        inner = SteadyState(self._to_inner(ss), {})
        inner.internals = {
            (self.block.name if k == self.name else k): v for k, v in ss.internals.items()
        }
        return inner

    def _with_suffix(self, suffix: str) -> Block:
        return RemappedBlock(self.block._with_suffix(suffix), self.mapping, self.name + suffix)

    def lead_span(self, ss) -> int:
        return self.block.lead_span(self._to_inner(ss))

    def _path(self, ss, paths: dict, T: int, internals) -> tuple[dict, dict]:
        ints_req = {self.block.name if n == self.name else n for n in internals}
        out, ints = self.block._path(self._inner_ss(ss), self._to_inner(paths), T, ints_req)
        return self._to_outer(out), self._rename_internals(ints)

    def _jacobian(self, ss, inputs: list[str], T: int) -> JacobianDict:
        J = self.block.jacobian(self._inner_ss(ss), [self.back.get(i, i) for i in inputs], T=T)
        nest = {self.mapping.get(o, o): self._to_outer(J[o]) for o in J}
        return JacobianDict(nest, T, self.name)
