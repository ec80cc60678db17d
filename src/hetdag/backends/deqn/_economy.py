"""The economy as the DEQN backend sees it: checked blocks, grids and price tables (NumPy).

Everything here is NumPy; :meth:`Economy.to_jax` is the one place where the arrays
that training needs become JAX arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ...errors import ModelSpecError
from ...utils.grids import stationary
from .._base import AggregateRisk, firm_prices
from ._ispline import ispline_basis

_PROVIDED = ("a_grid", "y", "r")  # household inputs the backend fills in


def check_household(household, calibration: Mapping) -> dict:
    """The household block's fixed inputs; ``ModelSpecError`` naming the block and why."""
    name = getattr(household, "name", type(household).__name__)
    why = None
    if not all(hasattr(household, k) for k in ("backward", "policy", "f_inputs", "f_outputs")):
        why = "it is not a het block (use @het)"
    elif len(household.policy) != 1 or len(household.backward) != 1:
        why = (
            f"it has policies {household.policy} and backward variables {household.backward}; "
            "the DEQN backend handles one asset (one policy, one backward variable)"
        )
    elif "c" not in household.f_outputs:
        why = "its step does not return consumption 'c'"
    elif household.policy[0] + "_grid" not in household.f_inputs:
        why = f"its step does not take the asset grid {household.policy[0] + '_grid'!r}"
    else:
        lacking = [i for i in ("r", "y", "beta", "eis") if i not in household.f_inputs]
        if lacking:
            why = (
                f"its step does not take {lacking}; the backend needs a CRRA household with "
                "income y, return r, discount factor beta and elasticity eis"
            )
    if why is not None:
        raise ModelSpecError(f"DEQN backend: cannot use household block {name!r}: {why}")
    cont = {household.backward[0] + "_p"}
    need = [i for i in household.f_inputs if i not in cont and i not in _PROVIDED]
    missing = sorted(i for i in need if i not in calibration)
    if missing:
        raise ModelSpecError(
            f"DEQN backend: household block {name!r} needs {missing} in the calibration"
        )
    return {i: calibration[i] for i in need}


def rep_agent_capital(risk: AggregateRisk, calibration: Mapping) -> float:
    """Capital of the representative-agent economy at mean z and L (a reference scale)."""
    beta, alpha, delta = (float(calibration[k]) for k in ("beta", "alpha", "delta"))
    pz = stationary(risk.Pi_z)
    z, L = float(pz @ risk.z), float(pz @ risk.L)
    return L * (alpha * z / (1 / beta - 1 + delta)) ** (1 / (1 - alpha))


@dataclass(eq=False)
class Economy:
    """Grids, chains and prices for one solve (NumPy).

    ``basis`` (n_a, n_basis) holds the I-splines at the MPC schedule's points: the
    borrowing limit, then the midpoints of the asset grid's intervals.
    """

    household: object
    firm: object
    risk: AggregateRisk
    calibration: dict
    a_grid: NDArray
    n_basis: int = 30
    spline_shift: float = 0.5
    K_table_range: tuple[float, float] = (0.5, 2.0)
    n_K_table: int = 4001
    hh_values: dict = field(default_factory=dict)

    def __post_init__(self):
        self.hh_values = check_household(self.household, self.calibration)
        for k in ("beta", "eis"):
            if not np.ndim(self.calibration[k]) == 0:
                raise ModelSpecError(f"DEQN backend: {k!r} must be a scalar")
        self.beta = float(self.calibration["beta"])
        self.eis = float(self.calibration["eis"])
        g = self.a_grid
        pts = np.concatenate([g[:1], 0.5 * (g[1:] + g[:-1])])
        self.basis = ispline_basis(pts, g[0], g[-1], self.n_basis, self.spline_shift)
        self.K_ref = rep_agent_capital(self.risk, self.calibration)
        lo, hi = self.K_table_range
        self.K_table = self.K_ref * np.exp(np.linspace(np.log(lo), np.log(hi), self.n_K_table))
        self.r_table, self.w_table = self.prices(
            self.K_table[None, :], np.arange(self.risk.n_z)[:, None]
        )
        n_z, n_e = self.risk.n_z, self.risk.n_e
        self.Pi4 = self.risk.Pi.reshape(n_z, n_e, n_z, n_e)
        self.Pi_cond = self.risk.Pi_cond
        if np.any(self.risk.income * self.w_table.min() + self.r_table.min() * g[0] <= 0):
            raise ModelSpecError(
                "DEQN backend: income at the borrowing limit must be positive in every state "
                "(the MPC head needs positive cash on hand net of the limit)"
            )

    @property
    def n_a(self) -> int:
        return int(self.a_grid.size)

    def prices(self, K, z) -> tuple[NDArray, NDArray]:
        """``(r, w)`` from the firm block at capital ``K`` and aggregate state index ``z``."""
        z = np.asarray(z, dtype=np.int64)
        return firm_prices(self.firm, self.calibration, K, self.risk.z[z], self.risk.L[z])

    def to_jax(self, dtype) -> dict:
        """The arrays training needs, as JAX arrays of ``dtype`` (the one conversion point)."""
        import jax.numpy as jnp

        f = lambda x: jnp.asarray(np.asarray(x, dtype=np.float64), dtype=dtype)  # noqa: E731
        return {
            "a_grid": f(self.a_grid),
            "basis": f(self.basis),
            "logK_table": f(np.log(self.K_table)),
            "r_table": f(self.r_table),
            "w_table": f(self.w_table),
            "income": f(self.risk.income),
            "Pi4": f(self.Pi4),
            "Pi_cond": f(self.Pi_cond),
            "Pi_z": f(self.risk.Pi_z),
            "z_code": f(z_code(self.risk.z)),
            "beta": f(self.beta),
            "eis": f(self.eis),
        }


def z_code(z: NDArray) -> NDArray:
    """Network code of each aggregate state: ±1 for two states, standardized z otherwise."""
    z = np.asarray(z, dtype=float)
    if z.size == 1:
        return np.zeros(1)
    if z.size == 2:
        return np.array([-1.0, 1.0]) if z[0] < z[1] else np.array([1.0, -1.0])
    sd = z.std()
    return (z - z.mean()) / sd if sd > 0 else np.zeros_like(z)
