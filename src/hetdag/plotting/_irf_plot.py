"""Panels of impulse responses: one panel per variable, several IRFs overlaid.

Units: ``'deviation'`` plots x_t - x_ss (in the variable's own units), ``'percent'``
plots 100 (x_t - x_ss) / x_ss for quantities and 100 (x_t - x_ss) in percentage points
for rates (interest and inflation rates, and any variable whose steady state is 0,
such as a shock to a rate), ``'level'`` plots x_t. Results stored as levels
(``irf.kind == 'level'``) are turned into deviations with the steady state first. By
default the x-axis stops where every response has died down to 1% of its peak.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import ModelSpecError
from ._dag_plot import _pyplot

UNITS = {
    "deviation": "deviation from steady state",
    "percent": "% deviation from steady state",
    "level": "level",
}
PP = "percentage points"
#: names read as rates in units='percent' (shown in percentage points, not % of ss)
RATES = frozenset({"r", "i", "pi", "rstar", "ra", "rb", "rpost", "piw", "ishock", "rr"})


def is_rate(var: str, ss) -> bool:
    """A rate or a variable without a meaningful percent change (steady state 0)."""
    base = var.split("_")[0]
    if var in RATES or base in RATES:
        return True
    return ss is not None and var in ss and np.ndim(ss[var]) == 0 and float(ss[var]) == 0.0


def unit_label(var: str, ss, units: str) -> str:
    if units == "percent" and is_rate(var, ss):
        return PP
    return UNITS[units]


def auto_horizon(lines, T_max: int, floor: int = 20) -> int:
    """Periods to show: until every line has settled within 1% of its peak, plus a
    quarter, rounded up to 10; at least ``floor``, at most ``T_max``."""
    last = 0
    for y in lines:
        y = np.abs(np.asarray(y, dtype=float))
        peak = float(np.max(y)) if y.size else 0.0
        if peak > 0:
            big = np.flatnonzero(y > 0.01 * peak)
            last = max(last, int(big[-1]) + 1 if big.size else 0)
    T = int(np.ceil(1.25 * last / 10) * 10)
    return int(min(T_max, max(floor, T)))


LINESTYLES = ["-", "--", ":", "-."]  # overlays stay visible when they coincide


def _as_list(irfs, labels) -> tuple[list, list[str]]:
    """Normalise one ImpulseDict, a list of them or a ``{label: irf}`` dict."""
    if isinstance(irfs, Mapping) and not hasattr(irfs, "kind"):
        items = list(irfs.values())
        names = [str(k) for k in irfs]
    elif isinstance(irfs, Mapping):
        items, names = [irfs], [getattr(irfs, "label", None) or "irf"]
    elif isinstance(irfs, Sequence) and not isinstance(irfs, str):
        items = list(irfs)
        names = [getattr(x, "label", None) or f"irf {i}" for i, x in enumerate(items)]
    else:
        raise ModelSpecError(
            f"plot_irfs: expected an ImpulseDict, a list or a dict of them, got "
            f"{type(irfs).__name__}"
        )
    if not items:
        raise ModelSpecError("plot_irfs: no impulse responses given")
    for x in items:
        if not isinstance(x, Mapping):
            raise ModelSpecError(f"plot_irfs: expected an ImpulseDict, got {type(x).__name__}")
    if labels is not None:
        labels = [labels] if isinstance(labels, str) else list(labels)
        if len(labels) != len(items):
            raise ModelSpecError(
                f"plot_irfs: {len(labels)} labels for {len(items)} impulse responses"
            )
        names = [str(x) for x in labels]
    if len(set(names)) < len(names):  # same default label twice (e.g. two linear IRFs)
        names = [f"{n} ({i})" for i, n in enumerate(names)]
    return items, names


def _series(irf, var: str, ss, units: str, name: str) -> np.ndarray:
    x = np.asarray(irf[var], dtype=float)
    kind = getattr(irf, "kind", "deviation")
    if units == "level" and kind == "level":
        return x
    if kind == "level" or units in ("percent", "level"):
        if ss is None:
            raise ModelSpecError(
                f"plot_irfs: units={units!r} for {name!r} needs the steady state; pass ss="
            )
        if var not in ss:
            raise ModelSpecError(f"plot_irfs: variable {var!r} has no steady-state value in ss")
        x_ss = float(ss[var])
    dev = x - x_ss if kind == "level" else x
    if units == "deviation":
        return dev
    if units == "level":
        return dev + x_ss
    if is_rate(var, ss):
        return 100 * dev  # percentage points
    return 100 * dev / x_ss


def plot_irfs(
    irfs,
    variables: Sequence[str] | str | None = None,
    ss=None,
    units: str = "deviation",
    labels: Sequence[str] | None = None,
    ncols: int = 3,
    T: int | None = None,
    figsize: tuple[float, float] | None = None,
):
    """Grid of impulse-response panels, one per variable.

    Parameters
    ----------
    irfs : ImpulseDict, list of ImpulseDict, or dict {label: ImpulseDict}
        Several results are overlaid in every panel with a legend (e.g. linear
        vs nonlinear, or two shocks).
    variables : list of str, optional
        Variables to plot, one panel each; by default every sequence of the first
        result.
    ss : SteadyState, optional
        Needed for ``units='percent'`` and ``'level'``, and for results in levels.
    units : {'deviation', 'percent', 'level'}
        ``'percent'`` is 100 (x - x_ss) / x_ss, and 100 (x - x_ss) percentage points for
        rates (:data:`RATES`, and variables whose steady state is 0); ``'level'`` is
        x_ss + deviation.
    labels : list of str, optional
        Legend labels; default the dict keys or each result's ``label``.
    ncols : int
        Panels per row.
    T : int, optional
        Plot only periods 0..T-1; by default until every response has settled within
        1% of its peak (see :func:`auto_horizon`).
    figsize : (float, float), optional
        Default 3.6 x 2.7 inches per panel.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelSpecError
        If a variable is not in a result (the message lists what is there), or
        ``ss`` is missing when the units need it.

    Examples
    --------
    >>> import numpy as np
    >>> from hetdag.examples import rbc
    >>> ex = rbc.example()
    >>> irf = ex.model.solve_impulse_linear(
    ...     ex.ss, ex.unknowns, ex.targets, {"Z": 0.01 * 0.9 ** np.arange(50)})
    >>> fig = irf.plot(["Y", "C", "K"], ss=ex.ss, units="percent")
    """
    if units not in UNITS:
        raise ModelSpecError(f"plot_irfs: units must be one of {list(UNITS)}, got {units!r}")
    items, names = _as_list(irfs, labels)
    if variables is None:
        variables = [k for k, v in items[0].items() if np.ndim(v) == 1]
    elif isinstance(variables, str):
        variables = [variables]
    variables = list(variables)
    if not variables:
        raise ModelSpecError("plot_irfs: no variables to plot")
    for x, name in zip(items, names):
        missing = [v for v in variables if v not in x]
        if missing:
            raise ModelSpecError(
                f"plot_irfs: variable(s) {missing} not in the results {name!r}; "
                f"available: {sorted(x)}"
            )
    if not isinstance(ncols, int) or ncols < 1:
        raise ModelSpecError(f"plot_irfs: ncols must be a positive integer, got {ncols!r}")
    if T is not None and (not isinstance(T, (int, np.integer)) or T < 1):
        raise ModelSpecError(f"plot_irfs: T must be a positive integer, got {T!r}")

    # compute every line first, so that bad input raises before a figure exists
    data = {
        var: [_series(x, var, ss, units, name) for x, name in zip(items, names)]
        for var in variables
    }
    if T is None:
        T = auto_horizon([y for ys in data.values() for y in ys], len(data[variables[0]][0]))
    data = {var: [y[:T] for y in ys] for var, ys in data.items()}
    plt = _pyplot()
    n = len(variables)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=figsize or (3.6 * ncols, 2.7 * nrows + 0.4),
        squeeze=False,
        layout="constrained",
    )
    for k, var in enumerate(variables):
        ax = axes.flat[k]
        for j, (y, name) in enumerate(zip(data[var], names)):
            style = LINESTYLES[j % len(LINESTYLES)]
            ax.plot(np.arange(len(y)), y, style, label=name, linewidth=1.6)
        if units == "level" and ss is not None and var in ss:
            ax.axhline(float(ss[var]), color="0.6", linewidth=0.8, linestyle=":")
        else:
            ax.axhline(0.0, color="0.6", linewidth=0.8, linestyle=":")
        ax.set_title(var)
        ax.set_ylabel(unit_label(var, ss, units), fontsize=8)
        if k >= n - ncols:
            ax.set_xlabel("t (periods after the shock)", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    if len(items) > 1:
        axes.flat[0].legend(fontsize=8)
    return fig
