"""The DAG drawing's layout: nodes in columns by topological generation, then ordered.

:class:`_Layout` places shocks and unknowns in a column on the left, blocks by
topological generation, targets on the right, and orders each column by a few
barycentre sweeps to reduce edge crossings; text sizes and Bezier edges are measured
here too. :func:`~._dag_plot.draw_dag` draws it.
"""

from __future__ import annotations

import networkx as nx
import numpy as np


class _Layout:
    """Nodes by column, edges with labels, and a few geometric helpers (inches)."""

    def __init__(self, model, inputs, unknowns, targets):
        g = model.graph
        self.kind = {}
        self.role = {}
        self.columns: list[list[str]] = []
        gens = [sorted(gen) for gen in nx.topological_generations(g)]
        offset = 1 if (inputs or unknowns) else 0
        if offset:
            left = [f"var:{v}" for v in list(inputs) + list(unknowns)]
            self.columns.append(left)
        for gen in gens:
            self.columns.append([f"blk:{g.nodes[j]['name']}" for j in gen])
        for j in g.nodes:
            self.kind[f"blk:{g.nodes[j]['name']}"] = g.nodes[j]["kind"]
        if targets:
            self.columns.append([f"tgt:{v}" for v in targets])
        for v in inputs:
            self.role[f"var:{v}"] = "input"
        for v in unknowns:
            self.role[f"var:{v}"] = "unknown"
        for v in targets:
            self.role[f"tgt:{v}"] = "target"
        # edges: (source node, target node, label or None)
        self.block_edges = [
            (f"blk:{g.nodes[a]['name']}", f"blk:{g.nodes[b]['name']}", list(d["variables"]))
            for a, b, d in g.edges(data=True)
        ]
        producer = {o: b.name for b in model.blocks for o in b.outputs}
        self.marker_edges = []
        for v in list(inputs) + list(unknowns):
            for b in model.blocks:
                if v in b.inputs:
                    self.marker_edges.append((f"var:{v}", f"blk:{b.name}", None))
        for v in targets:
            self.marker_edges.append((f"blk:{producer[v]}", f"tgt:{v}", None))
        self.col_of = {n: c for c, col in enumerate(self.columns) for n in col}
        self._order_columns()

    def _order_columns(self, sweeps: int = 4) -> None:
        """Barycentre heuristic: order each column by the mean rank of its neighbours."""
        edges = [(a, b) for a, b, _ in self.block_edges + self.marker_edges]
        pred = {n: [a for a, b in edges if b == n] for n in self.col_of}
        succ = {n: [b for a, b in edges if a == n] for n in self.col_of}

        def rank(n):
            col = self.columns[self.col_of[n]]
            return (col.index(n) + 0.5) / len(col)

        for sweep in range(sweeps):
            forward = sweep % 2 == 0
            cols = range(1, len(self.columns)) if forward else range(len(self.columns) - 2, -1, -1)
            for c in cols:
                col = self.columns[c]
                nb = pred if forward else succ
                keys = {}
                for i, n in enumerate(col):
                    ranks = [rank(m) for m in nb[n]]
                    keys[n] = (np.mean(ranks) if ranks else (i + 0.5) / len(col), i)
                self.columns[c] = sorted(col, key=keys.__getitem__)


def _text_size(fig, renderer, text: str, fontsize: float, bbox: dict) -> tuple[float, float]:
    """Width and height (inches) of a text including its box, measured with the renderer."""
    t = fig.text(0, 0, text, fontsize=fontsize, bbox=bbox, ha="center", va="center")
    t.draw(renderer)  # positions the box patch
    ext = t.get_bbox_patch().get_window_extent(renderer)
    t.remove()
    return ext.width / fig.dpi, ext.height / fig.dpi


def _bezier(p0, c, p1, s):
    s = np.asarray(s)[:, None]
    return (1 - s) ** 2 * p0 + 2 * s * (1 - s) * c + s**2 * p1
