"""Models: a DAG of blocks that is itself a block.

Inputs of a model are the variables its blocks read but no block produces;
outputs are everything its blocks produce. Steady states and paths are evaluated
block by block in topological order; Jacobians are accumulated forward:
``dO/dz = sum_i J_block[o][i] dI/dz``.

Paths follow the Jacobians' truncation (:mod:`hetdag.jacobians._shift`): simple blocks
are evaluated on T + L periods, L the longest chain of leads through them, with the
inputs from T on at the steady state, so that a lead read at T-1 is computed, not
padded; a block with a T x T Jacobian (heterogeneous-agent, solved) reads its inputs
up to T and its outputs from T on are at the steady state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import ModelSpecError
from ..graph._dag import build_graph, topological_order
from ..jacobians._jacobian_dict import JacobianDict, identity
from ..jacobians._rows import compose, public
from ._block import Block, check_numeric, extend_path
from ._jacobian_block import as_block


class CombinedBlock(Block):
    """A model: blocks ordered along their DAG; usable as a block inside another model."""

    kind = "model"
    horizon_free = True

    def __init__(self, blocks: Sequence[Block], name: str = "model"):
        super().__init__()
        self._lead: int | None = None
        # a bare JacobianDict joins as a JacobianBlock (sequence-jacobian accepts one too)
        blocks = [as_block(b, j) for j, b in enumerate(blocks)]
        if not blocks:
            raise ModelSpecError(f"Model {name!r}: no blocks given")
        for b in blocks:
            if not isinstance(b, Block):
                raise ModelSpecError(
                    f"Model {name!r}: {b!r} is not a block; decorate it with @hd.simple, "
                    "@hd.solved or @hd.het, or pass a JacobianDict"
                )
        self.name = name
        self.graph = build_graph(blocks, name)
        order = topological_order(self.graph, blocks, name)
        self.blocks = [blocks[j] for j in order]
        produced: dict[str, None] = {}
        for b in self.blocks:
            produced.update(dict.fromkeys(b.outputs))
        needed: dict[str, None] = {}
        for b in self.blocks:
            needed.update(dict.fromkeys(i for i in b.inputs if i not in produced))
        self.inputs = tuple(needed)
        self.outputs = tuple(produced)

    def __getitem__(self, name: str) -> Block:
        for b in self.blocks:
            if b.name == name:
                return b
        raise KeyError(f"Model {self.name!r} has no block {name!r}")

    def internal_blocks(self) -> list[str]:
        return [n for b in self.blocks for n in b.internal_blocks()]

    def grid_edge_mass(self, internals: Mapping) -> dict[str, dict[str, float]]:
        edges: dict[str, dict[str, float]] = {}
        for b in self.blocks:
            edges.update(b.grid_edge_mass(internals))
        return edges

    def _readers(self, variable: str) -> list[str]:
        return [b.name for b in self.blocks if variable in b.inputs]

    def _check_calibration(self, calibration) -> dict:
        # Like Block._check_calibration, but name the block(s) that read each input.
        missing = [i for i in self.inputs if i not in calibration]
        if missing:
            needed = "; ".join(f"{i!r} is read by block(s) {self._readers(i)}" for i in missing)
            raise ModelSpecError(
                f"Model {self.name!r}: missing calibration input(s) {missing} ({needed})"
            )
        for k in self.inputs:
            readers = self._readers(k)
            check_numeric(calibration[k], k, readers[0] if readers else self.name)
        return dict(calibration)

    def _steady_state(self, values: dict) -> tuple[dict, dict]:
        values = dict(values)
        internals: dict = {}
        outputs: dict = {}
        for b in self.blocks:
            out, ints = b._steady_state({i: values[i] for i in b.inputs})
            values.update(out)
            outputs.update(out)
            internals.update(ints)
        return outputs, internals

    def lead_span(self, ss) -> int:
        """Periods beyond T that some block's inputs must be computed for: the longest
        chain of leads through horizon-free blocks (a T x T block cuts a chain)."""
        if self._lead is None:
            need: dict[int, int] = {}
            for j in reversed(range(len(self.blocks))):
                b = self.blocks[j]
                if not b.horizon_free:
                    need[j] = 0
                    continue
                down = [
                    need[c]
                    for c in range(j + 1, len(self.blocks))
                    if self.blocks[c].horizon_free
                    and any(o in self.blocks[c].inputs for o in b.outputs)
                ]
                need[j] = b.lead_span(ss) + max(down, default=0)
            self._lead = max(need.values(), default=0)
        return self._lead

    def _path(self, ss, paths: dict, T: int, internals) -> tuple[dict, dict]:
        n_in = max((len(v) for v in paths.values()), default=T)
        n = n_in + self.lead_span(ss)
        paths = {k: extend_path(v, ss[k], n) for k, v in paths.items()}
        outputs: dict = {}
        all_ints: dict = {}
        for b in self.blocks:
            mine = {i: paths[i] for i in b.inputs if i in paths}
            if not mine:
                continue
            if b.horizon_free:
                out, ints = b._path(ss, mine, T, internals)
            else:
                out, ints = b._path(ss, {i: v[:T] for i, v in mine.items()}, T, internals)
                out = {k: extend_path(v, ss[k], n) for k, v in out.items()}
            paths.update(out)
            outputs.update(out)
            all_ints.update(ints)
        return {k: v[:n_in] for k, v in outputs.items()}, all_ints

    def _jacobian_for(self, ss, inputs: list[str], outputs: list[str], T: int) -> JacobianDict:
        return self._jacobian(ss, inputs, T, outputs).subset(outputs)

    def _jacobian(self, ss, inputs: list[str], T: int, outputs=None) -> JacobianDict:
        """Forward accumulation along the DAG; with ``outputs``, only the blocks' outputs
        those depend on are differentiated (H_U of Krusell-Smith needs the household's A,
        not C: half of its fake-news products)."""
        total: dict[str, dict[str, object]] = {z: {z: identity(T)} for z in inputs}
        wanted = set(inputs)
        needed = None if outputs is None else self._upstream(ss, outputs)
        for b in self.blocks:
            relevant = [i for i in b.inputs if i in total]
            if not relevant:
                continue
            b_out = None if needed is None else [o for o in b.outputs if o in needed]
            if b_out == []:
                continue
            Jb = b.jacobian(ss, relevant, b_out, T=T)
            total.update(compose(Jb, total, wanted))
        nest = {o: {z: public(m, T) for z, m in total.get(o, {}).items()} for o in self.outputs}
        return JacobianDict(nest, T, self.name)

    def _with_suffix(self, suffix: str) -> CombinedBlock:
        # sequence-jacobian's rename(suffix=) of a combined block renames its blocks too
        other = CombinedBlock([b._with_suffix(suffix) for b in self.blocks], self.name + suffix)
        if hasattr(self, "solve_defaults"):
            other.solve_defaults = dict(self.solve_defaults)
        return other

    def _depends_on(self, ss, outputs: list[str]) -> set[str]:
        return self._upstream(ss, outputs) & set(self.inputs)

    def _upstream(self, ss, outputs) -> set[str]:
        """``outputs`` and every variable they depend on within this model (simple blocks
        say which inputs each output reads: Krusell-Smith's asset_mkt = A - K reads A,
        not the C of goods_mkt)."""
        needed = set(outputs)
        for b in reversed(self.blocks):
            mine = [o for o in b.outputs if o in needed]
            if mine:
                needed.update(b._depends_on(ss, mine))
        return needed

    def solved(self, unknowns, targets, name: str | None = None, **kwargs):
        """Wrap this combination into a solved block with internal unknowns."""
        from ._solved import SolvedBlock

        return SolvedBlock(self, unknowns, targets, name=name or self.name, **kwargs)

    def draw(self, unknowns=None, targets=None, inputs=None, **kwargs):
        """Draw the model's DAG; see :func:`hetdag.plotting.draw_dag`."""
        from ..plotting import draw_dag

        return draw_dag(self, unknowns=unknowns, targets=targets, inputs=inputs, **kwargs)


def create_model(blocks: Sequence[Block], name: str = "model") -> CombinedBlock:
    """Combine blocks into a model ordered along its DAG.

    A :class:`~hetdag.JacobianDict` among ``blocks`` joins as a
    :class:`~hetdag.JacobianBlock` named after it (linear solves only).

    Raises ``CyclicDependencyError`` naming the blocks and variables along a cycle,
    and ``ModelSpecError`` when a variable is produced twice or the model's name is
    also a block's name.
    """
    return CombinedBlock(blocks, name)


def combine(blocks: Sequence[Block], name: str = "combined") -> CombinedBlock:
    """Alias of :func:`create_model`, used before ``.solved(...)``."""
    return CombinedBlock(blocks, name)
