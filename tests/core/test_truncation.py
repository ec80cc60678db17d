"""One truncation convention for linear and nonlinear transitions (issue 19, item 12).

The convention: a model's inputs (shocks, unknowns) before 0 and from T on sit at the
steady state, every variable before 0 is at the steady state, and every variable at
t >= 0 is computed from the inputs, including one read as a lead at T-1. The
references below state the equilibrium conditions from scratch in plain NumPy under
that convention and solve them by Newton's method; they never call hetdag to
evaluate anything.
"""

import numpy as np
import pytest

import hetdag as hd
from hetdag.examples import krusell_smith, rbc

# ------------------------------------------------------------------ RBC (issue's)
ALPHA, DELTA, BETA, EIS, FRISCH = 0.36, 0.025, 0.99, 1.0, 1.0


@pytest.fixture(scope="module")
def rbc_issue():
    """The RBC of ``hetdag.examples.rbc`` at alpha = 0.36, delta = 0.025, beta = 0.99."""
    r = 1 / BETA - 1
    K = (ALPHA / (r + DELTA)) ** (1 / (1 - ALPHA))
    Y = K**ALPHA
    C = Y - DELTA * K
    vphi = (1 - ALPHA) * Y * C ** (-1 / EIS)
    calib = dict(K=K, L=1.0, Z=1.0, alpha=ALPHA, delta=DELTA, eis=EIS, frisch=FRISCH)
    calib.update(vphi=vphi, beta=BETA)
    model = rbc.build_model()
    return model, model.steady_state(calib)


def rbc_residual(x, Z, ss):
    """[euler; goods_mkt] at t = 0..T-1 for x = [K; L] in levels."""
    T = len(Z)
    # inputs at T at the steady state; r_T and C_T computed from them and K_{T-1}
    K = np.append(x[:T], ss["K"])
    L = np.append(x[T:], ss["L"])
    Z = np.append(Z, ss["Z"])
    K_lag = np.concatenate([[ss["K"]], K[:-1]])
    r = ALPHA * Z * (K_lag / L) ** (ALPHA - 1) - DELTA
    w = (1 - ALPHA) * Z * (K_lag / L) ** ALPHA
    Y = Z * K_lag**ALPHA * L ** (1 - ALPHA)
    C = (w / ss["vphi"] / L ** (1 / FRISCH)) ** EIS
    I = K - (1 - DELTA) * K_lag
    mu = C ** (-1 / EIS)
    euler = mu[:T] - BETA * (1 + r[1:]) * mu[1:]
    return np.concatenate([euler, (Y - C - I)[:T]])


def newton(f, x, tol=1e-13, maxit=30):
    """Newton's method with a central-difference Jacobian."""
    for _ in range(maxit):
        H = f(x)
        if np.max(np.abs(H)) < tol:
            return x
        J = np.empty((len(H), len(x)))
        for j in range(len(x)):
            h = 1e-7 * max(1.0, abs(x[j]))
            e = np.zeros_like(x)
            e[j] = h
            J[:, j] = (f(x + e) - f(x - e)) / (2 * h)
        x = x - np.linalg.solve(J, H)
    raise AssertionError(f"reference Newton did not converge: {np.max(np.abs(H))}")


def test_rbc_nonlinear_path_is_the_stacked_newton_solution(rbc_issue):
    model, ss = rbc_issue
    T = 200
    dZ = 0.05 * 0.9 ** np.arange(T)
    x0 = np.concatenate([np.full(T, ss["K"]), np.full(T, ss["L"])])
    x = newton(lambda x: rbc_residual(x, ss["Z"] + dZ, ss), x0)
    irf = model.solve_impulse_nonlinear(
        ss, ["K", "L"], ["euler", "goods_mkt"], {"Z": dZ}, tol=1e-12
    )
    # every date, the last ones included (padding r_T with its steady state was off by
    # 1e-3 of the peak response at T-1)
    np.testing.assert_allclose(ss["K"] + irf["K"], x[:T], rtol=0, atol=1e-8)
    np.testing.assert_allclose(ss["L"] + irf["L"], x[T:], rtol=0, atol=1e-8)


def test_rbc_linear_and_nonlinear_agree_at_every_date_for_small_shocks(rbc_issue):
    model, ss = rbc_issue
    T = 200
    dZ = 1e-6 * 0.9 ** np.arange(T)
    args = (ss, ["K", "L"], ["euler", "goods_mkt"], {"Z": dZ})
    lin = model.solve_impulse_linear(*args)
    nl = model.solve_impulse_nonlinear(*args, tol=3e-14)
    for k in ("K", "L", "C", "r", "Y"):
        gap = np.abs(nl[k] - lin[k]) / np.max(np.abs(lin[k]))
        # second order in the shock: 1e-6 of the peak, at every date
        assert gap.max() < 1e-6, (k, int(gap.argmax()), gap.max())


# ------------------------------------------------------------ Krusell–Smith
def interp_extrap(x, xq, y):
    """Row-wise linear interpolation with linear extrapolation, plain NumPy."""
    out = np.empty(xq.shape)
    for e in range(x.shape[0]):
        i = np.clip(np.searchsorted(x[e], xq[e]) - 1, 0, x.shape[1] - 2)
        wgt = (xq[e] - x[e, i]) / (x[e, i + 1] - x[e, i])
        out[e] = y[e, i] + wgt * (y[e, i + 1] - y[e, i])
    return out


def ks_assets(K, Z, ss, ints):
    """Aggregate assets A_t, t = 0..T-1, for capital path K (levels): firm prices from
    K_{t-1}, an EGM household backward from the steady state at T, and a Young
    lottery forward from the steady-state histogram."""
    T = len(K)
    a_grid, e_grid, Pi = ints["a_grid"], ints["e_grid"], ints["Pi"]
    alpha, delta, L, beta, eis = (ss[k] for k in ("alpha", "delta", "L", "beta", "eis"))
    K_lag = np.concatenate([[ss["K"]], K[:-1]])
    r = alpha * Z * (K_lag / L) ** (alpha - 1) - delta
    w = (1 - alpha) * Z * (K_lag / L) ** alpha
    Va = ints["Va"]
    policies = [None] * T
    for t in reversed(range(T)):
        c_next = (beta * (Pi @ Va)) ** (-eis)
        coh = (1 + r[t]) * a_grid + w[t] * e_grid[:, None]
        a = interp_extrap(c_next + a_grid, coh, np.broadcast_to(a_grid, coh.shape))
        a = np.maximum(a, a_grid[0])
        Va = (1 + r[t]) * (coh - a) ** (-1 / eis)
        policies[t] = a
    D = ints["D"]
    A = np.empty(T)
    n_e, n = D.shape
    rows = n * np.arange(n_e)[:, None]
    for t in range(T):
        a = policies[t]
        A[t] = np.sum(D * a)
        i = np.clip(np.searchsorted(a_grid, a, side="right") - 1, 0, n - 2)
        p = np.clip((a_grid[i + 1] - a) / (a_grid[i + 1] - a_grid[i]), 0, 1)
        new = np.bincount((rows + i).ravel(), (p * D).ravel(), n_e * n)
        new += np.bincount((rows + i + 1).ravel(), ((1 - p) * D).ravel(), n_e * n)
        D = Pi.T @ new.reshape(n_e, n)
    return A


def test_krusell_smith_nonlinear_path_is_the_stacked_newton_solution():
    ex = krusell_smith.example(n_e=7, n_a=120)
    ss, ints = ex.ss, ex.ss.internals["household"]
    T = 100
    Z = ss["Z"] * (1 + 0.01 * 0.9 ** np.arange(T))

    def residual(K):  # targets are measured from their steady-state values
        return ks_assets(K, Z, ss, ints) - K - ss["asset_mkt"]

    K0 = np.full(T, ss["K"])
    # chord Newton: one forward-difference Jacobian at the steady state
    J = np.empty((T, T))
    H0 = residual(K0)
    for j in range(T):
        e = np.zeros(T)
        e[j] = 1e-6
        J[:, j] = (residual(K0 + e) - H0) / 1e-6
    K = K0.copy()
    for _ in range(40):
        H = residual(K)
        if np.max(np.abs(H)) < 1e-13:
            break
        K = K - np.linalg.solve(J, H)
    assert np.max(np.abs(residual(K))) < 1e-12

    irf = ex.model.solve_impulse_nonlinear(
        ss, ex.unknowns, ex.targets, {"Z": Z - ss["Z"]}, tol=1e-13
    )
    np.testing.assert_allclose(ss["K"] + irf["K"], K, rtol=0, atol=1e-8)


# ------------------------------------------- chains of leads and lags, het blocks
@hd.simple
def expect(r):
    r_ante = r(+1)  # a lead ...
    return r_ante


@hd.simple
def realised(r_ante, K):
    r_post = r_ante(-1) + 0.1 * K(+2)  # ... then a lag of it: r_post_0 reads r_ante_{-1}
    return r_post


@hd.simple
def mixed(A, r):
    income = A * r  # moves with K through the household (T x T) and the firm (shifts)
    A_prev = A(-1)  # a lag of a T x T block's output: A_prev_T = A_{T-1}
    return income, A_prev


@hd.simple
def use_assets(A, r_post, income, A_prev):
    # leads of a T x T output, of a chain, of a mix, and of a lag of a T x T output
    spread = A(+1) * r_post(+1) + income(+1) + A_prev(+1) ** 2
    return spread


def test_jacobians_are_the_derivatives_of_the_nonlinear_paths_at_every_date():
    """Top-left (a lag of a variable computed with a lead), bottom-right (leads of
    computed variables at T) and leads of a T x T block's output: the model's Jacobian
    equals central differences of its nonlinear paths in every row and column."""
    ex = krusell_smith.example(n_e=3, n_a=40)
    model = hd.create_model([*ex.model.blocks, expect, realised, mixed, use_assets])
    ss = model.steady_state({k: ex.ss[k] for k in model.inputs})
    T = 30
    J = model.jacobian(ss, ["K", "Z"], ["r_post", "spread", "asset_mkt"], T=T)
    h = 1e-6
    for z in ("K", "Z"):
        for s in (0, 1, 2, T - 3, T - 2, T - 1):
            dz = np.zeros(T)
            dz[s] = h
            up = model.impulse_nonlinear_partial(ss, {z: dz})
            dn = model.impulse_nonlinear_partial(ss, {z: -dz})
            for o in ("r_post", "spread", "asset_mkt"):
                fd = (up[o] - dn[o]) / (2 * h)
                col = np.asarray(J[o][z])[:, s] if z in J[o] else np.zeros(T)
                np.testing.assert_allclose(col, fd, rtol=0, atol=2e-6, err_msg=f"{o}/{z} col {s}")


def test_a_model_nested_in_a_model_keeps_its_rows_beyond_T():
    """The same check when the household and the mixing blocks form a model that is
    itself a block of the outer model, which reads their outputs with leads."""
    ex = krusell_smith.example(n_e=3, n_a=40)
    inner = hd.create_model([*ex.model.blocks, mixed], name="inner")
    model = hd.create_model([inner, expect, realised, use_assets], name="outer")
    ss = model.steady_state({k: ex.ss[k] for k in model.inputs})
    T = 30
    J = model.jacobian(ss, ["K"], ["spread"], T=T)
    h = 1e-6
    for s in (0, 1, 2, T - 2, T - 1):
        dz = np.zeros(T)
        dz[s] = h
        up = model.impulse_nonlinear_partial(ss, {"K": dz})
        dn = model.impulse_nonlinear_partial(ss, {"K": -dz})
        fd = (up["spread"] - dn["spread"]) / (2 * h)
        np.testing.assert_allclose(np.asarray(J["spread"]["K"])[:, s], fd, rtol=0, atol=2e-6)
