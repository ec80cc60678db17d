"""The estimation problem's likelihood against independent references: the exact
multivariate normal of ARMA observables, and a Kalman filter on an RBC's QZ solution."""

import numpy as np
import pytest
from scipy import linalg
from scipy.stats import multivariate_normal

import hetdag as hd
from hetdag import estimation as est
from hetdag.errors import ModelSpecError
from hetdag.examples import rbc

LOG2PI = np.log(2 * np.pi)


@hd.simple
def passthrough(x, u, v, c):
    y = u
    w = v + c * u
    res = u - x
    return y, w, res


def toy_problem(process, priors=None, **kw):
    """y_t = x_t exactly: the observable is the shock process itself."""
    model = hd.create_model([passthrough], name="toy")
    ss = model.steady_state({"x": 0.0, "u": 0.0, "v": 0.0, "c": 1.0})
    priors = priors or est.Priors(rho_x=est.Beta(0.5, 0.2), sigma_x=est.InvGamma(0.5, 0.5))
    return est.EstimationProblem(
        model, ss, ["u"], ["res"], ["y"], {"x": process}, priors, T=kw.pop("T", 400), **kw
    )


def arma_autocovariance(rho, theta, sigma, n):
    g = np.empty(n)
    g[0] = sigma**2 * (1 + 2 * rho * theta + theta**2) / (1 - rho**2)
    g[1] = sigma**2 * (1 + rho * theta) * (rho + theta) / (1 - rho**2)
    for h in range(2, n):
        g[h] = rho * g[h - 1]
    return g


@pytest.mark.parametrize(
    "process", [est.AR1(0.85, 0.4), est.ARMA11(0.7, 0.5, 0.3), est.ARMA11(0.9, -0.4, 1.0)], ids=repr
)
def test_problem_likelihood_equals_exact_arma_likelihood(process):
    priors = est.Priors(
        {
            f"{k}_x": est.Uniform(-0.99, 0.99) if k != "sigma" else est.Uniform(0, 5)
            for k in process.params
        }
    )
    p = toy_problem(process, priors)
    v = process.values
    n = 120
    V = linalg.toeplitz(arma_autocovariance(v["rho"], v.get("theta", 0.0), v["sigma"], n))
    y = multivariate_normal(np.zeros(n), V).rvs(random_state=1)
    p.set_data(y[:, None])
    exact = multivariate_normal(np.zeros(n), V).logpdf(y)
    assert p.log_likelihood() - n / 2 * LOG2PI == pytest.approx(exact, rel=1e-8)
    # at other parameters too: the problem recomputes only the impulses
    theta = p.initial * 0.9
    w = dict(zip(p.names, theta))
    V2 = linalg.toeplitz(arma_autocovariance(w["rho_x"], w.get("theta_x", 0.0), w["sigma_x"], n))
    exact2 = multivariate_normal(np.zeros(n), V2).logpdf(y)
    assert p.log_likelihood(theta) - n / 2 * LOG2PI == pytest.approx(exact2, rel=1e-8)
    assert p.counts["G"] == 1


def rbc_state_space(ss, rho, sigma):
    """The RBC linearised by complex-step derivatives of its equations, solved by QZ."""
    a, d, eis, frisch, vphi, beta = (
        ss[k] for k in ("alpha", "delta", "eis", "frisch", "vphi", "beta")
    )

    def prices(Km, L, Z):
        r = a * Z * (Km / L) ** (a - 1) - d
        w = (1 - a) * Z * (Km / L) ** a
        Y = Z * Km**a * L ** (1 - a)
        C = (w / vphi / L ** (1 / frisch)) ** eis
        return r, Y, C

    def f(v):  # v = (K_{t-1}, L_{t-1}, K_t, L_t, K_{t+1}, L_{t+1}, Z_t, Z_{t+1})
        Km, _, K, L, _, Lp, Z, Zp = v
        _, Y, C = prices(Km, L, Z)
        rp, _, Cp = prices(K, Lp, Zp)
        goods = Y - C - (K - (1 - d) * Km)
        euler = C ** (-1 / eis) - beta * (1 + rp) * Cp ** (-1 / eis)
        return np.array([euler, goods])

    def jac(fun, v0):
        h = 1e-20
        out = []
        for j in range(len(v0)):
            v = v0.astype(complex)
            v[j] += 1j * h
            out.append(fun(v).imag / h)
        return np.array(out).T

    v0 = np.array([ss["K"], ss["L"], ss["K"], ss["L"], ss["K"], ss["L"], ss["Z"], ss["Z"]])
    Jf = jac(f, v0)
    Cm, B, A, E, D = Jf[:, 0:2], Jf[:, 2:4], Jf[:, 4:6], Jf[:, 6], Jf[:, 7]
    n = 2
    F = np.block([[np.eye(n), np.zeros((n, n))], [np.zeros((n, n)), A]])
    G = np.block([[np.zeros((n, n)), np.eye(n)], [-Cm, -B]])
    _, _, alpha, beta_, _, Z = linalg.ordqz(G, F, sort="iuc", output="complex")
    assert np.sum(np.abs(alpha) < np.abs(beta_)) == n  # saddle-path stable
    P = np.real(Z[n:, :n] @ np.linalg.inv(Z[:n, :n]))
    Q = -np.linalg.solve(A @ P + B + rho * A, D * rho + E)
    # state s_t = (K_t, L_t, K_{t-1}, L_{t-1}, Z_t)
    Fs = np.zeros((5, 5))
    Fs[:2, :2], Fs[:2, 4], Fs[2:4, :2], Fs[4, 4] = P, Q * rho, np.eye(2), rho
    R = np.r_[Q, 0, 0, 1.0] * sigma
    obs = jac(
        lambda v: np.array(prices(v[0], v[1], v[2])[1:]), np.array([ss["K"], ss["L"], ss["Z"]])
    )
    H = np.zeros((2, 5))  # rows Y, C
    H[:, 2], H[:, 1], H[:, 4] = obs[:, 0], obs[:, 1], obs[:, 2]
    return Fs, R, H


def kalman_loglik(Y, Fs, R, H, me):
    Q = np.outer(R, R)
    P = linalg.solve_discrete_lyapunov(Fs, Q)
    s = np.zeros(len(R))
    ll = 0.0
    for y in Y:
        S = H @ P @ H.T + np.diag(me**2)
        e = y - H @ s
        ll += multivariate_normal(np.zeros(len(y)), S).logpdf(e)
        K = P @ H.T @ np.linalg.inv(S)
        s = s + K @ e
        P = P - K @ H @ P
        s, P = Fs @ s, Fs @ P @ Fs.T + Q
    return ll


@pytest.mark.parametrize("observables, me", [(["Y"], None), (["Y", "C"], np.array([0.004, 0.002]))])
def test_rbc_likelihood_equals_kalman_filter(observables, me):
    ex = rbc.example()
    rho, sigma = 0.8, 0.01
    priors = est.Priors(rho_Z=est.Beta(0.5, 0.2), sigma_Z=est.InvGamma(0.01, 0.01))
    p = est.EstimationProblem(
        ex.model,
        ex.ss,
        ex.unknowns,
        ex.targets,
        observables,
        {"Z": est.AR1(rho, sigma)},
        priors,
        T=600,
        sigma_measurement=me,
    )
    Fs, R, H = rbc_state_space(ex.ss, rho, sigma)
    H = H[[["Y", "C"].index(o) for o in observables]]
    rng = np.random.default_rng(0)
    n = 80
    s = np.zeros(5)
    Y = np.empty((n, len(observables)))
    for t in range(n):
        s = Fs @ s + R * rng.standard_normal()
        Y[t] = H @ s
    me_arr = np.zeros(len(observables)) if me is None else me
    Y += rng.standard_normal(Y.shape) * me_arr
    p.set_data(Y)
    ref = kalman_loglik(Y, Fs, R, H, me_arr)
    assert p.log_likelihood() - Y.size / 2 * LOG2PI == pytest.approx(ref, rel=1e-8)


def test_bad_input_names_the_variable():
    ex = rbc.example()
    priors = est.Priors(rho_Z=est.Beta(0.5, 0.2))
    args = (ex.model, ex.ss, ex.unknowns, ex.targets)
    with pytest.raises(ModelSpecError, match="observable 'GDP' is not an output of model 'RBC'"):
        est.EstimationProblem(*args, ["GDP"], {"Z": est.AR1()}, priors)
    with pytest.raises(ModelSpecError, match="shock 'eps' is not an input of model 'RBC'"):
        est.EstimationProblem(*args, ["Y"], {"eps": est.AR1()}, priors)
    with pytest.raises(
        ModelSpecError, match="parameter 'kappa' is read by no block of model 'RBC'"
    ):
        est.EstimationProblem(*args, ["Y"], {"Z": est.AR1()}, est.Priors(kappa=est.Normal(0, 1)))
    p = est.EstimationProblem(*args, ["Y", "C"], {"Z": est.AR1(0.9, 0.01)}, priors)
    with pytest.raises(
        ModelSpecError,
        match=r"data has shape \(50, 3\) \(3 columns\) but there are 2 observables \['Y', 'C'\]",
    ):
        p.set_data(np.zeros((50, 3)))
    # two observables that are the same series (w = y), no measurement error
    model = hd.create_model([passthrough], name="toy")
    ss = model.steady_state({"x": 0.0, "u": 0.0, "v": 0.0, "c": 1.0})
    p = est.EstimationProblem(
        model,
        ss,
        ["u"],
        ["res"],
        ["y", "w"],
        {"x": est.AR1(0.5, 1)},
        priors={"rho_x": est.Beta(0.5, 0.2)},
    )
    p.set_data(np.random.default_rng(0).standard_normal((30, 2)))
    with pytest.raises(est.NotPositiveDefiniteError, match="observable 'w' at period 0"):
        p.log_likelihood()
    assert p.log_posterior(p.initial) == -np.inf  # counted, not raised, inside samplers
    assert p.failures == {"NotPositiveDefiniteError": 1}
    with pytest.raises(est.NotPositiveDefiniteError):
        p.log_posterior(p.initial, raise_errors=True)


def test_nan_in_data_is_skipped():
    p = toy_problem(est.AR1(0.8, 0.5))
    y = p.simulate(60, seed=2)
    p.set_data(y)
    full = p.log_likelihood()
    y2 = y.copy()
    y2[10, 0] = np.nan
    p.set_data(y2)
    V = linalg.toeplitz(arma_autocovariance(0.8, 0.0, 0.5, 60))
    keep = ~np.isnan(y2[:, 0])
    exact = multivariate_normal(np.zeros(59), V[np.ix_(keep, keep)]).logpdf(y2[keep, 0])
    assert p.log_likelihood() - 59 / 2 * LOG2PI == pytest.approx(exact, rel=1e-8)
    assert p.log_likelihood() != full
