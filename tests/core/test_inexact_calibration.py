"""Brent's calibration with inexact household solves far from the root.

The reference is the same calibration with every household solve exact; the
misleading-block test checks the fallback against a root known in closed form.
"""

from __future__ import annotations

import pytest

import hetdag.solvers._steady_state as S
from hetdag.blocks._block import Block
from hetdag.examples import krusell_smith
from hetdag.solvers._protocol import granted_tolerance


def test_inexact_brent_matches_exact_calibration_with_fewer_steps(monkeypatch, count_steps):
    model = krusell_smith.build_model()
    hh = model["household"]
    calls = count_steps(hh)
    inexact = krusell_smith.steady_state(model, 3, 60, progress=False)
    n_inexact = calls["n"]
    hh._warm.clear()
    monkeypatch.setattr(S, "LOOSE_MAX", 0.0)
    exact = krusell_smith.steady_state(model, 3, 60, progress=False)
    n_exact = calls["n"] - n_inexact
    assert abs(inexact["asset_mkt"]) < 1e-9 and abs(exact["asset_mkt"]) < 1e-9
    assert inexact["beta"] == pytest.approx(exact["beta"], abs=1e-12)
    assert inexact["A"] == pytest.approx(exact["A"], rel=1e-9)
    assert n_inexact < 0.8 * n_exact, (n_inexact, n_exact)


class _Misleading(Block):
    """res = x - 0.5 exactly, but 0.3 too high whenever a loose tolerance is granted."""

    name = "misleading"
    inputs = ("x",)
    outputs = ("res",)

    def _steady_state(self, values):
        bias = 0.3 if granted_tolerance() > 0 else 0.0
        return {"res": values["x"] - 0.5 + bias}, {}


def test_brent_reruns_exactly_when_loose_solves_mislead():
    ss = S.solve_steady_state(_Misleading(), {}, {"x": (0.0, 1.0)}, {"res": 0.0})
    assert ss["x"] == pytest.approx(0.5, abs=1e-12)
    assert abs(ss["res"]) < 1e-9


def test_loose_tolerance_does_not_leak_out_of_the_solver():
    S.solve_steady_state(_Misleading(), {}, {"x": (0.0, 1.0)}, {"res": 0.0})
    assert granted_tolerance() == 0.0
