"""The nonlinear solver's start from the linear solution (a shortcut, not a method):
its answer must equal the one from the steady-state start, with fewer household paths,
and it must never pay for a fake-news pass of its own."""

from __future__ import annotations

import numpy as np
import pytest

import hetdag.solvers._nonlinear as nonlinear
from hetdag.examples import krusell_smith


@pytest.fixture
def ks():
    ex = krusell_smith.example(3, 60)
    hh = ex.model["household"]
    calls = {"path": 0, "jacobian": 0}
    path, jac = hh._path, hh._jacobian

    def counted_path(*args, **kw):
        calls["path"] += 1
        return path(*args, **kw)

    def counted_jacobian(*args, **kw):
        calls["jacobian"] += 1
        return jac(*args, **kw)

    hh._path, hh._jacobian = counted_path, counted_jacobian
    ex.model.clear_caches()
    return ex, calls


def test_linear_start_gives_the_same_transition_with_fewer_paths(ks, monkeypatch):
    ex, calls = ks
    model, ss, T = ex.model, ex.ss, 120
    shock = {"Z": 0.03 * ss["Z"] * 0.9 ** np.arange(T)}
    with monkeypatch.context() as m:
        m.setattr(nonlinear, "_cached_linear_guess", lambda *a, **k: None)
        cold = model.solve_impulse_nonlinear(ss, ex.unknowns, ex.targets, shock, tol=1e-10)
    n_cold, n_jac = calls["path"], calls["jacobian"]
    assert n_jac == 1  # H_U's household Jacobian (w, r)
    calls["path"] = 0
    # Z enters the firm, upstream of the household: H_Z composes from the cached
    # household Jacobian, without a fake-news pass
    warm = model.solve_impulse_nonlinear(ss, ex.unknowns, ex.targets, shock, tol=1e-10)
    assert calls["jacobian"] == n_jac
    assert calls["path"] < n_cold, (calls["path"], n_cold)
    for k in ("K", "r", "w", "C", "Y"):
        np.testing.assert_allclose(warm[k], cold[k], atol=1e-9 * np.max(np.abs(cold[k])))
    # the equilibrium holds on the reused last evaluation: check it by a fresh one
    check = model.impulse_nonlinear_partial(ss, {"Z": shock["Z"], "K": warm["K"]})
    assert np.max(np.abs(check["asset_mkt"])) < 1e-9


def test_no_fake_news_pass_for_a_shock_into_the_household(ks):
    # beta moves the household directly; its Jacobian w.r.t. beta is not cached, so
    # the solver starts from the steady state rather than run a pass for the guess
    ex, calls = ks
    model, ss, T = ex.model, ex.ss, 60
    shock = {"beta": 1e-4 * 0.8 ** np.arange(T)}
    irf = model.solve_impulse_nonlinear(ss, ex.unknowns, ex.targets, shock, tol=1e-10)
    assert calls["jacobian"] == 1  # H_U only
    assert irf.max_residual < 1e-10
