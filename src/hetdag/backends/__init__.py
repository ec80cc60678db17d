"""Global solution backends for economies with aggregate risk.

:class:`AggregateRisk` describes the aggregate and idiosyncratic Markov chains;
a :class:`GlobalBackend` solves the household and firm blocks under that risk and
returns a :class:`GlobalSolution`. Available: :mod:`hetdag.backends.krusell_smith`.
"""

from ._base import AggregateRisk as AggregateRisk
from ._base import GlobalBackend as GlobalBackend
from ._base import GlobalSolution as GlobalSolution
from .krusell_smith import KrusellSmithBackend as KrusellSmithBackend
from .krusell_smith import KrusellSmithSolution as KrusellSmithSolution
from .krusell_smith import solve_krusell_smith as solve_krusell_smith

__all__ = [
    "AggregateRisk",
    "GlobalBackend",
    "GlobalSolution",
    "KrusellSmithBackend",
    "KrusellSmithSolution",
    "solve_krusell_smith",
]
