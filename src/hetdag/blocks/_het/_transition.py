"""The heterogeneous-agent block along a perfect-foresight transition.

:class:`TransitionMixin` holds the transition methods of
:class:`~hetdag.blocks._het._block.HetBlock`: the inputs of each period (moving
hetinputs only), the backward pass from the steady state at T, and the forward pass
of the histogram with the aggregates.
"""

from __future__ import annotations

import numpy as np

from ...errors import ModelSpecError
from ...solvers._scope import initial_steady_state
from . import _histogram_kernels as K
from ._law_of_motion import forward_step


class TransitionMixin:
    """Transition methods of :class:`HetBlock` (see the module docstring)."""

    def _path(self, ss, paths: dict, T: int, internals) -> tuple[dict, dict]:
        ints = ss.internals[self.name]
        shape = ints["D"].shape
        vs, moved_hetin = self._path_values(ss, ints, paths, T)
        markov_moves = any(e in moved_hetin or e in paths for e in self.exogenous)
        Pis_ss = [
            np.ascontiguousarray(ints[e] if e in ints else ss[e], dtype=float)
            for e in self.exogenous
        ]
        Pis = (
            [self._markovs(vt, f"period {t}") for t, vt in enumerate(vs)] if markov_moves else None
        )
        outs = self._backward_path(ints, vs, Pis, Pis_ss, shape)
        keep = self.name in internals
        grids_fixed = all(vs[t][g] is vs[0][g] for g in self.grids for t in range(T))
        # D_0 = Pi_0^T Λ(a_{-1}) D_{-1}, from the steady state the economy starts in
        # (ss_initial= of the solve, else ss); it is D_ss itself if neither Pi_0 moves
        # nor the start differs
        start = initial_steady_state()
        src_ss = ss if start is None else start
        src = ints if start is None else self._start_internals(start, shape)
        D0 = src["D"]
        if Pis or start is not None:
            v0 = {g: src[g] if g in src else src_ss[g] for g in self.grids}
            lot0 = self._lottery({p: src[p] for p in self.policy}, v0)
            D0 = forward_step(D0, lot0, Pis[0] if Pis else Pis_ss)
        if len(self.policy) == 1 and len(self.exogenous) == 1 and grids_fixed:
            agg, Ds = self._forward_aggregate_1d(D0, outs, vs, Pis, Pis_ss[0], keep)
            rec = {k: np.stack([o[k] for o in outs]) for k in outs[0]} if keep else {}
        else:
            rec = {k: np.stack([o[k] for o in outs]) for k in outs[0]}
            Ds = self._forward_path(D0, rec, vs, Pis, Pis_ss)
            n = Ds[0].size
            agg = {
                o.upper(): np.einsum("ti,ti->t", Ds.reshape(T, n), rec[o].reshape(T, n))
                for o in self.individual
            }
        if not all(np.all(np.isfinite(x)) for x in agg.values()):
            for t in range(T):  # find the first period with a bad output, and name it
                self._check_outputs(outs[t], shape, f"transition period {t}")
        result_ints = {}
        if keep:
            rec["D"] = Ds
            result_ints[self.name] = rec
        return agg, result_ints

    def _start_internals(self, start, shape: tuple) -> dict:
        """This block's internals in the initial steady state (``ss_initial=``)."""
        ints = getattr(start, "internals", {}).get(self.name)
        if ints is None or np.shape(ints.get("D")) != shape:
            raise ModelSpecError(
                f"Block {self.name!r}: ss_initial has no histogram of shape {shape} for this "
                "block; pass a steady state of the same model (same grids)"
            )
        return ints

    def _path_values(self, ss, ints: dict, paths: dict, T: int) -> tuple[list[dict], set]:
        """Inputs of the step in each period, and the hetinput outputs that move.

        Only hetinputs that (transitively) read a moving input run each period; the
        others keep their steady-state outputs. The plan is made once, not per period.
        """
        base = {i: ss[i] for i in self.inputs}
        ss_v = {**base, **{k: ints[k] for k in self.hetinputs.outputs}}
        if not paths:
            return [ss_v] * T, set()
        plan = self.hetinputs.moving(paths) if self.hetinputs else []
        vs = []
        for t in range(T):
            vt = dict(ss_v)
            for k, p in paths.items():
                vt[k] = p[t]
            self.hetinputs.run(plan, vt)
            vs.append(vt)
        return vs, {o for _, _, outs in plan for o in outs}

    def _backward_path(self, ints: dict, vs: list, Pis, Pis_ss: list, shape: tuple) -> list:
        """Outputs of the step in each period t = T-1..0, from the steady state at T."""
        T = len(vs)
        bw = {b: ints[b] for b in self.backward}
        outs: list[dict] = [None] * T  # type: ignore[list-item]
        fused = len(self.exogenous) == 1  # expectation and finite check in one kernel
        n_e = shape[0]
        f, f_inputs, f_outputs = self.f, self.f_inputs, self.f_outputs
        n_out = len(f_outputs)
        backward = list(self.backward)
        cont_names = [b + "_p" for b in backward]
        from_cont = [i in cont_names for i in f_inputs]
        hetoutputs = self.hetoutputs
        with np.errstate(all="ignore"):  # once, not per period: entering it costs ~1 us
            for t in range(T - 1, -1, -1):
                # E_t over e_{t+1} uses Pi_{t+1}, which moves e_t to e_{t+1}
                P = Pis[t + 1] if Pis and t + 1 < T else Pis_ss
                cont = {}
                for b, cn in zip(backward, cont_names):
                    X = bw[b]
                    if fused:
                        c = np.empty(X.shape)
                        ok = K.markov_expectation_finite(
                            X.reshape(n_e, -1), P[0], c.reshape(n_e, -1)
                        )
                    else:
                        c = self._expect(X, P)
                        ok = np.isfinite(float(X.sum()))
                    if not ok and t < T - 1:  # the step of period t + 1 made NaN or inf
                        self._check_outputs(outs[t + 1], shape, f"transition period {t + 1}")
                    cont[cn] = c
                vt = vs[t]
                if t == T - 1:  # full checks (shapes, dtypes, finiteness) on the first step
                    out = self._step(vt, cont, shape, f"transition period {t}")
                else:
                    try:
                        res = f(*[cont[i] if c else vt[i] for i, c in zip(f_inputs, from_cont)])
                    except ValueError:
                        self._step(vt, cont, shape, f"transition period {t}")  # names the block
                        raise
                    res = res if isinstance(res, tuple) else (res,)
                    if len(res) != n_out:
                        self._step(vt, cont, shape, f"transition period {t}")
                    out = dict(zip(f_outputs, res))
                    if hetoutputs:
                        out.update(hetoutputs.evaluate({**vt, **out}))
                bw = {b: out[b] for b in backward}
                outs[t] = out
        # period 0's backward variables feed no later step: check them here
        if not all(np.isfinite(float(np.sum(x))) for x in bw.values()):
            self._check_outputs(outs[0], shape, "transition period 0")
        return outs

    def _forward_aggregate_1d(self, D0, outs: list, vs: list, Pis, P_ss, keep: bool):
        """Aggregates ``X_t = sum D_t x_t`` along a path with one policy and one Markov chain.

        Runs ``D_{t+1} = Pi_{t+1}^T Λ(a_t) D_t`` one period at a time on the outputs as the
        step returned them: no stacked (T, *shape) copies of the policies, no stored
        lotteries, and without ``keep`` only two histograms in memory. Returns the
        aggregates and, with ``keep``, the histograms D_0..D_{T-1}.
        """
        T = len(outs)
        pol = self.policy[0]
        grid = np.ascontiguousarray(vs[0][self.grids[0]], dtype=float)
        others = [o for o in self.individual if o != pol]
        agg = {o.upper(): np.empty(T) for o in self.individual}
        A = agg[pol.upper()]
        Ds = np.empty((T,) + D0.shape) if keep else None
        D = np.ascontiguousarray(D0, dtype=float)
        if keep:
            Ds[0] = D
        tmp = np.empty_like(D)
        bufs = (np.empty_like(D), np.empty_like(D))
        for t in range(T):
            out = outs[t]
            for o in others:
                agg[o.upper()][t] = np.vdot(D, out[o])
            x = np.ascontiguousarray(out[pol], dtype=float)
            if t == T - 1:
                A[t] = np.vdot(D, x)
                break
            Dn = Ds[t + 1] if keep else bufs[t % 2]
            P = Pis[t + 1][0] if Pis else P_ss
            # the kernel returns sum(D * x), which is non-finite if x is
            A[t] = K.forward_step_lottery_1d(D, x, grid, P, tmp, Dn)
            D = Dn
        return agg, Ds

    def _forward_path(self, D0, rec: dict, vs: list, Pis, Pis_ss) -> np.ndarray:
        """D_0..D_{T-1} (T, *shape) along a path, given the policies in ``rec``.

        The general case (two policies, several Markov chains or moving grids); one
        policy on a fixed grid with one chain goes through :meth:`_forward_aggregate_1d`.
        """
        T = len(vs)
        Ds = [D0]
        for t in range(T - 1):
            lot = self._lottery({p: rec[p][t] for p in self.policy}, vs[t])
            Ds.append(forward_step(Ds[-1], lot, Pis[t + 1] if Pis else Pis_ss))
        return np.stack(Ds)
