"""Global sensitivity analysis with SALib: Sobol indices and Morris screening.

Two layers, following SALib's vectorised contract (a model is a function from an ``N × D``
sample matrix to ``N`` or ``N × k`` outputs):

* :func:`sobol_indices` and :func:`morris_screening` take any such function and a list of
  factor names with bounds — this is what the tests check on the Ishigami function;
* :func:`sensitivity` builds that function from the fentsim model: one vectorised ``simulate`` per
  portfolio over the whole sample matrix, and an outcome from :mod:`fentsim.analysis.outcomes`
  (deaths over a window, deaths averted against a reference on the same draws, homicides …).

**How priors are honoured.** For the model, SALib samples the unit cube and each column ``u`` is
mapped to a parameter value through the prior's quantile function,
``prior.ppf(tail + (1 − 2·tail)·u)``, with ``tail = 0.01`` by default. Each parameter therefore
follows its own prior (normal, lognormal, beta …) truncated to its 1st–99th percentiles (the
truncation keeps Morris's grid corners finite for unbounded priors). Sobol indices are invariant to
this monotone map; Morris elementary effects are per unit of quantile, i.e. roughly the change in the
outcome when a parameter sweeps from its 1st to its 99th percentile — comparable across parameters
whatever their units. Sensitivity is global over the priors, not the calibrated posterior (SALib's
estimators need independent inputs).

Example:
    >>> import numpy as np
    >>> f = lambda X: X[:, 0] + 0.1 * X[:, 1]
    >>> res = sobol_indices(f, ["a", "b"], samples=256, seed=1)
    >>> res.ranking()
    ['a', 'b']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UserError
from .outcomes import (
    DEFAULT_WINDOW,
    REFERENCE,
    Progress,
    RunSpec,
    base_values,
    check_pair,
    evaluate,
    portfolio_name,
    uncertain_params,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from ..params import ParamSet

METHODS: tuple[str, ...] = ("sobol", "morris")
DEFAULT_TAIL = 0.01  #: prior mass cut from each tail when mapping the unit cube to parameters
_COLUMNS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "mu", "sigma"),
}
_KEY = {"sobol": "ST", "morris": "mu_star"}  # what the tornado chart ranks by

ModelFn = Callable[[np.ndarray], np.ndarray]


@dataclass
class SensitivityResult:
    """Indices for each factor and output, ready for a tornado chart.

    Attributes:
        method, names: ``sobol`` or ``morris``; factor names in sample-matrix column order.
        indices: ``{output: {column: array over factors}}`` — Sobol: ``S1, S1_conf, ST, ST_conf``
            (``conf`` is the half-width of the bootstrap confidence interval); Morris:
            ``mu_star, mu_star_conf, mu, sigma``.
        evaluations: rows of the sample matrix (model runs per portfolio).
        meta, notes: what was analysed (portfolio, reference, outcome, window, seed …); caveats.
    """

    method: str
    names: list[str]
    indices: dict[str, dict[str, np.ndarray]]
    evaluations: int
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def outputs(self) -> list[str]:
        return list(self.indices)

    def ranking(self, output: str | None = None) -> list[str]:
        """Factor names, most influential first (by ``ST`` for Sobol, ``mu_star`` for Morris)."""
        return list(self.to_frame(output).index)

    def to_frame(self, output: str | None = None) -> pd.DataFrame:
        """DataFrame indexed by parameter, sorted most influential first (a tornado's rows)."""
        import pandas as pd

        output = output or self.outputs[0]
        cols = self.indices[output]
        frame = pd.DataFrame(
            {c: cols[c] for c in _COLUMNS[self.method]},
            index=pd.Index(self.names, name="parameter"),
        )
        return frame.sort_values(_KEY[self.method], ascending=False, kind="stable")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict: method, meta, notes and, per output, rows sorted by importance."""
        out: dict[str, Any] = {"method": self.method, "evaluations": self.evaluations, **self.meta}
        out["outputs"] = {
            o: [
                {"parameter": str(k), **{c: _num(v) for c, v in row.items()}}
                for k, row in self.to_frame(o).iterrows()
            ]
            for o in self.outputs
        }
        out["notes"] = list(self.notes)
        return out

    def plot(self, output: str | None = None, ax: Axes | None = None, top: int = 15) -> Axes:
        """Tornado (horizontal bar) chart with confidence bars; returns the matplotlib axes."""
        import matplotlib.pyplot as plt

        frame = self.to_frame(output).head(top).iloc[::-1]
        ax = ax or plt.subplots(figsize=(7, 0.4 * len(frame) + 1.5))[1]
        y = np.arange(len(frame))
        if self.method == "sobol":
            ax.barh(y + 0.2, frame["ST"], 0.4, xerr=frame["ST_conf"], label="total order (ST)")
            ax.barh(y - 0.2, frame["S1"], 0.4, xerr=frame["S1_conf"], label="first order (S1)")
            ax.set_xlabel("share of output variance")
            ax.legend(loc="lower right")
        else:
            ax.barh(y, frame["mu_star"], 0.6, xerr=frame["mu_star_conf"], label="μ*")
            ax.set_xlabel("μ* (mean |elementary effect| per prior-quantile sweep)")
        ax.set_yticks(y, frame.index)
        ax.set_title(str(self.meta.get("label", output or self.outputs[0])))
        return ax


def _num(v: Any) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


def _problem(names: Sequence[str], bounds: Sequence[tuple[float, float]] | None) -> dict[str, Any]:
    names = list(names)
    if not names:
        raise UserError("params is empty; give at least one parameter to vary")
    if len(set(names)) != len(names):
        raise UserError(f"params lists a name twice: {', '.join(names)}")
    bounds = [(0.0, 1.0)] * len(names) if bounds is None else [tuple(map(float, b)) for b in bounds]
    if len(bounds) != len(names):
        raise ValueError(f"{len(bounds)} bounds for {len(names)} factors")
    return {"num_vars": len(names), "names": names, "bounds": [list(b) for b in bounds]}


def _outputs(
    Y: np.ndarray, n: int, output_names: Sequence[str] | None
) -> tuple[np.ndarray, list[str]]:
    Y = np.asarray(Y, dtype=float)
    Y = Y.reshape(n, -1) if Y.ndim == 1 else Y
    if Y.shape[0] != n:
        raise ValueError(f"model returned {Y.shape[0]} rows for {n} samples")
    names = list(
        output_names or (["y"] if Y.shape[1] == 1 else [f"y{j}" for j in range(Y.shape[1])])
    )
    if len(names) != Y.shape[1]:
        raise ValueError(f"{len(names)} output names for {Y.shape[1]} outputs")
    if not np.isfinite(Y).all():
        raise ValueError("model returned non-finite outputs")
    return Y, names


def _seed(seed: int, salt: int) -> int:
    # SALib treats seed=0 as "no seed": derive a non-zero one from (seed, salt)
    return int(np.random.SeedSequence([seed, salt]).generate_state(1)[0]) | 1


def sobol_indices(
    f: ModelFn,
    names: Sequence[str],
    *,
    bounds: Sequence[tuple[float, float]] | None = None,
    samples: int = 1024,
    seed: int = 0,
    output_names: Sequence[str] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 100,
) -> SensitivityResult:
    """First- and total-order Sobol indices of ``f`` (Saltelli design, ``SALib.sample.sobol``).

    ``f`` is called once on the whole ``samples × (D + 2)`` matrix. ``samples`` must be a power of
    two (Sobol sequences lose their balance otherwise).

    Example:
        >>> res = sobol_indices(lambda X: X[:, 0] * 2.0, ["a", "b"], samples=64, seed=3)
        >>> round(float(res.to_frame().loc["a", "ST"]), 2), round(float(res.to_frame().loc["b", "ST"]), 2)
        (1.0, 0.0)
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    if samples < 2 or samples & (samples - 1):
        raise UserError(
            f"samples is {samples}; Sobol needs a power of two such as 256, 512 or 1024"
        )
    problem = _problem(names, bounds)
    X = sobol_sample.sample(problem, samples, calc_second_order=False, seed=_seed(seed, 0x50B01))
    Y, out_names = _outputs(f(X), X.shape[0], output_names)
    indices: dict[str, dict[str, np.ndarray]] = {}
    notes: list[str] = []
    for j, o in enumerate(out_names):
        if np.ptp(Y[:, j]) == 0:
            notes.append(f"output {o} does not vary over the sample; its indices are set to 0")
            indices[o] = {c: np.zeros(len(problem["names"])) for c in _COLUMNS["sobol"]}
            continue
        si = sobol_analyze.analyze(
            problem,
            Y[:, j],
            calc_second_order=False,
            conf_level=conf_level,
            num_resamples=num_resamples,
            seed=_seed(seed, 0xA5A1 + j),
        )
        indices[o] = {c: np.asarray(si[c], dtype=float) for c in _COLUMNS["sobol"]}
    return SensitivityResult("sobol", list(problem["names"]), indices, int(X.shape[0]), notes=notes)


def morris_screening(
    f: ModelFn,
    names: Sequence[str],
    *,
    bounds: Sequence[tuple[float, float]] | None = None,
    trajectories: int = 20,
    levels: int = 4,
    seed: int = 0,
    output_names: Sequence[str] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 100,
) -> SensitivityResult:
    """Morris elementary-effects screening of ``f`` (``trajectories × (D + 1)`` runs, one call).

    Example:
        >>> res = morris_screening(lambda X: 5 * X[:, 1] + X[:, 0], ["a", "b"], trajectories=10, seed=2)
        >>> res.ranking()
        ['b', 'a']
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    if trajectories < 2:
        raise UserError(f"samples is {trajectories}; Morris needs at least 2 trajectories")
    if levels < 2 or levels % 2:
        raise UserError(
            f"levels is {levels}; Morris needs an even number of grid levels (4 is usual)"
        )
    problem = _problem(names, bounds)
    X = morris_sample.sample(problem, trajectories, num_levels=levels, seed=_seed(seed, 0x3044))
    Y, out_names = _outputs(f(X), X.shape[0], output_names)
    indices: dict[str, dict[str, np.ndarray]] = {}
    for j, o in enumerate(out_names):
        si = morris_analyze.analyze(
            problem,
            X,
            Y[:, j],
            num_resamples=num_resamples,
            conf_level=conf_level,
            num_levels=levels,
            seed=_seed(seed, 0x3045 + j),
        )
        indices[o] = {c: np.nan_to_num(np.asarray(si[c], dtype=float)) for c in _COLUMNS["morris"]}
    return SensitivityResult("morris", list(problem["names"]), indices, int(X.shape[0]))


# --- the fentsim model as a SALib function ---------------------------------------------------


@dataclass
class ModelFunction:
    """The model as ``f(U) → y``: unit-cube rows → parameter draws → one outcome per row.

    Each call runs one vectorised ``simulate`` per portfolio (two for paired outcomes) over all
    rows of ``U``; parameters not in ``names`` stay at their base values (fitted point, else
    registry point value).
    """

    names: list[str]
    portfolio: Any = REFERENCE
    against: Any = REFERENCE
    outcome: str = "deaths"
    spec: RunSpec = field(default_factory=RunSpec)
    tail: float = DEFAULT_TAIL
    progress: Progress | None = None

    def params(self, U: np.ndarray) -> ParamSet:
        """Parameter draws for the rows of ``U`` (column ``j`` is the quantile of ``names[j]``)."""
        from ..params import ParamSet, load_registry

        reg = load_registry()
        ps = ParamSet.point(reg, U.shape[0], base_values(reg))
        q = self.tail + (1.0 - 2.0 * self.tail) * np.asarray(U, dtype=float)
        for j, name in enumerate(self.names):
            p = reg[name]
            ps[name] = np.asarray(p.prior.ppf(q[:, j], point=p.value), dtype=float)
        return ps

    def __call__(self, U: np.ndarray) -> np.ndarray:
        return evaluate(
            self.outcome, self.params(U), self.portfolio, self.against, self.spec, self.progress
        )


def sensitivity(
    portfolio: Any = REFERENCE,
    *,
    against: Any = REFERENCE,
    outcome: str = "deaths",
    method: str = "sobol",
    samples: int | None = None,
    params: Sequence[str] | None = None,
    seed: int = 0,
    window: tuple[int, int] = DEFAULT_WINDOW,
    exposure: str = "coupled",
    max_params: int = 10,
    screen_trajectories: int = 10,
    tail: float = DEFAULT_TAIL,
    progress: Progress | None = None,
    simulator: Callable[..., Any] | None = None,
) -> SensitivityResult:
    """Sobol or Morris sensitivity of a model outcome to uncertain registry parameters.

    Args:
        portfolio: the portfolio analysed (preset name, file or plan).
        against: the reference for paired outcomes (``averted``, ``extra-homicides`` …).
        outcome: an outcome kind from :data:`fentsim.analysis.outcomes.OUTCOMES`.
        method: ``sobol`` (first/total order with bootstrap intervals) or ``morris``.
        samples: Sobol base sample (power of two; default 256) or Morris trajectories (default 20).
        params: parameters to vary. Default for Morris: every uncertain parameter. Default for
            Sobol: all uncertain parameters if there are at most ``max_params``, otherwise the
            ``max_params`` with the largest μ* in a Morris screening of ``screen_trajectories``
            trajectories on the same outcome (recorded in ``meta["screening"]``).
        seed: seeds the sample design and the bootstrap.
        window: years over which the outcome is cumulated.
        tail: prior mass cut from each tail (see the module docstring).

    Example:
        >>> res = sensitivity("essay", outcome="averted", samples=256)  # doctest: +SKIP
        >>> res.to_frame().head()  # doctest: +SKIP
    """
    if method not in METHODS:
        raise UserError(f"method is {method!r}; allowed: {', '.join(METHODS)}")
    if samples is not None and (samples < 2 or (method == "sobol" and samples & (samples - 1))):
        need = "a power of two such as 256" if method == "sobol" else "at least 2 trajectories"
        raise UserError(f"samples is {samples}; {method} needs {need}")
    paired = check_pair(outcome, portfolio, against)
    if not 0.0 <= tail < 0.5:
        raise UserError(f"tail is {tail}; allowed: 0 <= tail < 0.5")
    uncertain = uncertain_params(None) if params is None else []
    spec = RunSpec(window=window, exposure=exposure, simulator=simulator)
    fn = ModelFunction([], portfolio, against, outcome, spec, tail, progress)
    meta: dict[str, Any] = {
        "portfolio": portfolio_name(portfolio),
        "against": portfolio_name(against) if paired else None,
        "outcome": outcome,
        "window": list(window),
        "seed": seed,
        "tail": tail,
        "exposure": exposure,
    }
    meta["label"] = f"{outcome} {window[0]}–{window[1]}, {meta['portfolio']}" + (
        f" vs {meta['against']}" if paired else ""
    )
    if params is not None:
        names = uncertain_params(params)
    elif method == "morris" or len(uncertain) <= max_params:
        names = list(uncertain)
    else:
        fn.names = list(uncertain)
        screen = morris_screening(
            fn, fn.names, trajectories=screen_trajectories, seed=seed, output_names=[outcome]
        )
        names = screen.ranking()[:max_params]
        meta["screening"] = {
            "method": "morris",
            "trajectories": screen_trajectories,
            "candidates": len(uncertain),
            "kept": names,
        }
    fn.names = names
    if method == "sobol":
        res = sobol_indices(fn, names, samples=samples or 256, seed=seed, output_names=[outcome])
    else:
        res = morris_screening(
            fn, names, trajectories=samples or 20, seed=seed, output_names=[outcome]
        )
    res.meta.update(meta)
    return res
