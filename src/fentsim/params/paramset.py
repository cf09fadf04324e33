"""Parameter sets: one array per parameter, with the run as the only axis.

A :class:`ParamSet` is what the model consumes: ``ps["od_rate_illicit_oud"]`` is an array of
shape ``(n,)`` — one value per run. Slicing a parameter set by runs (``ps.take(slice(a, b))``)
is how ensembles are chunked, so every model function must treat runs independently.

Example:
    >>> from fentsim.params import load_registry
    >>> ps = ParamSet.point(load_registry(), n=3)
    >>> ps.n, ps["od_rate_illicit_oud"].shape
    (3, (3,))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .registry import Registry, RegistryError


class ParamSet(dict[str, np.ndarray]):
    """A mapping from parameter name to a float array over runs (all the same length)."""

    @property
    def n(self) -> int:
        """Number of runs."""
        for v in self.values():
            return int(v.shape[0])
        return 0

    @classmethod
    def point(
        cls, registry: Registry, n: int = 1, values: Mapping[str, float] | None = None
    ) -> ParamSet:
        """Every parameter at its point value (or at ``values[name]`` where given), repeated ``n`` times."""
        values = values or {}
        return cls(
            {name: np.full(n, float(values.get(name, p.value))) for name, p in registry.items()}
        )

    def with_overrides(self, overrides: Mapping[str, float]) -> ParamSet:
        """A copy with some parameters set to a constant for every run."""
        out = ParamSet(self)
        for name, value in overrides.items():
            if name not in out:
                raise RegistryError(f"unknown parameter {name!r} in overrides")
            out[name] = np.full(self.n, float(value))
        return out

    def take(self, index: Any) -> ParamSet:
        """The runs selected by ``index`` (a slice or an integer array)."""
        return ParamSet({k: np.ascontiguousarray(v[index]) for k, v in self.items()})

    @classmethod
    def concat(cls, parts: list[ParamSet]) -> ParamSet:
        """Join parameter sets run-wise (the inverse of chunking)."""
        keys = list(parts[0])
        return cls({k: np.concatenate([p[k] for p in parts]) for k in keys})

    def to_frame(self):
        """The parameter set as a DataFrame, one row per run."""
        import pandas as pd

        return pd.DataFrame(dict(self.items()))
