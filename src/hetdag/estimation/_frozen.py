"""A block that returns a stored Jacobian: the household's, reused while it holds.

When a parameter of a simple or solved block changes, the steady state of the
household's inputs does not, so neither does its Jacobian. The model's caches are keyed
on the whole steady state and would miss; a copy of the model with the household
replaced by this block composes G from the stored Jacobian instead.
"""

from __future__ import annotations

from hetdag import Block
from hetdag.errors import ModelSpecError
from hetdag.jacobians import JacobianDict


class FrozenJacobianBlock(Block):
    """Stands in for ``block``: steady-state outputs and Jacobian ``J`` as stored."""

    kind = "frozen"

    def __init__(self, block: Block, J: JacobianDict, ss, asked=None, name: str | None = None):
        super().__init__()
        self.name = name or block.name
        self.inputs = tuple(block.inputs)
        self.outputs = tuple(block.outputs)
        self.J = J
        self.asked = set(J.inputs) if asked is None else set(asked)
        self.ss_outputs = {o: ss[o] for o in block.outputs}

    def _steady_state(self, values: dict) -> tuple[dict, dict]:
        return dict(self.ss_outputs), {}

    def _path(self, ss, paths, T, internals):
        raise ModelSpecError(
            f"Block {self.name!r}: a stored Jacobian has no nonlinear path; use the model"
        )

    def _jacobian(self, ss, inputs: list[str], T: int) -> JacobianDict:
        if T != self.J.T:
            raise ModelSpecError(
                f"Block {self.name!r}: the stored Jacobian has T={self.J.T}, asked for T={T}"
            )
        extra = [i for i in inputs if i not in self.asked]
        if extra:
            raise ModelSpecError(
                f"Block {self.name!r}: the stored Jacobian has no input(s) {extra}"
            )
        return self.J.subset(None, inputs)
