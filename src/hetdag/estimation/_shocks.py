"""Exogenous shock processes: the path of a shock after a unit innovation at date 0.

``AR1``:     z_t = rho z_{t-1} + eps_t,                        path_t = rho^t
``ARMA11``:  z_t = rho z_{t-1} + eps_t + theta eps_{t-1},      path_0 = 1,
             path_t = rho^{t-1} (rho + theta) for t >= 1
``eps_t ~ N(0, sigma^2)``. The values given here are those used for parameters that are
not estimated; estimated ones are named ``{param}_{shock}`` (``rho_Z``, ``sigma_Z``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from ..errors import ModelSpecError


class ShockProcess:
    """Base class: ``params`` (names), ``values`` (defaults) and ``path(T, values)``."""

    params: tuple[str, ...] = ()

    def __init__(self, **values: float):
        for k, v in values.items():
            if not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(v):
                raise ModelSpecError(f"{type(self).__name__}: {k}={v!r} must be a finite number")
        self.values = {k: float(v) for k, v in values.items()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.values.items())
        return f"{type(self).__name__}({args})"

    def path(self, T: int, values: dict) -> NDArray[np.float64]:  # pragma: no cover
        raise NotImplementedError


class AR1(ShockProcess):
    """AR(1) shock with persistence ``rho`` and innovation sd ``sigma``."""

    params = ("rho", "sigma")

    def __init__(self, rho: float = 0.9, sigma: float = 1.0):
        super().__init__(rho=rho, sigma=sigma)

    def path(self, T: int, values: dict) -> NDArray[np.float64]:
        return values["rho"] ** np.arange(T)


class ARMA11(ShockProcess):
    """ARMA(1,1) shock: ``z_t = rho z_{t-1} + eps_t + theta eps_{t-1}``."""

    params = ("rho", "theta", "sigma")

    def __init__(self, rho: float = 0.9, theta: float = 0.0, sigma: float = 1.0):
        super().__init__(rho=rho, theta=theta, sigma=sigma)

    def path(self, T: int, values: dict) -> NDArray[np.float64]:
        rho, theta = values["rho"], values["theta"]
        out = np.empty(T)
        out[0] = 1.0
        if T > 1:
            out[1:] = (rho + theta) * rho ** np.arange(T - 1)
        return out
