"""How low can the Den Haan statistic go with a log-linear rule on the DJJ economy?

Solves Krusell–Smith with aggregate risk (DJJ 2010 calibration) by the global backend,
then, on ``--paths`` independent 10,000-quarter aggregate paths started from the ergodic
histogram, reports three Den Haan statistics (max / mean of ``100 |log K - log K_rule|``):

* ``solution``: the rule the backend converged to (OLS on its 100,000-quarter path);
* ``ols on path``: the rule re-estimated by OLS on that very path (in-sample);
* ``best max`` / ``best mean``: the rule ``log K' = a_z + b_z log K`` that minimises the
  path's max (or mean) gap directly, searched by Nelder–Mead from nine starts.

The last two are what the best rule of that form found by direct search achieves on the
path itself, knowing the path: if they exceed the issue's targets (max <= 0.1%, mean <=
0.02%), no way of estimating that rule from other data meets them on this economy
(short of a better optimum the search missed).

Run:  ``PYTHONPATH=src python benchmarks/den_haan_floor.py [--n-a 200] [--paths 5]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))


def best_rule(K: np.ndarray, z: np.ndarray, start: np.ndarray, which: str) -> np.ndarray:
    """Rule (n_z, 2) minimising the Den Haan max (``which="max"``) or mean on one path.

    Nelder-Mead with restarts from the OLS rule and from 8 rules around it whose slopes
    differ by up to +-0.01 (intercepts moved to keep each state's fixed point); the best
    result is kept. It is the best rule *found*: a search, not a certificate.
    """
    from scipy.optimize import minimize

    from hetdag.backends.krusell_smith import den_haan_statistic, rule_path

    pick = 0 if which == "max" else 1

    def gap(c: np.ndarray) -> float:
        return den_haan_statistic(K, rule_path(c.reshape(start.shape), z, K[0]))[pick]

    rng = np.random.default_rng(0)
    fixed = start[:, 0] / (1 - start[:, 1])  # log K where each state's rule stays put
    starts = [start]
    for _ in range(8):
        b = start[:, 1] + rng.uniform(-0.01, 0.01, start.shape[0])
        starts.append(np.column_stack([(1 - b) * fixed, b]))
    best, best_val = start, np.inf
    for s0 in starts:
        x = s0.ravel().copy()
        for _ in range(3):  # restarts escape Nelder-Mead's early collapse on a kinked max
            x = minimize(gap, x, method="Nelder-Mead", options=dict(xatol=1e-10, fatol=1e-10)).x
        if gap(x) < best_val:
            best, best_val = x.reshape(start.shape), gap(x)
    return best


def ols_rule(K: np.ndarray, z: np.ndarray, n_z: int) -> np.ndarray:
    from hetdag.backends.krusell_smith import estimate_rule

    return estimate_rule(K, z, 0, np.zeros((n_z, 2)))[0]


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-a", type=int, default=200, help="asset grid points (default 200)")
    p.add_argument("--paths", type=int, default=5, help="independent Den Haan paths")
    p.add_argument("--T", type=int, default=10_000, help="length of each Den Haan path")
    p.add_argument("--quick", action="store_true", help="tiny grids and paths (smoke test)")
    a = p.parse_args(argv)

    from hetdag.backends.krusell_smith import (
        den_haan_statistic,
        draw_aggregate_path,
        rule_path,
        simulate_histogram,
    )
    from hetdag.examples.krusell_smith import solve_aggregate_risk

    opts = dict(n_a=a.n_a, progress=False)
    T = a.T
    if a.quick:
        opts.update(n_a=40, T=3000, burn_in=300, T_den_haan=500, tol=1e-4)
        T = 500
    t0 = time.perf_counter()
    sol = solve_aggregate_risk(**opts)
    print(f"solved in {time.perf_counter() - t0:.1f} s, {sol['iterations']} outer iterations")
    risk = sol["risk"]
    n_z = risk.n_z
    pol = sol["policies"]["a"].reshape(n_z * risk.n_e, sol["K_grid"].size, -1)
    rows = []
    print(f"{'path':>4} {'rule':>12} {'max %':>8} {'mean %':>8}")
    for k in range(a.paths):
        z = draw_aggregate_path(risk.Pi_z, T, seed=1000 + k, z0=sol["D_z"])
        K = simulate_histogram(pol, sol["K_grid"], sol["a_grid"], z, risk.Pi_cond, sol["D"])[0]
        ols = ols_rule(K, z, n_z)
        rules = {
            "solution": sol["coefficients"],
            "ols on path": ols,
            "best max": best_rule(K, z, ols, "max"),
            "best mean": best_rule(K, z, ols, "mean"),
        }
        for name, c in rules.items():
            mx, mn = den_haan_statistic(K, rule_path(c, z, K[0]))
            rows.append(dict(path=k, rule=name, max=mx, mean=mn))
            print(f"{k:>4} {name:>12} {mx:8.4f} {mn:8.4f}")
    print("\naverage over paths")
    for name in ("solution", "ols on path", "best max", "best mean"):
        sel = [r for r in rows if r["rule"] == name]
        print(
            f"{name:>17} {np.mean([r['max'] for r in sel]):8.4f} "
            f"{np.mean([r['mean'] for r in sel]):8.4f}"
        )
    return rows


if __name__ == "__main__":
    main()
