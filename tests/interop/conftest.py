"""Port sequence-jacobian's own example modules to hetdag by changing the import only."""

import importlib
import importlib.util

import numpy as np
import pytest

sj = pytest.importorskip("sequence_jacobian", reason="sequence-jacobian (extra 'bench')")


def port_module(name: str, tmp_dir) -> object:
    """SSJ's ``sequence_jacobian.examples.<name>`` with ``sequence_jacobian`` replaced by
    ``hetdag`` in its source and nothing else changed, imported from a file (simple
    blocks read their outputs from the source)."""
    spec = importlib.util.find_spec(f"sequence_jacobian.examples.{name}")
    with open(spec.origin) as fh:
        src = fh.read().replace("sequence_jacobian", "hetdag")
    path = tmp_dir / f"ported_{name}.py"
    path.write_text(src)
    s = importlib.util.spec_from_file_location(f"ported_{name}", path)
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
    return lambda name: port_module(name, d)
