"""Standard households, as sequence-jacobian users import them (``hetdag.hetblocks``).

Each module holds one heterogeneous-agent block under sequence-jacobian's names, with
the same inputs and outputs, so that a model written for sequence-jacobian runs with the
import changed: :mod:`.hh_sim` (consumption-savings), :mod:`.hh_labor` (with labour
supply), :mod:`.hh_twoasset` (liquid and illiquid assets). Written for hetdag; they may
import ``hetdag.blocks``, ``hetdag.errors`` and ``hetdag.utils`` only.
"""

from . import hh_labor as hh_labor
from . import hh_sim as hh_sim
from . import hh_twoasset as hh_twoasset

__all__ = ["hh_labor", "hh_sim", "hh_twoasset"]
