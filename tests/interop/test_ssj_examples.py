"""sequence-jacobian's shipped examples, with the import changed to hetdag (issue 16).

Each example's ``dag()`` runs in both libraries; the steady states agree to 1e-8
relative and the general-equilibrium Jacobians G to 2e-3 of each response's peak
(sequence-jacobian differentiates het blocks one-sidedly with h = 1e-4, hetdag more
accurately; ``tests/blocks/test_vs_sequence_jacobian.py`` shows which is closer to brute
force).
"""

import numpy as np
import pytest

from .conftest import original_module, rel_gap

T = 150
SS_RTOL = 1e-8
SS_ATOL = 1e-9
ZERO = 1e-7  # residuals of targets (asset_mkt, goods_mkt) are zero to each solver's tolerance
G_TOL = 2e-3


def _split(out):
    """(ss, model, unknowns, targets, inputs) from an example's dag() tuple."""
    lists = [x for x in out if isinstance(x, list)]
    models = [x for x in out if hasattr(x, "solve_jacobian")]
    ss = next(x for x in out if hasattr(x, "internals") and not hasattr(x, "solve_jacobian"))
    return ss, models[-1], lists[-3], lists[-2], lists[-1]


def _compare_ss(ss_hd, ss_sj):
    checked = 0
    for k, v in ss_sj.items():
        if np.ndim(v) == 0 and isinstance(v, (float, np.floating)) and k in ss_hd:
            if abs(v) < ZERO and abs(ss_hd[k]) < ZERO:
                continue
            assert abs(float(ss_hd[k]) - v) <= SS_RTOL * abs(v) + SS_ATOL, (k, ss_hd[k], v)
            checked += 1
    assert checked > 5


@pytest.mark.parametrize("name", ["rbc", "krusell_smith", "hank"])
def test_example_ports_by_changing_the_import(port, name):
    ours = _split(port(name).dag())
    theirs = _split(original_module(name).dag())
    _compare_ss(ours[0], theirs[0])
    ss, model, unknowns, targets, inputs = ours
    G_hd = model.solve_jacobian(ss, unknowns, targets, inputs, T=T)
    ss_s, model_s, *_ = theirs
    G_sj = model_s.solve_jacobian(ss_s, unknowns, targets, inputs, T=T)
    for i in inputs:
        outs = [o for o in G_sj.outputs if o in G_hd.outputs and i in G_sj[o]]
        peaks = {o: float(np.max(np.abs(G_sj[o][i]))) for o in outs}
        top = max(peaks.values())
        for o in outs:
            if peaks[o] < 1e-3 * top:
                # an equilibrium residual (Walras' law: labor_mkt, goods_mkt) is zero up to
                # each library's differentiation error: hetdag's must be no larger
                assert np.max(np.abs(G_hd[o][i])) <= max(peaks[o], 1e-9 * top), (o, i)
            else:
                assert rel_gap(G_hd[o][i], G_sj[o][i]) < G_TOL, (o, i)
