"""The Den Haan–Judd–Juillard (2010) calibration of Krusell–Smith (1998).

Two aggregate states (bad, good) with productivity ``z``, unemployment ``u_z`` and a
symmetric chain with mean duration ``d_z``: ``Pi_z[z, z] = 1 - 1/d_z``. Unemployment
spells in state z last ``d_u[z]`` quarters, so ``P(u -> u | z -> z) = 1 - 1/d_u[z]``;
when the state switches, ``P(u -> u | g -> b) = 1.25 P(u -> u | b -> b)`` and
``P(u -> u | b -> g) = 0.75 P(u -> u | g -> g)``. The job-loss probabilities follow
from requiring that ``u_z`` becomes ``u_z'``:

.. math::

    u_z\\, p_{uu}(z, z') + (1 - u_z)\\, p_{eu}(z, z') = u_{z'}.

Employed households supply ``l_bar`` and earn ``(1 - tau_z) w l_bar``, the unemployed
receive ``mu w``; ``tau_z = mu u_z / (l_bar (1 - u_z))`` balances the budget, and
``L_z = (1 - u_z) l_bar``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...errors import ModelSpecError
from .._base import AggregateRisk

__all__ = ["djj_calibration", "djj_aggregate_risk", "employment_transition"]


def djj_calibration() -> dict[str, float]:
    """Household and firm parameters: ``beta, eis, alpha, delta`` (quarterly)."""
    return {"beta": 0.99, "eis": 1.0, "alpha": 0.36, "delta": 0.025}


def employment_transition(Pi_z: ArrayLike, u: ArrayLike, p_uu: ArrayLike) -> NDArray[np.float64]:
    """Joint (z, e) chain with e in (unemployed, employed), ordered z-major.

    Parameters
    ----------
    Pi_z : array, shape (n_z, n_z)
        Aggregate chain.
    u : array, shape (n_z,)
        Unemployment rate in each aggregate state.
    p_uu : array, shape (n_z, n_z)
        ``P(u -> u | z -> z')``; ``p_eu`` follows from ``u_z`` becoming ``u_z'``.

    Returns
    -------
    ndarray, shape (2 n_z, 2 n_z)
        ``Pi[(z, e), (z', e')] = Pi_z[z, z'] P(e' | e, z, z')``.

    Raises
    ------
    ModelSpecError
        If an implied probability lies outside [0, 1].
    """
    Pi_z, u, p_uu = (np.asarray(x, dtype=float) for x in (Pi_z, u, p_uu))
    n_z = u.size
    if Pi_z.shape != (n_z, n_z) or p_uu.shape != (n_z, n_z):
        raise ModelSpecError(
            f"employment_transition: 'Pi_z' {Pi_z.shape} and 'p_uu' {p_uu.shape} must be "
            f"({n_z}, {n_z}) for {n_z} unemployment rates"
        )
    if np.any(u <= 0) or np.any(u >= 1):
        raise ModelSpecError(f"employment_transition: 'u' must lie in (0, 1), got {u.tolist()}")
    p_eu = (u[None, :] - u[:, None] * p_uu) / (1 - u[:, None])
    for name, p in (("p_uu", p_uu), ("p_eu", p_eu)):
        if np.any(p < -1e-14) or np.any(p > 1 + 1e-14):
            z, zp = np.argwhere((p < -1e-14) | (p > 1 + 1e-14))[0]
            raise ModelSpecError(
                f"employment_transition: implied {name}[{z}, {zp}] = {p[z, zp]!r} is not a "
                "probability; the durations and unemployment rates are incompatible"
            )
    Pi = np.empty((n_z, 2, n_z, 2))
    Pi[:, 0, :, 0] = p_uu
    Pi[:, 0, :, 1] = 1 - p_uu
    Pi[:, 1, :, 0] = p_eu
    Pi[:, 1, :, 1] = 1 - p_eu
    Pi *= Pi_z[:, None, :, None]
    return np.clip(Pi, 0.0, 1.0).reshape(2 * n_z, 2 * n_z)


def djj_aggregate_risk(
    z: Sequence[float] = (0.99, 1.01),
    u: Sequence[float] = (0.10, 0.04),
    duration_z: float = 8.0,
    duration_u: Sequence[float] = (2.5, 1.5),
    uu_good_to_bad: float = 1.25,
    uu_bad_to_good: float = 0.75,
    l_bar: float = 1 / 0.9,
    mu: float = 0.15,
) -> AggregateRisk:
    """The DJJ (2010) aggregate risk: states (bad, good) x (unemployed, employed).

    Parameters
    ----------
    z : (z_bad, z_good)
        Aggregate productivity.
    u : (u_bad, u_good)
        Unemployment rates.
    duration_z : float
        Mean duration of an aggregate state in quarters (> 1).
    duration_u : (bad, good)
        Mean unemployment duration in quarters within each state (> 1).
    uu_good_to_bad, uu_bad_to_good : float
        ``P(u->u | g->b) / P(u->u | b->b)`` and ``P(u->u | b->g) / P(u->u | g->g)``.
    l_bar : float
        Time endowment of the employed.
    mu : float
        Unemployment benefit in units of the wage.

    Raises
    ------
    ModelSpecError
        For durations <= 1, rates outside (0, 1), nonpositive ``l_bar``, negative
        ``mu`` or a tax rate >= 1.

    Example
    -------
    >>> risk = djj_aggregate_risk()
    >>> risk.Pi[0].round(6).tolist()
    [0.525, 0.35, 0.03125, 0.09375]
    """
    z = np.asarray(z, dtype=float)
    u = np.asarray(u, dtype=float)
    d_u = np.asarray(duration_u, dtype=float)
    if z.shape != (2,) or u.shape != (2,) or d_u.shape != (2,):
        raise ModelSpecError(
            "djj_aggregate_risk: 'z', 'u' and 'duration_u' need two values (bad, good), got "
            f"{z.tolist()}, {u.tolist()}, {d_u.tolist()}"
        )
    if not duration_z > 1 or np.any(d_u <= 1):
        raise ModelSpecError(
            f"djj_aggregate_risk: mean durations must exceed one quarter, got duration_z="
            f"{duration_z!r}, duration_u={d_u.tolist()}"
        )
    if not l_bar > 0 or not mu >= 0:
        raise ModelSpecError(
            f"djj_aggregate_risk: need l_bar > 0 and mu >= 0, got {l_bar!r}, {mu!r}"
        )
    if np.any(u <= 0) or np.any(u >= 1):
        raise ModelSpecError(f"djj_aggregate_risk: 'u' must lie in (0, 1), got {u.tolist()}")
    p = 1 - 1 / duration_z
    Pi_z = np.array([[p, 1 - p], [1 - p, p]])
    stay = 1 - 1 / d_u
    p_uu = np.array([[stay[0], uu_bad_to_good * stay[1]], [uu_good_to_bad * stay[0], stay[1]]])
    Pi = employment_transition(Pi_z, u, p_uu)
    tau = mu * u / (l_bar * (1 - u))
    if np.any(tau >= 1):
        raise ModelSpecError(f"djj_aggregate_risk: labour tax tau = {tau.tolist()} must be < 1")
    income = np.column_stack([np.full(2, mu), (1 - tau) * l_bar])
    labor = np.column_stack([np.zeros(2), np.full(2, l_bar)])
    return AggregateRisk(
        z=z,
        Pi_z=Pi_z,
        Pi=Pi,
        e_dist=np.column_stack([u, 1 - u]),
        labor=labor,
        income=income,
        z_labels=("bad", "good"),
        e_labels=("unemployed", "employed"),
    )
