"""Time-varying Markov matrices: ``Pi_t`` moves e_{t-1} to e_t (issue 16).

A job-finding rate f_t is the probability that someone unemployed at t-1 is employed at
t, so unemployment obeys U_t = s_t (1 - U_{t-1}) + (1 - f_t) U_{t-1}: a shock to f_0
lowers U_0. Before issue 16 hetdag applied Pi_t to the move from t to t+1, so its U
response came one period after sequence-jacobian's and A, C differed by up to 91%.

References, each independent of hetdag's code:
- the unemployment recursion above (exact);
- a brute-force simulation of the household written here in plain NumPy (EGM with
  ``np.interp``, Young's lottery by explicit loops), started from hetdag's steady state;
- sequence-jacobian on the model of its labor-search tutorial, when installed.
"""

import numpy as np
import pytest

import hetdag as hd
from hetdag.utils.grids import asset_grid
from hetdag.utils.interpolate import interpolate_y

T = 40
CALIB = dict(beta=0.95, r=0.01, eis=0.5, f=0.4, s=0.1, w=1.0, b=0.5, amax=50.0, n_a=80)


def search_frictions(f, s):
    Pi_s = np.array([[1 - s, s], [f, 1 - f]])  # rows: employed, unemployed at t-1
    return Pi_s


def grid_and_income(amax, n_a, w, b):
    a_grid = asset_grid(0.0, amax, int(n_a))
    y = np.array([w, b])
    return a_grid, y


def household_init(a_grid, y, r, eis):
    c = np.maximum(1e-8, y[..., np.newaxis] + np.maximum(r, 0.04) * a_grid)
    Va = (1 + r) * c ** (-1 / eis)
    return Va


def step(Va_p, a_grid, y, r, beta, eis):
    c_next = (beta * Va_p) ** (-eis)
    coh = (1 + r) * a_grid + y[..., np.newaxis]
    a = np.maximum(interpolate_y(c_next + a_grid, coh, a_grid), a_grid[0])
    c = coh - a
    Va = (1 + r) * c ** (-1 / eis)
    return Va, a, c


def unemployment(c):
    u = np.zeros_like(c)
    u[1] = 1.0
    return u


@pytest.fixture(scope="module")
def searching():
    hh = hd.het(exogenous="Pi_s", policy="a", backward="Va", backward_init=household_init)(step)
    hh = hh.add_hetinputs([search_frictions, grid_and_income]).add_hetoutputs([unemployment])
    return hh, hh.steady_state(CALIB)


def brute_force_path(ss, ints, f_path, s_path):
    """A, C and U along a path of (f_t, s_t), by plain NumPy backward and forward passes."""
    a_grid, y, r, beta, eis = ints["a_grid"], ints["y"], ss["r"], ss["beta"], ss["eis"]
    Pis = [np.array([[1 - s_, s_], [f_, 1 - f_]]) for f_, s_ in zip(f_path, s_path)]
    Pi_ss = np.array([[1 - ss["s"], ss["s"]], [ss["f"], 1 - ss["f"]]])
    Va, pols, cons = ints["Va"], [None] * T, [None] * T
    for t in reversed(range(T)):
        P = Pis[t + 1] if t + 1 < T else Pi_ss  # E_t over e_{t+1}: Pi_{t+1}
        c_next = (beta * (P @ Va)) ** (-eis)
        a = np.empty_like(Va)
        for e in range(2):
            coh = (1 + r) * a_grid + y[e]
            a[e] = np.maximum(np.interp(coh, c_next[e] + a_grid, a_grid), a_grid[0])
        c = (1 + r) * a_grid + y[:, None] - a
        Va = (1 + r) * c ** (-1 / eis)
        pols[t], cons[t] = a, c

    def lottery(D, a):
        out = np.zeros_like(D)
        for e in range(D.shape[0]):
            for i in range(D.shape[1]):
                j = min(max(np.searchsorted(a_grid, a[e, i]) - 1, 0), len(a_grid) - 2)
                w = (a_grid[j + 1] - a[e, i]) / (a_grid[j + 1] - a_grid[j])
                out[e, j] += w * D[e, i]
                out[e, j + 1] += (1 - w) * D[e, i]
        return out

    D = Pis[0].T @ lottery(ints["D"], ints["a"])  # D_0: e_{-1} -> e_0 by Pi_0
    A, C, U = np.empty(T), np.empty(T), np.empty(T)
    for t in range(T):
        A[t], C[t], U[t] = np.sum(D * pols[t]), np.sum(D * cons[t]), D[1].sum()
        if t + 1 < T:
            D = Pis[t + 1].T @ lottery(D, pols[t])
    return A, C, U


@pytest.mark.parametrize("shock", ["f", "s"])
def test_path_matches_brute_force_and_unemployment_recursion(searching, shock):
    hh, ss = searching
    ints = ss.internals[hh.name]
    dx = 0.02 * 0.8 ** np.arange(T)
    path = hh.impulse_nonlinear_partial(ss, {shock: dx})
    f = ss["f"] + (dx if shock == "f" else np.zeros(T))
    s = ss["s"] + (dx if shock == "s" else np.zeros(T))
    U = np.empty(T)
    u = ss["U"]
    for t in range(T):
        u = s[t] * (1 - u) + (1 - f[t]) * u
        U[t] = u
    np.testing.assert_allclose(path["U"] + ss["U"], U, rtol=0, atol=1e-12)
    assert abs(path["U"][0]) > 1e-3  # f_0 and s_0 act on U_0 itself
    A0, C0, _ = brute_force_path(ss, ints, np.full(T, ss["f"]), np.full(T, ss["s"]))
    A1, C1, _ = brute_force_path(ss, ints, f, s)
    for name, ref in (("A", A1 - A0), ("C", C1 - C0)):
        err = np.max(np.abs(path[name] - ref)) / np.max(np.abs(ref))
        assert err < 1e-6, (name, err)


@pytest.mark.parametrize("shock", ["f", "s"])
def test_jacobian_early_and_late_columns_vs_brute_force(searching, shock):
    hh, ss = searching
    ints = ss.internals[hh.name]
    J = hh.jacobian(ss, [shock], T=T)
    h = 1e-5
    for col in (0, 1, 2, 25):
        e = np.zeros(T)
        e[col] = h
        base = {"f": np.full(T, ss["f"]), "s": np.full(T, ss["s"])}
        up = brute_force_path(ss, ints, *(base[k] + (e if k == shock else 0) for k in "fs"))
        dn = brute_force_path(ss, ints, *(base[k] - (e if k == shock else 0) for k in "fs"))
        for k, name in enumerate(("A", "C", "U")):
            ref = (up[k] - dn[k]) / (2 * h)
            got = np.asarray(J[name][shock])[:, col]
            assert np.max(np.abs(got - ref)) < 1e-5 * np.max(np.abs(ref)), (name, col)


def test_labor_search_tutorial_agrees_with_sequence_jacobian():
    """The household of SSJ's labor-search tutorial (two Markov chains, Pi_s then Pi_e):
    hetdag's Jacobian and nonlinear IRF to the separation rate agree with SSJ's."""
    sj = pytest.importorskip("sequence_jacobian")

    def make_grid(rho_e, sd_e, nE, amin, amax, nA):
        e_grid, _, Pi_e = sj.grids.markov_rouwenhorst(rho=rho_e, sigma=sd_e, N=nE)
        a_grid = sj.grids.agrid(amin=amin, amax=amax, n=nA)
        return e_grid, Pi_e, a_grid

    def labor_income(e_grid, w, b):
        y = np.vstack((w * e_grid, b * e_grid))
        return y

    hetinputs = [make_grid, search_frictions, labor_income]
    calib = dict(
        beta=0.95, r=0.01, eis=0.5, f=0.4, s=0.1, w=1.0, b=0.5,
        rho_e=0.95, sd_e=0.5, nE=5, amin=0.0, amax=50, nA=100,
    )  # fmt: skip
    ours = hd.het(exogenous=["Pi_s", "Pi_e"], policy="a", backward="Va",
                  backward_init=household_init)(step)  # fmt: skip
    ours = ours.add_hetinputs(hetinputs).add_hetoutputs([unemployment])
    theirs = sj.het(exogenous=["Pi_s", "Pi_e"], policy="a", backward="Va",
                    backward_init=household_init)(step)  # fmt: skip
    theirs = theirs.add_hetinputs(hetinputs).add_hetoutputs([unemployment])
    ss_hd = ours.steady_state(calib)
    ss_sj = theirs.steady_state(calib, backward_tol=1e-12, forward_tol=1e-13)
    for k in ("A", "C", "U"):
        assert abs(ss_hd[k] / ss_sj[k] - 1) < 1e-8, k
    J_hd = ours.jacobian(ss_hd, ["s", "f"], T=T)
    J_sj = theirs.jacobian(ss_sj, ["s", "f"], T=T, h=1e-6, twosided=True)
    for o in ("A", "C", "U"):
        for i in ("s", "f"):
            a, b = np.asarray(J_hd[o][i]), np.asarray(J_sj[o][i])
            assert np.max(np.abs(a - b)) < 2e-3 * np.max(np.abs(b)), (o, i)
    ds = 0.01 * 0.9 ** np.arange(T)
    ir_hd = ours.impulse_nonlinear_partial(ss_hd, {"s": ds})
    ir_sj = theirs.impulse_nonlinear(ss_sj, {"s": ds})
    for o in ("A", "C", "U"):
        b = np.asarray(ir_sj[o])
        assert np.max(np.abs(ir_hd[o] - b)) < 2e-3 * np.max(np.abs(b)), o
