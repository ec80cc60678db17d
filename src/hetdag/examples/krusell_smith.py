"""Krusell–Smith economy in the sequence space (no aggregate risk; MIT shocks).

Households (one asset, inelastic labour e) save in capital; a Cobb–Douglas firm
pays r_t = alpha Z_t (K_{t-1}/L)^{alpha-1} - delta and w_t = (1-alpha) Z_t (K_{t-1}/L)^alpha.
Equilibrium: asset_mkt_t = A_t - K_t = 0, with unknown K.

Calibration (steady-state targets): r = 0.01 and Y = 1 pin K and Z analytically;
beta is found by Brent's method so that households hold K.
"""

from __future__ import annotations

import numpy as np

from .. import create_model, simple
from ._household import household, income, make_grids
from .rbc import Example
from .rbc import firm as firm  # the same Cobb-Douglas firm as the RBC


@simple
def mkt_clearing(K, A, Y, C, delta):
    asset_mkt = A - K
    goods_mkt = Y - C - (K - (1 - delta) * K(-1))
    return asset_mkt, goods_mkt


def build_household():
    return household.add_hetinputs([make_grids, income])


def build_model():
    return create_model([build_household(), firm, mkt_clearing], name="Krusell-Smith")


def calibration(n_e: int = 7, n_a: int = 500, r: float = 0.01, Y: float = 1.0) -> dict:
    alpha, delta, L = 0.11, 0.025, 1.0
    K = alpha * Y / (r + delta)
    Z = Y / (K**alpha * L ** (1 - alpha))
    return {
        "eis": 1.0,
        "delta": delta,
        "alpha": alpha,
        "rho_e": 0.966,
        "sd_e": 0.5,
        "L": L,
        "n_e": n_e,
        "n_a": n_a,
        "min_a": 0.0,
        "max_a": 200.0,
        "K": K,
        "Z": Z,
    }


def steady_state(model=None, n_e: int = 7, n_a: int = 500, **kwargs):
    model = model or build_model()
    return model.solve_steady_state(
        calibration(n_e, n_a),
        unknowns={"beta": (0.97, 0.99)},
        targets={"asset_mkt": 0.0},
        **kwargs,
    )


def example(n_e: int = 7, n_a: int = 500) -> Example:
    model = build_model()
    ss = steady_state(model, n_e, n_a)
    return Example(model, ss, ["K"], ["asset_mkt"], ["Z"])


def shock(T: int = 300, rho: float = 0.9, size: float = 0.01) -> dict:
    return {"Z": size * rho ** np.arange(T)}


def solve_aggregate_risk(method: str = "krusell_smith", **overrides):
    """Krusell–Smith with aggregate risk, DJJ (2010) calibration, by a global backend.

    ``method`` picks the backend: ``"krusell_smith"`` (forecasting rule on an (a, K)
    grid; :class:`~hetdag.backends.krusell_smith.KrusellSmithBackend`) or ``"deqn"``
    (deep equilibrium nets; :class:`~hetdag.backends.deqn.DeqnBackend`, needs the
    ``deqn`` extra). The model is the same: this module's ``firm`` and the shared EGM
    ``household`` block.

    Keyword overrides go to :func:`~hetdag.backends.krusell_smith.djj_calibration`
    (``beta, eis, alpha, delta``), :func:`~hetdag.backends.krusell_smith.djj_aggregate_risk`
    (``z, u, duration_z, duration_u, uu_good_to_bad, uu_bad_to_good, l_bar, mu``) or the
    backend (grids, path lengths, seeds, ``tol``, ``progress``...). Returns the backend's
    solution (a ``GlobalSolution``).

    The Krusell–Smith backend's defaults: 200 asset points up to 1000, 6 points in K, the
    rule estimated by OLS on a 100,000-period histogram path (seed 0, 1,000 dropped) and
    the Den Haan statistic on an independent 10,000-period path (seed 1).
    """
    import inspect

    from ..backends.krusell_smith import djj_aggregate_risk, djj_calibration, solve_krusell_smith
    from ..errors import ModelSpecError
    from ._household import household

    if method not in ("krusell_smith", "deqn"):
        raise ModelSpecError(
            f"solve_aggregate_risk: method must be 'krusell_smith' or 'deqn', got {method!r}"
        )
    cal = djj_calibration()
    risk_args = inspect.signature(djj_aggregate_risk).parameters
    risk_kw = {k: overrides.pop(k) for k in list(overrides) if k in risk_args}
    cal.update({k: overrides.pop(k) for k in list(overrides) if k in cal})
    risk = djj_aggregate_risk(**risk_kw)
    if method == "deqn":
        from ..backends.deqn import solve_deqn

        return solve_deqn(household, firm, risk, cal, **overrides)
    return solve_krusell_smith(household, firm, risk, cal, **overrides)
