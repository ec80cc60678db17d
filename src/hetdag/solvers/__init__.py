"""Steady-state, linear and nonlinear sequence-space solvers, and determinacy checks.

They know no block kind: they see a block through the protocol in ``_protocol.py``
(which ``hetdag.blocks.Block`` implements). They may import ``errors``, ``results``
and ``jacobians``; never ``hetdag.blocks``.
"""
