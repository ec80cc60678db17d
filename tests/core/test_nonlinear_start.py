"""The nonlinear solver's start from a cached linear solution (a shortcut, not a method):
its answer must equal the one from the steady-state start, with fewer household paths."""

from __future__ import annotations

import numpy as np

from hetdag.examples import krusell_smith


def test_linear_start_gives_the_same_transition_with_fewer_paths():
    ex = krusell_smith.example(3, 60)
    model, ss, T = ex.model, ex.ss, 120
    shock = {"Z": 0.03 * ss["Z"] * 0.9 ** np.arange(T)}
    hh = model["household"]
    calls = {"n": 0}
    path = hh._path

    def counted(*args, **kw):
        calls["n"] += 1
        return path(*args, **kw)

    hh._path = counted
    model.clear_caches()
    cold = model.solve_impulse_nonlinear(ss, ex.unknowns, ex.targets, shock, tol=1e-10)
    n_cold = calls["n"]
    # G w.r.t. Z is now cached, so the solver may start from the linear solution
    model.solve_jacobian(ss, ex.unknowns, ex.targets, ["Z"], T=T)
    calls["n"] = 0
    warm = model.solve_impulse_nonlinear(ss, ex.unknowns, ex.targets, shock, tol=1e-10)
    assert calls["n"] < n_cold, (calls["n"], n_cold)
    for k in ("K", "r", "w", "C", "Y"):
        np.testing.assert_allclose(warm[k], cold[k], atol=1e-9 * np.max(np.abs(cold[k])))
    # the equilibrium holds on the reused last evaluation: check it by a fresh one
    check = model.impulse_nonlinear_partial(ss, {"Z": shock["Z"], "K": warm["K"]})
    assert np.max(np.abs(check["asset_mkt"])) < 1e-9
