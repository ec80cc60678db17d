"""Hetinputs and hetoutputs: small functions attached to a het block, run as a DAG.

Each function's inputs are its arguments and its outputs the names it returns
(read from the syntax tree, as for simple blocks). Hetinputs run before the
backward step (e.g. grids, Markov matrices, income by state); hetoutputs run
after it on the individual policies (e.g. labour supply), and their lower-case
outputs are aggregated with the distribution like the step's own outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import networkx as nx

from ...errors import CyclicDependencyError, ModelSpecError
from .._parsing import read_inputs, read_outputs


class FunctionChain:
    """Functions ordered so that each runs after the functions whose outputs it reads."""

    def __init__(self, funcs: Sequence[Callable], block: str, kind: str):
        self.block = block
        self.kind = kind
        specs = [(f, read_inputs(f), read_outputs(f)) for f in funcs]
        made: dict[str, int] = {}
        for j, (f, _, outs) in enumerate(specs):
            for o in outs:
                if o in made:
                    raise ModelSpecError(
                        f"Block {block!r}: {kind} {specs[made[o]][0].__name__!r} and "
                        f"{f.__name__!r} both produce {o!r}"
                    )
                made[o] = j
        g = nx.DiGraph()
        g.add_nodes_from(range(len(specs)))
        for j, (_, ins, _) in enumerate(specs):
            for i in ins:
                if i in made and made[i] != j:
                    g.add_edge(made[i], j)
        try:
            order = list(nx.topological_sort(g))
        except nx.NetworkXUnfeasible:
            names = [specs[a][0].__name__ for a, _ in nx.find_cycle(g)]
            raise CyclicDependencyError(
                f"Block {block!r}: {kind} depend on each other in a cycle: {' -> '.join(names)}",
                names,
            ) from None
        self.specs = [specs[j] for j in order]
        self.funcs = [s[0] for s in self.specs]
        self.outputs = tuple(o for _, _, outs in self.specs for o in outs)
        self.inputs = tuple(
            dict.fromkeys(i for _, ins, _ in self.specs for i in ins if i not in made)
        )

    def __bool__(self) -> bool:
        return bool(self.specs)

    def evaluate(self, values: dict) -> dict:
        """Run every function in order; return only the chain's outputs."""
        values = dict(values)
        out = {}
        for f, ins, outs in self.specs:
            missing = [i for i in ins if i not in values]
            if missing:
                raise ModelSpecError(
                    f"Block {self.block!r}: {self.kind} {f.__name__!r} needs {missing}, "
                    "which nothing provides"
                )
            res = f(*[values[i] for i in ins])
            res = res if isinstance(res, tuple) else (res,)
            if len(res) != len(outs):
                raise ModelSpecError(
                    f"Block {self.block!r}: {self.kind} {f.__name__!r} returned {len(res)} "
                    f"values for {len(outs)} names {outs}"
                )
            new = dict(zip(outs, res))
            values.update(new)
            out.update(new)
        return out

    def moving(self, names) -> list[tuple]:
        """The (function, inputs, outputs) specs that (transitively) read any of ``names``,
        in evaluation order: what must run again when ``names`` move."""
        moved = set(names)
        plan = []
        for spec in self.specs:
            if moved.intersection(spec[1]):
                plan.append(spec)
                moved.update(spec[2])
        return plan

    @staticmethod
    def run(plan: list[tuple], values: dict) -> None:
        """Run the specs of ``plan`` (from :meth:`moving`) on ``values``, in place."""
        for f, ins, outs in plan:
            res = f(*[values[i] for i in ins])
            values.update(zip(outs, res if isinstance(res, tuple) else (res,)))

    def depends_on(self, names) -> set[str]:
        """Outputs of the chain that (transitively) depend on any of ``names``."""
        return {o for _, _, outs in self.moving(names) for o in outs}
