"""Command line: ``hetdag list`` and ``hetdag run EXAMPLE``.

``hetdag run krusell_smith --shock Z --rho 0.9 --size 0.01 --out DIR [--T 300] [--nonlinear]``
solves the example's steady state and its impulse responses to an AR(1) shock path
``dZ_t = size * rho**t``, then writes

- ``DIR/dag.png``: the model's DAG with shocks, unknowns and targets marked;
- ``DIR/irf.png``: a panel of impulse responses (linear, and nonlinear if asked);
- ``DIR/irf.csv``: the linear impulse responses, one column per variable, indexed by t
  (and ``DIR/irf_nonlinear.csv`` with ``--nonlinear``).

Exit codes: 0 on success, 2 for bad input (unknown example or shock, unwritable
output directory, bad numbers), 1 when a solver fails.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class ExampleSpec(NamedTuple):
    """Where an example lives, what to shock by default (None: the module's ``shock()``)
    and which inputs are its shocks (the ``exogenous`` of its ``example()``)."""

    module: str
    default_shock: str | None
    description: str
    shocks: tuple[str, ...]


EXAMPLES: dict[str, ExampleSpec] = {
    "rbc": ExampleSpec(
        "hetdag.examples.rbc", "Z", "real business cycle model (TFP shock Z)", ("Z",)
    ),
    "nk": ExampleSpec(
        "hetdag.examples.nk", "v", "three-equation New Keynesian model", ("v", "rstar")
    ),
    "krusell_smith": ExampleSpec(
        "hetdag.examples.krusell_smith", "Z", "Krusell-Smith economy, one-asset households", ("Z",)
    ),
    "hank": ExampleSpec(
        "hetdag.examples.hank", None, "one-asset HANK with sticky prices", ("ishock", "Z", "rstar")
    ),
    "two_asset": ExampleSpec(
        "hetdag.examples.two_asset", None, "two-asset HANK", ("rstar", "Z", "G")
    ),
}
MAX_PANELS = 12


class UsageError(Exception):
    """Bad command-line input; reported without a traceback, exit code 2."""


def available_examples() -> dict[str, object]:
    """Examples whose module imports, as ``{name: module}``."""
    found = {}
    for name, spec in EXAMPLES.items():
        try:
            found[name] = importlib.import_module(spec.module)
        except Exception:  # noqa: BLE001 - a broken or missing example is just not listed
            continue
    return found


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hetdag",
        description="Heterogeneous-agent models as DAGs of blocks, solved in the sequence space.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("list", help="list the example models")
    run = sub.add_parser(
        "run",
        help="solve an example and write its DAG, IRF panel and IRF table",
        description="Solve an example's steady state and impulse responses to an AR(1) "
        "shock path size * rho**t; write dag.png, irf.png and irf.csv into --out.",
    )
    run.add_argument("example", help="example name (see `hetdag list`)")
    run.add_argument("--shock", help="shocked input (default: the example's main shock)")
    run.add_argument("--rho", type=float, help="persistence of the shock path")
    run.add_argument("--size", type=float, help="impact size of the shock (deviation)")
    run.add_argument("--T", type=int, default=300, help="horizon in periods (default 300)")
    run.add_argument("--out", help="output directory (default: ./hetdag-EXAMPLE)")
    run.add_argument("--nonlinear", action="store_true", help="also solve the nonlinear transition")
    run.add_argument(
        "--variables", help="comma-separated variables to plot (default: shock, unknowns, outputs)"
    )
    run.add_argument(
        "--units",
        choices=["deviation", "percent", "level"],
        default="deviation",
        help="units of the IRF panel (default: deviation)",
    )
    run.add_argument(
        "--allow-nonstationary",
        action="store_true",
        help="accept |rho| >= 1 (an explosive shock path)",
    )
    progress = run.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="show progress bars (default: when stdout is a terminal)",
    )
    progress.add_argument("--no-progress", dest="progress", action="store_false")
    return p


def _list() -> int:
    found = available_examples()
    width = max(len(n) for n in EXAMPLES)
    for name, spec in EXAMPLES.items():
        if name in found:
            print(f"{name:<{width}}  {spec.description}")
    return 0


def _output_dir(out: str) -> str:
    """Create ``out`` if needed and check that files can be written there."""
    try:
        os.makedirs(out, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".hetdag-check-"):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise UsageError(f"cannot write to output directory {out!r}: {reason}") from None
    return out


def _shock_defaults(module) -> tuple[str | None, float, float]:
    """Shock name, rho and size from the module's ``shock()`` helper when it has one."""
    name, rho, size = None, 0.9, 0.01
    helper = getattr(module, "shock", None)
    if callable(helper):
        params = inspect.signature(helper).parameters
        if "rho" in params and params["rho"].default is not inspect.Parameter.empty:
            rho = float(params["rho"].default)
        if "size" in params and params["size"].default is not inspect.Parameter.empty:
            size = float(params["size"].default)
        try:
            keys = list(helper(T=2))
        except Exception:  # noqa: BLE001 - fall back to the first exogenous input
            keys = []
        name = keys[0] if len(keys) == 1 else None
    return name, rho, size


def _economic(ex, irf) -> list[str]:
    """Variables worth a panel or a column: not targets (equilibrium conditions, zero
    along the solution) nor other outputs that stay at roundoff (Walras' law)."""
    skip = set(ex.targets)
    scale = max(float(np.max(np.abs(v))) for v in irf.values() if np.ndim(v) == 1)
    return [
        k
        for k, v in irf.items()
        if np.ndim(v) == 1 and k not in skip and float(np.max(np.abs(v))) > 1e-9 * scale
    ]


def _default_variables(ex, shock: str, irf) -> list[str]:
    names = [shock] + list(ex.unknowns)
    names += [o for o in ex.model.outputs if o not in set(ex.exogenous) and o not in names]
    keep = set(_economic(ex, irf))
    return [v for v in names if v in keep][:MAX_PANELS]


def _run(args) -> int:
    found = available_examples()
    if args.example not in found:
        raise UsageError(
            f"unknown example {args.example!r}; available examples: {', '.join(found)}"
        )
    if args.T < 2:
        raise UsageError(f"--T must be at least 2, got {args.T}")
    for flag in ("rho", "size"):
        v = getattr(args, flag)
        if v is not None and not np.isfinite(v):
            raise UsageError(f"--{flag} must be a finite number, got {v}")
    out = args.out or f"hetdag-{args.example}"
    _check_writable(out)
    module = found[args.example]
    spec = EXAMPLES[args.example]
    progress = sys.stdout.isatty() if args.progress is None else args.progress

    helper_shock, rho, size = _shock_defaults(module)
    rho = rho if args.rho is None else args.rho
    size = size if args.size is None else args.size
    if abs(rho) >= 1 and not args.allow_nonstationary:
        raise UsageError(
            f"--rho {rho:g} makes the shock path size * rho**t non-stationary (|rho| >= 1): "
            "its impulse responses explode. Use |rho| < 1, or pass --allow-nonstationary"
        )
    # everything that can be checked without solving is checked before solving
    _check_names(module, args, spec, helper_shock)
    if not _kernels_cached():
        print("compiling numba kernels (first run only, about 10-15 s)...", flush=True)

    t0 = time.perf_counter()
    kwargs = (
        {"progress": progress} if "progress" in inspect.signature(module.example).parameters else {}
    )
    ex = module.example(**kwargs)
    shock = args.shock or spec.default_shock or helper_shock or ex.exogenous[0]
    if shock not in ex.exogenous:
        raise UsageError(
            f"unknown shock {shock!r} for example {args.example!r}; valid shocks: "
            f"{', '.join(ex.exogenous)}"
        )
    print(f"{ex.model.name}: steady state solved in {time.perf_counter() - t0:.1f} s")

    shocks = {shock: size * rho ** np.arange(args.T)}
    # an example may ask for solver options (two_asset: its determinacy check needs T > 300)
    options = dict(getattr(module, "SOLVE_OPTIONS", {}))
    t0 = time.perf_counter()
    irf = ex.model.solve_impulse_linear(ex.ss, ex.unknowns, ex.targets, shocks, **options)
    print(f"linear impulse responses (T = {args.T}) in {time.perf_counter() - t0:.1f} s")
    results = {"linear": irf}
    if args.nonlinear:
        t0 = time.perf_counter()
        results["nonlinear"] = ex.model.solve_impulse_nonlinear(
            ex.ss, ex.unknowns, ex.targets, shocks, progress=progress, **options
        )
        print(f"nonlinear impulse responses in {time.perf_counter() - t0:.1f} s")

    if args.variables:
        variables = [v.strip() for v in args.variables.split(",") if v.strip()]
        missing = [v for v in variables if v not in irf]
        if missing:
            raise UsageError(
                f"--variables: {missing} not in the results; available: {', '.join(irf)}"
            )
    else:
        variables = _default_variables(ex, shock, irf)

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_irfs

    _output_dir(out)
    written = []
    fig = ex.model.draw(unknowns=ex.unknowns, targets=ex.targets, inputs=ex.exogenous)
    path = os.path.join(out, "dag.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)

    fig = plot_irfs(results, variables, ss=ex.ss, units=args.units)
    fig.suptitle(f"{ex.model.name}: {shock} shock, size {size:g}, persistence {rho:g}")
    path = os.path.join(out, "irf.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)

    columns = _economic(ex, irf)
    for label, res in results.items():
        path = os.path.join(out, "irf.csv" if label == "linear" else f"irf_{label}.csv")
        _write_csv(res, path, [c for c in columns if c in res], ex.ss, args.units)
        written.append(path)
    for path in written:
        print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hetdag`` console script; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as err:  # argparse reports usage errors itself, with exit code 2
        return int(err.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    from .errors import HetdagError

    try:
        if args.command == "list":
            return _list()
        return _run(args)
    except UsageError as err:
        print(f"hetdag: error: {err}", file=sys.stderr)
        return 2
    except HetdagError as err:
        print(f"hetdag: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"hetdag: error: cannot write output: {err}", file=sys.stderr)
        return 2


def _write_csv(irf, path: str, names: list[str], ss, units: str) -> None:
    """One column per variable, indexed by t (the layout of ``irf.to_frame()``), in the
    panel's units, after a comment line that states them (``pd.read_csv(path,
    comment="#", index_col="t")``); no pandas needed to write it."""
    import csv

    from .plotting._irf_plot import _series

    cols = {k: _series(irf, k, ss, units, "csv") for k in names}
    with open(path, "w", newline="") as fh:
        fh.write(f"# units: {_units_note(names, ss, units)}\n")
        writer = csv.writer(fh)
        writer.writerow(["t", *names])
        for t in range(irf.T):
            writer.writerow([t, *(repr(float(cols[k][t])) for k in names)])


def _units_note(names: list[str], ss, units: str) -> str:
    from .plotting._irf_plot import is_rate

    if units == "deviation":
        return "deviation from steady state, in each variable's own units (0.0025 = 25 bp)"
    if units == "level":
        return "levels"
    rates = [k for k in names if is_rate(k, ss)]
    note = "percent deviation from steady state"
    return note + (f"; percentage points for {', '.join(rates)}" if rates else "")


def _check_writable(out: str) -> None:
    """Fail now, not after solving, if ``out`` cannot be created and written; create
    nothing yet (a failed run leaves no empty directory)."""
    path = os.path.abspath(out)
    probe = path
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe) or not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write to output directory {out!r}: {probe!r} is not writable")


def _check_names(module, args, spec, helper_shock) -> None:
    """Shock and --variables against the model's own names, before any solve."""
    model = module.build_model()
    shock = args.shock or spec.default_shock or helper_shock
    if shock is not None and shock not in spec.shocks:
        raise UsageError(
            f"unknown shock {shock!r} for example {args.example!r}; valid shocks: "
            f"{', '.join(spec.shocks)}"
        )
    if args.variables:
        names = set(model.inputs) | set(model.outputs)
        missing = [v.strip() for v in args.variables.split(",") if v.strip() not in names]
        if missing:
            raise UsageError(
                f"--variables: {missing} are not variables of {args.example!r}; available: "
                f"{', '.join(sorted(names))}"
            )


def _kernels_cached() -> bool:
    """True if numba's on-disk cache already holds hetdag's histogram kernels."""
    import glob

    import hetdag

    roots = [os.environ.get("NUMBA_CACHE_DIR", ""), os.path.dirname(hetdag.__file__)]
    for root in filter(None, roots):
        if glob.glob(os.path.join(root, "**", "*_histogram_kernels*.nbi"), recursive=True):
            return True
    return False


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
