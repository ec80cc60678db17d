"""Helpers for writing backward steps: interpolation and grids (numba-compiled)."""

from . import grids as grids
from . import interpolate as interpolate

__all__ = ["grids", "interpolate"]
