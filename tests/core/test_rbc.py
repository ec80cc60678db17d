"""RBC model against independent references written in plain NumPy/SciPy.

The references re-state the RBC equations of ``hetdag.examples.rbc`` from scratch
on stacked T-length vectors (lags before t=0 and leads from t=T on sit at the steady
state) and never call hetdag to evaluate them.
"""

import numpy as np
import pytest
from scipy import linalg

from hetdag.examples import rbc


@pytest.fixture(scope="module")
def example():
    return rbc.example()


def params(ss):
    return {k: float(ss[k]) for k in ("alpha", "delta", "eis", "frisch", "vphi", "beta")}


def lag(x, x_ss):
    return np.concatenate([[x_ss], x[:-1]])


def lead(x, x_ss):
    return np.concatenate([x[1:], [x_ss]])


def rbc_paths(K, L, Z, ss, extend=False):
    """Every RBC variable along a path, given levels of K, L, Z (plain NumPy).

    ``extend=True`` is hetdag's convention, for linear and nonlinear paths alike:
    inputs beyond T sit at the steady state and variables at T are computed from them.
    ``extend=False`` pads leads of computed variables with their steady state instead.
    """
    if extend:
        T = len(K)
        K, L, Z = (np.append(x, ss[n]) for x, n in ((K, "K"), (L, "L"), (Z, "Z")))
        return {k: v[:T] for k, v in rbc_paths(K, L, Z, ss).items()}
    p = params(ss)
    a, d, eis, frisch, vphi, beta = (
        p[k] for k in ("alpha", "delta", "eis", "frisch", "vphi", "beta")
    )
    K_lag = lag(K, ss["K"])
    Y = Z * K_lag**a * L ** (1 - a)
    r = a * Y / K_lag - d
    w = (1 - a) * Y / L
    C = (w / (vphi * L ** (1 / frisch))) ** eis
    I = K - (1 - d) * K_lag
    mu = C ** (-1 / eis)
    euler = mu - beta * (1 + lead(r, ss["r"])) * lead(mu, ss["C"] ** (-1 / eis))
    goods = Y - C - I
    return {"Y": Y, "r": r, "w": w, "C": C, "I": I, "K": K, "L": L, "euler": euler, "goods": goods}


def residual(x, Z, ss, extend=False):
    """Stacked targets [euler; goods_mkt] as a function of x = [K; L] (levels)."""
    T = len(Z)
    out = rbc_paths(x[:T], x[T:], Z, ss, extend)
    return np.concatenate([out["euler"], out["goods"]])


def central_jacobian(f, x0, h=1e-6):
    cols = []
    for j in range(len(x0)):
        e = np.zeros_like(x0)
        e[j] = h
        cols.append((f(x0 + e) - f(x0 - e)) / (2 * h))
    return np.column_stack(cols)


def ss_vectors(ss, T):
    return np.concatenate([np.full(T, ss["K"]), np.full(T, ss["L"])]), np.full(T, ss["Z"])


def fd_linear_irf(ss, dZ):
    """Reference linear IRF: dU = -H_U^{-1} H_Z dZ with central-difference H_U and H_Z."""
    T = len(dZ)
    x0, Z0 = ss_vectors(ss, T)
    H_U = central_jacobian(lambda x: residual(x, Z0, ss, extend=True), x0)
    H_Z = central_jacobian(lambda z: residual(x0, z, ss, extend=True), Z0)
    G_U = -np.linalg.solve(H_U, H_Z)
    dU = G_U @ dZ
    dK, dL = dU[:T], dU[T:]
    h = 1e-6
    up = rbc_paths(ss["K"] + h * dK, ss["L"] + h * dL, Z0 + h * dZ, ss)
    dn = rbc_paths(ss["K"] - h * dK, ss["L"] - h * dL, Z0 - h * dZ, ss)
    irf = {k: (up[k] - dn[k]) / (2 * h) for k in ("Y", "C", "r", "w", "I")}
    irf.update(K=dK, L=dL)
    return irf, G_U


def test_reference_residual_is_zero_at_hetdag_steady_state(example):
    model, ss, *_ = example
    x0, Z0 = ss_vectors(ss, 10)
    assert np.max(np.abs(residual(x0, Z0, ss))) < 1e-12


def test_linear_irf_matches_finite_difference_sequence_space(example):
    model, ss, unknowns, targets, _ = example
    T = 300
    dZ = 0.01 * 0.8 ** np.arange(T)
    ref, G_U = fd_linear_irf(ss, dZ)

    G = model.solve_jacobian(ss, unknowns, targets, ["Z"], T=T)
    for a, u in enumerate(unknowns):
        block = G_U[a * T : (a + 1) * T]
        np.testing.assert_allclose(np.asarray(G[u]["Z"]), block, atol=1e-6 * np.max(np.abs(block)))

    irf = model.solve_impulse_linear(ss, unknowns, targets, {"Z": dZ})
    for k in ("Y", "C", "K", "r", "L", "I"):
        scale = np.max(np.abs(ref[k]))
        assert scale > 0
        np.testing.assert_allclose(irf[k], ref[k], atol=1e-6 * scale, err_msg=k)
        # G of every output, not only the unknowns, maps the shock to the same IRF
        np.testing.assert_allclose(
            np.asarray(G[k]["Z"]) @ dZ, ref[k], atol=1e-6 * scale, err_msg=f"G[{k}]"
        )


# ----------------------------------------------------------------- state space (Klein)
def state_space_irf(ss, rho, z0, n):
    """Klein/QZ solution of the linearised RBC; returns IRFs of K, C, L, Y for n periods.

    x_t = (K_{t-1}, Z_t, C_t, L_t); equations F(x_{t+1}, x_t) = 0 linearised numerically
    into A x_{t+1} = B x_t and solved with scipy.linalg.ordqz.
    """
    p = params(ss)
    a, d, eis, frisch, vphi, beta = (
        p[k] for k in ("alpha", "delta", "eis", "frisch", "vphi", "beta")
    )

    def F(xn, x):
        Kl, Z, C, L = x
        K, Zn, Cn, Ln = xn
        w = (1 - a) * Z * (Kl / L) ** a
        Y = Z * Kl**a * L ** (1 - a)
        rn = a * Zn * (K / Ln) ** (a - 1) - d
        return np.array(
            [
                C - (w / (vphi * L ** (1 / frisch))) ** eis,
                K - (1 - d) * Kl - Y + C,
                C ** (-1 / eis) - beta * (1 + rn) * Cn ** (-1 / eis),
                (Zn - 1.0) - rho * (Z - 1.0),
            ]
        )

    xbar = np.array([ss["K"], ss["Z"], ss["C"], ss["L"]])
    assert np.max(np.abs(F(xbar, xbar))) < 1e-12
    A = central_jacobian(lambda xn: F(xn, xbar), xbar)
    B = -central_jacobian(lambda x: F(xbar, x), xbar)

    # pencil B - lambda A: eigenvalues lambda = alpha/beta of (B, A); stable ones first
    S, Tm, alpha, beta_, Q, Zq = linalg.ordqz(B, A, sort="iuc", output="complex")
    n_states = 2
    eig = np.abs(alpha) < np.abs(beta_)
    assert eig.sum() == n_states, "Blanchard-Kahn conditions fail"
    Z11, Z21 = Zq[:n_states, :n_states], Zq[n_states:, :n_states]
    S11, T11 = S[:n_states, :n_states], Tm[:n_states, :n_states]
    Z11inv = np.linalg.inv(Z11)
    policy = np.real(Z21 @ Z11inv)  # jumps = policy @ states
    transition = np.real(Z11 @ np.linalg.solve(T11, S11) @ Z11inv)

    states = np.array([0.0, z0])
    out = {"K": [], "C": [], "L": [], "Y": []}
    dY = central_jacobian(lambda v: np.array([v[1] * v[0] ** a * v[3] ** (1 - a)]), xbar)[0]
    for _ in range(n):
        jumps = policy @ states
        x = np.concatenate([states, jumps])
        nxt = transition @ states
        out["K"].append(nxt[0])  # K_t is the first state of period t+1
        out["C"].append(jumps[0])
        out["L"].append(jumps[1])
        out["Y"].append(dY @ x)
        states = nxt
    return {k: np.array(v) for k, v in out.items()}


def test_linear_irf_matches_state_space_solution(example):
    model, ss, unknowns, targets, _ = example
    T, rho, z0, n = 300, 0.9, 0.01, 50
    ref = state_space_irf(ss, rho, z0, n)
    irf = model.solve_impulse_linear(ss, unknowns, targets, {"Z": z0 * rho ** np.arange(T)})
    for k, v in ref.items():
        scale = np.max(np.abs(v))
        np.testing.assert_allclose(irf[k][:n], v, atol=1e-6 * scale, err_msg=k)


# ----------------------------------------------------------------------- nonlinear
def newton_reference(ss, Z, tol=1e-13, maxit=30):
    """Plain Newton with a central-difference Jacobian on the stacked NumPy system."""
    T = len(Z)
    x, _ = ss_vectors(ss, T)
    for _ in range(maxit):
        H = residual(x, Z, ss, extend=True)
        if np.max(np.abs(H)) < tol:
            return x
        J = central_jacobian(lambda y: residual(y, Z, ss, extend=True), x)
        x = x - np.linalg.solve(J, H)
    raise AssertionError(f"reference Newton did not converge: {np.max(np.abs(H))}")


def test_nonlinear_irf_matches_reference_newton(example):
    model, ss, unknowns, targets, _ = example
    T = 100
    dZ = 0.05 * ss["Z"] * 0.9 ** np.arange(T)
    irf = model.solve_impulse_nonlinear(ss, unknowns, targets, {"Z": dZ})
    assert irf.max_residual <= 1e-10
    # hetdag's paths plugged into the independent residual function
    x_hd = np.concatenate([ss["K"] + irf["K"], ss["L"] + irf["L"]])
    assert np.max(np.abs(residual(x_hd, ss["Z"] + dZ, ss, extend=True))) <= 1e-10

    x = newton_reference(ss, ss["Z"] + dZ)
    np.testing.assert_allclose(x_hd, x, rtol=0, atol=1e-8)
    ref = rbc_paths(x[:T], x[T:], ss["Z"] + dZ, ss, extend=True)
    levels = irf + ss
    for k in ("Y", "C", "r", "w", "I"):
        np.testing.assert_allclose(levels[k], ref[k], rtol=0, atol=1e-8, err_msg=k)
    # the shock is large enough for nonlinearity to matter
    lin = model.solve_impulse_linear(ss, unknowns, targets, {"Z": dZ})
    assert np.max(np.abs(lin["C"] - irf["C"])) > 1e-5


def test_linear_and_nonlinear_agree_to_second_order(example):
    model, ss, unknowns, targets, _ = example
    T = 150
    shape = 0.9 ** np.arange(T)
    errs = []
    for eps in (1e-4, 2e-4):
        dZ = eps * shape
        lin = model.solve_impulse_linear(ss, unknowns, targets, {"Z": dZ})
        nl = model.solve_impulse_nonlinear(ss, unknowns, targets, {"Z": dZ}, tol=1e-14)
        err = max(np.max(np.abs(lin[k] - nl[k])) for k in ("Y", "C", "K", "L", "r"))
        assert err < 10 * eps**2
        errs.append(err)
    # halving the shock quarters the gap: the difference is second order
    assert 3.0 < errs[1] / errs[0] < 5.0


def test_no_unknowns_gives_the_jacobian_of_the_equations(example):
    """Issue 16: with no unknowns (sequence-jacobian allows it) G is the model's Jacobian;
    the determinacy check used to fail on the empty H_U. Here against the firm's
    derivatives by hand: dY_t = (Y/Z) dZ_t + alpha (Y/K) dK_{t-1}, K and L held fixed."""
    ss, model, T = example.ss, example.model, 12
    G = model.solve_jacobian(ss, [], [], ["K", "Z"], T=T)
    Y, K, Z, alpha = (float(ss[k]) for k in ("Y", "K", "Z", "alpha"))
    np.testing.assert_allclose(np.asarray(G["Y"]["Z"]), Y / Z * np.eye(T), atol=1e-12)
    np.testing.assert_allclose(np.asarray(G["Y"]["K"]), alpha * Y / K * np.eye(T, k=-1), atol=1e-12)
    J = model.jacobian(ss, ["K", "Z"], T=T)
    for o in J:
        for z in J[o]:
            np.testing.assert_allclose(np.asarray(G[o][z]), np.asarray(J[o][z]), atol=1e-14)
    dZ = 0.01 * 0.8 ** np.arange(T)
    irf = model.solve_impulse_linear(ss, [], [], {"Z": dZ})
    np.testing.assert_allclose(irf["Y"], Y / Z * dZ, atol=1e-14)
