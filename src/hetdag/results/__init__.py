"""Result objects returned by hetdag solvers: ``SteadyState`` and ``ImpulseDict``.

Imports only ``errors`` (and, lazily, ``plotting`` for ``.plot()``).
"""

from ._results import ImpulseDict as ImpulseDict
from ._results import SteadyState as SteadyState

__all__ = ["ImpulseDict", "SteadyState"]
