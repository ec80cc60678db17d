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
    """Where an example lives and what to shock by default (None: the module's ``shock()``)."""

    module: str
    default_shock: str | None
    description: str


EXAMPLES: dict[str, ExampleSpec] = {
    "rbc": ExampleSpec("hetdag.examples.rbc", "Z", "real business cycle model (TFP shock Z)"),
    "nk": ExampleSpec("hetdag.examples.nk", "v", "three-equation New Keynesian model"),
    "krusell_smith": ExampleSpec(
        "hetdag.examples.krusell_smith", "Z", "Krusell-Smith economy, one-asset households"
    ),
    "hank": ExampleSpec("hetdag.examples.hank", None, "one-asset HANK with sticky prices"),
    "two_asset": ExampleSpec("hetdag.examples.two_asset", None, "two-asset HANK"),
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


def _default_variables(ex, shock: str, irf) -> list[str]:
    names = [shock] + list(ex.unknowns)
    skip = set(ex.targets) | set(ex.exogenous)
    names += [o for o in ex.model.outputs if o not in skip and o not in names]
    return [v for v in names if v in irf and np.ndim(irf[v]) == 1][:MAX_PANELS]


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
    out = _output_dir(args.out or f"hetdag-{args.example}")
    module = found[args.example]
    spec = EXAMPLES[args.example]
    progress = sys.stdout.isatty() if args.progress is None else args.progress

    helper_shock, rho, size = _shock_defaults(module)
    rho = rho if args.rho is None else args.rho
    size = size if args.size is None else args.size

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

    for label, res in results.items():
        path = os.path.join(out, "irf.csv" if label == "linear" else f"irf_{label}.csv")
        _write_csv(res, path)
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


def _write_csv(irf, path: str) -> None:
    """One column per variable, indexed by t (the layout of ``irf.to_frame()``), without
    needing pandas."""
    import csv

    names = [k for k, v in irf.items() if np.ndim(v) == 1]
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["t", *names])
        for t in range(irf.T):
            writer.writerow([t, *(repr(float(irf[k][t])) for k in names)])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
