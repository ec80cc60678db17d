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
        hh,
        "_jacobian",
        lambda ss, inputs, T, outputs=None: calls.append(inputs) or real(ss, inputs, T, outputs),
    )
    for shocks in (["Z"], ["Z", "beta"]):
        ex.model.clear_caches()
        calls.clear()
        G = ex.model.solve_jacobian(ex.ss, ex.unknowns, ex.targets, shocks, T=40)
        assert len(calls) == 1 and set(shocks) - {"Z"} <= set(calls[0])
    # beta moves the households' saving, so capital: not a zero column
    assert np.max(np.abs(np.asarray(G["K"]["beta"]))) > 0


def test_jacobian_of_some_outputs_differentiates_only_what_they_read(monkeypatch):
    """H_U of Krusell-Smith (target asset_mkt = A - K) needs the household's A, not C:
    the fake-news pass runs for A only (issue 21), and its entries equal the full
    Jacobian's. A later request for every output still gets C."""
    ex = krusell_smith.example(3, 60)
    hh = next(b for b in ex.model.blocks if b.kind == "het")
    asked = []
    real = hh._jacobian

    def recording(ss, inputs, T, outputs=None):
        asked.append(outputs)
        return real(ss, inputs, T, outputs)

    monkeypatch.setattr(hh, "_jacobian", recording)
    ex.model.clear_caches()
    H = ex.model.jacobian(ex.ss, ex.unknowns + ["Z"], ex.targets, T=40)
    assert asked == [["A"]]
    full = ex.model.jacobian(ex.ss, ex.unknowns + ["Z"], T=40)
    assert asked[-1] == ["A", "C"]  # everything, not served from the A-only pass
    for i in ex.unknowns + ["Z"]:
        a, b = np.asarray(H["asset_mkt"][i]), np.asarray(full["asset_mkt"][i])
        assert np.array_equal(a, b), i
    assert np.max(np.abs(np.asarray(full["C"]["K"]))) > 0
