"""Optional: the RBC's general-equilibrium Jacobians against sequence-jacobian.

Same equations written for both libraries, same steady state. sequence-jacobian
differentiates simple blocks numerically, so agreement is to finite-difference error.
"""

import warnings

import numpy as np
import pytest

from hetdag.examples import rbc

sj = pytest.importorskip("sequence_jacobian")


def _ssj_model():
    @sj.simple
    def firm(K, L, Z, alpha, delta):
        r = alpha * Z * (K(-1) / L) ** (alpha - 1) - delta
        w = (1 - alpha) * Z * (K(-1) / L) ** alpha
        Y = Z * K(-1) ** alpha * L ** (1 - alpha)
        return r, w, Y

    @sj.simple
    def household(K, L, w, eis, frisch, vphi, delta):
        C = (w / vphi / L ** (1 / frisch)) ** eis
        I = K - (1 - delta) * K(-1)
        return C, I

    @sj.simple
    def mkt_clearing(r, C, Y, I, K, L, w, eis, beta):
        goods_mkt = Y - C - I
        euler = C ** (-1 / eis) - beta * (1 + r(+1)) * C(+1) ** (-1 / eis)
        walras = goods_mkt
        return goods_mkt, euler, walras

    return sj.create_model([household, firm, mkt_clearing], name="RBC")


def test_general_equilibrium_jacobians_match_sequence_jacobian():
    ex = rbc.example()
    T = 300
    G = ex.model.solve_jacobian(ex.ss, ex.unknowns, ex.targets, ["Z"], T=T)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _ssj_model()
        ss = model.steady_state({k: ex.ss[k] for k in ex.model.inputs})
        G_sj = model.solve_jacobian(ss, ex.unknowns, ex.targets, ["Z"], T=T)
    for o in ("Y", "C", "K", "L", "r", "w", "I"):
        ours, theirs = np.asarray(G[o]["Z"]), np.asarray(G_sj[o]["Z"])
        assert np.max(np.abs(ours - theirs)) < 1e-5 * np.max(np.abs(theirs)), o
