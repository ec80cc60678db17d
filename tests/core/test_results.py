"""ImpulseDict and SteadyState: arithmetic between levels and deviations, frames, attributes."""

import numpy as np
import pandas as pd
import pytest

import hetdag as hd
from hetdag.examples import rbc


@pytest.fixture(scope="module")
def irf_and_ss():
    model, ss, unknowns, targets, _ = rbc.example()
    irf = model.solve_impulse_linear(ss, unknowns, targets, {"Z": 0.01 * 0.9 ** np.arange(50)})
    return irf, ss


def test_levels_and_deviations(irf_and_ss):
    irf, ss = irf_and_ss
    assert irf.kind == "deviation"
    levels = irf + ss
    assert isinstance(levels, hd.ImpulseDict)
    assert levels.kind == "level"
    np.testing.assert_allclose(levels["Y"], ss["Y"] + irf["Y"])
    np.testing.assert_allclose(levels["K"], ss["K"] + irf["K"])
    back = levels - ss
    assert back.kind == "deviation"
    for k in irf:
        np.testing.assert_allclose(back[k], irf[k], atol=1e-15)
    assert levels.levels(ss) is levels
    assert irf.deviations(ss) is irf
    np.testing.assert_allclose(irf.levels(ss)["C"], ss["C"] + irf["C"])
    np.testing.assert_allclose(levels.deviations(ss)["C"], irf["C"], atol=1e-15)
    rel = irf[["Y", "C"]] / ss
    np.testing.assert_allclose(rel["Y"], irf["Y"] / ss["Y"])


def test_arithmetic(irf_and_ss):
    irf, _ = irf_and_ss
    pct = 100 * irf
    np.testing.assert_allclose(pct["C"], 100 * irf["C"])
    np.testing.assert_allclose((irf * 2)["C"], 2 * irf["C"])
    np.testing.assert_allclose((irf + irf)["C"], 2 * irf["C"])
    np.testing.assert_allclose((irf - irf)["C"], 0.0)
    np.testing.assert_allclose((-irf)["C"], -irf["C"])
    np.testing.assert_allclose((irf / 4)["Y"], irf["Y"] / 4)
    assert irf.T == 50 and pct.T == 50
    sub = irf[["Y", "C"]]
    assert isinstance(sub, hd.ImpulseDict) and set(sub) == {"Y", "C"}
    assert set(irf.select(["K"])) == {"K"}


def test_attribute_access(irf_and_ss):
    irf, ss = irf_and_ss
    assert irf.Y is irf["Y"]
    assert ss.beta == ss["beta"]
    with pytest.raises(AttributeError):
        _ = irf.not_a_variable
    assert "Y" in dir(irf)


def test_to_frame(irf_and_ss):
    irf, ss = irf_and_ss
    df = irf.to_frame()
    assert isinstance(df, pd.DataFrame)
    assert df.index.name == "t"
    assert list(df.index) == list(range(50))
    assert set(df.columns) == set(irf)
    np.testing.assert_allclose(df["Y"].to_numpy(), irf["Y"])
    sdf = ss.to_frame()
    assert sdf.loc["K", "value"] == pytest.approx(ss["K"])


def test_steady_state_copy_and_fingerprint(irf_and_ss):
    _, ss = irf_and_ss
    c = ss.copy()
    assert isinstance(c, hd.SteadyState)
    assert c.fingerprint() == ss.fingerprint()
    c["K"] = c["K"] + 1e-12
    assert c.fingerprint() != ss.fingerprint()
    assert ss["K"] != c["K"]


def test_fingerprint_is_computed_once_per_solve_and_again_after():
    """Inside one solve the steady state cannot change, so its hash is reused; a change
    made between solves is seen by the next one (no stale cache keys)."""
    from hetdag.results._results import fingerprint_scope

    ss = hd.SteadyState({"x": np.ones(3)}, {"hh": {"D": np.full(4, 0.25)}})
    before = ss.fingerprint()
    with fingerprint_scope():
        inside = ss.fingerprint()
        ss.internals["hh"]["D"][0] = 0.5  # (a solve never does this)
        assert ss.fingerprint() == inside == before
    assert ss.fingerprint() != before


def test_construct_from_dict():
    d = hd.ImpulseDict({"a": [1.0, 2.0, 3.0]})
    assert d.T == 3
    ss = hd.SteadyState({"a": 10.0})
    np.testing.assert_allclose((d + ss)["a"], [11.0, 12.0, 13.0])
