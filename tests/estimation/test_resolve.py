"""log_posterior re-solves only what a parameter touches (one-asset HANK, small grid)."""

import numpy as np
import pytest

from hetdag import estimation as est
from hetdag.examples import hank

SHOCKS = {"ishock": est.AR1(0.6, 0.0025), "Z": est.AR1(0.9, 0.01), "rstar": est.AR1(0.8, 0.002)}
SS_SPEC = {
    "unknowns": {"beta": 0.98, "vphi": 0.8},
    "targets": {"asset_mkt": 0.0, "labor_mkt": 0.0},
}


@pytest.fixture(scope="module")
def hank_small():
    return hank.example(n_e=3, n_a=80)


def make_problem(ex, T=200):
    priors = est.Priors(
        rho_ishock=est.Beta(0.5, 0.2),
        sigma_Z=est.InvGamma(0.01, 0.01),
        phi=est.Normal(1.5, 0.25),
        eis=est.Gamma(0.5, 0.1),
    )
    p = est.EstimationProblem(
        ex.model,
        ex.ss,
        ex.unknowns,
        ex.targets,
        ["Y", "pi", "i"],
        SHOCKS,
        priors,
        T=T,
        steady_state=SS_SPEC,
    )
    p.set_data(p.simulate(60, seed=0))
    return p


def test_counts_fake_news_passes(hank_small, monkeypatch):
    p = make_problem(hank_small)
    assert p.kinds == {"rho_ishock": "shock", "sigma_Z": "shock", "phi": "block", "eis": "het"}
    hh = hank_small.model["household"]
    calls = {"n": 0}
    original = hh._jacobian

    def counted(*args, **kwargs):
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(hh, "_jacobian", counted)
    x0 = p.initial
    p.log_posterior(x0)
    start = calls["n"]  # the starting household Jacobian (from the cache if computed before)
    assert start <= 1
    x = x0.copy()
    for rho in (0.5, 0.55, 0.7):  # shock parameters: no Jacobian at all
        x[0] = rho
        assert np.isfinite(p.log_posterior(x))
    # H_U was formed once, at the start
    assert calls["n"] == start and p.counts["linear_systems"] == 1
    for phi in (1.4, 1.6, 1.8):  # a Taylor-rule coefficient: no fake-news pass
        x[2] = phi
        assert np.isfinite(p.log_posterior(x))
    assert calls["n"] == start and p.counts["linear_systems"] == 4
    x[1], x[0] = 0.012, 0.65  # shock parameters at the new phi: H_U not re-formed
    p.log_posterior(x)
    assert calls["n"] == start and p.counts["linear_systems"] == 4
    x[3] = 0.55  # a household parameter: a new steady state and one fake-news pass
    p.log_posterior(x)
    assert calls["n"] == start + 1 and p.counts["steady_states"] == 1
    x[2] = 1.7  # then phi again, at the new household state: no fake-news pass
    p.log_posterior(x)
    assert calls["n"] == start + 1
    assert p.counts["household_jacobians"] == 1


def test_reused_jacobians_give_the_full_solution(hank_small):
    """Impulses with the stored household Jacobian equal a full re-solve of the model."""
    ex = hank_small
    p = make_problem(ex)
    x = p.initial.copy()
    x[2], x[3] = 1.8, 0.45
    M, _ = p.impulse_responses(x)
    model = ex.model
    cal = {k: ex.ss[k] for k in model.inputs}
    cal.update(phi=1.8, eis=0.45)
    ss = model.solve_steady_state(cal, **SS_SPEC)
    vals = p.values(x)
    for b, z in enumerate(SHOCKS):
        path = vals[f"rho_{z}"] ** np.arange(p.T)
        irf = model.solve_impulse_linear(ss, ex.unknowns, ex.targets, {z: path})
        for a, o in enumerate(p.observables):
            assert np.allclose(M[:, a, b], irf[o], rtol=0, atol=1e-7 * np.abs(irf[o]).max())


def test_block_parameter_that_moves_household_needs_steady_state_spec(hank_small):
    ex = hank_small
    priors = est.Priors(B=est.Normal(5.6, 0.5))
    p = est.EstimationProblem(
        ex.model, ex.ss, ex.unknowns, ex.targets, ["Y"], {"Z": est.AR1(0.9, 0.01)}, priors, T=200
    )
    assert p.kinds == {"B": "block"}
    p.set_data(np.zeros((10, 1)))
    with pytest.raises(Exception, match=r"parameter\(s\) \['B'\] move the steady state"):
        p.log_likelihood([5.8])
