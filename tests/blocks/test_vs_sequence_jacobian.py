"""Krusell–Smith household: hetdag against sequence-jacobian 1.0.0 on identical grids.

Both libraries get the same e_grid, Pi and a_grid arrays (hetdag builds them; a hetinput
returns copies to each library) and the same r, w, beta. Only aggregates are compared:
sequence-jacobian's internals distinguish Dbeg and D.

Measured (n_e=3, n_a=60, T=100), max relative difference:
steady-state A, C: 3e-10; household Jacobians: 1e-4 with sequence-jacobian's default
one-sided differences (h=1e-4), 3e-8 with its two-sided ones; GE G[.]['Z']: 3e-5
one-sided, 1e-8 two-sided.
"""

import numpy as np
import pytest

sj = pytest.importorskip("sequence_jacobian")

from hetdag.examples._household import household  # noqa: E402

T = 100
SJ_SS_OPTIONS = dict(backward_tol=1e-12, forward_tol=1e-13)


def rel_diff(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.fixture(scope="module")
def setup(ks_ex):
    ss = ks_ex.ss
    ints = ss.internals["household"]
    E, P, G = ints["e_grid"].copy(), ints["Pi"].copy(), ints["a_grid"].copy()

    def fixed_grids(n_a):
        e_grid = E.copy()
        Pi = P.copy()
        a_grid = G.copy()
        return e_grid, Pi, a_grid

    def income(w, e_grid):
        y = w * e_grid
        return y

    calib = {k: ss[k] for k in ("r", "w", "beta", "eis", "n_a")}
    hd = household.add_hetinputs([fixed_grids, income])
    hs = sj.hetblocks.hh_sim.hh.add_hetinputs([fixed_grids, income])
    ss_hd = hd.steady_state(calib)
    ss_sj = hs.steady_state(calib, **SJ_SS_OPTIONS)
    return dict(hd=hd, hs=hs, ss_hd=ss_hd, ss_sj=ss_sj, ks=ks_ex)


def test_steady_state_aggregates(setup):
    ss_hd, ss_sj = setup["ss_hd"], setup["ss_sj"]
    for k in ("A", "C"):
        assert abs(ss_hd[k] / ss_sj[k] - 1) < 1e-8, (k, ss_hd[k], ss_sj[k])
    # the grids really are the same arrays in both
    np.testing.assert_array_equal(
        ss_hd.internals["household"]["a_grid"], ss_sj.internals["hh"]["a_grid"]
    )
    np.testing.assert_array_equal(ss_hd.internals["household"]["Pi"], ss_sj.internals["hh"]["Pi"])


@pytest.mark.parametrize("twosided, tol", [(False, 1e-3), (True, 1e-6)])
def test_household_jacobians(setup, twosided, tol):
    Jh = setup["hd"].jacobian(setup["ss_hd"], ["r", "w"], T=T)
    kwargs = {"twosided": True} if twosided else {}
    Js = setup["hs"].jacobian(setup["ss_sj"], ["r", "w"], T=T, **kwargs)
    diffs = {(o, i): rel_diff(Jh[o][i], Js[o][i]) for o in ("A", "C") for i in ("r", "w")}
    assert max(diffs.values()) < tol, diffs


def test_general_equilibrium_jacobian(setup):
    """G['K']['Z'] and friends of Krusell–Smith, the SJ model built on the same household."""

    @sj.simple
    def firm(K, L, Z, alpha, delta):
        r = alpha * Z * (K(-1) / L) ** (alpha - 1) - delta
        w = (1 - alpha) * Z * (K(-1) / L) ** alpha
        Y = Z * K(-1) ** alpha * L ** (1 - alpha)
        return r, w, Y

    @sj.simple
    def mkt_clearing(K, A, Y, C, delta):
        asset_mkt = A - K
        goods_mkt = Y - C - delta * K
        return asset_mkt, goods_mkt

    ks = setup["ks"]
    model_sj = sj.create_model([setup["hs"], firm, mkt_clearing])
    names = ("K", "L", "Z", "alpha", "delta", "beta", "eis", "n_a")
    ss_sj = model_sj.steady_state({k: ks.ss[k] for k in names}, options={"hh": SJ_SS_OPTIONS})
    assert abs(ss_sj["asset_mkt"]) < 1e-7  # hetdag's beta clears SJ's market too
    G_hd = ks.model.solve_jacobian(ks.ss, ["K"], ["asset_mkt"], ["Z"], T=T)
    for twosided, tol in ((False, 1e-3), (True, 1e-6)):
        opts = {"hh": {"twosided": True}} if twosided else {}
        G_sj = model_sj.solve_jacobian(ss_sj, ["K"], ["asset_mkt"], ["Z"], T=T, options=opts)
        diffs = {o: rel_diff(G_hd[o]["Z"], G_sj[o]["Z"]) for o in ("K", "Y", "C", "r", "w")}
        assert max(diffs.values()) < tol, (twosided, diffs)
