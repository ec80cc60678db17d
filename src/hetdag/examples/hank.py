"""One-asset HANK: the Krusell–Smith household in a New Keynesian economy.

Households (EGM, one bond) receive y = e (w N + div - tax): labour income, dividends and
taxes are split in proportion to productivity e (mean 1). A hetoutput gives each
household's desired hours at the wage, ``hours = (w e c^{-1/eis} / vphi)^frisch``,
aggregated to EHOURS (effective hours); the wage clears the labour market, EHOURS = N.

    firm:      N = Y / Z,  div = Y - w N - psi,  psi = mu/(mu-1)/(2 kappa) log(1+pi)^2 Y
    nkpc:      kappa (w/Z - 1/mu) + Y(+1)/Y log(1+pi(+1))/(1+r(+1)) - log(1+pi) = 0
    taylor:    i = rstar + phi pi + ishock
    fisher:    r = (1 + i(-1)) / (1 + pi) - 1   (ex-post real rate on bonds held from t-1)
    fiscal:    tax = r B   (constant debt B)
    markets:   asset_mkt = A - B,  labor_mkt = EHOURS - N,  goods_mkt = Y - C - psi

Unknowns pi, w, Y; targets nkpc, asset_mkt, labor_mkt. Calibration: beta clears the asset
market and vphi the labour market at N = 1 (steady-state targets).
"""

from __future__ import annotations

import numpy as np

from .. import create_model, simple
from ._household import household, make_grids
from .rbc import Example


def income(e_grid, w, N, div, tax):
    y = e_grid * (w * N + div - tax)
    return y


def labor_supply(c, e_grid, w, vphi, frisch, eis):
    hours = (w * e_grid[:, np.newaxis] * c ** (-1 / eis) / vphi) ** frisch
    ehours = e_grid[:, np.newaxis] * hours
    return hours, ehours


@simple
def firm(Y, w, Z, pi, mu, kappa):
    N = Y / Z
    psi = mu / (mu - 1) / (2 * kappa) * np.log(1 + pi) ** 2 * Y
    div = Y - w * N - psi
    return N, psi, div


@simple
def nkpc_block(pi, w, Z, Y, r, mu, kappa):
    nkpc = kappa * (w / Z - 1 / mu) + Y(+1) / Y * np.log(1 + pi(+1)) / (1 + r(+1)) - np.log(1 + pi)
    return nkpc


@simple
def taylor(pi, rstar, phi, ishock):
    i = rstar + phi * pi + ishock
    return i


@simple
def fisher(i, pi):
    r = (1 + i(-1)) / (1 + pi) - 1
    return r


@simple
def fiscal(r, B):
    tax = r * B
    return tax


@simple
def mkt_clearing(A, B, EHOURS, N, C, Y, psi):
    asset_mkt = A - B
    labor_mkt = EHOURS - N
    goods_mkt = Y - C - psi
    return asset_mkt, labor_mkt, goods_mkt


def build_household():
    return household.add_hetinputs([make_grids, income]).add_hetoutputs([labor_supply])


def build_model():
    blocks = [build_household(), firm, nkpc_block, taylor, fisher, fiscal, mkt_clearing]
    return create_model(blocks, name="HANK")


def calibration(n_e: int = 7, n_a: int = 500) -> dict:
    return {
        "rstar": 0.005,
        "pi": 0.0,
        "i": 0.005,
        "ishock": 0.0,
        "Y": 1.0,
        "Z": 1.0,
        "eis": 0.5,
        "frisch": 0.5,
        "B": 5.6,
        "mu": 1.2,
        "kappa": 0.1,
        "phi": 1.5,
        "rho_e": 0.966,
        "sd_e": 0.5,
        "n_e": n_e,
        "n_a": n_a,
        "min_a": 0.0,
        "max_a": 150.0,
        "w": 1 / 1.2,
    }


def steady_state(model=None, n_e: int = 7, n_a: int = 500, **kwargs):
    model = model or build_model()
    return model.solve_steady_state(
        calibration(n_e, n_a),
        unknowns={"beta": 0.98, "vphi": 0.8},
        targets={"asset_mkt": 0.0, "labor_mkt": 0.0},
        **kwargs,
    )


def example(n_e: int = 7, n_a: int = 500) -> Example:
    model = build_model()
    ss = steady_state(model, n_e, n_a)
    return Example(
        model, ss, ["pi", "w", "Y"], ["nkpc", "asset_mkt", "labor_mkt"], ["ishock", "Z", "rstar"]
    )


def shock(T: int = 300, rho: float = 0.61, size: float = 0.0025) -> dict:
    """A 25 bp monetary shock to the Taylor rule, decaying at rate rho."""
    return {"ishock": size * rho ** np.arange(T)}
