"""sequence-jacobian's ``drawdag`` name, on hetdag's matplotlib drawing."""

from __future__ import annotations

from ._dag_plot import draw_dag


def drawdag(model, exogenous=None, unknowns=None, targets=None, **kwargs):
    """sequence-jacobian's ``drawdag``: ``model.draw(unknowns, targets, inputs=exogenous)``,
    a matplotlib figure (no graphviz needed). SSJ's ``leftright``, ``save`` and
    ``savepath`` are accepted; ``savepath`` saves the figure there."""
    kwargs.pop("leftright", None)
    save, savepath = kwargs.pop("save", False), kwargs.pop("savepath", None)
    fig = draw_dag(model, unknowns=unknowns, targets=targets, inputs=exogenous, **kwargs)
    if save or savepath:
        fig.savefig(savepath or f"{model.name}_dag.png")
    return fig
