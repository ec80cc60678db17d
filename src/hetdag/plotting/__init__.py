"""Pictures of models and results: the model DAG, IRF panels, policies and distributions.

matplotlib is imported inside each function, so importing hetdag never imports it.
Takes blocks and results as plain objects; imports only ``errors``.
"""

from ._dag_plot import draw_dag as draw_dag
from ._drawdag import drawdag as drawdag
from ._het_plot import plot_distribution as plot_distribution
from ._het_plot import plot_distribution_response as plot_distribution_response
from ._het_plot import plot_policy as plot_policy
from ._irf_plot import plot_irfs as plot_irfs

__all__ = [
    "draw_dag",
    "drawdag",
    "plot_distribution",
    "plot_distribution_response",
    "plot_irfs",
    "plot_policy",
]
