"""sequence-jacobian's ``classes`` module path: ``from hetdag.classes import
FactoredJacobianDict`` (its two-asset tutorial) and the other result classes under the
names SSJ users import them by."""

from .jacobians import FactoredJacobianDict as FactoredJacobianDict
from .jacobians import JacobianDict as JacobianDict
from .results import ImpulseDict as ImpulseDict
from .results import SteadyState as SteadyStateDict

__all__ = ["FactoredJacobianDict", "ImpulseDict", "JacobianDict", "SteadyStateDict"]
