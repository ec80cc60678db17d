"""The model DAG: construction, ordering, cycle and duplicate detection.

Works on any objects with ``name``, ``inputs`` and ``outputs``; imports only
``errors`` (and networkx). Drawing the DAG is in ``plotting``.
"""

from ._dag import build_graph as build_graph
from ._dag import topological_order as topological_order

__all__ = ["build_graph", "topological_order"]
