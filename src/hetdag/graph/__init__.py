"""The model DAG: construction, ordering, cycle and duplicate detection, drawing."""

from ._dag import build_graph as build_graph
from ._dag import topological_order as topological_order

__all__ = ["build_graph", "topological_order"]
