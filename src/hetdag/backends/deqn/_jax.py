"""The one check that the optional JAX stack is installed."""

from __future__ import annotations

import importlib

from ...errors import OptionalDependencyError

_EXTRA = 'pip install "hetdag[deqn]"'


def require_jax() -> None:
    """Import jax and optax or raise :class:`OptionalDependencyError` naming the extra."""
    missing = []
    for mod in ("jax", "optax"):
        try:
            importlib.import_module(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        raise OptionalDependencyError(
            f"the deep-equilibrium-net backend needs {' and '.join(missing)}, which are not "
            f"installed; install the optional extra: {_EXTRA}"
        )
