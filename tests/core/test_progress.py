"""Progress bars: on by request (and by default on a terminal), off when switched off."""

import numpy as np

from hetdag.examples import rbc


def test_progress_bars_can_be_switched_on_and_off(capsys):
    ex = rbc.example()
    shocks = {"Z": 0.01 * 0.9 ** np.arange(100)}
    ex.model.solve_impulse_nonlinear(ex.ss, ex.unknowns, ex.targets, shocks, progress=True)
    assert "transition RBC" in capsys.readouterr().err
    ex.model.solve_impulse_nonlinear(ex.ss, ex.unknowns, ex.targets, shocks, progress=False)
    assert capsys.readouterr().err == ""
    calib = {k: ex.ss[k] for k in ex.model.inputs}
    ex.model.solve_steady_state(calib, {"vphi": 1.0}, {"goods_mkt": 0.0}, progress=True)
    assert "steady state RBC" in capsys.readouterr().err
