"""Parameter registry, parameter sets and designs over priors."""

from .paramset import ParamSet
from .priors import Prior, PriorError
from .registry import UNITS, Parameter, Registry, RegistryError, load_registry
from .sampling import METHODS, sample, unit_design

__all__ = [
    "METHODS",
    "UNITS",
    "ParamSet",
    "Parameter",
    "Prior",
    "PriorError",
    "Registry",
    "RegistryError",
    "load_registry",
    "sample",
    "unit_design",
]
