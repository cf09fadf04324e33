"""Scenario discovery with PRIM (the Patient Rule Induction Method), in numpy.

Given the inputs of an ensemble (``X``: one row per run, one column per uncertain parameter) and a
yes/no answer per run (``y``: did this run avert at least 10% of deaths? did homicides rise by more
than 5%?), PRIM looks for a box — an interval on a few parameters — inside which the answer is
mostly *yes*. Vocabulary and defaults follow the EMA Workbench (Friedman & Fisher 1999; Bryant &
Lempert 2010):

* **coverage** — share of all cases of interest that fall inside the box;
* **density** — share of the runs inside the box that are cases of interest;
* **mass** — share of all runs inside the box;
* **peeling** — repeatedly cut ``peel_alpha`` of the box's runs off the low or high end of the one
  dimension whose cut raises the density most per run removed, until the box holds less than
  ``mass_min`` of the runs or no cut raises the density. Every step is kept: the **peeling
  trajectory** is the coverage/density trade-off from which an analyst picks a box;
* **pasting** — for the chosen box, widen a restricted limit by ``paste_alpha`` of the box's runs
  while that raises the density (undoing peels that were too greedy);
* **quasi-p-value** of a restricted dimension — one-sided binomial test of the box's density
  against the density of the same box with that restriction lifted (as in the EMA Workbench);
  a large value (say > 0.05) flags a restriction that the data hardly support.

The chosen box is the one with the highest coverage among boxes with density ≥ ``threshold``
(the densest box if none reaches it). One box is found; a second box for the remaining cases
(covering) is not attempted.

Example:
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((2000, 3))
    >>> y = (X[:, 0] > 0.6) & (X[:, 2] < 0.5)
    >>> res = prim(X, y, names=["a", "b", "c"])
    >>> sorted(res.box.restricted_names(res.names))
    ['a', 'c']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UserError
from .outcomes import (
    DEFAULT_WINDOW,
    REFERENCE,
    Progress,
    RunSpec,
    check_pair,
    draws,
    evaluate,
    portfolio_name,
    uncertain_params,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes


@dataclass(frozen=True)
class Box:
    """One box: ``limits[j] = (lower, upper)`` and its statistics on the data it was found on."""

    limits: np.ndarray
    coverage: float
    density: float
    mass: float
    n_runs: int
    n_interest: int
    restricted: tuple[int, ...]

    def restricted_names(self, names: Sequence[str]) -> list[str]:
        return [names[j] for j in self.restricted]


def _in_box(x: np.ndarray, limits: np.ndarray) -> np.ndarray:
    return np.all((x >= limits[:, 0]) & (x <= limits[:, 1]), axis=1)


def _box(X: np.ndarray, y: np.ndarray, limits: np.ndarray, init: np.ndarray) -> Box:
    inside = _in_box(X, limits)
    n_in, hits, total = int(inside.sum()), int(y[inside].sum()), int(y.sum())
    res = tuple(int(j) for j in np.flatnonzero(np.any(limits != init, axis=1)))
    cov, dens = (hits / total if total else 0.0), (hits / n_in if n_in else 0.0)
    return Box(limits.copy(), cov, dens, n_in / X.shape[0], n_in, hits, res)


def _peel_once(X, y, inside, limits, init, alpha):
    """The best single peel of the box (new limits), or None when no peel raises the density."""
    Xb, yb = X[inside], y[inside]
    m, mean_old = Xb.shape[0], yb.mean()
    cuts = np.quantile(Xb, [alpha, 1.0 - alpha], axis=0)  # (2, D): lower and upper cut
    scores = np.full(cuts.shape, -np.inf)
    for side in (0, 1):
        keep = Xb >= cuts[0] if side == 0 else Xb <= cuts[1]  # (m, D)
        n_new = keep.sum(axis=0)
        removed = m - n_new
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_new = (keep & yb[:, None]).sum(axis=0) / n_new
            # Friedman & Fisher's "original" objective: density gain per run removed
            gain = (mean_new - mean_old) / removed
        scores[side] = np.where((removed > 0) & (n_new > 0), gain, -np.inf)
    top = scores.max()
    if not top > 0:
        return None
    # among (near-)ties prefer a dimension that is already restricted: simpler boxes
    ties = np.argwhere(scores >= top - 1e-12 * abs(top))
    restricted = np.any(limits != init, axis=1)
    side, j = next((t for t in ties if restricted[t[1]]), ties[0])
    new = limits.copy()
    new[j, side] = cuts[side, j]
    return new


def _paste(X, y, limits, init, alpha):
    """Widen restricted limits by ``alpha`` of the box's runs while that raises the density."""
    while True:
        inside = _in_box(X, limits)
        n_old, mean_old = int(inside.sum()), float(y[inside].mean()) if inside.any() else 0.0
        step = max(1, int(np.ceil(alpha * n_old)))
        best, best_score = None, 0.0
        for j in np.flatnonzero(np.any(limits != init, axis=1)):
            others = limits.copy()
            others[j] = init[j]
            rest = _in_box(X, others)  # inside on every other dimension
            for side in (0, 1):
                if limits[j, side] == init[j, side]:
                    continue
                xs = X[rest, j]
                outside = xs[xs < limits[j, 0]] if side == 0 else xs[xs > limits[j, 1]]
                if outside.size == 0:
                    continue
                ordered = np.sort(outside)[::-1] if side == 0 else np.sort(outside)
                cand = limits.copy()
                cand[j, side] = ordered[min(step, ordered.size) - 1]
                new = _in_box(X, cand)
                n_new = int(new.sum())
                if n_new <= n_old:
                    continue
                score = (float(y[new].mean()) - mean_old) / (n_new - n_old)
                if score > best_score:
                    best, best_score = cand, score
        if best is None:
            return limits
        limits = best


def quasi_p(X: np.ndarray, y: np.ndarray, box: Box, init: np.ndarray) -> dict[int, float]:
    """One-sided binomial quasi-p-value for each restricted dimension of ``box``."""
    from scipy.stats import binomtest

    out: dict[int, float] = {}
    for j in box.restricted:
        lifted = box.limits.copy()
        lifted[j] = init[j]
        inside = _in_box(X, lifted)
        p = float(y[inside].mean()) if inside.any() else 0.0
        # a lifted box with no (or only) cases of interest gives the restriction no support
        ok = box.n_runs > 0 and 0.0 < p < 1.0
        test = binomtest(box.n_interest, box.n_runs, p, alternative="greater") if ok else None
        out[j] = float(test.pvalue) if test else 1.0
    return out


@dataclass
class PrimResult:
    """The peeling trajectory, the chosen box (after pasting) and its quasi-p-values.

    Attributes:
        names, init: the dimensions (columns of ``X``) and the data's range, ``(D, 2)``.
        trajectory: the boxes of the peeling sequence, from the whole space inward.
        chosen, box: the step that was pasted, and the box after pasting.
        qp: quasi-p-value of each restricted dimension of ``box``, by name.
        threshold, meta, notes: the density aimed for; the question asked; caveats.
    """

    names: list[str]
    init: np.ndarray
    trajectory: list[Box]
    chosen: int
    box: Box
    qp: dict[str, float]
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    data: tuple[np.ndarray, np.ndarray, float] | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The coverage/density trade-off: one row per peeling step."""
        import pandas as pd

        names = [", ".join(b.restricted_names(self.names)) for b in self.trajectory]
        rows = [
            (b.coverage, b.density, b.mass, b.n_runs, len(b.restricted), n)
            for b, n in zip(self.trajectory, names, strict=True)
        ]
        cols = ["coverage", "density", "mass", "runs", "n_restricted", "restricted"]
        return pd.DataFrame(rows, columns=cols).rename_axis("step")

    def box_frame(self) -> pd.DataFrame:
        """The chosen box: one row per restricted dimension with its limits and quasi-p-value."""
        import pandas as pd

        lim, init = self.box.limits, self.init
        rows = [
            (self.names[j], lim[j, 0], lim[j, 1], init[j, 0], init[j, 1], self.qp[self.names[j]])
            for j in self.box.restricted
        ]
        cols = ["parameter", "lower", "upper", "range_lower", "range_upper", "qp"]
        return (
            pd.DataFrame(rows, columns=cols)
            .astype(dict.fromkeys(cols[1:], float))
            .set_index("parameter")
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict: question, trade-off table, chosen box, notes."""
        b, limits = self.box, self.box_frame().reset_index().to_dict(orient="records")
        box = {"coverage": b.coverage, "density": b.density, "mass": b.mass, "runs": b.n_runs}
        return {
            **self.meta,
            "threshold": self.threshold,
            "trajectory": self.to_frame().reset_index().to_dict(orient="records"),
            "chosen_step": self.chosen,
            "box": {**box, "limits": limits},
            "notes": list(self.notes),
        }

    def plot(self, ax: Axes | None = None) -> Axes:
        """Coverage against density along the peeling trajectory, coloured by restricted dims."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(6, 4.5))[1]
        t = self.to_frame()
        pts = ax.scatter(t["coverage"], t["density"], c=t["n_restricted"], cmap="viridis")
        b = self.box
        ax.scatter([b.coverage], [b.density], marker="*", s=200, c="red", label="chosen box")
        ax.set(xlabel="coverage", ylabel="density")
        ax.legend(loc="lower left")
        plt.colorbar(pts, ax=ax, label="restricted dimensions")
        return ax

    def select(self, step: int, max_qp: float | None = None) -> PrimResult:
        """The analysis with another step of the trajectory chosen, pasted and, with ``max_qp``,
        stripped one by one of restrictions whose quasi-p-value exceeds it (largest first)."""
        if not 0 <= step < len(self.trajectory):
            raise UserError(f"step is {step}; allowed: 0 to {len(self.trajectory) - 1}")
        if self.data is None:
            raise ValueError("this result does not hold its data; run prim() again")
        X, y, paste_alpha = self.data
        limits = _paste(X, y, self.trajectory[step].limits, self.init, paste_alpha)
        while True:
            box = _box(X, y, limits, self.init)
            qp = {self.names[j]: v for j, v in quasi_p(X, y, box, self.init).items()}
            worst = max(box.restricted, key=lambda j: qp[self.names[j]], default=None)
            if max_qp is None or worst is None or qp[self.names[worst]] <= max_qp:
                break
            limits = limits.copy()
            limits[worst] = self.init[worst]
        return replace(self, chosen=step, box=box, qp=qp)


_LIMITS = {"threshold": 1.0, "peel_alpha": 0.5, "paste_alpha": 0.5, "mass_min": 1.0, "max_qp": 1.0}


def check_settings(**settings: float | None) -> None:
    """Refuse unknown PRIM settings, or values outside ``0 < value <= limit`` (before any run)."""
    for label, v in settings.items():
        if label not in _LIMITS:
            raise UserError(f"PRIM setting {label!r} is unknown; allowed: {', '.join(_LIMITS)}")
        if v is not None and not 0 < v <= _LIMITS[label]:
            raise UserError(f"{label} is {v}; allowed: 0 < {label} <= {_LIMITS[label]:g}")


def prim(
    X: np.ndarray,
    y: np.ndarray,
    names: Sequence[str] | None = None,
    *,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    max_qp: float | None = None,
) -> PrimResult:
    """Find a box of ``X`` where ``y`` (cases of interest) is dense.

    Args:
        X: inputs, ``(n_runs, D)`` (a DataFrame's columns name the dimensions).
        y: booleans, one per run (True = case of interest).
        names: dimension names (default: DataFrame columns or ``x0, x1 …``).
        threshold: the density the chosen box should reach.
        peel_alpha, paste_alpha: share of the box's runs removed by a peel / added by a paste.
        mass_min: peeling stops before the box holds less than this share of the runs.
        max_qp: drop restrictions of the chosen box whose quasi-p-value exceeds this.
    """
    if names is None:
        names = [str(c) for c in X.columns] if hasattr(X, "columns") else None
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, D) and y (n,), got {X.shape} and {y.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must be booleans (case of interest or not)")
    y = y.astype(bool)
    names = list(names or [f"x{j}" for j in range(X.shape[1])])
    check_settings(threshold=threshold, peel_alpha=peel_alpha, paste_alpha=paste_alpha)
    check_settings(mass_min=mass_min, max_qp=max_qp)
    init = np.column_stack([X.min(axis=0), X.max(axis=0)])
    limits = init.copy()
    trajectory = [_box(X, y, limits, init)]
    notes = [] if y.any() else ["no run is a case of interest; the box is the whole space"]
    while y.any():
        new = _peel_once(X, y, _in_box(X, limits), limits, init, peel_alpha)
        box = None if new is None else _box(X, y, new, init)
        if box is None or box.mass < mass_min:
            break
        limits = new
        trajectory.append(box)
    ok = [i for i, b in enumerate(trajectory) if b.density >= threshold]
    chosen = max(ok, key=lambda i: (trajectory[i].coverage, -i)) if ok else -1
    if not ok:
        chosen = int(np.argmax([b.density for b in trajectory]))
        if y.any():
            notes.append(f"no box reaches density {threshold:g}; the densest box is shown")
    data = (X, y, paste_alpha)
    res = PrimResult(
        names, init, trajectory, chosen, trajectory[chosen], {}, threshold, {}, notes, data
    )
    return res.select(chosen, max_qp)


QUESTIONS: dict[str, str] = {
    "averted-share": "runs where the portfolio averts at least {value:.1%} of the reference's deaths",
    "homicides-change": "runs where the portfolio raises homicides by more than {value:.1%}",
}


def discover(
    portfolio: Any,
    *,
    against: Any = REFERENCE,
    averted_share_at_least: float | None = None,
    homicides_change_above: float | None = None,
    runs: int = 1000,
    seed: int = 0,
    window: tuple[int, int] = DEFAULT_WINDOW,
    exposure: str = "coupled",
    params: Sequence[str] | None = None,
    source: str | None = None,
    progress: Progress | None = None,
    simulator: Callable[..., Any] | None = None,
    **options: float,
) -> PrimResult:
    """Under which assumptions does ``portfolio`` avert ≥ Y of deaths / raise homicides > Z?

    Runs ``portfolio`` and ``against`` on the same ``runs`` Latin-hypercube draws (``source``: see
    :func:`~fentsim.analysis.outcomes.draws`) of the uncertain parameters (or of ``params``),
    marks the runs that meet the condition and applies :func:`prim` (``options``: ``threshold``,
    ``peel_alpha``, ``paste_alpha``, ``mass_min``, ``max_qp``) to the parameters that vary.
    Shares are fractions: ``0.10`` means 10%.

    Example:
        >>> res = discover("essay", averted_share_at_least=0.10, runs=2000)  # doctest: +SKIP
        >>> res.box_frame()  # doctest: +SKIP
    """
    if (averted_share_at_least is None) == (homicides_change_above is None):
        raise UserError("give exactly one of averted_share_at_least or homicides_change_above")
    check_settings(**options)
    kind = "averted-share" if homicides_change_above is None else "homicides-change"
    check_pair(kind, portfolio, against)
    value = float(
        homicides_change_above if averted_share_at_least is None else averted_share_at_least
    )
    if not -1.0 <= value <= (1.0 if kind == "averted-share" else np.inf):
        field_ = kind.replace("-", "_") + ("_at_least" if kind == "averted-share" else "_above")
        raise UserError(
            f"{field_} is {value}; give a fraction >= -1 (0.10 = 10%), at most 1 for a share"
        )
    names = uncertain_params(params)
    ps, source = draws(runs, seed, names=params, source=source)
    names = [n for n in names if np.ptp(ps[n]) > 0]  # e.g. calibrated ones without a posterior
    if not names:
        raise UserError("none of the searched parameters varies across the draws")
    spec = RunSpec(window=window, exposure=exposure, simulator=simulator)
    v = evaluate(kind, ps, portfolio, against, spec, progress)
    y = v >= value if kind == "averted-share" else v > value
    out = prim(np.column_stack([ps[n] for n in names]), y, names, **options)
    out.meta = {
        "question": QUESTIONS[kind].format(value=value), "portfolio": portfolio_name(portfolio),
        "against": portfolio_name(against), "outcome": kind, "value": value, "runs": runs,
        "window": list(window), "seed": seed, "source": source, "share_of_interest": float(y.mean()),
    }  # fmt: skip
    return out
