"""Global solution backends for economies with aggregate risk.

:class:`AggregateRisk` describes the aggregate and idiosyncratic Markov chains;
a :class:`GlobalBackend` solves the household and firm blocks under that risk and
returns a :class:`GlobalSolution`. Available: :mod:`hetdag.backends.krusell_smith`
and :mod:`hetdag.backends.deqn` (deep equilibrium nets; needs the ``deqn`` extra and
is imported on first use, so ``import hetdag`` never imports JAX). Backends may import
``blocks`` (public names), ``errors``, ``results`` and ``utils``; nothing but
``examples`` imports them.
"""

from ._base import AggregateRisk as AggregateRisk
from ._base import GlobalBackend as GlobalBackend
from ._base import GlobalSolution as GlobalSolution
from .krusell_smith import KrusellSmithBackend as KrusellSmithBackend
from .krusell_smith import KrusellSmithSolution as KrusellSmithSolution
from .krusell_smith import solve_krusell_smith as solve_krusell_smith

_LAZY = {"DeqnBackend", "DeqnSolution", "solve_deqn"}

__all__ = [
    "AggregateRisk",
    "DeqnBackend",
    "DeqnSolution",
    "GlobalBackend",
    "GlobalSolution",
    "KrusellSmithBackend",
    "KrusellSmithSolution",
    "solve_deqn",
    "solve_krusell_smith",
]


def __getattr__(name: str):
    if name in _LAZY:
        from . import deqn

        return getattr(deqn, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
