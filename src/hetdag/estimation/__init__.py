"""Estimation: autocovariances, the exact Gaussian likelihood, priors, mode and sampling.

``all_covariances`` and ``log_likelihood`` keep sequence-jacobian's names, signatures
and results. :class:`EstimationProblem` ties a model to data and priors and re-solves
only what a parameter touches; :func:`find_mode` and :func:`sample` use it. Sampling with
emcee needs the extra ``estimation`` (``pip install "hetdag[estimation]"``). May import
the public model API (``hetdag``, ``blocks``, ``jacobians``, ``errors``, ``utils``) and,
lazily, ``distributed`` for a Dask pool; nothing imports it back.
"""

from ._covariance import NotPositiveDefiniteError as NotPositiveDefiniteError
from ._covariance import all_covariances as all_covariances
from ._covariance import build_full_covariance as build_full_covariance
from ._covariance import log_likelihood as log_likelihood
from ._draws import Draws as Draws
from ._mode import EstimationWarning as EstimationWarning
from ._mode import ModeResult as ModeResult
from ._mode import find_mode as find_mode
from ._mode import hessian as hessian
from ._priors import Beta as Beta
from ._priors import Gamma as Gamma
from ._priors import InvGamma as InvGamma
from ._priors import Normal as Normal
from ._priors import Prior as Prior
from ._priors import PriorError as PriorError
from ._priors import Priors as Priors
from ._priors import Uniform as Uniform
from ._problem import EstimationProblem as EstimationProblem
from ._sampling import sample as sample
from ._shocks import AR1 as AR1
from ._shocks import ARMA11 as ARMA11
from ._shocks import ShockProcess as ShockProcess
from ._support import TruncationError as TruncationError

__all__ = [
    "AR1",
    "ARMA11",
    "Beta",
    "Draws",
    "EstimationProblem",
    "EstimationWarning",
    "Gamma",
    "InvGamma",
    "ModeResult",
    "Normal",
    "NotPositiveDefiniteError",
    "Prior",
    "PriorError",
    "Priors",
    "TruncationError",
    "Uniform",
    "all_covariances",
    "build_full_covariance",
    "find_mode",
    "hessian",
    "log_likelihood",
    "sample",
]
