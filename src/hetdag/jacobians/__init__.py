"""Jacobian containers, shift operators and forward accumulation."""

from ._jacobian_dict import JacobianDict as JacobianDict
from ._shift import ShiftMatrix as ShiftMatrix

__all__ = ["JacobianDict", "ShiftMatrix"]
