"""Estimation and scale-out timings, side by side with sequence-jacobian in one process.

1. One-asset HANK 7x500, T=300, observables Y, pi, i, shocks ishock, Z, beta (AR(1)),
   200 simulated quarters:
   a. the log-likelihood at new shock parameters: hetdag's ``EstimationProblem`` against
      sequence-jacobian's own ``estimation.all_covariances`` + ``log_likelihood`` from its
      own G (impulses ``G @ rho^t`` in both);
   b. the log-likelihood at a new Taylor-rule coefficient phi (household Jacobian from
      the cache) against re-solving G from scratch in hetdag and in sequence-jacobian,
      and against sequence-jacobian re-solving G with its household Jacobian passed in
      (``Js=``);
   c. the time per log-posterior evaluation for each kind of parameter (shock, block,
      household).
2. A sweep over 16 Krusell-Smith calibrations (7x500, beta calibrated by Brent, then G at
   T=300) on a 2-worker LocalCluster against the same sweep run serially; the cluster's
   start-up and the workers' first task (import and numba cache load) on their own lines.

    PYTHONPATH=src python benchmarks/estimation.py            # ~4 minutes on 2 cores
    PYTHONPATH=src python benchmarks/estimation.py --quick    # small grids, no targets

Times are best of N (runs alternate between the libraries, each after 0.2 s idle, as
in compare_ssj.py; the sweeps alternate serial and cluster, best of max(runs // 3, 2)).
Ratios are hetdag / reference. Per-point CPU times (the calling thread's) show how much
of a sweep's wall time other processes took.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

PAUSE = 0.2
OBS = ["Y", "pi", "i"]
SHOCKS = {"ishock": (0.6, 0.0025), "Z": (0.9, 0.01), "beta": (0.7, 0.002)}


def load_compare():
    spec = importlib.util.spec_from_file_location(
        "compare_ssj", ROOT / "benchmarks" / "compare_ssj.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["compare_ssj"] = mod
    spec.loader.exec_module(mod)
    return mod


def best(fn, n: int, args_list=None):
    """Best wall time of n calls (after 0.2 s idle each); fn(k) gets the run index."""
    t = np.inf
    out = None
    for k in range(n):
        time.sleep(PAUSE)
        t0 = time.perf_counter()
        out = fn(k)
        t = min(t, time.perf_counter() - t0)
    return t, out


def line(label: str, t_hd: float, t_ref: float | None = None, target: float | None = None):
    if t_ref is None:
        print(f"  {label:<58} {t_hd * 1e3:10.2f} ms")
        return
    r = t_hd / t_ref
    mark = (
        ""
        if target is None
        else (f"  target <= {target}: " + ("met" if r <= target else "NOT met"))
    )
    print(f"  {label:<58} {t_hd * 1e3:10.2f} ms vs {t_ref * 1e3:10.2f} ms  ratio {r:.3f}{mark}")


def hank_benchmarks(grid, T: int, n_obs: int, runs: int) -> None:
    import sequence_jacobian as sj

    from hetdag import estimation as est

    cmp = load_compare()
    cfg = cmp.Config(T=T, grids={"hank": grid})
    with cmp.quiet():
        case = cmp.build_case("hank", cfg)
    m, ss = case.hd_model, case.hd_ss
    unknowns, targets = case.unknowns, case.targets
    print(f"One-asset HANK {grid[0]}x{grid[1]}, T={T}, observables {OBS}, {n_obs} quarters")

    # ---- a. new shock parameters
    shocks = {z: est.AR1(r, s) for z, (r, s) in SHOCKS.items()}
    priors = est.Priors({f"rho_{z}": est.Beta(0.5, 0.2) for z in SHOCKS})
    priors = est.Priors({**priors, **{f"sigma_{z}": est.InvGamma(0.005, 0.005) for z in SHOCKS}})
    p = est.EstimationProblem(m, ss, unknowns, targets, OBS, shocks, priors, T=T)
    Y = p.simulate(n_obs, seed=0)
    p.set_data(Y)
    with cmp.quiet():
        G_ssj = case.ssj_model.solve_jacobian(
            case.ssj_ss, unknowns, targets, list(SHOCKS), outputs=OBS, T=T
        )
    G_ssj = {o: {z: np.asarray(G_ssj[o][z]) for z in SHOCKS} for o in OBS}

    def theta(k):
        rhos = [r * (1 - 0.01 * (k + 1)) for r, _ in SHOCKS.values()]
        return np.array(rhos + [s for _, s in SHOCKS.values()])

    def ssj_loglik(th):
        rhos, sigmas = th[:3], th[3:]
        M = np.empty((T, len(OBS), len(SHOCKS)))
        for a, o in enumerate(OBS):
            for b, z in enumerate(SHOCKS):
                M[:, a, b] = G_ssj[o][z] @ rhos[b] ** np.arange(T)
        Sigma = sj.estimation.all_covariances(M, sigmas)
        return sj.estimation.log_likelihood(Y, Sigma)

    ll_hd, ll_ssj = p.log_likelihood(theta(0)), ssj_loglik(theta(0))
    t_hd, _ = best(lambda k: p.log_likelihood(theta(k)), runs * 3)
    t_ssj, _ = best(lambda k: ssj_loglik(theta(k)), runs * 3)
    print(f"  log-likelihood hetdag {ll_hd:.10g}, sequence-jacobian {ll_ssj:.10g}")
    line("a. likelihood, new shock parameters (vs SSJ's functions)", t_hd, t_ssj, 0.5)

    # ---- b. a new Taylor-rule coefficient
    priors_phi = est.Priors({**priors, "phi": est.Normal(1.5, 0.25)})
    p_phi = est.EstimationProblem(m, ss, unknowns, targets, OBS, shocks, priors_phi, T=T)
    p_phi.set_data(Y)
    base = p_phi.initial
    p_phi.log_likelihood(base)  # the household Jacobian is now cached

    def hd_phi(k):
        x = base.copy()
        x[-1] = 1.5 + 0.01 * (k + 1)
        return p_phi.log_likelihood(x)

    def hd_scratch(k):
        s2 = ss.copy()
        s2["phi"] = 1.5 + 0.01 * (k + 1)
        m.clear_caches()
        return m.solve_jacobian(s2, unknowns, targets, list(SHOCKS), outputs=OBS, T=T)

    with cmp.quiet():
        hh_in = list(dict.fromkeys(list(case.hh_inputs) + ["beta"]))
        J_hh = case.ssj_hh.jacobian(case.ssj_ss, hh_in, T=T)

    def ssj_scratch(k, Js=None):
        s2 = case.ssj_ss.copy()
        s2["phi"] = 1.5 + 0.01 * (k + 1)
        with cmp.quiet():
            return case.ssj_model.solve_jacobian(
                s2, unknowns, targets, list(SHOCKS), outputs=OBS, T=T, Js=Js or {}
            )

    t_phi, _ = best(hd_phi, runs)
    t_scr, _ = best(hd_scratch, runs)
    t_ssj_scr, _ = best(ssj_scratch, runs)
    t_ssj_js, _ = best(lambda k: ssj_scratch(k, {case.ssj_hh.name: J_hh}), runs)
    line("b. likelihood, new phi (vs hetdag G from scratch)", t_phi, t_scr, 0.3)
    line("   likelihood, new phi (vs SSJ G from scratch)", t_phi, t_ssj_scr)
    line("   likelihood, new phi (vs SSJ G with household Js passed)", t_phi, t_ssj_js)
    # agreement of the reused-Jacobian path with a full re-solve
    x = base.copy()
    x[-1] = 1.6
    s2 = ss.copy()
    s2["phi"] = 1.6
    m.clear_caches()
    G2 = m.solve_jacobian(s2, unknowns, targets, list(SHOCKS), outputs=OBS, T=T)
    M_full = np.stack(
        [
            np.stack([G2.dense(o, z) @ (SHOCKS[z][0] ** np.arange(T)) for z in SHOCKS], 1)
            for o in OBS
        ],
        1,
    )
    M_phi, _ = p_phi.impulse_responses(x)
    print(
        f"  impulses with the stored household Jacobian vs full re-solve: max rel diff "
        f"{np.abs(M_phi - M_full).max() / np.abs(M_full).max():.1e}"
    )

    # ---- c. per kind
    priors_all = est.Priors({**priors_phi, "eis": est.Gamma(0.5, 0.1)})
    spec = {
        "unknowns": {"beta": 0.98, "vphi": 0.8},
        "targets": {"asset_mkt": 0.0, "labor_mkt": 0.0},
    }
    p_all = est.EstimationProblem(
        m, ss, unknowns, targets, OBS, shocks, priors_all, T=T, steady_state=spec
    )
    p_all.set_data(Y)
    times = p_all.time_evaluations(repeat=max(runs // 2, 2))
    print("c. seconds per log-posterior evaluation when one kind of parameter changes:")
    for kind, t in times.items():
        line(f"   {kind}", t)
    print(f"   counts: {p_all.counts}")


def ks_task_factory(n_e: int, n_a: int, T: int):
    from hetdag.distributed import ModelTask
    from hetdag.examples import krusell_smith as ks

    return ModelTask(
        ks.build_model,
        ks.calibration(n_e, n_a),
        {"beta": (0.97, 0.995)},
        {"asset_mkt": 0.0},
        report=["beta", "C", "A"],
        jacobian={
            "unknowns": ["K"],
            "targets": ["asset_mkt"],
            "inputs": ["Z"],
            "outputs": ["C", "Y", "r"],
            "T": T,
        },
    )


KS_GRID = {"eis": [0.75, 1.0, 1.25, 1.5], "sd_e": [0.45, 0.5], "rho_e": [0.95, 0.966]}


def sweep_benchmark(grid, T: int, runs: int = 3) -> None:
    from distributed import Client

    from hetdag.distributed import local_cluster, sweep, warm_up, worker_report

    task = ks_task_factory(*grid, T)
    n = int(np.prod([len(v) for v in KS_GRID.values()]))
    print(f"\nKrusell-Smith {grid[0]}x{grid[1]}: {n} calibrations (beta by Brent, G at T={T})")
    sweep(task, {"eis": [1.0]}, progress=False)  # warm this process's JIT
    t0 = time.perf_counter()
    cluster = local_cluster(2)
    client = Client(cluster)
    t_start = time.perf_counter() - t0
    serial = par = None
    try:
        t0 = time.perf_counter()
        warm_up(client, task, {"eis": 1.0})  # import, numba cache load: one point each
        t_first = time.perf_counter() - t0
        info = worker_report(client)
        for _ in range(runs):  # alternate serial and cluster sweeps; keep each one's best
            time.sleep(PAUSE)
            s = sweep(task, KS_GRID, progress=False)
            serial = s if serial is None or s.seconds < serial.seconds else serial
            time.sleep(PAUSE)
            c = sweep(task, KS_GRID, client, progress=False)
            par = c if par is None or c.seconds < par.seconds else par
    finally:
        client.close()
        cluster.close()
    line("LocalCluster(2 workers) start-up", t_start)
    line("workers' first task (import, numba cache load, one point)", t_first)
    line(f"sweep of {n} on the started cluster vs serial", par.seconds, serial.seconds, 0.6)
    cpu_s, cpu_w = sum(x.cpu_seconds for x in serial), sum(x.cpu_seconds for x in par)
    print(
        f"  per-point seconds summed: serial {sum(x.seconds for x in serial):.2f} "
        f"(CPU of the calling thread {cpu_s:.2f}), workers {sum(x.seconds for x in par):.2f} "
        f"(CPU {cpu_w:.2f})"
    )
    print(
        f"  floor on 2 one-CPU workers: workers' CPU / 2 = {cpu_w / 2:.2f} s; against the "
        f"serial wall time {cpu_w / 2 / serial.seconds:.3f}, against the serial calling "
        f"thread's CPU {cpu_w / 2 / cpu_s:.3f} (less sensitive to other processes' load)"
    )
    ok = [(a, b) for a, b in zip(serial, par) if a.ok and b.ok]
    d_beta = max(abs(a.value["beta"] - b.value["beta"]) for a, b in ok)
    d_G = max(
        np.abs(a.value["G"][o]["Z"] - b.value["G"][o]["Z"]).max()
        / np.abs(a.value["G"][o]["Z"]).max()
        for a, b in ok
        for o in ("C", "Y", "r")
    )
    print(
        f"  failed points: serial {len(serial.failed)}, cluster {len(par.failed)}; "
        f"max |beta diff| {d_beta:.1e}, max rel G diff {d_G:.1e}"
    )
    print(
        f"  workers: {[(v['NUMBA_CACHE_DIR'], v['OPENBLAS_NUM_THREADS']) for v in info.values()]}"
    )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small grids, T=100, 2 runs")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--skip-hank", action="store_true")
    args = ap.parse_args(argv)
    global PAUSE
    if args.quick:
        grid, T, runs, PAUSE = (3, 60), 100, 2, 0.0
    else:
        grid, T, runs = (7, 500), 300, args.runs
    if not args.skip_hank:
        hank_benchmarks(grid, T, 200, runs)
    if not args.skip_sweep:
        sweep_benchmark(grid, T, 1 if args.quick else max(args.runs // 3, 2))


if __name__ == "__main__":
    main()
