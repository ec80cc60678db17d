"""Solved blocks: blocks with internal unknowns pinned down by internal targets.

Given inputs Z, the unknowns U solve H(U, Z) = 0. Steady states come from root
finding, paths from the nonlinear sequence-space solver, and the Jacobian from the
implicit function theorem: dU/dZ = -H_U^{-1} H_Z, then every output follows by
forward accumulation through the inner block.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..errors import ModelSpecError
from ..jacobians._jacobian_dict import JacobianDict
from ..solvers._linear import solve_jacobian
from ..solvers._nonlinear import solve_impulse_nonlinear
from ..solvers._steady_state import solve_steady_state
from ._block import Block
from ._simple import SimpleBlock


class SolvedBlock(Block):
    """Inner block plus ``unknowns`` (guess or bracket each) and as many ``targets``."""

    kind = "solved"

    def __init__(
        self,
        inner: Block,
        unknowns: Mapping[str, float | tuple[float, float]],
        targets: Sequence[str],
        name: str | None = None,
        solver: str | None = None,
    ):
        super().__init__()
        self.inner = inner
        self.name = name or inner.name
        self.unknowns = dict(unknowns)
        self.targets = [targets] if isinstance(targets, str) else list(targets)
        self.solver = solver
        if len(self.unknowns) != len(self.targets):
            raise ModelSpecError(
                f"Block {self.name!r}: {len(self.unknowns)} unknowns {list(self.unknowns)} but "
                f"{len(self.targets)} targets {self.targets}"
            )
        for u in self.unknowns:
            if u not in inner.inputs:
                raise ModelSpecError(
                    f"Block {self.name!r}: unknown {u!r} is not an input of its equations"
                )
        for t in self.targets:
            if t not in inner.outputs:
                raise ModelSpecError(
                    f"Block {self.name!r}: target {t!r} is not an output of its equations"
                )
        self.inputs = tuple(i for i in inner.inputs if i not in self.unknowns)
        self.outputs = tuple(list(self.unknowns) + [o for o in inner.outputs])

    def _with_suffix(self, suffix: str) -> SolvedBlock:
        inner = self.inner._with_suffix(suffix)
        return SolvedBlock(inner, self.unknowns, self.targets, self.name + suffix, self.solver)

    def internal_blocks(self) -> list[str]:
        return self.inner.internal_blocks()

    def grid_edge_mass(self, internals: Mapping) -> dict[str, dict[str, float]]:
        return self.inner.grid_edge_mass(internals)

    def _steady_state(self, values: dict) -> tuple[dict, dict]:
        guesses = {u: values.get(u, g) for u, g in self.unknowns.items()}
        calib = {k: v for k, v in values.items() if k not in self.unknowns}
        ss = solve_steady_state(
            self.inner, calib, guesses, self.targets, solver=self.solver, _within=self.name
        )
        return {o: ss[o] for o in self.outputs}, ss.internals

    def _path(self, ss, paths: dict, T: int, internals) -> tuple[dict, dict]:
        shocks = {k: v - ss[k] for k, v in paths.items()}
        irf = solve_impulse_nonlinear(
            self.inner, ss, list(self.unknowns), self.targets, shocks, internals=internals
        )
        return {o: irf[o] + ss[o] for o in self.outputs if o in irf}, irf.internals

    def _jacobian(self, ss, inputs: list[str], T: int) -> JacobianDict:
        G = solve_jacobian(self.inner, ss, list(self.unknowns), self.targets, inputs, None, T)
        return JacobianDict({o: G[o] for o in self.outputs if o in G}, T, self.name)


def solved(
    unknowns: Mapping[str, float | tuple[float, float]],
    targets: Sequence[str],
    solver: str | None = None,
) -> Callable[[Callable], SolvedBlock]:
    """Declare a solved block from a simple-block function.

    ``unknowns`` maps each internal unknown to an initial guess or a bracket
    ``(lo, hi)``; ``targets`` are outputs that must be zero.

    Examples
    --------
    >>> import hetdag as hd
    >>> @hd.solved(unknowns={'pi': (-0.1, 0.1)}, targets=['nkpc'])
    ... def pricing(pi, mc, r, Y, kappa, mu):
    ...     nkpc = kappa * (mc - 1 / mu) + Y(+1) / Y * pi(+1) / (1 + r(+1)) - pi
    ...     return nkpc
    """

    def decorate(f: Callable) -> SolvedBlock:
        return SolvedBlock(SimpleBlock(f), unknowns, targets, name=f.__name__, solver=solver)

    return decorate
