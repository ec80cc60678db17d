"""Jacobians from elsewhere as blocks of a hetdag model.

``hetdag.interop.hark`` builds a :class:`~hetdag.JacobianBlock` from a HARK (econ-ark)
consumer type through HARK's own fake-news routine. This package may import ``blocks``,
``jacobians``, ``errors`` and ``utils``; never ``solvers``, ``backends`` or ``examples``.
Optional packages (econ-ark) are imported inside the functions that use them, so that
``import hetdag`` never imports HARK.
"""
