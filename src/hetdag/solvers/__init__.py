"""Steady-state, linear and nonlinear sequence-space solvers."""
