"""Block kinds: simple, solved, heterogeneous-agent, and combined (models).

The base ``Block`` (``_block.py``, with renamed views), ``_simple.py``, ``_solved.py``,
``_combined.py``, ``_jacobian_block.py`` (stored Jacobians as a block), the parsing and
symbolic helpers, and the heterogeneous-agent block in ``_het/``. May import ``solvers``,
``graph``, ``jacobians``, ``results``, ``errors``, ``utils`` and (lazily, to draw)
``plotting``; never ``backends`` or ``examples``.
"""

from ._block import Block as Block
from ._combined import CombinedBlock as CombinedBlock
from ._combined import combine as combine
from ._combined import create_model as create_model
from ._het import HetBlock as HetBlock
from ._het import het as het
from ._het import young_step as young_step
from ._jacobian_block import JacobianBlock as JacobianBlock
from ._simple import SimpleBlock as SimpleBlock
from ._simple import simple as simple
from ._solved import SolvedBlock as SolvedBlock
from ._solved import solved as solved

__all__ = [
    "Block",
    "CombinedBlock",
    "HetBlock",
    "JacobianBlock",
    "SimpleBlock",
    "SolvedBlock",
    "combine",
    "create_model",
    "het",
    "simple",
    "solved",
    "young_step",
]
