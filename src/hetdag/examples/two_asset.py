"""Two-asset HANK model, in the spirit of Auclert, Bardóczy, Rognlie and Straub (2021).

Households (:mod:`._two_asset_household`) hold liquid bonds b (return rb) and an
illiquid account a (return ra) that is costly to adjust; they supply labour N, set by a
wage union, and earn ``y = (1 - tax) w N e``. Time t variables; ``x(-1)`` a lag and
``x(+1)`` a lead; K is end-of-period capital.

Production (solved block for Q, K given Y, w, r)::

    N   = (Y / (Z K(-1)^alpha))^(1/(1-alpha)),        mc = w N / ((1-alpha) Y)
    inv = (K/K(-1) - 1) / (delta epsI) + 1 - Q = 0                       (Tobin's q)
    val = alpha Z(+1) (N(+1)/K)^(1-alpha) mc(+1)
          - [K(+1)/K - (1-delta) + (K(+1)/K - 1)^2 / (2 delta epsI)]
          + K(+1)/K Q(+1) - (1 + r(+1)) Q = 0                            (value of capital)

Pricing (solved block for pi)::

    nkpc = kappap (mc - 1/mup) + Y(+1)/Y log(1+pi(+1)) / (1+r(+1)) - log(1+pi) = 0

Dividends and equity (solved block for p)::

    I = K - (1-delta) K(-1) + K(-1) (K/K(-1) - 1)^2 / (2 delta epsI)
    psip = mup / (mup-1) / (2 kappap) log(1+pi)^2 Y,   div = Y - w N - I - psip
    equity = div(+1) + p(+1) - p (1 + r(+1)) = 0

Policy, returns and the wage Phillips curve::

    i = rstar + phi pi,                 tax = (r Bg + G) / (w N)
    rb = r - omega,   ra = pshare (div + p) / p(-1) + (1 - pshare)(1 + r) - 1
    fisher = 1 + i(-1) - (1 + pi)(1 + r)                 (r is the ex-post real rate)
    piw = (1 + pi) w / w(-1) - 1
    wnkpc = kappaw (vphi N^(1+1/frisch) - (1-tax) w N UCE / muw)
            + beta log(1+piw(+1)) - log(1+piw)

Market clearing: ``asset_mkt = p + Bg - A - B`` (households hold equity and government
bonds; the illiquid account holds all equity and the bonds not held as b) and
``goods_mkt = C + I + G + CHI + psip + omega B - Y`` (intermediation of liquid
deposits costs omega per unit; CHI are adjustment costs). General equilibrium:
unknowns r, w, Y; targets asset_mkt, fisher, wnkpc; shocks rstar (monetary), Z, G.

Calibration (quarterly): r = 0.0125, omega = 0.005, Y = N = 1, pi = 0, total
wealth A + B = 14, liquid wealth B = 1.04, Bg = 2.8, G = 0.2, mup = 1.015, muw = 1.1.
Analytically: mc = 1/mup, p = 14 - Bg, alpha so that div = r p, then K, Z, w, tax.
``beta`` and ``chi1`` are found so that households hold B = 1.04 and A + B = 14
(Newton), and ``vphi`` so that wnkpc = 0 at N = 1.

Determinacy: household wealth responds to a one-off change in r for decades, so the
columns of H_U decay slowly and the winding-number check, which reads the Toeplitz
symbol off one column truncated at T/2 periods, is unreliable below T ~ 1000 (it
reports a spurious nonzero winding number at T = 300 and 0 at T = 1000). The model
from :func:`build_model` therefore solves with ``check_determinacy=False``
(``SOLVE_OPTIONS``, its ``solve_defaults``) unless a call says otherwise; impulse
responses at T = 300 agree with T = 1000 to ~1e-4.

Example
-------
>>> from hetdag.examples import two_asset
>>> ex = two_asset.example(n_e=2, n_b=10, n_a=12)  # a small grid
>>> irf = ex.model.solve_impulse_linear(
...     ex.ss, ex.unknowns, ex.targets, two_asset.shock(T=60), **two_asset.SOLVE_OPTIONS
... )
>>> bool(irf["Y"][0] < 0 and irf["pi"][0] < 0)  # a monetary tightening
True
"""

from __future__ import annotations

import numpy as np

from .. import (
    CombinedBlock,
    HetBlock,
    SolvedBlock,
    SteadyState,
    combine,
    create_model,
    simple,
    solved,
)
from ._two_asset_household import household, income, make_grids
from .rbc import Example

#: Options for ``solve_jacobian`` / ``solve_impulse_*`` at horizons below ~1000 (see the
#: note on determinacy above).
SOLVE_OPTIONS = {"check_determinacy": False}


@simple
def labor(Y, w, K, Z, alpha):
    N = (Y / Z / K(-1) ** alpha) ** (1 / (1 - alpha))
    mc = w * N / (1 - alpha) / Y
    return N, mc


@simple
def investment(Q, K, r, N, mc, Z, delta, epsI, alpha):
    inv = (K / K(-1) - 1) / (delta * epsI) + 1 - Q
    val = (
        alpha * Z(+1) * (N(+1) / K) ** (1 - alpha) * mc(+1)
        - (K(+1) / K - (1 - delta) + (K(+1) / K - 1) ** 2 / (2 * delta * epsI))
        + K(+1) / K * Q(+1)
        - (1 + r(+1)) * Q
    )
    return inv, val


@solved(unknowns={"pi": (-0.1, 0.1)}, targets=["nkpc"])
def pricing(pi, mc, r, Y, kappap, mup):
    nkpc = kappap * (mc - 1 / mup) + Y(+1) / Y * np.log(1 + pi(+1)) / (1 + r(+1)) - np.log(1 + pi)
    return nkpc


@simple
def dividend(Y, w, N, K, pi, mup, kappap, delta, epsI):
    psip = mup / (mup - 1) / (2 * kappap) * np.log(1 + pi) ** 2 * Y
    I = K - (1 - delta) * K(-1) + K(-1) * (K / K(-1) - 1) ** 2 / (2 * delta * epsI)
    div = Y - w * N - I - psip
    return psip, I, div


@solved(unknowns={"p": (1.0, 500.0)}, targets=["equity"])
def arbitrage(div, p, r):
    equity = div(+1) + p(+1) - p * (1 + r(+1))
    return equity


@simple
def taylor(rstar, pi, phi):
    i = rstar + phi * pi
    return i


@simple
def fiscal(r, w, N, G, Bg):
    tax = (r * Bg + G) / (w * N)
    return tax


@simple
def finance(i, p, pi, r, div, omega, pshare):
    rb = r - omega
    ra = pshare * (div + p) / p(-1) + (1 - pshare) * (1 + r) - 1
    fisher = 1 + i(-1) - (1 + pi) * (1 + r)
    return rb, ra, fisher


@simple
def wage(pi, w):
    piw = (1 + pi) * w / w(-1) - 1
    return piw


@simple
def union(piw, N, tax, w, UCE, kappaw, muw, vphi, frisch, beta):
    wnkpc = (
        kappaw * (vphi * N ** (1 + 1 / frisch) - (1 - tax) * w * N * UCE / muw)
        + beta * np.log(1 + piw(+1))
        - np.log(1 + piw)
    )
    return wnkpc


@simple
def mkt_clearing(p, A, B, Bg, C, I, G, CHI, psip, omega, Y):
    wealth = A + B
    asset_mkt = p + Bg - wealth
    goods_mkt = C + I + G + CHI + psip + omega * B - Y
    return wealth, asset_mkt, goods_mkt


def build_household() -> HetBlock:
    """The two-asset household with its grids and income as hetinputs."""
    return household.add_hetinputs([make_grids, income])


def build_production(K_guess: float = 10.0) -> SolvedBlock:
    """Labour demand and Tobin's q, solved for Q and K given Y, w, r and Z."""
    return combine([labor, investment], name="production").solved(
        unknowns={"Q": 1.0, "K": K_guess}, targets=["inv", "val"]
    )


def build_model() -> CombinedBlock:
    """The two-asset HANK model (see the module docstring for its equations)."""
    blocks = [
        build_household(),
        build_production(),
        pricing,
        dividend,
        arbitrage,
        taylor,
        fiscal,
        finance,
        wage,
        union,
        mkt_clearing,
    ]
    model = create_model(blocks, name="Two-asset HANK")
    # the example's own defaults (see the note on determinacy above): its solves do not
    # warn at the usual horizons; pass check_determinacy=True with T >= 1000 to check
    model.solve_defaults = dict(SOLVE_OPTIONS)
    return model


def calibration(n_e: int = 3, n_b: int = 50, n_a: int = 70) -> dict:
    """Calibration with every parameter that steady-state targets pin analytically.

    ``beta``, ``chi1`` and ``vphi`` are placeholders that :func:`steady_state` solves for.
    """
    r, omega, Y, N = 0.0125, 0.005, 1.0, 1.0
    tot_wealth, Bh, Bg, G = 14.0, 1.04, 2.8, 0.2
    delta, mup = 0.02, 1.015
    mc = 1 / mup
    p = tot_wealth - Bg
    # dividends Y - w N - delta K with w N = (1-alpha) mc Y, K = alpha mc Y/(r+delta) equal r p
    alpha = (r * p - Y + mc * Y) * (r + delta) / (mc * Y * r)
    K = alpha * mc * Y / (r + delta)
    Z = Y / (K**alpha * N ** (1 - alpha))
    w = (1 - alpha) * mc * Y / N
    return {
        # households
        "rho_e": 0.966,
        "sd_e": 0.92,
        "n_e": n_e,
        "min_b": 0.0,
        "max_b": 50.0,
        "n_b": n_b,
        "min_a": 0.0,
        "max_a": 4000.0,
        "n_a": n_a,
        "eis": 0.5,
        "chi0": 0.25,
        "chi1": 6.45425809,
        "chi2": 2.0,
        "beta": 0.976395688,
        "Bh": Bh,
        # production and prices
        "Y": Y,
        "w": w,
        "r": r,
        "Z": Z,
        "alpha": alpha,
        "delta": delta,
        "epsI": 4.0,
        "mup": mup,
        "kappap": 0.1,
        # labour market
        "muw": 1.1,
        "kappaw": 0.1,
        "frisch": 1.0,
        "vphi": 1.0,
        # policy and finance
        "rstar": r,
        "phi": 1.5,
        "G": G,
        "Bg": Bg,
        "omega": omega,
        "pshare": p / (tot_wealth - Bh),
    }


def steady_state(
    model: CombinedBlock | None = None, n_e: int = 3, n_b: int = 50, n_a: int = 70, **kwargs
) -> SteadyState:
    """Calibrated steady state: beta and chi1 clear the asset market at B = Bh, then vphi.

    Extra keyword arguments go to ``model.solve_steady_state`` (e.g. ``solver``).
    """
    model = model or build_model()
    calib = calibration(n_e, n_b, n_a)
    guess = {"beta": calib["beta"], "chi1": calib["chi1"]}
    kwargs.setdefault("solver", "newton")
    kwargs.setdefault("tol", 1e-8)
    ss = model.solve_steady_state(
        calib,
        unknowns=guess,
        targets={"asset_mkt": 0.0, "B": calib.pop("Bh")},
        **kwargs,
    )
    # the wage Phillips curve holds at N = 1 with this disutility of labour
    vphi = (1 - ss["tax"]) * ss["w"] * ss["UCE"] / ss["muw"] / ss["N"] ** (1 / ss["frisch"])
    inputs = {k: ss[k] for k in model.inputs}
    inputs["vphi"] = float(vphi)
    return model.steady_state(inputs)


def example(n_e: int = 3, n_b: int = 50, n_a: int = 70) -> Example:
    """Model and calibrated steady state, with GE unknowns r, w, Y, targets asset_mkt,
    fisher, wnkpc and shocks rstar, Z, G (solve with ``check_determinacy=False``)."""
    model = build_model()
    ss = steady_state(model, n_e, n_b, n_a)
    return Example(
        model, ss, ["r", "w", "Y"], ["asset_mkt", "fisher", "wnkpc"], ["rstar", "Z", "G"]
    )


def shock(T: int = 300, rho: float = 0.6, size: float = 0.0025) -> dict[str, np.ndarray]:
    """Monetary tightening: the Taylor-rule intercept rises by ``size`` (0.0025 = 25bp a
    quarter) and decays at rate ``rho``."""
    return {"rstar": size * rho ** np.arange(T)}


__all__ = [
    "SOLVE_OPTIONS",
    "arbitrage",
    "build_household",
    "build_model",
    "build_production",
    "calibration",
    "dividend",
    "example",
    "finance",
    "fiscal",
    "labor",
    "investment",
    "mkt_clearing",
    "pricing",
    "shock",
    "steady_state",
    "taylor",
    "union",
    "wage",
]
