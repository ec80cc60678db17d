"""Drawing a model's DAG with matplotlib: blocks as boxes, variables on the edges.

Layout: blocks are placed in columns by topological generation
(``nx.topological_generations``), left to right; shocks Z and unknowns U form a
column on the left, targets H a column on the right. Within a column, nodes are
ordered by a few barycentre sweeps to reduce edge crossings, and spread evenly.
The figure is sized from the measured text extents (1 data unit = 1 inch), so
labels keep their size whatever the number of blocks; every edge label is placed
greedily along its edge where it overlaps no node or label already drawn. The
columns and their ordering are in :mod:`._dag_layout`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ..errors import ModelSpecError, OptionalDependencyError
from ._dag_layout import _bezier, _Layout, _text_size

# kind -> (legend label, face colour, edge colour, box style, hatch)
BLOCK_STYLES = {
    "simple": ("simple block", "#d6e6f5", "#3d78b4", "round,pad=0.35", None),
    "solved": ("solved block", "#fde3c8", "#d9822b", "square,pad=0.35", "/"),
    "het": ("heterogeneous-agent block", "#d5ecd0", "#3f8f3a", "round4,pad=0.45", None),
    "model": ("nested model", "#e6e0f0", "#6a559a", "sawtooth,pad=0.35", None),
    "jacobian": ("Jacobian block (linear only)", "#f7e3ef", "#a3447a", "round,pad=0.35", None),
}
# role -> (legend label, face colour, edge colour, box style)
VARIABLE_STYLES = {
    "input": ("shock (Z)", "#fff2b3", "#b89b00", "rarrow,pad=0.3"),
    "unknown": ("unknown (U)", "#f6d0d0", "#b03a3a", "rarrow,pad=0.3"),
    "target": ("target (H = 0)", "#e8e8e8", "#555555", "larrow,pad=0.3"),
}
NODE_FONTSIZE = 10
EDGE_FONTSIZE = 8
EDGE_GID = "edge"  # gid of arrows between blocks; variable-marker arrows get "marker-edge"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - matplotlib is a core dependency
        raise OptionalDependencyError(
            "plotting needs matplotlib: pip install 'matplotlib>=3.7'"
        ) from err
    return plt


def _renderer(fig):
    get = getattr(fig.canvas, "get_renderer", None)
    return get() if get is not None else fig._get_renderer()


def _names(x, what: str) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    if isinstance(x, dict):
        return list(x)
    if isinstance(x, Iterable):
        return [str(v) for v in x]
    raise ModelSpecError(f"draw_dag: {what} must be a name or a list of names, got {x!r}")


def _check_marked(model, inputs, unknowns, targets) -> None:
    for what, names, pool, where in (
        ("input", inputs, model.inputs, "inputs"),
        ("unknown", unknowns, model.inputs, "inputs"),
        ("target", targets, model.outputs, "outputs"),
    ):
        for v in names:
            if v not in pool:
                raise ModelSpecError(
                    f"Model {model.name!r}: {what} {v!r} is not one of the model's {where} "
                    f"{sorted(pool)}"
                )
    both = sorted(set(inputs) & set(unknowns))
    if both:
        raise ModelSpecError(f"Model {model.name!r}: {both} marked both as shock and as unknown")


def _wrap(variables: Sequence[str], per_line: int = 3) -> str:
    chunks = [variables[i : i + per_line] for i in range(0, len(variables), per_line)]
    return "\n".join(", ".join(c) for c in chunks)


def draw_dag(
    model,
    unknowns=None,
    targets=None,
    inputs=None,
    ax=None,
    figsize: tuple[float, float] | None = None,
):
    """Draw the DAG of a model: one box per block, arrows carrying variables.

    Blocks are placed left to right by topological generation. Box colour and shape
    tell the block kind (simple, solved, heterogeneous-agent, nested model; see the
    legend). Each arrow between blocks is labelled with the variables it carries.
    Shocks (``inputs``) and ``unknowns`` appear as marked nodes on the left, with
    arrows to every block reading them; ``targets`` appear on the right, fed by the
    block that produces them.

    Parameters
    ----------
    model : CombinedBlock
        A model from :func:`hetdag.create_model`.
    unknowns, targets, inputs : list of str, optional
        Variables to mark. Unknowns and shocks must be model inputs, targets model
        outputs.
    ax : matplotlib Axes, optional
        Draw into this axes; by default a new figure is sized to fit the graph.
    figsize : (float, float), optional
        Override the automatic figure size (inches).

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.dag_edges`` lists the drawn block-to-block edges as
        ``(source, target, variables)``; their arrows carry ``gid='edge'``.

    Raises
    ------
    ModelSpecError
        If a marked variable is not in the model (the message names it).

    Examples
    --------
    >>> from hetdag.examples import rbc
    >>> ex = rbc.example()
    >>> fig = ex.model.draw(unknowns=ex.unknowns, targets=ex.targets, inputs=ex.exogenous)
    """
    if not hasattr(model, "graph") or not hasattr(model, "blocks"):
        raise ModelSpecError(
            f"draw_dag needs a model from hetdag.create_model, got {type(model).__name__}"
        )
    unknowns = _names(unknowns, "unknowns")
    targets = _names(targets, "targets")
    inputs = _names(inputs, "inputs")
    _check_marked(model, inputs, unknowns, targets)
    plt = _pyplot()
    from matplotlib.patches import FancyArrowPatch, Patch
    from matplotlib.path import Path

    lay = _Layout(model, inputs, unknowns, targets)

    def node_style(n):
        if n in lay.role:
            _, face, edge, box = VARIABLE_STYLES[lay.role[n]]
            return dict(boxstyle=box, facecolor=face, edgecolor=edge, linewidth=1.2)
        _, face, edge, box, hatch = BLOCK_STYLES.get(lay.kind[n], BLOCK_STYLES["simple"])
        lw = 2.0 if lay.kind[n] == "het" else 1.3
        return dict(boxstyle=box, facecolor=face, edgecolor=edge, linewidth=lw, hatch=hatch)

    label_of = {n: n.split(":", 1)[1] for n in lay.col_of}
    edge_bbox = dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.9)

    # --- measure text (inches) with a scratch figure and size the layout from it
    scratch = plt.figure(figsize=(4, 3))
    try:
        r = _renderer(scratch)
        size = {
            n: _text_size(scratch, r, label_of[n], NODE_FONTSIZE, node_style(n)) for n in lay.col_of
        }
        edge_text = {(a, b): _wrap(v) for a, b, v in lay.block_edges}
        edge_size = {
            k: _text_size(scratch, r, t, EDGE_FONTSIZE, edge_bbox) for k, t in edge_text.items()
        }
    finally:
        plt.close(scratch)

    ncol = len(lay.columns)
    col_w = [max(size[n][0] for n in col) for col in lay.columns]
    gap = []
    for c in range(ncol - 1):
        widths = [edge_size[(a, b)][0] for a, b, _ in lay.block_edges if lay.col_of[a] == c]
        gap.append(max([1.3] + [w + 0.6 for w in widths]))
    pitch = max(0.8, max(h for _, h in size.values()) + 0.45)
    nrow = max(len(col) for col in lay.columns)
    x_center = []
    x = 0.0
    for c in range(ncol):
        x_center.append(x + col_w[c] / 2)
        x += col_w[c] + (gap[c] if c < ncol - 1 else 0.0)
    width_in = x
    height_in = nrow * pitch
    pos = {}
    for c, col in enumerate(lay.columns):
        y0 = (height_in + (len(col) - 1) * pitch) / 2  # columns centred vertically
        for i, n in enumerate(col):
            pos[n] = np.array([x_center[c], y0 - i * pitch])
    # legend entries, wrapped into as many rows as the width needs
    kinds = [k for k in BLOCK_STYLES if k in set(lay.kind.values())]
    roles = [r_ for r_ in VARIABLE_STYLES if r_ in set(lay.role.values())]
    entries = [BLOCK_STYLES[k][0] for k in kinds] + [VARIABLE_STYLES[r_][0] for r_ in roles]
    margin_x, margin_top = 0.35, 0.5
    fig_w = max(width_in + 2 * margin_x, 5.0)
    entry_w = max(0.6 + 0.075 * len(e) for e in entries)
    per_row = max(1, min(len(entries), int((fig_w - 0.4) // entry_w)))
    legend_rows = int(np.ceil(len(entries) / per_row))
    legend_h = 0.28 * legend_rows + 0.2
    fig_h = height_in + margin_top + legend_h + 0.1
    xlim = (-(fig_w - width_in) / 2, width_in + (fig_w - width_in) / 2)
    ylim = (0.0, height_in)

    if ax is None:
        fig = plt.figure(figsize=figsize or (fig_w, fig_h))
        _, fh = fig.get_size_inches()
        bottom = (legend_h + 0.1) / fh
        top = 1 - margin_top / fh
        ax = fig.add_axes((0.0, bottom, 1.0, max(top - bottom, 0.1)))
    else:
        fig = ax.figure
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_axis_off()
    ax.set_title(f"Model {model.name!r}", fontsize=12)

    # --- nodes
    boxes = {}  # node -> (xmin, ymin, xmax, ymax) in data units (inches)
    for n, (px, py) in pos.items():
        ax.text(
            px,
            py,
            label_of[n],
            ha="center",
            va="center",
            fontsize=NODE_FONTSIZE,
            bbox=node_style(n),
            zorder=3,
            gid="node" if n.startswith("blk:") else "marker",
        )
        w, h = size[n]
        boxes[n] = (px - w / 2, py - h / 2, px + w / 2, py + h / 2)

    # --- edges: right side of the source box to the left side of the target box
    def route(a, b):
        p0 = np.array([boxes[a][2], pos[a][1]])
        p1 = np.array([boxes[b][0], pos[b][1]])
        others = [
            boxes[n]
            for n in lay.col_of
            if lay.col_of[a] < lay.col_of[n] < lay.col_of[b] and n not in (a, b)
        ]
        s = np.linspace(0.05, 0.95, 40)
        for off in [0.0] + [k * sgn * pitch / 2 for k in range(1, 2 * nrow + 2) for sgn in (1, -1)]:
            c = (p0 + p1) / 2 + np.array([0.0, 2 * off])
            pts = _bezier(p0, c, p1, s)
            hit = any(
                np.any(
                    (pts[:, 0] > bx[0] - 0.05)
                    & (pts[:, 0] < bx[2] + 0.05)
                    & (pts[:, 1] > bx[1] - 0.05)
                    & (pts[:, 1] < bx[3] + 0.05)
                )
                for bx in others
            )
            if not hit:
                return p0, c, p1
        return p0, (p0 + p1) / 2, p1

    fig.dag_edges = []
    curves = {}
    for a, b, variables in lay.block_edges + lay.marker_edges:
        p0, c, p1 = route(a, b)
        curves[(a, b)] = (p0, c, p1)
        is_block = variables is not None
        arrow = FancyArrowPatch(
            path=Path([p0, c, p1], [Path.MOVETO, Path.CURVE3, Path.CURVE3]),
            arrowstyle="-|>",
            mutation_scale=12,
            color="#333333" if is_block else "#888888",
            linewidth=1.2 if is_block else 0.9,
            linestyle="-" if is_block else "--",
            zorder=1,
            gid=EDGE_GID if is_block else "marker-edge",
        )
        ax.add_patch(arrow)
        if is_block:
            fig.dag_edges.append((label_of[a], label_of[b], list(variables)))

    # --- edge labels, placed greedily where they overlap nothing placed so far
    placed = [(x0 - 0.04, y0 - 0.04, x1 + 0.04, y1 + 0.04) for x0, y0, x1, y1 in boxes.values()]

    def overlap(r1, r2):
        return r1[0] < r2[2] and r2[0] < r1[2] and r1[1] < r2[3] and r2[1] < r1[3]

    # cost of a spot: overlapping texts first, then other edges running under the label
    samples = {k: _bezier(*curve, np.linspace(0.0, 1.0, 120)) for k, curve in curves.items()}
    candidates = [0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.15, 0.85, 0.45, 0.55, 0.35, 0.65]
    block_edges = sorted(lay.block_edges, key=lambda e: lay.col_of[e[1]] - lay.col_of[e[0]])
    for a, b, _ in block_edges:
        p0, c, p1 = curves[(a, b)]
        w, h = edge_size[(a, b)]
        pts = _bezier(p0, c, p1, candidates)
        crossing = [v for k, v in samples.items() if k != (a, b)]
        best, best_cost = pts[0], (np.inf, np.inf)
        for q in pts:
            for dy in (0.0, h * 0.6, -h * 0.6):
                rect = (q[0] - w / 2, q[1] + dy - h / 2, q[0] + w / 2, q[1] + dy + h / 2)
                hits = sum(overlap(rect, o) for o in placed)
                pad = 0.12  # keep clear of other edges, so a label is not read as theirs
                under = sum(
                    int(
                        np.sum(
                            (v[:, 0] > rect[0] - pad)
                            & (v[:, 0] < rect[2] + pad)
                            & (v[:, 1] > rect[1] - pad)
                            & (v[:, 1] < rect[3] + pad)
                        )
                    )
                    for v in crossing
                )
                cost = (hits, under + abs(dy) / h)
                if cost < best_cost:
                    best, best_cost = (q[0], q[1] + dy), cost
        w, h = edge_size[(a, b)]
        placed.append((best[0] - w / 2, best[1] - h / 2, best[0] + w / 2, best[1] + h / 2))
        ax.text(
            best[0],
            best[1],
            edge_text[(a, b)],
            ha="center",
            va="center",
            fontsize=EDGE_FONTSIZE,
            color="#222222",
            bbox=edge_bbox,
            zorder=2,
            gid="edge-label",
        )

    # --- legend
    handles = []
    for k in kinds:
        label, face, edge, _, hatch = BLOCK_STYLES[k]
        handles.append(Patch(facecolor=face, edgecolor=edge, hatch=hatch, label=label))
    for role in roles:
        label, face, edge, _ = VARIABLE_STYLES[role]
        handles.append(Patch(facecolor=face, edgecolor=edge, label=label))
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=per_row,
        frameon=False,
        fontsize=9,
    )
    return fig
