"""Models: a DAG of blocks that is itself a block.

Inputs of a model are the variables its blocks read but no block produces;
outputs are everything its blocks produce. Steady states and paths are evaluated
block by block in topological order; Jacobians are accumulated forward:
``dO/dz = sum_i J_block[o][i] dI/dz``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import ModelSpecError
from ..graph._dag import build_graph, topological_order
from ..jacobians._jacobian_dict import JacobianDict, compose, identity
from ._block import Block, check_numeric
from ._jacobian_block import as_block


class CombinedBlock(Block):
    """A model: blocks ordered along their DAG; usable as a block inside another model."""

    kind = "model"

    def __init__(self, blocks: Sequence[Block], name: str = "model"):
        super().__init__()
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

    def _path(self, ss, paths: dict, T: int, internals) -> tuple[dict, dict]:
        paths = dict(paths)
        outputs: dict = {}
        all_ints: dict = {}
        for b in self.blocks:
            mine = {i: paths[i] for i in b.inputs if i in paths}
            if not mine:
                continue
            out, ints = b._path(ss, mine, T, internals)
            paths.update(out)
            outputs.update(out)
            all_ints.update(ints)
        return outputs, all_ints

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
        nest = {o: total.get(o, {}) for o in self.outputs}
        return JacobianDict(nest, T, self.name)

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
