"""Jacobian containers, shift operators, H_U factored, and forward accumulation.

``JacobianDict`` (nested ``J[output][input]``), ``ShiftMatrix`` (sums of shifted
identities) and ``FactoredJacobianDict``. May import ``hetdag.errors`` and
``hetdag.results`` only; the blocks and solvers use it.
"""

from ._factored import FactoredJacobianDict as FactoredJacobianDict
from ._jacobian_dict import JacobianDict as JacobianDict
from ._shift import ShiftMatrix as ShiftMatrix

__all__ = ["FactoredJacobianDict", "JacobianDict", "ShiftMatrix"]
