"""plot_irfs panels, units and overlays; to_frame of results built without any Jacobian."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import hetdag as hd  # noqa: E402
from hetdag.errors import ModelSpecError  # noqa: E402
from hetdag.examples import rbc  # noqa: E402
from hetdag.plotting import plot_irfs  # noqa: E402

T = 40


@pytest.fixture(scope="module")
def rbc_irfs():
    ex = rbc.example()
    dZ = 0.01 * 0.8 ** np.arange(T)
    lin = ex.model.solve_impulse_linear(ex.ss, ex.unknowns, ex.targets, {"Z": dZ})
    non = ex.model.solve_impulse_nonlinear(ex.ss, ex.unknowns, ex.targets, {"Z": dZ})
    return ex, lin, non


def line_data(ax):
    """The IRF lines of a panel (the zero/steady-state reference line is left out)."""
    return [ln.get_ydata() for ln in ax.get_lines() if ln.get_label() and ln.get_linestyle() != ":"]


def test_one_panel_per_variable(rbc_irfs):
    ex, lin, _ = rbc_irfs
    fig = lin.plot(["Y", "C", "K", "r"])
    try:
        visible = [ax for ax in fig.axes if ax.get_visible()]
        assert [ax.get_title() for ax in visible] == ["Y", "C", "K", "r"]
        assert len(fig.axes) == 6  # 2 rows of 3, two panels hidden
        np.testing.assert_allclose(visible[0].get_lines()[0].get_ydata(), lin["Y"])
        assert "deviation" in visible[0].get_ylabel()
    finally:
        plt.close(fig)


def test_units(rbc_irfs):
    ex, lin, _ = rbc_irfs
    ss = ex.ss
    fig = plot_irfs(lin, ["Y"], ss=ss, units="percent")
    fig2 = plot_irfs(lin, ["Y"], ss=ss, units="level")
    fig3 = plot_irfs(lin + ss, ["Y"], ss=ss)  # results in levels, shown as deviations
    try:
        y = fig.axes[0].get_lines()[0].get_ydata()  # the horizon is chosen automatically
        np.testing.assert_allclose(y, (100 * lin["Y"] / ss["Y"])[: len(y)])
        assert "%" in fig.axes[0].get_ylabel()
        y = fig2.axes[0].get_lines()[0].get_ydata()
        np.testing.assert_allclose(y, (lin["Y"] + ss["Y"])[: len(y)])
        assert fig2.axes[0].get_ylabel() == "level"
        y = fig3.axes[0].get_lines()[0].get_ydata()
        np.testing.assert_allclose(y, lin["Y"][: len(y)], atol=1e-14)
    finally:
        for f in (fig, fig2, fig3):
            plt.close(f)


def test_overlay_with_legend_and_truncation(rbc_irfs):
    ex, lin, non = rbc_irfs
    fig = plot_irfs({"linear": lin, "nonlinear": non}, ["Y", "C"], T=20, ncols=2)
    fig2 = plot_irfs([lin, non], "Y")
    try:
        ax = fig.axes[0]
        lines = [ln for ln in ax.get_lines() if ln.get_label() in ("linear", "nonlinear")]
        assert len(lines) == 2 and all(len(ln.get_ydata()) == 20 for ln in lines)
        assert lines[0].get_linestyle() != lines[1].get_linestyle()
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == ["linear", "nonlinear"]
        legend2 = [t.get_text() for t in fig2.axes[0].get_legend().get_texts()]
        assert legend2 == ["linear", "nonlinear"]  # default labels are the results' labels
        fig3 = plot_irfs([lin, 2 * lin], ["Y"], labels=["one", "two"])
        assert [t.get_text() for t in fig3.axes[0].get_legend().get_texts()] == ["one", "two"]
        plt.close(fig3)
    finally:
        plt.close(fig)
        plt.close(fig2)


def test_default_variables(rbc_irfs):
    _, lin, _ = rbc_irfs
    fig = plot_irfs(lin)
    try:
        titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
        assert titles == list(lin)
    finally:
        plt.close(fig)


def test_missing_variable_names_it_and_lists_available(rbc_irfs):
    _, lin, _ = rbc_irfs
    with pytest.raises(ModelSpecError, match=r"'nope'.*available: \['C', 'I'"):
        plot_irfs(lin, ["Y", "nope"])
    assert plt.get_fignums() == []


def test_bad_arguments(rbc_irfs):
    ex, lin, _ = rbc_irfs
    with pytest.raises(ModelSpecError, match="needs the steady state"):
        plot_irfs(lin, ["Y"], units="percent")
    with pytest.raises(ModelSpecError, match="units must be one of"):
        plot_irfs(lin, ["Y"], ss=ex.ss, units="bp")
    with pytest.raises(ModelSpecError, match="2 labels for 1"):
        plot_irfs([lin], ["Y"], labels=["a", "b"])
    with pytest.raises(ModelSpecError, match="no impulse responses"):
        plot_irfs([], ["Y"])
    assert plt.get_fignums() == []


def test_to_frame_without_jacobians():
    """ImpulseDict/SteadyState tables from hand-built results (no JacobianDict involved)."""
    irf = hd.ImpulseDict({"Y": np.arange(4.0), "C": np.ones(4)}, label="hand")
    df = irf.to_frame()
    assert isinstance(df, pd.DataFrame)
    assert df.index.name == "t" and list(df.index) == [0, 1, 2, 3]
    assert list(df.columns) == ["Y", "C"]
    np.testing.assert_array_equal(df["Y"].to_numpy(), np.arange(4.0))
    levels = (irf + hd.SteadyState({"Y": 1.0, "C": 2.0})).to_frame()
    np.testing.assert_array_equal(levels["C"].to_numpy(), 3.0)
    ss = hd.SteadyState({"K": 3.0, "beta": 0.98, "grid": np.arange(3.0)})
    sdf = ss.to_frame()
    assert list(sdf.index) == ["K", "beta"]  # arrays are left out
    assert sdf.loc["beta", "value"] == 0.98


def test_percent_mode_shows_rates_in_percentage_points_and_trims_the_horizon():
    """Issue 19 items 1, 3, 4: a rate (and anything whose steady state is 0) is shown in
    percentage points, not as a percent of its steady state; the x-axis stops where the
    responses have died down (1% of peak, plus a quarter, rounded to 10)."""
    t = np.arange(300)
    irf = hd.ImpulseDict({"Y": 0.01 * 0.8**t, "r": 0.0004 * 0.8**t, "v": 0.002 * 0.5**t})
    ss = hd.SteadyState({"Y": 2.0, "r": 0.01, "v": 0.0})
    fig = plot_irfs(irf, ["Y", "r", "v"], ss=ss, units="percent")
    try:
        y, r, v = (ax.get_lines()[0].get_ydata() for ax in fig.axes[:3])
        assert y[0] == pytest.approx(0.5) and "%" in fig.axes[0].get_ylabel()
        assert r[0] == pytest.approx(0.04) and fig.axes[1].get_ylabel() == "percentage points"
        assert v[0] == pytest.approx(0.2) and fig.axes[2].get_ylabel() == "percentage points"
        # 0.8^t falls below 1% of its peak after t = 20: 21 periods, * 1.25 -> 30
        assert len(y) == 30
    finally:
        plt.close(fig)
