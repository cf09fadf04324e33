"""The calibrated posterior on disk: weighted parameter draws plus the metadata that stamps them.

A :class:`Posterior` holds ``K`` weighted draws of ``D`` calibrated parameters (``names``,
``values`` K×D in the registry's units, ``weights`` summing to 1, ``loglik`` per draw) and
``meta`` (seed, package version, data through-year, spec hash, sampler diagnostics). It is stored
as one ``.npz`` (arrays; no pickles) and a human-readable ``.json`` report next to it.

Where posteriors live:

* the shipped default, used by every projection unless told otherwise:
  ``fentsim/calibration/posterior_default.npz`` (:func:`load_posterior` with no argument);
* calibrations run by users: ``$FENTSIM_STORE/posteriors/`` (default ``./fentsim-store``).

Projections draw from it by run index: :meth:`Posterior.resample` gives run ``i`` a draw that
depends only on ``(seed, i)``, so any chunking of an ensemble sees the same draws.

Example:
    >>> import numpy as np
    >>> post = Posterior(("a", "b"), np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.25, 0.75]))
    >>> x = post.resample(10, seed=1)
    >>> x.shape, bool((post.resample(10, seed=1, start=4, stop=7) == x[4:7]).all())
    ((10, 2), True)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UserError

#: Largest number of draws a stored posterior keeps (thinned systematically): enough for 5-95%
#: intervals to about ±1.5 percentage points, small enough to ship in the package (< 1 MB).
MAX_STORED_DRAWS: int = 1000
#: File name of the shipped default posterior inside the package.
DEFAULT_NAME: str = "posterior_default.npz"
#: Environment variable naming the results store folder, and its default.
STORE_ENV, STORE_DEFAULT = "FENTSIM_STORE", "fentsim-store"
#: Runs per block of the index-based resampling streams (as in ``fentsim.params.sampling``).
_BLOCK: int = 4096
_TAG_RESAMPLE: int = 0x9057


class PosteriorNotFoundError(UserError):
    """No posterior at the requested place."""


@dataclass(frozen=True)
class Posterior:
    """Weighted posterior draws of the calibrated parameters.

    Attributes:
        names: parameter names (registry names), one per column.
        values: ``(K, D)`` draws in the registry's units.
        weights: ``(K,)`` normalised weights.
        loglik: ``(K,)`` log-likelihood of each draw (NaN when unknown).
        meta: seed, version, through-year, spec hash, diagnostics …
    """

    names: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    loglik: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = np.atleast_2d(np.asarray(self.values, dtype=float))
        w = np.asarray(self.weights, dtype=float)
        if values.shape != (len(w), len(self.names)):
            raise ValueError(
                f"values {values.shape} do not match {len(w)} weights × {len(self.names)} names"
            )
        if np.any(w < 0) or not w.sum() > 0:
            raise ValueError("posterior weights must be non-negative with a positive sum")
        ll = (
            np.full(len(w), np.nan) if self.loglik is None else np.asarray(self.loglik, dtype=float)
        )
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "weights", w / w.sum())
        object.__setattr__(self, "loglik", ll)

    @property
    def n_draws(self) -> int:
        return len(self.weights)

    def column(self, name: str) -> np.ndarray:
        """The draws of one parameter."""
        return self.values[:, self.names.index(name)]

    def indices(self, n: int, seed: int, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Draw index for runs ``[start, stop)`` of an ``n``-run ensemble (weighted, with replacement).

        Run ``i`` uses uniform number ``i`` of blocked streams ``SeedSequence([seed, tag, block])``,
        so its draw depends only on ``(seed, i)``.
        """
        stop = n if stop is None else stop
        if not 0 <= start <= stop <= n:
            raise ValueError(f"runs [{start}, {stop}) are not inside an ensemble of {n}")
        if stop == start:
            return np.zeros(0, dtype=int)
        first, last = start // _BLOCK, (stop - 1) // _BLOCK
        u = np.concatenate(
            [
                np.random.default_rng([seed, _TAG_RESAMPLE, b]).random(_BLOCK)
                for b in range(first, last + 1)
            ]
        )
        u = u[start - first * _BLOCK : stop - first * _BLOCK]
        c = np.cumsum(self.weights)
        return np.minimum(np.searchsorted(c, u * c[-1], side="right"), self.n_draws - 1)

    def resample(self, n: int, seed: int, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Parameter values ``(stop - start, D)`` for runs ``[start, stop)`` (columns = ``names``)."""
        return self.values[self.indices(n, seed, start, stop)]

    def as_dict(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """``{name: column}`` of the given rows (a ``resample`` result), or of all draws."""
        x = self.values if rows is None else rows
        return {name: np.ascontiguousarray(x[:, j]) for j, name in enumerate(self.names)}

    def summary(self) -> list[dict[str, float | str]]:
        """Weighted mean and 5/50/95% quantiles per parameter."""
        out = []
        for j, name in enumerate(self.names):
            x = self.values[:, j]
            q = weighted_quantile(x, self.weights, (0.05, 0.5, 0.95))
            out.append(
                {
                    "name": name,
                    "mean": float(x @ self.weights),
                    "p05": q[0],
                    "p50": q[1],
                    "p95": q[2],
                }
            )
        return out


def weighted_quantile(x: np.ndarray, w: np.ndarray, qs) -> list[float]:
    """Quantiles of weighted draws (inverse of the weighted empirical CDF, midpoint rule).

    Example:
        >>> weighted_quantile(np.array([1.0, 2.0, 3.0]), np.ones(3) / 3, (0.5,))
        [2.0]
    """
    order = np.argsort(x)
    xs, ws = x[order], w[order] / w.sum()
    cdf = np.cumsum(ws) - 0.5 * ws
    return [float(np.interp(q, cdf, xs)) for q in qs]


def store_dir(create: bool = True) -> Path:
    """The folder for user posteriors: ``$FENTSIM_STORE/posteriors`` (created when asked)."""
    path = Path(os.environ.get(STORE_ENV, STORE_DEFAULT)) / "posteriors"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def default_path() -> Path:
    """Path of the shipped default posterior (it may not exist in a development tree)."""
    return Path(str(resources.files("fentsim.calibration") / DEFAULT_NAME))


def save_posterior(post: Posterior, path: str | Path, report: dict[str, Any] | None = None) -> Path:
    """Write ``post`` to ``path`` (``.npz``) and a JSON report (meta + ``report``) beside it."""
    path = Path(path).with_suffix(".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = json.dumps(post.meta, sort_keys=True, default=_json_default)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez_compressed(
        tmp,
        names=np.array(post.names, dtype=str),
        values=post.values,
        weights=post.weights,
        loglik=post.loglik,
        meta=np.array(meta),
    )
    tmp.replace(path)  # atomic: a reader never sees half a file
    doc = {"meta": post.meta, "parameters": post.summary(), **(report or {})}
    path.with_suffix(".json").write_text(json.dumps(doc, indent=2, default=_json_default) + "\n")
    return path


def _json_default(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"cannot store {type(x).__name__} in posterior metadata")


def load_posterior(path: str | Path | None = None) -> Posterior:
    """Load a posterior.

    Args:
        path: ``None`` for the shipped default; a ``.npz`` path; or a name in the store
            (``store_dir()/NAME.npz``), where ``"latest"`` is the most recently written one.

    Raises:
        PosteriorNotFoundError: nothing at that place.
    """
    p = _resolve(path)
    with np.load(p, allow_pickle=False) as f:
        meta = json.loads(str(f["meta"]))
        return Posterior(
            tuple(str(n) for n in f["names"]), f["values"], f["weights"], f["loglik"], meta
        )


def _resolve(path: str | Path | None) -> Path:
    if path is None:
        p = default_path()
        if not p.exists():
            raise PosteriorNotFoundError(
                f"no shipped posterior at {p}; run `fentsim calibrate` first"
            )
        return p
    p = Path(path)
    if p.exists() and p.is_file():
        return p
    if str(path) == "latest":
        found = sorted(store_dir(False).glob("*.npz"), key=lambda f: f.stat().st_mtime)
        if not found:
            raise PosteriorNotFoundError(
                f"posterior 'latest': the store {store_dir(False)} holds none"
            )
        return found[-1]
    named = store_dir(False) / f"{p.name.removesuffix('.npz')}.npz"
    if named.exists():
        return named
    raise PosteriorNotFoundError(
        f"posterior {str(path)!r} not found (as a file or in {store_dir(False)})"
    )
