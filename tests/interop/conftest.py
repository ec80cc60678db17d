"""Port sequence-jacobian's own example modules to hetdag by changing the import only."""

import contextlib
import importlib
import importlib.util

import numpy as np
import pytest

sj = pytest.importorskip("sequence_jacobian", reason="sequence-jacobian (extra 'bench')")


def port_module(name: str, tmp_dir, to: str = "hetdag", fixes=()) -> object:
    """SSJ's ``sequence_jacobian.examples.<name>`` with ``sequence_jacobian`` replaced by
    ``to`` in its source and nothing else changed (but the ``(old, new)`` pairs in
    ``fixes``), imported from a file (simple blocks read their outputs from the source)."""
    spec = importlib.util.find_spec(f"sequence_jacobian.examples.{name}")
    with open(spec.origin) as fh:
        src = fh.read().replace("sequence_jacobian", to)
    for old, new in fixes:
        src = src.replace(old, new)
    path = tmp_dir / f"ported_{name}_{to}_{len(fixes)}.py"
    path.write_text(src)
    s = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(s)
    s.loader.exec_module(mod)
    return mod


def original_module(name: str):
    return importlib.import_module(f"sequence_jacobian.examples.{name}")


def rel_gap(ours, theirs) -> float:
    """max |ours - theirs| relative to max |theirs| (the peak of the response)."""
    a, b = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.fixture(scope="session")
def port(tmp_path_factory):
    d = tmp_path_factory.mktemp("ported")
    return lambda name, to="hetdag", fixes=(): port_module(name, d, to, fixes)


@contextlib.contextmanager
def tight_households(model):
    """SSJ's households in ``model`` solved to 1e-12 (backward) and 1e-13 (forward)
    instead of its defaults 1e-8 and 1e-10: at those its two-asset steady state sits
    5e-7 from its own fixed point (measured), too far for a 1e-8 comparison. (SSJ's
    ``options={'hh': ...}`` fails with a KeyError inside nested solved blocks.)"""
    from sequence_jacobian.blocks.het_block import HetBlock

    hets = [b for b in model.blocks if isinstance(b, HetBlock)]
    saved = [dict(b.steady_state_options) for b in hets]
    for b in hets:
        b.steady_state_options.update(backward_tol=1e-12, backward_maxit=50_000, forward_tol=1e-13)
    try:
        yield
    finally:
        for b, opts in zip(hets, saved):
            b.steady_state_options.clear()
            b.steady_state_options.update(opts)


@pytest.fixture(scope="session")
def ssj_dag():
    """``dag()`` of SSJ's own example modules, run once per session."""
    cache: dict = {}

    def get(name: str):
        if name not in cache:
            cache[name] = original_module(name).dag()
        return cache[name]

    return get
