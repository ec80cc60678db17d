"""Result objects returned by hetdag solvers."""

from ._results import ImpulseDict as ImpulseDict
from ._results import SteadyState as SteadyState

__all__ = ["ImpulseDict", "SteadyState"]
