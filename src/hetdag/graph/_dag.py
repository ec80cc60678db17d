"""The model DAG: which block produces each variable, and a topological order.

Nodes are block indices; an edge ``a -> b`` carries the variables that ``a``
produces and ``b`` reads (edge attribute ``variables``).
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from ..errors import CyclicDependencyError, ModelSpecError


def producers(blocks: Sequence, model: str) -> dict[str, int]:
    """Map each output variable to the index of the block producing it."""
    made: dict[str, int] = {}
    for j, b in enumerate(blocks):
        for o in b.outputs:
            if o in made:
                raise ModelSpecError(
                    f"Model {model!r}: variable {o!r} is produced by both block "
                    f"{blocks[made[o]].name!r} and block {b.name!r}"
                )
            made[o] = j
    return made


def build_graph(blocks: Sequence, model: str) -> nx.DiGraph:
    """DiGraph over block indices with edge attribute ``variables``."""
    names = [b.name for b in blocks]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ModelSpecError(
            f"Model {model!r}: block names {dup} appear more than once; "
            "use .rename('new_name') to tell them apart"
        )
    if model in names:
        raise ModelSpecError(
            f"Model name {model!r} clashes with the name of one of its blocks; pick another name"
        )
    made = producers(blocks, model)
    g = nx.DiGraph()
    for j, b in enumerate(blocks):
        g.add_node(j, name=b.name, kind=b.kind)
    for j, b in enumerate(blocks):
        for i in b.inputs:
            src = made.get(i)
            if src is None:
                continue
            if src == j:
                raise CyclicDependencyError(
                    f"Model {model!r}: block {b.name!r} reads its own output {i!r}",
                    [b.name, i, b.name],
                )
            if g.has_edge(src, j):
                g.edges[src, j]["variables"].append(i)
            else:
                g.add_edge(src, j, variables=[i])
    return g


def topological_order(g: nx.DiGraph, blocks: Sequence, model: str) -> list[int]:
    try:
        return list(nx.topological_sort(g))
    except nx.NetworkXUnfeasible:
        cycle = nx.find_cycle(g)
        path: list[str] = []
        for a, b in cycle:
            path += [blocks[a].name, f"--{','.join(g.edges[a, b]['variables'])}-->"]
        path.append(blocks[cycle[0][0]].name)
        raise CyclicDependencyError(
            f"Model {model!r} has a cycle: {' '.join(path)}. Break it by making one of "
            "these variables an unknown, or combine the blocks into a solved block.",
            path,
        ) from None
