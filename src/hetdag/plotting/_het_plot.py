"""Pictures of a heterogeneous-agent block: policies, the wealth distribution and its response.

All arrays put the exogenous states first: ``D[e, a]`` (or ``D[e, b, a]``), and
along a transition ``irf.internals[block]['D'][t]`` is the distribution at the
start of period t. The end-of-period-t distribution over the endogenous grids is
the endogenous marginal of the start-of-period-(t+1) distribution, since the
exogenous transition only mixes the exogenous states.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ModelSpecError
from ._dag_plot import _pyplot


def _block_name(block) -> str:
    if isinstance(block, str):
        return block
    name = getattr(block, "name", None)
    if name is None:
        raise ModelSpecError(f"expected a block or a block name, got {block!r}")
    return name


def _internals(ss, block) -> dict:
    name = _block_name(block)
    ints = getattr(ss, "internals", None)
    if ints is None:
        raise ModelSpecError(
            f"{type(ss).__name__} has no internals; pass the SteadyState from solve_steady_state"
        )
    if name not in ints:
        raise ModelSpecError(
            f"Block {name!r} has no internals in this steady state; blocks with internals: "
            f"{sorted(ints)}"
        )
    return ints[name]


def _grid_axes(ints: dict, block, name: str) -> dict[str, int]:
    """Map each endogenous grid name (e.g. 'a_grid') to its axis in ``D``."""
    D = np.asarray(ints["D"])
    grids = getattr(block, "grids", None)
    if grids is None and hasattr(block, "block"):  # a renamed copy of a het block
        grids = getattr(block.block, "grids", None)
    if grids is None:
        # policies 'a' come with grids 'a_grid' of the same size as the matching axis
        grids = [
            k
            for k, v in ints.items()
            if k.endswith("_grid")
            and np.ndim(v) == 1
            and k[: -len("_grid")] in ints
            and np.shape(ints[k[: -len("_grid")]]) == D.shape
        ]
    if not grids:
        raise ModelSpecError(f"Block {name!r}: found no endogenous grid (like 'a_grid')")
    n_exo = D.ndim - len(grids)
    if n_exo < 0:
        raise ModelSpecError(f"Block {name!r}: {len(grids)} grids {grids} for D of shape {D.shape}")
    axes = {g: n_exo + k for k, g in enumerate(grids)}
    for g, ax in axes.items():
        if g not in ints or np.shape(ints[g]) != (D.shape[ax],):
            raise ModelSpecError(
                f"Block {name!r}: grid {g!r} does not match axis {ax} of D with shape {D.shape}"
            )
    return axes


def _pick_grid(axes: dict[str, int], grid: str | None, name: str) -> tuple[str, int]:
    if grid is None:
        grid = "a_grid" if "a_grid" in axes else list(axes)[-1]
    if grid not in axes:
        raise ModelSpecError(
            f"Block {name!r}: {grid!r} is not an endogenous grid; grids are {list(axes)}"
        )
    return grid, axes[grid]


def _marginal(D: np.ndarray, axis: int) -> np.ndarray:
    """Marginal distribution of ``D`` over ``axis`` (works on a leading time axis too)."""
    keep = axis if axis >= 0 else D.ndim + axis
    return D.sum(axis=tuple(k for k in range(D.ndim) if k != keep))


def _histogram(
    mass: np.ndarray, grid: np.ndarray, upper: float, bins: int = 60
) -> tuple[np.ndarray, np.ndarray]:
    """Density on ``bins`` equal-width bins over (grid[0], upper], without the lowest point.

    The mass sitting exactly on ``grid[0]`` (the borrowing limit) is a point mass and is
    left out, and so is the mass on points above ``upper``.
    Returns the bin centres and mass per unit of the grid variable.
    """
    edges = np.linspace(grid[0], upper, bins + 1)
    k = np.clip(np.searchsorted(edges, grid[1:], side="left") - 1, 0, bins - 1)
    hist = np.bincount(k, weights=np.where(grid[1:] <= upper, mass[1:], 0.0), minlength=bins)
    return (edges[1:] + edges[:-1]) / 2, hist / np.diff(edges)


def _upper_limit(grid: np.ndarray, mass: np.ndarray, q: float = 0.999) -> float:
    cdf = np.cumsum(mass) / max(mass.sum(), 1e-300)
    k = int(np.searchsorted(cdf, q))
    return float(grid[min(k + 1, len(grid) - 1)])


def _ax(ax, figsize=(6.0, 4.0)):
    if ax is None:
        plt = _pyplot()
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax.figure, ax


def plot_policy(
    ss,
    block,
    policy: str = "c",
    exog_states: Sequence[int] | None = None,
    ax=None,
    grid: str | None = None,
):
    """Policy function against the asset grid, one line per exogenous state.

    Parameters
    ----------
    ss : SteadyState
        With ``ss.internals[block]`` (from ``solve_steady_state``).
    block : str or HetBlock
        The heterogeneous-agent block.
    policy : str
        An individual policy, e.g. ``'c'`` or ``'a'``, shape ``(n_e, n_a)``.
    exog_states : list of int, optional
        Exogenous states to draw; by default all of them (at most 7, evenly spaced).
    ax : matplotlib Axes, optional
    grid : str, optional
        Endogenous grid on the x axis (default ``'a_grid'``). With several
        endogenous states, the other ones are averaged out with the stationary
        distribution: E[policy | e, grid].

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelSpecError
        If the block, policy, grid or a state index does not exist (named).
    """
    name = _block_name(block)
    ints = _internals(ss, block)
    if policy not in ints or np.shape(ints[policy]) != np.shape(ints["D"]):
        pols = sorted(k for k, v in ints.items() if k != "D" and np.shape(v) == np.shape(ints["D"]))
        raise ModelSpecError(f"Block {name!r}: no policy {policy!r}; policies are {pols}")
    axes = _grid_axes(ints, block, name)
    grid, axis = _pick_grid(axes, grid, name)
    D = np.asarray(ints["D"], dtype=float)
    P = np.asarray(ints[policy], dtype=float)
    n_exo = min(axes.values())
    exo_shape = D.shape[:n_exo]
    # collapse the exogenous axes into one and average out other endogenous axes
    other = tuple(k for k in range(n_exo, D.ndim) if k != axis)
    if other:
        w = D.sum(axis=other)
        P = np.where(w > 0, (P * D).sum(axis=other) / np.where(w > 0, w, 1), P.mean(axis=other))
    P = P.reshape(-1, D.shape[axis])
    n_states = P.shape[0]
    if exog_states is None:
        exog_states = sorted(
            set(np.linspace(0, n_states - 1, min(n_states, 7)).round().astype(int))
        )
    exog_states = [int(s) for s in exog_states]
    bad = [s for s in exog_states if not 0 <= s < n_states]
    if bad:
        raise ModelSpecError(
            f"Block {name!r}: exogenous state(s) {bad} out of range 0..{n_states - 1}"
        )
    e_grid = ints.get("e_grid")
    use_e = n_exo == 1 and e_grid is not None and np.shape(e_grid) == (n_states,)
    fig, ax = _ax(ax)
    x = np.asarray(ints[grid], dtype=float)
    cmap = _pyplot().get_cmap("viridis")
    for j, s in enumerate(exog_states):
        if use_e:
            label = f"e = {float(e_grid[s]):.3g}"
        else:
            label = f"state {np.unravel_index(s, exo_shape) if n_exo > 1 else s}"
        ax.plot(x, P[s], color=cmap(j / max(len(exog_states) - 1, 1)), label=label)
    ax.set_xlabel(grid.removesuffix("_grid") + " (grid: " + grid + ")")
    ax.set_ylabel(f"policy {policy}")
    ax.set_title(f"{name}: policy {policy!r} by exogenous state")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_distribution(ss, block, grid: str | None = None, ax=None, cumulative: bool = False):
    """Stationary distribution over an endogenous grid, marginal over every other state.

    ``cumulative=False`` plots the density (mass per unit of the grid variable on
    60 equal bins; the point mass at the lowest grid point, e.g. the borrowing
    limit, is reported separately); ``cumulative=True`` plots the CDF. The x axis
    stops at the 99.9th percentile.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelSpecError
        If the block or grid is missing (named).
    """
    name = _block_name(block)
    ints = _internals(ss, block)
    axes = _grid_axes(ints, block, name)
    grid, axis = _pick_grid(axes, grid, name)
    x = np.asarray(ints[grid], dtype=float)
    mass = _marginal(np.asarray(ints["D"], dtype=float), axis)
    fig, ax = _ax(ax)
    var = grid.removesuffix("_grid")
    if cumulative:
        ax.plot(x, np.cumsum(mass), color="C0")
        ax.set_ylabel(f"CDF of {var}")
        ax.set_ylim(0, 1.02)
    else:
        upper = _upper_limit(x, mass)
        centres, dens = _histogram(mass, x, upper)
        ax.plot(centres, dens, color="C0", label="density above the lowest grid point")
        ax.plot([x[0]], [0.0], "v", color="C3", label=f"mass at {var} = {x[0]:.3g}: {mass[0]:.1%}")
        ax.set_ylabel(f"density of {var}")
        ax.legend(fontsize=8)
    ax.set_xlim(x[0], _upper_limit(x, mass))
    ax.set_xlabel(var)
    ax.set_title(f"{name}: stationary distribution of {var}")
    ax.grid(alpha=0.3)
    return fig


def plot_distribution_response(
    irf,
    ss,
    block,
    periods: Sequence[int] = (0, 5, 20),
    grid: str | None = None,
    cumulative: bool = True,
    ax=None,
):
    """Change of the distribution along a transition, at several periods.

    Plots, for each t in ``periods``, the change from the steady state of the
    end-of-period-t distribution over ``grid`` (the assets chosen in t):
    ``cumulative=True`` the change of the CDF, otherwise the change of the
    density (60 equal bins, point mass at the lowest grid point left out).
    Needs ``irf.internals[block]['D']`` of shape ``(T, n_e, n_a)``, from
    ``solve_impulse_nonlinear(..., internals=[block])``.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelSpecError
        If the IRF has no distributions for the block, or a period is out of range.
    """
    name = _block_name(block)
    ints_ss = _internals(ss, block)
    path = getattr(irf, "internals", {}).get(name)
    if path is None or "D" not in path:
        have = sorted(getattr(irf, "internals", {}) or {})
        raise ModelSpecError(
            f"Block {name!r}: the impulse response has no distributions for it (blocks with "
            f"internals: {have}); solve with solve_impulse_nonlinear(..., internals=[{name!r}])"
        )
    Ds = np.asarray(path["D"], dtype=float)
    T = Ds.shape[0]
    periods = [int(t) for t in ([periods] if np.ndim(periods) == 0 else periods)]
    bad = [t for t in periods if not 0 <= t < T - 1]
    if bad:
        raise ModelSpecError(
            f"Block {name!r}: period(s) {bad} out of range; the transition has T = {T}, so "
            f"end-of-period distributions exist for t = 0..{T - 2}"
        )
    axes = _grid_axes(ints_ss, block, name)
    grid, axis = _pick_grid(axes, grid, name)
    x = np.asarray(ints_ss[grid], dtype=float)
    m_ss = _marginal(np.asarray(ints_ss["D"], dtype=float), axis)
    upper = _upper_limit(x, m_ss)
    fig, ax = _ax(ax)
    var = grid.removesuffix("_grid")
    cmap = _pyplot().get_cmap("plasma")
    for j, t in enumerate(periods):
        m = _marginal(Ds[t + 1], axis)
        if cumulative:
            xs, y = x, np.cumsum(m) - np.cumsum(m_ss)
        else:
            xs, y = _histogram(m, x, upper)
            y = y - _histogram(m_ss, x, upper)[1]
        ax.plot(xs, y, color=cmap(0.85 * j / max(len(periods) - 1, 1)), label=f"t = {t}")
    ax.axhline(0.0, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlim(x[0], upper)
    ax.set_xlabel(f"{var} at the end of period t")
    what = "CDF" if cumulative else "density"
    ax.set_ylabel(f"change in {what} vs steady state")
    ax.set_title(f"{name}: response of the distribution of {var}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig
