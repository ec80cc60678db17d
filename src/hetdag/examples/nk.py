"""Three-equation New Keynesian model, in deviations from a zero-inflation steady state.

    is_t   = y_t - y_{t+1} + sigma (i_t - pi_{t+1} - rstar_t) = 0   (dynamic IS)
    nkpc_t = kappa y_t + beta pi_{t+1} - pi_t = 0                   (Phillips curve)
    i_t    = phi pi_t + v_t                                         (Taylor rule)

Unknowns y, pi; targets is_, nkpc; shocks v (monetary) and rstar (natural rate).
With v_t = rho^t v_0 the solution is y_t = a v_t, pi_t = b v_t where
b = kappa a / (1 - beta rho) and a = -sigma / ((1 - rho) + sigma kappa (phi - rho)/(1 - beta rho)).
A Taylor coefficient phi < 1 makes the model indeterminate.
"""

from __future__ import annotations

from .. import create_model, simple
from .rbc import Example


@simple
def taylor(pi, v, phi):
    i = phi * pi + v
    return i


@simple
def equations(y, pi, i, rstar, sigma, kappa, beta):
    is_ = y - y(+1) + sigma * (i - pi(+1) - rstar)
    nkpc = kappa * y + beta * pi(+1) - pi
    return is_, nkpc


def calibration(phi: float = 1.5) -> dict:
    return {
        "y": 0.0,
        "pi": 0.0,
        "v": 0.0,
        "rstar": 0.0,
        "phi": phi,
        "sigma": 1.0,
        "kappa": 0.1,
        "beta": 0.99,
    }


def build_model():
    return create_model([taylor, equations], name="NK")


def closed_form(
    rho: float, phi: float = 1.5, sigma: float = 1.0, kappa: float = 0.1, beta: float = 0.99
) -> tuple[float, float]:
    """Coefficients (a, b) of y_t = a v_t and pi_t = b v_t for an AR(1) monetary shock."""
    a = -sigma / ((1 - rho) + sigma * kappa * (phi - rho) / (1 - beta * rho))
    return a, kappa * a / (1 - beta * rho)


def example(phi: float = 1.5) -> Example:
    model = build_model()
    ss = model.steady_state(calibration(phi))
    return Example(model, ss, ["y", "pi"], ["is_", "nkpc"], ["v", "rstar"])
