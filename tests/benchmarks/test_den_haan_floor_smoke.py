"""Smoke test of benchmarks/den_haan_floor.py in --quick mode (tiny grids, short paths).

Checks that the direct search does what its rows claim: started from the OLS rule, the
rule it returns for each criterion is at least as good as OLS on that criterion, and
the statistics agree with an independent NumPy evaluation of the rule-only path.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "den_haan_floor.py"


@pytest.fixture(scope="module")
def floor():
    spec = importlib.util.spec_from_file_location("den_haan_floor", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# the 40-point quick grid clips a few choices at the top of the asset grid; harmless here
@pytest.mark.filterwarnings("ignore::hetdag.errors.GridBoundaryWarning")
def test_quick_run_rows(floor, capsys):
    rows = floor.main(["--quick", "--paths", "1"])
    by = {r["rule"]: r for r in rows}
    assert set(by) == {"solution", "ols on path", "best max", "best mean"}
    assert by["best max"]["max"] <= by["ols on path"]["max"] + 1e-12
    assert by["best mean"]["mean"] <= by["ols on path"]["mean"] + 1e-12
    assert all(np.isfinite([r["max"], r["mean"]]).all() for r in rows)
    assert "average over paths" in capsys.readouterr().out


def test_best_rule_statistic_matches_numpy(floor):
    rng = np.random.default_rng(3)
    z = rng.integers(0, 2, 400)
    logK = np.empty(400)
    logK[0] = np.log(40.0)
    for t in range(399):  # a rule plus a slow wiggle that no rule of this form fits
        logK[t + 1] = (0.12, 0.14)[z[t]] + 0.966 * logK[t] + 2e-4 * np.sin(t / 30)
    K = np.exp(logK)
    start = floor.ols_rule(K, z, 2)
    best = floor.best_rule(K, z, start, "mean")
    rule = np.empty(400)
    rule[0] = logK[0]
    for t in range(399):
        rule[t + 1] = best[z[t], 0] + best[z[t], 1] * rule[t]
    gap = 100 * np.abs(logK[1:] - rule[1:])
    from hetdag.backends.krusell_smith import den_haan_statistic, rule_path

    mx, mn = den_haan_statistic(K, rule_path(best, z, K[0]))
    assert mn == pytest.approx(gap.mean(), rel=1e-10) and mx == pytest.approx(gap.max())
    ols_mean = den_haan_statistic(K, rule_path(start, z, K[0]))[1]
    assert mn <= ols_mean
