"""Linear interpolation for backward steps (``hetdag.interpolate``).

The kernels live in :mod:`hetdag.utils.interpolate`; the names and meanings are
sequence-jacobian's: ``interpolate_y(x, xq, y)``, ``interpolate_coord(x, xq)`` and
``apply_coord(x_i, x_pi, y)``, each along the last axis with leading axes broadcast.
"""

from .utils.interpolate import apply_coord as apply_coord
from .utils.interpolate import interpolate_coord as interpolate_coord
from .utils.interpolate import interpolate_y as interpolate_y

__all__ = ["apply_coord", "interpolate_coord", "interpolate_y"]
