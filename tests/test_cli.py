"""The ``hetdag`` command line: list, run, and clear errors with exit code 2."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from hetdag import cli  # noqa: E402
from hetdag.examples import krusell_smith, rbc  # noqa: E402


def test_list(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    names = [line.split()[0] for line in out.splitlines()]
    assert names[:3] == ["rbc", "nk", "krusell_smith"]
    assert set(names) <= set(cli.EXAMPLES)


def test_run_krusell_smith_matches_python_api(tmp_path, capsys):
    out = tmp_path / "ks"
    argv = ["run", "krusell_smith", "--shock", "Z", "--rho", "0.9", "--size", "0.01"]
    argv += ["--out", str(out), "--T", "80", "--nonlinear", "--no-progress"]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    for name in ("dag.png", "irf.png", "irf.csv", "irf_nonlinear.csv"):
        path = out / name
        assert path.is_file() and path.stat().st_size > 0
        assert str(path) in printed
    assert (out / "dag.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    ex = krusell_smith.example()
    dZ = {"Z": 0.01 * 0.9 ** np.arange(80)}
    irf = ex.model.solve_impulse_linear(ex.ss, ex.unknowns, ex.targets, dZ)
    assert (out / "irf.csv").read_text().startswith("# units: deviation from steady state")
    df = pd.read_csv(out / "irf.csv", index_col="t", comment="#")
    assert list(df.index) == list(range(80))
    # the economic variables; not the target asset_mkt, nor goods_mkt (Walras, roundoff)
    assert set(df.columns) == set(irf) - {"asset_mkt", "goods_mkt"}
    for k in df.columns:
        np.testing.assert_allclose(df[k].to_numpy(), irf[k], rtol=0, atol=1e-10)
    non = pd.read_csv(out / "irf_nonlinear.csv", index_col="t", comment="#")
    np.testing.assert_allclose(non["K"].to_numpy(), irf["K"], atol=1e-2 * np.abs(irf["K"]).max())


def test_run_defaults_to_the_example_shock(tmp_path):
    assert cli.main(["run", "rbc", "--out", str(tmp_path), "--T", "50"]) == 0
    df = pd.read_csv(tmp_path / "irf.csv", index_col="t", comment="#")
    np.testing.assert_allclose(df["Z"].to_numpy(), 0.01 * 0.9 ** np.arange(50), atol=1e-15)
    ex = rbc.example()
    irf = ex.model.solve_impulse_linear(
        ex.ss, ex.unknowns, ex.targets, {"Z": 0.01 * 0.9 ** np.arange(50)}
    )
    np.testing.assert_allclose(df["Y"].to_numpy(), irf["Y"], rtol=0, atol=1e-10)


def test_unknown_example(tmp_path, capsys):
    assert cli.main(["run", "no_such_model", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no_such_model" in err and "rbc" in err and "krusell_smith" in err
    assert "Traceback" not in err


def test_unknown_shock(tmp_path, capsys):
    assert cli.main(["run", "rbc", "--shock", "nonsense", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "nonsense" in err and "valid shocks: Z" in err


def test_unwritable_output(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    assert cli.main(["run", "rbc", "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert "cannot write to output directory" in err and "a_file" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["run", "rbc", "--T", "1"], "--T must be at least 2"),
        (["run", "rbc", "--variables", "Y,bogus"], "'bogus'"),
        (["run", "rbc", "--rho", "abc"], "invalid float value"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2(tmp_path, capsys, argv, needle):
    assert cli.main(argv + ["--out", str(tmp_path)] if argv[0] == "run" else argv) == 2
    assert needle in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_help_exits_0(capsys):
    assert cli.main(["run", "--help"]) == 0
    assert "--nonlinear" in capsys.readouterr().out


def test_python_dash_m_hetdag_runs_the_cli():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "hetdag", "list"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0 and "krusell_smith" in out.stdout


@pytest.mark.parametrize("example, T", [("rbc", 60), ("nk", 60), ("hank", 300)])
def test_percent_units_run_and_exclude_residuals(tmp_path, example, T, capsys):
    """Issue 19 items 1-3: percent mode no longer crashes on variables whose steady
    state is 0 (shown in percentage points), and targets stay out of panels and CSV."""
    argv = ["run", example, "--units", "percent", "--T", str(T), "--out", str(tmp_path)]
    assert cli.main(argv + ["--no-progress"]) == 0
    text = (tmp_path / "irf.csv").read_text()
    assert text.startswith("# units: percent deviation from steady state")
    df = pd.read_csv(tmp_path / "irf.csv", index_col="t", comment="#")
    ex = getattr(__import__("hetdag.examples", fromlist=[example]), example).example()
    assert not set(ex.targets) & set(df.columns)


def test_bad_input_is_reported_before_solving(tmp_path, capsys, monkeypatch):
    """Issue 19 items 5-6: unknown names and explosive shocks fail fast, leaving no
    output directory behind."""
    from hetdag.examples import hank

    def never(*a, **k):
        raise AssertionError("solved before validating")

    monkeypatch.setattr(hank, "example", never)
    out = tmp_path / "never"
    for argv, needle in [
        (["--shock", "bogus"], "valid shocks: ishock, Z, rstar"),
        (["--variables", "Y,bogus"], "'bogus'"),
        (["--rho", "1.5"], "non-stationary"),
    ]:
        assert cli.main(["run", "hank", "--out", str(out), *argv]) == 2
        assert needle in capsys.readouterr().err
        assert not out.exists()


def test_first_run_says_it_compiles(tmp_path, capsys, monkeypatch):
    """Issue 19 item 7: with no cached kernels the run says so, once, before solving."""
    monkeypatch.setattr(cli, "_kernels_cached", lambda: False)
    assert cli.main(["run", "rbc", "--T", "20", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("compiling numba kernels (first run only")
