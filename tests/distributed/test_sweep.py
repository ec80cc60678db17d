"""Sweeps: serial in-process, and on a real LocalCluster started and stopped here."""

import os

import numpy as np
import pytest

from hetdag import estimation as est
from hetdag.distributed import ModelTask, expand_grid, jobqueue_prologue, sweep
from hetdag.errors import ModelSpecError
from hetdag.examples import krusell_smith as ks
from hetdag.examples import rbc


def rbc_problem():
    ex = rbc.example()
    priors = est.Priors(rho_Z=est.Beta(0.5, 0.2), sigma_Z=est.InvGamma(0.01, 0.01))
    p = est.EstimationProblem(
        ex.model, ex.ss, ex.unknowns, ex.targets, ["Y"], {"Z": est.AR1(0.8, 0.01)}, priors, T=200
    )
    p.set_data(p.simulate(50, seed=0))
    return p


def ks_task():
    return ModelTask(
        ks.build_model,
        ks.calibration(n_e=3, n_a=60),
        {"beta": (0.95, 0.995)},
        {"asset_mkt": 0.0},
        report=["beta", "C"],
        jacobian={
            "unknowns": ["K"],
            "targets": ["asset_mkt"],
            "inputs": ["Z"],
            "outputs": ["C"],
            "T": 100,
        },
    )


# eis = "high" is not a valid calibration: that point must fail and be reported
GRID = {"delta": [0.02, 0.03], "eis": [0.5, "high", 1.0]}


def check_results(res):
    assert len(res) == 6
    assert [p.params for p in res] == expand_grid(GRID)
    failed = res.failed
    assert [p.params for p in failed] == [
        {"delta": 0.02, "eis": "high"},
        {"delta": 0.03, "eis": "high"},
    ]
    assert all("input 'eis' must be numeric" in p.error and p.traceback for p in failed)
    df = res.to_frame()
    assert list(df.columns[:2]) == ["delta", "eis"]
    assert df["error"].notna().tolist() == [False, True, False, False, True, False]
    assert df.loc[df.error.isna(), "beta"].between(0.95, 0.995).all()
    return res


def test_serial_sweep_keeps_order_and_reports_failures():
    res = check_results(sweep(ks_task(), GRID, progress=False))
    assert res.where == "serial"
    assert res[0].value["G"]["C"]["Z"].shape == (100, 100)


def test_grid_errors():
    with pytest.raises(ModelSpecError, match="the grid of 'eis' must be a list of values"):
        sweep(ks_task(), {"eis": 0.5}, progress=False)
    assert expand_grid([{"a": 1}, {"a": 2, "b": 3}]) == [{"a": 1}, {"a": 2, "b": 3}]
    assert jobqueue_prologue("/scratch/nc")[:2] == [
        "export NUMBA_CACHE_DIR=/scratch/nc",
        "mkdir -p /scratch/nc",
    ]


def _dask_config(key):
    import dask

    return dask.config.get(key)


def test_local_cluster_equals_serial():
    distributed = pytest.importorskip("distributed")
    from hetdag.distributed import ClientPool, local_cluster, worker_report

    serial = sweep(ks_task(), GRID, progress=False)

    def boom(a):
        if a == 2:
            raise ValueError(f"a={a} is bad")
        return {"square": a * a}

    # workers share this process's numba cache (NUMBA_CACHE_DIR, as CI sets it), so they
    # load hetdag's kernels instead of compiling them
    with local_cluster(2) as cluster:
        with distributed.Client(cluster) as client:
            report = worker_report(client)
            assert len(report) == 2
            for info in report.values():
                assert info["cache_writable"] and info["OPENBLAS_NUM_THREADS"] == "1"
                assert info["NUMBA_NUM_THREADS"] == "1"
            par = check_results(sweep(ks_task(), GRID, client, progress=False))
            # local_cluster's workers are pinned, each to its own CPU
            affinity = client.run(os.sched_getaffinity, 0)
            if len(os.sched_getaffinity(0)) >= 2:
                assert sorted(len(a) for a in affinity.values()) == [1, 1]
                assert len(set.union(*affinity.values())) == 2
            assert par.where.startswith("dask")
            # workers start with LEAN_CONFIG: Dask's statistical profiler is off
            flags = client.run(_dask_config, "distributed.worker.profile.enabled")
            assert list(flags.values()) == [False, False]
            assert len({p.worker for p in par}) == 2  # both workers took points
            for a, b in zip(serial, par):
                assert a.params == b.params and a.error == b.error
                if a.ok:
                    # equal up to the summation order of one vs several BLAS threads
                    assert b.value["beta"] == pytest.approx(a.value["beta"], rel=1e-13)
                    Ga, Gb = a.value["G"]["C"]["Z"], b.value["G"]["C"]["Z"]
                    assert np.allclose(Ga, Gb, rtol=0, atol=1e-11 * np.abs(Ga).max())
            small = sweep(boom, {"a": [1, 2, 3]}, client, progress=False)
            assert [p.value for p in small] == [{"square": 1}, None, {"square": 9}]
            assert small[1].error == "ValueError: a=2 is bad" and small[1].params == {"a": 2}
            assert ClientPool(client).map(abs, [-1, 2, -3]) == [1, 2, 3]
            # emcee's walkers evaluated on the workers: the same chains as in-process
            p = rbc_problem()
            kw = {"n_walkers": 8, "burn": 0, "seed": 0, "progress": False}
            remote = est.sample(p, 6, pool=client, **kw)
            local = est.sample(p, 6, **kw)
            assert np.array_equal(remote.chains, local.chains)
            assert np.allclose(remote.log_posterior, local.log_posterior, rtol=1e-10)
