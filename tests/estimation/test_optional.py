"""Without its extra, a feature raises OptionalDependencyError naming the extra."""

import sys

import pytest

import hetdag as hd
from hetdag import estimation as est
from hetdag.errors import OptionalDependencyError


def test_import_hetdag_imports_neither_emcee_nor_dask():
    import subprocess

    code = (
        "import sys, hetdag, hetdag.estimation, hetdag.distributed; "
        "print(sorted(m for m in ('emcee', 'dask', 'distributed') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@hd.simple
def passthrough(x, u):
    y = u
    res = u - x
    return y, res


def test_missing_emcee_and_dask(monkeypatch):
    model = hd.create_model([passthrough], name="toy")
    ss = model.steady_state({"x": 0.0, "u": 0.0})
    p = est.EstimationProblem(
        model, ss, ["u"], ["res"], ["y"], {"x": est.AR1(0.5, 1.0)},
        est.Priors(rho_x=est.Beta(0.5, 0.2)), data=[[0.1], [0.2], [-0.1]],
    )  # fmt: skip
    monkeypatch.setitem(sys.modules, "emcee", None)  # import emcee -> ImportError
    with pytest.raises(OptionalDependencyError, match=r'pip install "hetdag\[estimation\]"'):
        est.sample(p, 10, progress=False)
    monkeypatch.setitem(sys.modules, "distributed", None)
    from hetdag.distributed import local_cluster

    with pytest.raises(OptionalDependencyError, match=r'pip install "hetdag\[distributed\]"'):
        local_cluster(2)
    assert issubclass(OptionalDependencyError, ImportError)
