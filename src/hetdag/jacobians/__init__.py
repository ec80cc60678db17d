"""Jacobian containers, shift operators and forward accumulation.

``JacobianDict`` (nested ``J[output][input]``) and ``ShiftMatrix`` (sums of shifted
identities). Imports only ``errors``.
"""

from ._jacobian_dict import JacobianDict as JacobianDict
from ._shift import ShiftMatrix as ShiftMatrix

__all__ = ["JacobianDict", "ShiftMatrix"]
