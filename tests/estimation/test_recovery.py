"""Parameter recovery on 500 quarters simulated from the one-asset HANK example."""

import time

import pytest

from hetdag import estimation as est
from hetdag.examples import hank

TRUTH = {
    "rho_ishock": 0.6,
    "sigma_ishock": 0.0025,
    "rho_Z": 0.9,
    "sigma_Z": 0.01,
    "rho_beta": 0.7,
    "sigma_beta": 0.002,
}


def hank_problem(n_e=7, n_a=500, n_periods=500, T=300):
    ex = hank.example(n_e=n_e, n_a=n_a)
    shocks = {
        "ishock": est.AR1(TRUTH["rho_ishock"], TRUTH["sigma_ishock"]),
        "Z": est.AR1(TRUTH["rho_Z"], TRUTH["sigma_Z"]),
        "beta": est.AR1(TRUTH["rho_beta"], TRUTH["sigma_beta"]),
    }
    priors = est.Priors(
        rho_ishock=est.Beta(0.5, 0.2),
        sigma_ishock=est.InvGamma(0.005, 0.005),
        rho_Z=est.Beta(0.5, 0.2),
        sigma_Z=est.InvGamma(0.005, 0.005),
        rho_beta=est.Beta(0.5, 0.2),
        sigma_beta=est.InvGamma(0.005, 0.005),
    )
    p = est.EstimationProblem(
        ex.model, ex.ss, ex.unknowns, ex.targets, ["Y", "pi", "i"], shocks, priors, T=T
    )
    p.set_data(p.simulate(n_periods, seed=0))
    return p


@pytest.mark.slow
def test_hank_shock_parameters_are_recovered():
    p = hank_problem()
    t = time.perf_counter()
    start = [0.5, 0.005, 0.5, 0.005, 0.5, 0.005]  # the prior means, not the truth
    mode = est.find_mode(p, x0=start, progress=False)
    t_mode = time.perf_counter() - t
    t = time.perf_counter()
    draws = est.sample(p, 4000, method="rwmh", start=mode, burn=2000, seed=0, progress=False)
    t_sample = time.perf_counter() - t
    table = draws.summary(truth=TRUTH)
    table["mode"] = mode.x
    print(table.to_string())
    print(f"mode {t_mode:.1f} s ({mode.nfev} evaluations), rwmh {t_sample:.1f} s")
    for k, v in TRUTH.items():
        assert abs(mode.x[k] - v) < 0.1 * v, k
        assert abs(draws.mean[k] - v) < 2 * draws.sd[k], k
