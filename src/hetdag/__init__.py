"""hetdag: heterogeneous-agent macro models as graphs of blocks, solved in the sequence space.

Declare blocks with :func:`simple`, :func:`solved` and :func:`het`, combine them with
:func:`create_model`, then call ``solve_steady_state``, ``solve_jacobian``,
``solve_impulse_linear`` and ``solve_impulse_nonlinear`` on the model.
"""

from . import classes as classes
from . import errors as errors
from . import grids as grids
from . import interpolate as interpolate
from . import misc as misc
from .blocks import Block as Block
from .blocks import CombinedBlock as CombinedBlock
from .blocks import HetBlock as HetBlock
from .blocks import JacobianBlock as JacobianBlock
from .blocks import SimpleBlock as SimpleBlock
from .blocks import SolvedBlock as SolvedBlock
from .blocks import combine as combine
from .blocks import create_model as create_model
from .blocks import het as het
from .blocks import simple as simple
from .blocks import solved as solved
from .blocks import young_step as young_step
from .grids import agrid as agrid  # sequence-jacobian's top-level names (its tutorials use them)
from .grids import markov_rouwenhorst as markov_rouwenhorst
from .grids import markov_tauchen as markov_tauchen
from .interpolate import interpolate_y as interpolate_y
from .jacobians import FactoredJacobianDict as FactoredJacobianDict
from .jacobians import JacobianDict as JacobianDict
from .jacobians import ShiftMatrix as ShiftMatrix
from .plotting import drawdag as drawdag
from .results import ImpulseDict as ImpulseDict
from .results import SteadyState as SteadyState
from .results import SteadyState as SteadyStateDict  # sequence-jacobian's name

__version__ = "0.1.0"


__all__ = [
    "Block",
    "CombinedBlock",
    "HetBlock",
    "FactoredJacobianDict",
    "ImpulseDict",
    "JacobianBlock",
    "JacobianDict",
    "ShiftMatrix",
    "SimpleBlock",
    "SolvedBlock",
    "SteadyState",
    "SteadyStateDict",
    "agrid",
    "classes",
    "combine",
    "create_model",
    "drawdag",
    "errors",
    "grids",
    "het",
    "interpolate",
    "interpolate_y",
    "markov_rouwenhorst",
    "markov_tauchen",
    "misc",
    "simple",
    "solved",
    "young_step",
]
