"""Helpers for writing backward steps: interpolation and grids (numba-compiled).

Also the private scratch buffers, thread pool and extrapolation of iterates that the
blocks use. Imports only ``errors``.
"""

from . import grids as grids
from . import interpolate as interpolate

__all__ = ["grids", "interpolate"]
