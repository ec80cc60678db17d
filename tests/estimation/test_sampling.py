"""Mode finding and sampling on a model whose observable is an AR(1)."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import hetdag as hd  # noqa: E402
from hetdag import estimation as est  # noqa: E402
from hetdag.estimation._draws import effective_sample_size  # noqa: E402

TRUTH = {"rho_x": 0.8, "sigma_x": 0.5}


@hd.simple
def passthrough(x, u):
    y = u
    res = u - x
    return y, res


@pytest.fixture(scope="module")
def problem():
    model = hd.create_model([passthrough], name="toy")
    ss = model.steady_state({"x": 0.0, "u": 0.0})
    priors = est.Priors(rho_x=est.Beta(0.5, 0.2), sigma_x=est.InvGamma(0.3, 0.3))
    p = est.EstimationProblem(
        model, ss, ["u"], ["res"], ["y"], {"x": est.AR1(0.8, 0.5)}, priors, T=200
    )
    p.set_data(p.simulate(400, seed=3))
    return p


@pytest.fixture(scope="module")
def mode(problem):
    return est.find_mode(problem, x0=[0.5, 0.3], progress=False)


def test_mode_and_laplace_sd(problem, mode):
    y = problem.data[:, 0]
    rho_ols = y[1:] @ y[:-1] / (y[:-1] @ y[:-1])
    assert mode.success
    assert mode.x["rho_x"] == pytest.approx(rho_ols, abs=0.02)
    for k, v in TRUTH.items():
        assert abs(mode.x[k] - v) < 0.1 * v
    # asymptotic sd of an AR(1) coefficient: sqrt((1 - rho^2) / n)
    assert mode.sd[0] == pytest.approx(np.sqrt((1 - 0.8**2) / 400), rel=0.25)
    assert set(mode.to_frame().columns) == {"mode", "sd"}


@pytest.mark.parametrize("method", ["rwmh", "emcee"])
def test_posterior_covers_truth(problem, mode, method):
    kw = {"n_draws": 1500} if method == "rwmh" else {"n_draws": 200, "n_walkers": 10}
    draws = est.sample(problem, method=method, start=mode, seed=1, progress=False, **kw)
    mean, sd = draws.mean, draws.sd
    for k, v in TRUTH.items():
        assert abs(mean[k] - v) < 2 * sd[k]
        assert sd[k] == pytest.approx(mode.sd[problem.names.index(k)], rel=0.35)
    acc = draws.acceptance.mean()
    assert 0.1 < acc < 0.9
    table = draws.summary(truth=TRUTH)
    assert list(table.columns) == ["mean", "sd", "q5", "q50", "q95", "ess", "acceptance", "truth"]
    assert (table["ess"] > 10).all()
    df = draws.to_frame()
    assert len(df) == draws.chains.shape[0] * draws.chains.shape[1]
    assert {"chain", "draw", "rho_x", "sigma_x", "log_posterior"} <= set(df.columns)
    fig1, fig2 = draws.plot_trace(truth=TRUTH), draws.plot_corner(truth=TRUTH)
    assert len(fig1.axes) == 2 and len(fig2.axes) == 4
    plt.close("all")


def test_effective_sample_size_of_ar1_chain():
    """ESS of an AR(1) chain with coefficient a is about n (1 - a) / (1 + a)."""
    rng = np.random.default_rng(0)
    a, n = 0.7, 20_000
    x = np.empty(n)
    x[0] = 0
    for t in range(1, n):
        x[t] = a * x[t - 1] + rng.standard_normal()
    assert effective_sample_size(x) == pytest.approx(n * (1 - a) / (1 + a), rel=0.15)
    iid = rng.standard_normal((2000, 4))
    assert effective_sample_size(iid) == pytest.approx(8000, rel=0.15)


def test_sampling_errors(problem):
    with pytest.raises(hd.errors.ModelSpecError, match="needs a proposal covariance"):
        est.sample(problem, method="rwmh", progress=False)
    with pytest.raises(hd.errors.ModelSpecError, match="method='gibbs'"):
        est.sample(problem, method="gibbs", progress=False)
    with pytest.raises(hd.errors.ConvergenceError, match="at the starting point"):
        est.find_mode(problem, x0=[1.5, 0.3], progress=False)
