"""Real business cycle model (log utility in consumption, disutility of labour).

Equations (timing: K is end-of-period capital, so production uses K(-1)):

    Y_t = Z_t K_{t-1}^alpha L_t^{1-alpha},   r_t = alpha Y_t / K_{t-1} - delta,
    w_t = (1 - alpha) Y_t / L_t,
    euler_t  = C_t^{-1/eis} - beta (1 + r_{t+1}) C_{t+1}^{-1/eis} = 0,
    labor_t  = vphi L_t^{frisch^{-1}} - w_t C_t^{-1/eis} = 0,
    goods_mkt_t = Y_t - C_t - I_t = 0,   I_t = K_t - (1 - delta) K_{t-1}.

Unknowns K, L; targets euler, goods_mkt (C follows from the labour FOC inversion).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import create_model, simple


@simple
def firm(K, L, Z, alpha, delta):
    r = alpha * Z * (K(-1) / L) ** (alpha - 1) - delta
    w = (1 - alpha) * Z * (K(-1) / L) ** alpha
    Y = Z * K(-1) ** alpha * L ** (1 - alpha)
    return r, w, Y


@simple
def household(K, L, w, eis, frisch, vphi, delta):
    C = (w / vphi / L ** (1 / frisch)) ** eis
    I = K - (1 - delta) * K(-1)
    return C, I


@simple
def mkt_clearing(r, C, Y, I, K, L, w, eis, beta):
    goods_mkt = Y - C - I
    euler = C ** (-1 / eis) - beta * (1 + r(+1)) * C(+1) ** (-1 / eis)
    walras = goods_mkt
    return goods_mkt, euler, walras


class Example(NamedTuple):
    model: object
    ss: object
    unknowns: list
    targets: list
    exogenous: list


def calibration() -> dict:
    return {"L": 1.0, "r": 0.01, "eis": 1.0, "frisch": 1.0, "delta": 0.025, "alpha": 0.11, "Z": 1.0}


def build_model():
    return create_model([household, firm, mkt_clearing], name="RBC")


def steady_state(model=None):
    """Analytic steady state: pick r and L = 1; back out beta, K, vphi."""
    model = model or build_model()
    c = calibration()
    alpha, delta, r, L, Z, eis, frisch = (
        c[k] for k in ("alpha", "delta", "r", "L", "Z", "eis", "frisch")
    )
    K = L * (alpha * Z / (r + delta)) ** (1 / (1 - alpha))
    Y = Z * K**alpha * L ** (1 - alpha)
    w = (1 - alpha) * Y / L
    C = Y - delta * K
    vphi = w * C ** (-1 / eis) / L ** (1 / frisch)
    beta = 1 / (1 + r)
    calib = {
        "K": K,
        "L": L,
        "Z": Z,
        "alpha": alpha,
        "delta": delta,
        "eis": eis,
        "frisch": frisch,
        "vphi": vphi,
        "beta": beta,
    }
    ss = model.steady_state(calib)
    assert abs(ss["goods_mkt"]) < 1e-12 and abs(ss["euler"]) < 1e-12
    return ss


def example() -> Example:
    model = build_model()
    ss = steady_state(model)
    return Example(model, ss, ["K", "L"], ["euler", "goods_mkt"], ["Z"])


__all__ = ["build_model", "calibration", "example", "firm", "household", "mkt_clearing", "np"]
