"""Deep equilibrium nets against Krusell–Smith on the DJJ economy, side by side.

Solves the DJJ (2010) economy with the Krusell–Smith backend and with the DEQN backend
in three configurations (history state + residual training, histogram state +
residual, history state + time iteration), then simulates every solution's own
policies with the full histogram on ONE common aggregate path (seed 2026; all start
from the Krusell–Smith ergodic histogram and run a 1,000-period burn-in first). For each
it prints: method, encoding, training, wall time, the Euler-error statistics on the
common path (log10 mean / p99 / max; mass-weighted, by the one function all backends
share), the DEQN's own validation numbers (its independent 10,000-period path), and the
gap ``100 |log K - log K_ks|`` (max / mean, percent) against Krusell–Smith.

Run:  ``PYTHONPATH=src python benchmarks/deqn.py [--quick] [--json out.json]``
(full run about 10 minutes on two cores; ``--quick`` uses tiny grids and short runs).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

CONFIGS = [("history", "residual"), ("histogram", "residual"), ("history", "time_iteration")]
QUICK_DEQN = dict(
    H=16,
    n_a=60,
    a_max=300.0,
    hidden=(32, 32),
    n_basis=16,
    n_epochs=200,
    n_buffer=64,
    n_sim=10,
    T_val=500,
    T_burn_val=100,
    eval_every=0,
)
QUICK_KS = dict(n_a=60, a_max=300.0, T=3000, burn_in=300, T_den_haan=500, tol=1e-4)


def run(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny grids and short runs")
    p.add_argument("--T", type=int, default=10_000, help="common path length")
    p.add_argument("--burn", type=int, default=1000, help="burn-in before the common path")
    p.add_argument("--configs", default="all", help="e.g. history/residual,histogram/residual")
    p.add_argument("--json", default=None, help="also write the rows to this JSON file")
    p.add_argument("--progress", action="store_true")
    args = p.parse_args(argv)

    from hetdag.backends.krusell_smith import draw_aggregate_path
    from hetdag.examples.krusell_smith import solve_aggregate_risk

    T, burn = (500, 100) if args.quick else (args.T, args.burn)
    configs = (
        CONFIGS if args.configs == "all" else [tuple(c.split("/")) for c in args.configs.split(",")]
    )
    t0 = time.perf_counter()
    ks = solve_aggregate_risk(
        "krusell_smith", progress=args.progress, **(QUICK_KS if args.quick else {})
    )
    ks_time = time.perf_counter() - t0
    z = draw_aggregate_path(ks.risk.Pi_z, burn + T, 2026, z0=int(ks.D_z))
    ks_burn = ks.simulate(z[:burn], errors=False)
    ks_path = ks.simulate(z[burn - 1 :], D0=ks_burn["D"])
    rows = [_row("krusell_smith", "(K, z) rule", "OLS fixed point", ks_time, ks_path, None)]
    logK_ks = np.log(ks_path["K"])
    for state, training in configs:
        opts = dict(QUICK_DEQN if args.quick else {})
        t0 = time.perf_counter()
        sol = solve_aggregate_risk(
            "deqn", state=state, training=training, progress=args.progress, **opts
        )
        wall = time.perf_counter() - t0
        burn_out = sol.simulate(z[:burn], D0=ks.D, pre_history=np.full(256, z[0]), errors=False)
        path = sol.simulate(
            z[burn - 1 :], D0=burn_out["D"], pre_history=burn_out["z_hist_end"][::-1][:-1]
        )
        row = _row("deqn", state, training, wall, path, sol)
        gap = 100 * np.abs(np.log(path["K"]) - logK_ks)
        row.update(K_gap_max=float(gap.max()), K_gap_mean=float(gap.mean()))
        rows.append(row)
    _print(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return rows


def _row(method, encoding, training, wall, path, sol) -> dict:
    e = path["euler"]
    row = dict(
        method=method,
        encoding=encoding,
        training=training,
        wall_s=wall,
        euler_mean=e["mean"],
        euler_p99=e["p99"],
        euler_max=e["max"],
        K_mean=float(np.mean(path["K"])),
        K_gap_max=0.0,
        K_gap_mean=0.0,
    )
    if sol is not None:
        row.update(
            val_euler_mean=sol.euler_error_mean,
            val_euler_p99=sol.euler_error_p99,
            val_euler_max=sol.euler_error_max,
            success=bool(sol.success),
        )
    return row


def _print(rows: list[dict]) -> None:
    head = (
        f"{'method':14s} {'encoding':11s} {'training':15s} {'wall s':>7s} "
        f"{'EE mean':>8s} {'EE p99':>7s} {'EE max':>7s} {'val mean':>8s} {'val p99':>7s} "
        f"{'K mean':>8s} {'gap max%':>8s} {'gap mean%':>9s}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        val = (
            f"{r['val_euler_mean']:8.2f} {r['val_euler_p99']:7.2f}"
            if "val_euler_mean" in r
            else f"{'':8s} {'':7s}"
        )
        print(
            f"{r['method']:14s} {r['encoding']:11s} {r['training']:15s} {r['wall_s']:7.1f} "
            f"{r['euler_mean']:8.2f} {r['euler_p99']:7.2f} {r['euler_max']:7.2f} {val} "
            f"{r['K_mean']:8.3f} {r['K_gap_max']:8.3f} {r['K_gap_mean']:9.4f}"
        )


if __name__ == "__main__":
    run()
