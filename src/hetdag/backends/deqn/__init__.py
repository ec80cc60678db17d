"""Deep equilibrium nets (DEQN): a global backend trained by stochastic gradient descent.

The network maps an encoding of the aggregate state (the last ``H`` aggregate shocks, or
a coarse histogram plus ``z``) to a shape-preserving consumption policy on the
household block's asset grid; aggregate capital comes from Young's histogram, so
markets clear exactly. Needs the optional extra: ``pip install "hetdag[deqn]"``. May
import JAX and optax (here only), ``backends`` (the base and the shared accuracy and path
code), ``blocks`` (public names), ``errors`` and ``utils``.
"""

from ._jax import require_jax

require_jax()

from ._backend import DeqnBackend as DeqnBackend  # noqa: E402
from ._backend import solve_deqn as solve_deqn  # noqa: E402
from ._ispline import fischer_burmeister as fischer_burmeister  # noqa: E402
from ._ispline import ispline_basis as ispline_basis  # noqa: E402
from ._ispline import mpc_consumption as mpc_consumption  # noqa: E402
from ._jax_sim import young_step_jax as young_step_jax  # noqa: E402
from ._solution import DeqnSolution as DeqnSolution  # noqa: E402

__all__ = [
    "DeqnBackend",
    "DeqnSolution",
    "fischer_burmeister",
    "ispline_basis",
    "mpc_consumption",
    "solve_deqn",
    "young_step_jax",
]
