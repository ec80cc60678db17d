"""Renamed copies of blocks: several agent types from one declaration.

``hh.remap({'beta': 'beta_patient', 'A': 'A_patient'}).rename('patient')`` reads
``beta_patient`` where the original reads ``beta`` and writes ``A_patient``; its
internals live under the new block name.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..jacobians._jacobian_dict import JacobianDict
from ._block import Block


class RemappedBlock(Block):
    """A view of ``block`` with variables renamed by ``mapping`` ({old: new})."""

    def __init__(self, block: Block, mapping: Mapping[str, str], name: str | None = None):
        super().__init__()
        if isinstance(block, RemappedBlock):
            mapping = {
                **{k: mapping.get(v, v) for k, v in block.mapping.items()},
                **{k: v for k, v in mapping.items() if k not in block.mapping.values()},
            }
            block = block.block
        self.block = block
        self.kind = block.kind
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

    def _steady_state(self, values: dict) -> tuple[dict, dict]:
        out, ints = self.block._steady_state(self._to_inner(values))
        return self._to_outer(out), self._rename_internals(ints)

    def _inner_ss(self, ss):
        from ..results import SteadyState

        inner = SteadyState(self._to_inner(ss), {})
        inner.internals = {
            (self.block.name if k == self.name else k): v for k, v in ss.internals.items()
        }
        return inner

    def _path(self, ss, paths: dict, T: int, internals) -> tuple[dict, dict]:
        ints_req = {self.block.name if n == self.name else n for n in internals}
        out, ints = self.block._path(self._inner_ss(ss), self._to_inner(paths), T, ints_req)
        return self._to_outer(out), self._rename_internals(ints)

    def _jacobian(self, ss, inputs: list[str], T: int) -> JacobianDict:
        J = self.block.jacobian(self._inner_ss(ss), [self.back.get(i, i) for i in inputs], T=T)
        nest = {self.mapping.get(o, o): self._to_outer(J[o]) for o in J}
        return JacobianDict(nest, T, self.name)
