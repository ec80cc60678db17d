"""The heterogeneous-agent block: its class, law of motion, kernels and Jacobians.

Here live :class:`HetBlock` and :func:`het`, the histogram's law of motion, the numba
kernels (``*_kernels.py``), the fake-news algorithm, the Newton and local backward
iterations and the hetinput/hetoutput chain. May import ``hetdag.blocks._block`` and
``_parsing``, ``errors``, ``jacobians``, ``utils`` and ``solvers._protocol``; never
another block kind or the solvers themselves.
"""

from ._block import HetBlock as HetBlock
from ._block import het as het
from ._law_of_motion import young_step as young_step

__all__ = ["HetBlock", "het", "young_step"]
