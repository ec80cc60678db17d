"""Grids and Markov chains (``hetdag.grids``), under sequence-jacobian's names as well.

The routines live in :mod:`hetdag.utils.grids`; this module is the public path, so that
``from hetdag import grids`` and ``import hetdag.grids`` both work as they do for
sequence-jacobian users.
"""

from .utils.grids import agrid as agrid
from .utils.grids import asset_grid as asset_grid
from .utils.grids import markov_check as markov_check
from .utils.grids import markov_rouwenhorst as markov_rouwenhorst
from .utils.grids import markov_tauchen as markov_tauchen
from .utils.grids import rouwenhorst as rouwenhorst
from .utils.grids import stationary as stationary
from .utils.grids import tauchen as tauchen
from .utils.grids import uniform_grid as uniform_grid

__all__ = [
    "agrid",
    "asset_grid",
    "markov_check",
    "markov_rouwenhorst",
    "markov_tauchen",
    "rouwenhorst",
    "stationary",
    "tauchen",
    "uniform_grid",
]
