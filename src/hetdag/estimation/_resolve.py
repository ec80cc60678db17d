"""How an :class:`~hetdag.estimation.EstimationProblem` re-solves the model for new
parameters: only what a parameter touches (shock parameters: nothing but impulses;
parameters of simple or solved blocks: their Jacobians and G, the household's from the
cache; household parameters: a warm-started steady state and a new fake-news pass).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

import hetdag as hd
from hetdag.errors import ModelSpecError

from ._frozen import FrozenJacobianBlock
from ._support import TruncationError as TruncationError
from ._support import _check_decay, _dense, _has_het, one_blas_thread

_KINDS = ("shock", "measurement", "block", "het")


class ResolveMixin:
    """Re-solving methods of :class:`EstimationProblem` (see the module docstring)."""

    def _theta(self, vals: dict) -> NDArray[np.float64]:
        """The parameter vector of a dict of values (in ``self.names``' order)."""
        return np.array([vals[p] for p in self.names])

    def _moving_inputs(self) -> set[str]:
        # variables that move when unknowns or shocks move (forward through the DAG)
        if self._moving is None:
            moving = set(self.unknowns) | set(self.shocks)
            for b in self.model.blocks:
                if moving & set(b.inputs):
                    moving |= set(b.outputs)
            self._moving = moving
        return self._moving

    def _freeze(self, ss) -> object:
        """A copy of the model in which every run of consecutive blocks (in topological
        order) that reads no estimated block parameter is one block returning its stored
        Jacobian at ss: the household's (its fake-news pass), composed with its
        neighbours'. A new block parameter then re-composes only the blocks that read it.
        """
        moving = self._moving_inputs()
        live = {p for p in self._model_params if self.kinds[p] == "block"}
        runs: list[list] = []
        for b in self.model.blocks:
            if live & set(b.inputs):
                runs.append([b])  # a block that reads an estimated parameter: as it is
                runs.append([])
            else:
                if not runs:
                    runs.append([])
                runs[-1].append(b)
        blocks = []
        for k, run in enumerate(r for r in runs if r):
            if len(run) == 1 and (live & set(run[0].inputs) or not _has_het(run[0])):
                blocks.append(run[0])
                continue
            sub = run[0] if len(run) == 1 else hd.create_model(run, name=f"frozen{k}")
            asked = [i for i in sub.inputs if i in moving]
            J = sub.jacobian(ss, asked, T=self.T)
            if any(_has_het(b) for b in run) and ss is not self.ss:
                self.counts["household_jacobians"] += 1  # a new steady state: fake news
            blocks.append(FrozenJacobianBlock(sub, J, ss, asked, name=f"frozen{k}"))
        return hd.create_model(blocks, name=f"{self.model.name} (stored Jacobians)")

    def _het_state(self, vals: dict):
        """(steady state, frozen model) for the household parameters in vals."""
        key = tuple(vals[p] for p in self._het_params)
        hit = self._het_states.hit(key)
        if hit is not None:
            return hit
        if all(vals[p] == self.base[p] for p in self._het_params):
            ss = self.ss
        else:
            ss = self._solve_steady_state({p: vals[p] for p in self._het_params}, self.ss)
        return self._het_states.put(key, (ss, self._freeze(ss)))

    def _solve_steady_state(self, changes: dict, start) -> object:
        cal = {k: start[k] for k in self.model.inputs}
        cal.update(changes)
        self.counts["steady_states"] += 1
        if self.steady_state_spec is None:
            new = self.model.steady_state(cal)
            bad = {
                t: float(new[t]) for t in self.targets if abs(float(np.max(np.abs(new[t])))) > 1e-8
            }
            if bad:
                raise ModelSpecError(
                    f"EstimationProblem: parameter(s) {sorted(changes)} move the steady state "
                    f"(targets {bad}); pass steady_state={{'unknowns': ..., 'targets': ...}} "
                    "so that it can be re-solved"
                )
            return new
        spec = dict(self.steady_state_spec)
        unknowns = spec.pop("unknowns")
        targets = spec.pop("targets")
        if isinstance(unknowns, Mapping):  # warm start: guesses from the last solution
            unknowns = {
                u: (g if isinstance(g, tuple) else float(np.asarray(start[u])))
                for u, g in unknowns.items()
            }
        return self.model.solve_steady_state(cal, unknowns=unknowns, targets=targets, **spec)

    def _linear_system(self, vals: dict) -> dict:
        return self._system(vals)[2]

    def _system(self, vals: dict):
        """(frozen model, steady state, stacked H_U, H_Z, J_OU, J_OZ) at the block and
        household parameters in vals."""
        key = tuple(vals[p] for p in self._model_params)
        hit = self._systems.hit(key)
        if hit is not None:
            return hit
        ss_h, frozen = self._het_state(vals)
        block_params = {p: vals[p] for p in self._model_params if self.kinds[p] == "block"}
        ss = ss_h
        if block_params:
            ss, moved = self._propagate(ss_h, block_params)
            if moved:  # a block parameter reaches the household or a target
                ss = self._solve_steady_state({p: vals[p] for p in self._model_params}, ss_h)
                frozen = self._freeze(ss)
        # one cache entry per model key: drop the last key's composed Jacobians and H_U
        # (tens of MB each), then compose every input at once so that the solves below
        # are all served from it
        frozen.clear_caches()
        J = frozen.jacobian(ss, self.unknowns + list(self.shocks), T=self.T)
        frozen.clear_caches()
        shocks, T = list(self.shocks), self.T
        J_OU = np.zeros((len(self.observables) * T, len(self.unknowns) * T))
        J_OZ = np.zeros((len(self.observables) * T, len(shocks) * T))
        for a, o in enumerate(self.observables):
            if o in self.unknowns:
                b = self.unknowns.index(o)
                J_OU[a * T : (a + 1) * T, b * T : (b + 1) * T] = np.eye(T)
            else:
                J_OU[a * T : (a + 1) * T] = J.stack([o], self.unknowns)
                J_OZ[a * T : (a + 1) * T] = J.stack([o], shocks)
        system = {
            "H_U": J.stack(self.targets, self.unknowns),
            "H_Z": J.stack(self.targets, shocks),
            "J_OU": J_OU,
            "J_OZ": J_OZ,
        }
        self.counts["linear_systems"] += 1
        return self._systems.put(key, (frozen, ss, system))

    def _propagate(self, ss, changes: dict):
        """Update ss through the non-household blocks; also say whether the household's
        inputs or a target moved (then the steady state must be solved again)."""
        new = ss.copy()
        changed = set()
        for k, v in changes.items():
            if float(np.asarray(new[k])) != v:
                new[k] = v
                changed.add(k)
        if not changed:
            return new, False
        for b in self.model.blocks:
            if not changed & set(b.inputs):
                continue
            if _has_het(b):
                return new, True
            out = b.steady_state({i: new[i] for i in b.inputs})
            for o in b.outputs:
                a, c = np.asarray(out[o], dtype=float), np.asarray(new[o], dtype=float)
                if not np.allclose(a, c, rtol=1e-12, atol=1e-12):
                    if o in self.targets:
                        return new, True
                    new[o] = out[o]
                    changed.add(o)
        return new, False

    def jacobian(self, theta=None) -> dict:
        """G restricted to observables x shocks, ``G[o][z]`` (T x T), at theta."""
        vals = self.values(self.initial if theta is None else theta)
        key = tuple(vals[p] for p in self._model_params)
        hit = self._G.hit(key)
        if hit is not None:
            return hit
        if self._model_params:
            model, ss, _ = self._system(vals)
        else:
            model, ss = self.model, self.ss
        G = model.solve_jacobian(
            ss, self.unknowns, self.targets, list(self.shocks), outputs=self.observables, T=self.T
        )
        self.counts["G"] += 1
        out = {o: {z: _dense(G, o, z, self.T) for z in self.shocks} for o in self.observables}
        first = [[out[o][z][:, 0] for z in self.shocks] for o in self.observables]
        _check_decay(np.array(first).transpose(2, 0, 1), self.T)
        return self._G.put(key, out)

    def impulse_responses(self, theta=None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``M`` (T, n_obs, n_shocks): responses to unit innovations; and the shock sds."""
        vals = self.values(self.initial if theta is None else theta)
        T = self.T
        paths = {}
        sigmas = []
        for z, proc in self.shocks.items():
            v = {p: vals[f"{p}_{z}"] for p in proc.params}
            paths[z] = proc.path(T, v)
            sigmas.append(v["sigma"])
        M = np.empty((T, len(self.observables), len(self.shocks)))
        key = tuple(vals[p] for p in self._model_params)
        G = self._G.hit(key)
        if G is None and not self._model_params:
            G = self.jacobian(self._theta(vals))
        if G is not None:
            for a, o in enumerate(self.observables):
                for b, z in enumerate(self.shocks):
                    M[:, a, b] = G[o][z] @ paths[z]
            return M, np.array(sigmas)
        # block or household parameters changed: solve for the shock paths directly
        # (n_shocks right-hand sides instead of G's n_shocks*T). A second evaluation at
        # the same block and household parameters (shock parameters moved: a finite-
        # difference step, a Hessian) forms G restricted to the observables once, and
        # later ones are products with it.
        sysm = self._linear_system(vals)
        T = self.T
        nz = len(self.shocks)
        sysm["uses"] = sysm.get("uses", 0) + 1
        if sysm["uses"] >= 2:
            with one_blas_thread():
                G = self._G.put(key, self._g_from_system(sysm))
            self.counts["G"] += 1
            for a, o in enumerate(self.observables):
                for b, z in enumerate(self.shocks):
                    M[:, a, b] = G[o][z] @ paths[z]
            return M, np.array(sigmas)
        with one_blas_thread():  # dZ is block-diagonal: shock b moves only block b
            HZ_dZ = np.column_stack(
                [sysm["H_Z"][:, b * T : (b + 1) * T] @ paths[z] for b, z in enumerate(self.shocks)]
            )
            dU = -np.linalg.solve(sysm["H_U"], HZ_dZ)
            dO = sysm["J_OU"] @ dU
            for b, z in enumerate(self.shocks):
                dO[:, b] += sysm["J_OZ"][:, b * T : (b + 1) * T] @ paths[z]
        M[:] = dO.reshape(len(self.observables), T, nz).transpose(1, 0, 2)
        _check_decay(M, self.T, rel=0.05)
        return M, np.array(sigmas)

    def _g_from_system(self, sysm: dict) -> dict:
        G_OZ = sysm["J_OZ"] - sysm["J_OU"] @ np.linalg.solve(sysm["H_U"], sysm["H_Z"])
        T = self.T
        return {
            o: {
                z: G_OZ[a * T : (a + 1) * T, b * T : (b + 1) * T] for b, z in enumerate(self.shocks)
            }
            for a, o in enumerate(self.observables)
        }
