"""G of the targets: reported as exact zeros; the equilibrium they stand for is checked
by composing the model's own Jacobians with G of the unknowns."""

from __future__ import annotations

import numpy as np

from hetdag.examples import krusell_smith


def test_targets_are_zero_and_hold_to_first_order():
    ex = krusell_smith.example(3, 60)
    T = 80
    G = ex.model.solve_jacobian(ex.ss, ex.unknowns, ex.targets, ex.exogenous, T=T)
    J = ex.model.jacobian(ex.ss, ex.unknowns + ex.exogenous, T=T)
    for t in ex.targets:
        for z in ex.exogenous:
            assert np.array_equal(np.asarray(G[t][z]), np.zeros((T, T)))
            # H_Z + H_U G_U: what the zeros stand for
            resid = J.stack([t], [z]) + J.stack([t], ex.unknowns) @ np.vstack(
                [np.asarray(G[u][z]) for u in ex.unknowns]
            )
            assert np.max(np.abs(resid)) < 1e-10 * np.max(np.abs(J.stack([t], [z])))


def test_g_computes_each_household_jacobian_once(monkeypatch):
    """G needs one fake-news pass, for all the household inputs that the unknowns and the
    shocks move: the unknown K reaches the household through r and w, Z does too, and
    beta is a direct input that K does not reach. H_U is served from the same pass."""
    ex = krusell_smith.example(3, 60)
    hh = next(b for b in ex.model.blocks if b.kind == "het")
    calls = []
    real = hh._jacobian
    monkeypatch.setattr(
        hh, "_jacobian", lambda ss, inputs, T: calls.append(inputs) or real(ss, inputs, T)
    )
    for shocks in (["Z"], ["Z", "beta"]):
        ex.model.clear_caches()
        calls.clear()
        G = ex.model.solve_jacobian(ex.ss, ex.unknowns, ex.targets, shocks, T=40)
        assert len(calls) == 1 and set(shocks) - {"Z"} <= set(calls[0])
    # beta moves the households' saving, so capital: not a zero column
    assert np.max(np.abs(np.asarray(G["K"]["beta"]))) > 0
