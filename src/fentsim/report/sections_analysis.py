"""Report sections that examine the model: data fit, sensitivity, scenario discovery, claims audit.

Example:
    >>> import numpy as np
    >>> fit_stats(np.array([10.0, 20.0]), np.array([11.0, 18.0]))
    {'r2': 0.9, 'mape': 0.1}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import figures as fig
from . import inputs
from .context import ReportContext
from .html import esc, figure, fmt_number, fmt_share, note, table
from .inputs import Unavailable


def _add(ctx: ReportContext, name: str, f: Any, alt: str, caption: str) -> str:
    data = fig.png(f)
    ctx.figures[name] = data
    return figure(data, alt, caption)


def fit_stats(observed: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """R² and mean absolute percentage error of a prediction (as SOURCE reports its fit)."""
    obs, pred = np.asarray(observed, float), np.asarray(predicted, float)
    ss_tot = float(np.sum((obs - obs.mean()) ** 2))
    r2 = 1.0 - float(np.sum((obs - pred) ** 2)) / ss_tot if ss_tot > 0 else float("nan")
    nz = obs != 0
    mape = float(np.mean(np.abs((pred[nz] - obs[nz]) / obs[nz]))) if nz.any() else float("nan")
    return {"r2": round(r2, 10), "mape": round(mape, 10)}


def _observed_long() -> Any:
    import pandas as pd

    series = inputs.observed_series()
    frames = [t.frame.assign(series=name) for name, t in series.items()]
    return pd.concat(frames, ignore_index=True), series


def _bound_targets(ctx: ReportContext, ref: Any) -> list[Any]:
    observed, _ = _observed_long()
    targets = inputs.need("fentsim.calibration.targets", "DEFAULT_TARGETS")
    bind = inputs.need("fentsim.calibration.targets", "bind")
    first, last = int(ref.years[0]), int(ref.years[-1])
    observed = observed[(observed["year"] >= first) & (observed["year"] <= last)]
    return bind(targets, observed, outputs=list(ref.outcomes))


def fit(ctx: ReportContext) -> str:
    """Model against observed data, per calibration series, with 90% predictive intervals."""
    if isinstance(ctx.results, Unavailable):
        return note(ctx.results.reason)
    ref = (
        ctx.results[ctx.options.reference]
        if ctx.options.reference in ctx.results
        else next(iter(ctx.results.values()))
    )
    bound = inputs.attempt("the calibration targets", lambda: _bound_targets(ctx, ref))
    if isinstance(bound, Unavailable):
        return note(bound.reason)
    if not bound:
        return note("no observed series matches an output of this model run")
    titles = inputs.attempt("observed series", inputs.observed_series)
    rng = np.random.default_rng(ctx.options.seed)
    panels, rows = [], []
    for td in bound:
        pred = td.predict(ref)
        draws = td.predictive(ref, rng)
        p05, p95 = np.quantile(draws, [0.05, 0.95], axis=0)
        p50 = np.median(pred, axis=0)
        meta = titles.get(td.target.series) if isinstance(titles, dict) else None
        title = getattr(meta, "title", td.name)
        unit = getattr(meta, "unit", "")
        stats = fit_stats(td.obs, p50)
        inside = float(np.mean((td.obs >= p05) & (td.obs <= p95)))
        panels.append(
            {
                "name": td.name,
                "unit": unit,
                "obs_years": td.years,
                "obs_values": td.obs,
                "years": td.years,
                "p05": p05,
                "p50": p50,
                "p95": p95,
            }
        )
        prov = ", ".join(sorted(set(td.provenance))) if td.provenance else "—"
        rows.append(
            [
                td.name,
                title,
                f"{td.years[0]}–{td.years[-1]}",
                str(len(td.years)),
                f"{stats['r2']:.3f}",
                fmt_share(stats["mape"]),
                fmt_share(inside),
                prov,
            ]
        )
    intro = (
        f"<p>The reference portfolio's runs ({esc(ctx.options.reference)}) against every observed "
        "series the calibration uses. Line: median model prediction; band: 90% posterior-predictive "
        "interval (model runs plus the calibration's observation noise, widened for weak provenance); "
        "points: observed figures. R² and MAPE compare the median with the observations; coverage "
        "is the share of observed points inside the band.</p>"
    )
    img = _add(
        ctx,
        "data_fit.png",
        fig.fit_panels(panels),
        "model against observed data",
        "Model (median, 90% predictive band) against observed series.",
    )
    head = ["Target", "Series", "Years", "Points", "R²", "MAPE", "90% coverage", "Provenance"]
    return intro + img + table(head, rows)


def sensitivity(ctx: ReportContext) -> str:
    """Tornado of Sobol indices of deaths averted (or deaths) to the uncertain parameters."""
    if not ctx.options.analyses:
        return note("analyses were switched off for this report (run `fentsim report` for them)")
    o = ctx.options
    kind = "averted" if o.focus != o.reference else "deaths"
    res = inputs.attempt(
        "the sensitivity analysis",
        lambda: inputs.sensitivity(
            o.focus, o.reference, kind, o.sensitivity_samples, o.seed, o.window, exposure=o.exposure
        ),
    )
    if isinstance(res, Unavailable):
        return note(res.reason)
    frame = res.to_frame().head(15)
    if res.method == "sobol":
        bars = [
            ("total order (ST)", frame["ST"], frame["ST_conf"]),
            ("first order (S1)", frame["S1"], frame["S1_conf"]),
        ]
        xlabel, cols = "share of the outcome's variance", ["S1", "S1_conf", "ST", "ST_conf"]
    else:
        bars = [("μ*", frame["mu_star"], frame["mu_star_conf"])]
        xlabel, cols = "μ* (mean |elementary effect|)", ["mu_star", "mu_star_conf", "mu", "sigma"]
    label = res.meta.get("label", kind)
    img = _add(
        ctx,
        "sensitivity_tornado.png",
        fig.tornado(list(frame.index), bars, f"Sensitivity: {label}", xlabel),
        "sensitivity tornado",
        f"{res.method.capitalize()} indices with 95% bootstrap half-widths; "
        f"{res.evaluations:,} model evaluations per portfolio.",
    )
    rows = [[str(k)] + [f"{float(v):.3f}" for v in r[cols]] for k, r in frame.iterrows()]
    notes = "".join(f"<p class='small'>{esc(n)}</p>" for n in res.notes)
    return img + table(["Parameter", *cols], rows) + notes


def _discovery_share(ctx: ReportContext) -> float | None:
    """The question's threshold: the option, else the focus portfolio's mean averted share."""
    if ctx.options.discovery_share is not None:
        return ctx.options.discovery_share
    if isinstance(ctx.summary, Unavailable):
        return None
    stats = ctx.summary["portfolios"].get(ctx.options.focus, {}).get("averted_share") or {}
    return None if stats.get("mean") is None else float(stats["mean"])


def discovery(ctx: ReportContext) -> str:
    """Scenario discovery (PRIM): the assumptions under which the focus portfolio does well."""
    if not ctx.options.analyses:
        return note("analyses were switched off for this report (run `fentsim report` for them)")
    o = ctx.options
    if o.focus == o.reference:
        return note("scenario discovery compares two portfolios; name at least two")
    share = _discovery_share(ctx)
    if share is None:
        return note("no averted share to ask about (the comparison is not available)")
    res = inputs.attempt(
        "scenario discovery",
        lambda: inputs.scenario_discovery(
            o.focus, o.reference, share, min(o.runs, 2000), o.seed, o.window, o.exposure
        ),
    )
    if isinstance(res, Unavailable):
        return note(res.reason)
    question = esc(res.meta.get("question", f"{o.focus} averts at least {share:.1%}"))
    notes = "".join(f"<p class='small'>{esc(n)}</p>" for n in res.notes)
    frame = res.box_frame()
    if frame.empty:
        return (
            f"<p>Question: {question}.</p>"
            + note("PRIM found no box that separates the cases of interest")
            + notes
        )
    box = res.box
    weak = {str(k) for k, r in frame.iterrows() if r["qp"] > 0.05}
    limits = [
        (str(k), r["lower"], r["upper"], r["range_lower"], r["range_upper"])
        for k, r in frame.iterrows()
    ]
    img = _add(
        ctx,
        "scenario_discovery.png",
        fig.prim_boxes([{"name": res.meta.get("question", "box"), "limits": limits, "weak": weak}]),
        "scenario discovery box",
        "Each bar: the box's range of a parameter within the range sampled.",
    )
    rows = [
        [
            str(k),
            f"{r['lower']:.4g}",
            f"{r['upper']:.4g}",
            f"{r['range_lower']:.4g} – {r['range_upper']:.4g}",
            f"{r['qp']:.3g}" + (" (weak)" if str(k) in weak else ""),
        ]
        for k, r in frame.iterrows()
    ]
    stats = (
        f"<p>Question: {question} (share of runs where it does: "
        f"{fmt_share(res.meta.get('share_of_interest'))}). The box below holds {fmt_share(box.coverage)} of "
        f"those runs (coverage); {fmt_share(box.density)} of the runs inside it are such runs (density); it "
        f"contains {fmt_share(box.mass)} of all runs (mass). A quasi-p-value above 0.05 marks a "
        "restriction the runs hardly support (drawn pale, flagged 'weak').</p>"
    )
    return (
        stats + img + table(["Parameter", "Low", "High", "Range sampled", "Quasi-p"], rows) + notes
    )


_COMPARE = {"equal": "≈", "at_least": "≥", "at_most": "≤"}


def _num(v: float) -> str:
    return fmt_number(v, 2 if abs(v) < 100 else 0)


def _claim_row(r: dict[str, Any]) -> list[str]:
    """One claims-audit row: id, claim, verdict, computed value (and interval), asserted, method."""
    computed, interval, unit = r.get("computed"), r.get("interval"), r.get("unit") or ""
    parts = [] if computed is None else [_num(computed)]
    if interval and None not in interval:
        parts.append(f"[{_num(interval[0])} – {_num(interval[1])}]")
    shown = " ".join([*parts, unit]) if parts else "—"
    asserted = r.get("asserted")
    claimed = (
        "—"
        if asserted is None
        else f"{_COMPARE.get(r.get('compare', ''), r.get('compare', ''))} {_num(asserted)}"
    )
    verdict = str(r.get("verdict", ""))
    return [
        esc(r.get("id", "")),
        esc(r.get("claim", "")),
        f"<span class='verdict v-{esc(verdict.replace(' ', '-'))}'>{esc(verdict)}</span>",
        esc(shown),
        esc(claimed),
        esc(r.get("detail") or r.get("reason") or ""),
        esc("; ".join(map(str, r.get("sources") or []))),
    ]


def claims(ctx: ReportContext) -> str:
    """The claims audit: each claim, its verdict, the computed value and the sources."""
    if not ctx.options.analyses:
        return note("analyses were switched off for this report (run `fentsim report` for them)")
    records = inputs.attempt(
        "the claims audit", lambda: inputs.claims_audit(ctx.options.runs, ctx.options.seed)
    )
    if isinstance(records, Unavailable):
        return note(records.reason)
    rows = [_claim_row(r) for r in records]
    return (
        "<p>Each verdict comes from a computation on fentsim's shipped data or its model runs "
        "(model-based claims carry the 90% interval across runs); the verdict is never written in "
        "the claims file.</p>"
        + table(
            ["Id", "Claim", "Verdict", "Computed", "Asserted", "How computed", "Sources"],
            rows,
            raw=True,
            cls="claims",
        )
    )
