"""A sweep task that calibrates a model and returns its steady state, G or IRFs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np


class ModelTask:
    """Calibrate ``build()`` at a grid point, then compute what is asked.

    Parameters
    ----------
    build : callable
        Returns a new model (e.g. ``hetdag.examples.krusell_smith.build_model``). A fresh
        model per point keeps results independent of the order in which points run
        (warm starts would carry one point's solution into the next).
    calibration : mapping
        Base calibration; a grid point's values replace its entries.
    unknowns, targets :
        As in ``model.solve_steady_state``.
    report : list of str, optional
        Steady-state scalars to return (default: the unknowns).
    jacobian : mapping, optional
        ``{"unknowns", "targets", "inputs", "outputs", "T"}``: also return
        ``G[o][i]`` (T x T arrays) under ``"G"``.
    impulse : mapping, optional
        ``{"unknowns", "targets", "shocks", "outputs"}``: also return the linear IRFs
        under ``"irf"``.
    warm : bool
        Reuse one model per process (warm-started steady states; faster, but results
        then depend on the order of points at the solver's tolerance).
    """

    def __init__(
        self,
        build: Callable[[], object],
        calibration: Mapping,
        unknowns: Mapping,
        targets: Mapping | Sequence,
        *,
        report: Sequence[str] | None = None,
        jacobian: Mapping | None = None,
        impulse: Mapping | None = None,
        warm: bool = False,
        **solver_options,
    ):
        self.build = build
        self.calibration = dict(calibration)
        self.unknowns = unknowns
        self.targets = targets
        self.report = list(report) if report is not None else list(unknowns)
        self.jacobian = dict(jacobian) if jacobian else None
        self.impulse = dict(impulse) if impulse else None
        self.warm = warm
        self.solver_options = solver_options
        self._model = None

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_model"] = None  # each process builds its own
        return d

    def __repr__(self) -> str:
        return f"<ModelTask {getattr(self.build, '__qualname__', self.build)!r}>"

    def model(self):
        if not self.warm:
            return self.build()
        if self._model is None:
            self._model = self.build()
        return self._model

    def __call__(self, **params) -> dict:
        model = self.model()
        cal = {**self.calibration, **params}
        ss = model.solve_steady_state(cal, self.unknowns, self.targets, **self.solver_options)
        out: dict = {k: float(np.asarray(ss[k])) for k in self.report}
        if self.jacobian is not None:
            j = dict(self.jacobian)
            G = model.solve_jacobian(
                ss, j["unknowns"], j["targets"], j["inputs"], j.get("outputs"), j.get("T", 300)
            )
            outs = j.get("outputs") or list(G.outputs)
            out["G"] = {o: {i: G.dense(o, i) for i in j["inputs"]} for o in outs}
        if self.impulse is not None:
            i = dict(self.impulse)
            irf = model.solve_impulse_linear(
                ss, i["unknowns"], i["targets"], i["shocks"], i.get("outputs")
            )
            out["irf"] = {k: np.asarray(v) for k, v in irf.items()}
        return out
