"""Calibration targets: which observed series calibrates which model output, and how.

A :class:`Target` is declarative: the observed series (by its id in :mod:`fentsim.data`), the model
output(s) it measures, the likelihood family and its scale, and why that scale. :func:`bind` joins
targets with observed figures (year, value, provenance, weight) into :class:`TargetData`, which
computes predictions and log-likelihoods for every run of a ``SimResult`` at once.

Provenance widens the noise: a figure with provenance weight ``w`` in (0, 1] (from the data layer;
lower = less trusted) gets its sd divided by ``sqrt(w)`` (log-normal, logit-normal, negative
binomial cv) or its precision multiplied by ``w`` (beta). For the Gaussian families this is exactly
raising that point's likelihood to the power ``w``: a point of weight 0.25 counts a quarter as much.

Example:
    >>> import numpy as np, pandas as pd
    >>> obs = pd.DataFrame({"series": "deaths", "year": [2000, 2001], "value": [10.0, 12.0],
    ...                     "provenance": ["V", "M"], "weight": [1.0, 0.25]})
    >>> t = Target("opioid_deaths", "deaths", ("opioid_deaths",), "lognormal", 0.1)
    >>> [d.scale.round(2).tolist() for d in bind([t], obs)]
    [[0.1, 0.2]]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .likelihood import FAMILIES, loglik, sample_obs

# ---------------------------------------------------------------------------------------------
# Noise scales (before provenance widening), with the reason for each. They describe structural
# (model) error plus measurement error of an aggregate model fitted to national series.
# ---------------------------------------------------------------------------------------------

#: Total opioid deaths (NVSS): counting noise is ~0.4% at 60k deaths; what matters is structural
#: error. SOURCE, the best-documented national model, fits total deaths with MAPE 9.4%
#: (X8_GOF.tab), so a 10% relative error is what a good aggregate model attains.
CV_DEATHS_TOTAL: float = 0.10
#: Deaths by mutually exclusive drug category: toxicology coding varies by state and year and
#: unspecified-drug deaths are reallocated (the ``_alloc`` columns), so wider; SOURCE's fit is
#: poorer for the categories (Rx-only R² 0.894 vs 0.969 for the total).
CV_DEATHS_CATEGORY: float = 0.15
#: NSDUH prevalence: sampling error is ~5-10%, but the household survey misses heavy users (RAND
#: adjusts heroin use disorder up ~3×) and the 2015 redesign breaks the series; SOURCE's fit to
#: HUD has R² 0.836 and to non-disordered use 0.20. A log-sd of 0.25 is about ±28%.
SD_SURVEY_PREVALENCE: float = 0.25
#: Patients in MOUD (IQVIA buprenorphine patients per year, N-SSATS methadone single-day counts):
#: administrative counts whose definitions differ (persons per year vs a census day): ±15%.
SD_TREATMENT_COUNTS: float = 0.15
#: NFLIS fentanyl share of heroin+fentanyl reports: reports come from seized exhibits, not from
#: what is consumed; a logit sd of 0.5 is about ±12 points at a 50% share.
SD_SHARE_LAB: float = 0.5
#: CBP seizures: an index of enforcement effort as much as of flow (gross weight, fiscal years);
#: a log-sd of 0.5 is a factor of about 1.65.
SD_SEIZURES: float = 0.5
#: INEGI homicides: death-certificate counts are nearly complete; the model ties homicides to the
#: criminal landscape only coarsely, so a 15% structural error.
SD_HOMICIDES: float = 0.15
#: Counts of Mexican criminal groups: definitions differ by a factor of two or more within a year
#: (4 vs 7 in 2006; 148-200 around 2019-2023), so a log-sd of 0.7 (a factor of about 2).
SD_CRIMINAL_GROUPS: float = 0.7


@dataclass(frozen=True)
class Target:
    """One calibration target (declarative).

    Attributes:
        name: the key in fit tables and validation reports (usually the model output's name).
        series: the observed series id in :mod:`fentsim.data`.
        outputs: model outputs whose sum (times ``factor``) predicts the series.
        family: likelihood family, one of :data:`~fentsim.calibration.likelihood.FAMILIES`.
        scale: the family's scale before provenance widening (see the likelihood module).
        factor: converts the model's unit into the series' unit.
        first_year: ignore earlier figures (e.g. before a series is comparable).
        layer: ``demand`` or ``supply`` (supply targets need ``coupled`` exposure).
        note: why this family and scale.
    """

    name: str
    series: str
    outputs: tuple[str, ...]
    family: str
    scale: float
    factor: float = 1.0
    first_year: int | None = None
    layer: str = "demand"
    note: str = ""

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"target {self.name}: family {self.family!r} is not one of {FAMILIES}")
        if not self.scale > 0:
            raise ValueError(f"target {self.name}: scale must be > 0, got {self.scale}")


#: Raw NSDUH non-disordered heroin use: not RAND-adjusted, so it misses most heavy users; SOURCE
#: fits it worst of all its series (R² 0.20). A log-sd of 0.5 (a factor of about 1.65).
SD_SURVEY_RAW: float = 0.5

#: DEA powder purity relative to its reference-years mean (the model's potency index): three
#: annual averages of tested powder (two of them tagged W); the information is the 2024 fall
#: (-42%), so a log-sd of 0.2 (±22%).
SD_POTENCY: float = 0.2

#: Series derived from the data layer's targets (see :func:`observed_frame`).
MOUD_POINT = "moud_point_estimate"
POTENCY_INDEX = "potency_index_dea"

#: The default targets. ``layer = "supply"`` marks series that the supply side produces: in
#: ``observed`` exposure mode those outputs are the observed inputs themselves, so they are skipped.
DEFAULT_TARGETS: tuple[Target, ...] = (
    Target("opioid_deaths", "opioid_deaths", ("opioid_deaths",), "negbin", CV_DEATHS_TOTAL,
           note="NVSS any-opioid deaths 1999-2024"),
    Target("opioid_deaths_rx", "opioid_deaths_rx", ("opioid_deaths_rx",), "negbin",
           CV_DEATHS_CATEGORY, note="prescription only, exclusive category, 1999-2020"),
    Target("opioid_deaths_heroin", "opioid_deaths_heroin", ("opioid_deaths_heroin",), "negbin",
           CV_DEATHS_CATEGORY, note="heroin without synthetic, exclusive category, 1999-2020"),
    Target("opioid_deaths_synthetic", "opioid_deaths_synthetic", ("opioid_deaths_synthetic",),
           "negbin", CV_DEATHS_CATEGORY, note="synthetic with or without heroin, 1999-2020"),
    Target("opioid_deaths_synthetic_t404", "synthetic_opioid_deaths_t404",
           ("opioid_deaths_synthetic",), "negbin", CV_DEATHS_CATEGORY, first_year=2021,
           note="T40.4 multiple cause extends the synthetic category past 2020 (2020: 56,516 vs "
                "57,546 exclusive); earlier years are covered by the exclusive series"),
    Target("rx_misuse", "rx_misuse", ("rx_misuse",), "lognormal", SD_SURVEY_PREVALENCE,
           note="NSDUH Rx misuse without OUD or heroin"),
    Target("rx_oud", "rx_oud", ("rx_oud",), "lognormal", SD_SURVEY_PREVALENCE,
           note="NSDUH Rx OUD (the survey also counts people in treatment)"),
    Target("illicit_oud", "heroin_use_disorder", ("illicit_oud",), "lognormal",
           SD_SURVEY_PREVALENCE, note="NSDUH heroin use disorder, RAND-adjusted"),
    Target("illicit_use", "heroin_use_nondisordered", ("illicit_use",), "lognormal",
           SD_SURVEY_RAW, note="NSDUH non-disordered heroin use, raw"),
    Target("people_in_moud", MOUD_POINT, ("people_in_moud",), "lognormal", SD_TREATMENT_COUNTS,
           note="methadone single-day clients + bup_point_fraction × buprenorphine patients/yr"),
    Target("fentanyl_share", "fentanyl_share_nflis", ("fentanyl_share",), "logitnormal",
           SD_SHARE_LAB, layer="supply", note="NFLIS fentanyl share of heroin+fentanyl reports"),
    Target("potency_index", POTENCY_INDEX, ("potency_index",), "lognormal", SD_POTENCY,
           layer="supply", note="DEA powder purity / its 2022-23 mean"),
    Target("cbp_seizures_lb", "cbp_seizures_lb", ("cbp_seizures_lb",), "lognormal", SD_SEIZURES,
           layer="supply", note="CBP fentanyl seizures, gross lb (fiscal years)"),
    Target("mexico_homicides", "mexico_homicides", ("mexico_homicides",), "lognormal",
           SD_HOMICIDES, layer="supply", note="INEGI intentional homicides"),
    Target("criminal_groups", "criminal_groups", ("criminal_groups",), "lognormal",
           SD_CRIMINAL_GROUPS, layer="supply", note="counts under differing definitions"),
)  # fmt: skip


def widen(family: str, scale: float, weight: np.ndarray) -> np.ndarray:
    """Per-point scale after provenance widening (weight in (0, 1]; lower = wider).

    Example:
        >>> widen("lognormal", 0.1, np.array([1.0, 0.25])).tolist()
        [0.1, 0.2]
        >>> widen("beta", 40.0, np.array([0.5])).tolist()
        [20.0]
    """
    w = np.asarray(weight, dtype=float)
    if np.any((w <= 0) | (w > 1)):
        raise ValueError(f"provenance weights must lie in (0, 1], got {w.tolist()}")
    if family == "beta":
        return scale * w
    return scale / np.sqrt(w)


@dataclass(frozen=True)
class TargetData:
    """A target joined with its observed figures; evaluates all runs of a ``SimResult`` at once."""

    target: Target
    years: np.ndarray
    obs: np.ndarray
    weight: np.ndarray
    provenance: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def scale(self) -> np.ndarray:
        """Per-point scale (provenance-widened)."""
        return widen(self.target.family, self.target.scale, self.weight)

    def predict(self, result) -> np.ndarray:
        """Model prediction ``(n_runs, T)`` in the series' unit."""
        cols = np.searchsorted(result.years, self.years)
        if np.any(cols >= len(result.years)) or np.any(result.years[cols] != self.years):
            have = f"{result.years[0]}-{result.years[-1]}"
            raise ValueError(
                f"target {self.name}: years {self.years.tolist()} not all simulated ({have})"
            )
        pred = sum(result.outcomes[o][:, cols] for o in self.target.outputs)
        return pred * self.target.factor

    def loglik(self, result) -> np.ndarray:
        """Log-likelihood per run."""
        return loglik(self.target.family, self.predict(result), self.obs, self.scale)

    def predictive(self, result, rng: np.random.Generator) -> np.ndarray:
        """Posterior-predictive draws ``(n_runs, T)``: model prediction plus observation noise."""
        return sample_obs(self.target.family, self.predict(result), self.scale, rng)

    def until(self, last_year: int) -> TargetData | None:
        """The figures up to ``last_year`` (None when none remain)."""
        keep = self.years <= last_year
        if not keep.any():
            return None
        prov = tuple(p for p, k in zip(self.provenance, keep, strict=False) if k)
        return TargetData(self.target, self.years[keep], self.obs[keep], self.weight[keep], prov)

    def after(self, year: int) -> TargetData | None:
        """The figures after ``year`` (None when none remain)."""
        keep = self.years > year
        if not keep.any():
            return None
        prov = tuple(p for p, k in zip(self.provenance, keep, strict=False) if k)
        return TargetData(self.target, self.years[keep], self.obs[keep], self.weight[keep], prov)


def _weights(frame) -> np.ndarray:
    if "weight" in frame and frame["weight"].notna().all():
        return frame["weight"].to_numpy(dtype=float)
    prov = frame["provenance"].astype(str).str[:1] if "provenance" in frame else None
    if prov is None:
        return np.ones(len(frame))
    from ..data import provenance_weights  # one table of tag weights: the data catalogue's

    weights = provenance_weights()
    return np.array([weights.get(p, min(weights.values())) for p in prov])


def bind(
    targets: Iterable[Target],
    observed,
    *,
    through: int | None = None,
    since: int | None = None,
    outputs: Sequence[str] | None = None,
) -> list[TargetData]:
    """Join targets with observed figures.

    Args:
        targets: the targets (e.g. :data:`DEFAULT_TARGETS`).
        observed: long DataFrame with columns ``series, year, value`` and optionally
            ``provenance`` and ``weight`` (as :func:`fentsim.data.observed_series` returns).
        through: keep figures up to and including this year.
        since: drop figures before this year (e.g. before the simulation starts).
        outputs: model outputs available; targets needing others are skipped.

    Targets without figures (after filtering) are skipped; non-positive values are dropped for
    the log-scale families (a log-normal or negative-binomial figure of 0 carries no level).
    """
    out: list[TargetData] = []
    for t in targets:
        if outputs is not None and not set(t.outputs) <= set(outputs):
            continue
        f = observed[observed["series"] == t.series]
        f = f[np.isfinite(f["value"].to_numpy(dtype=float))]
        if t.first_year is not None:
            f = f[f["year"] >= t.first_year]
        if through is not None:
            f = f[f["year"] <= through]
        if since is not None:
            f = f[f["year"] >= since]
        if t.family == "lognormal":
            f = f[f["value"] > 0]
        if f.empty:
            continue
        f = f.sort_values("year", kind="stable")
        years = f["year"].to_numpy(dtype=int)  # repeated years allowed (several definitions)
        prov = tuple(f["provenance"].astype(str)) if "provenance" in f else ()
        out.append(TargetData(t, years, f["value"].to_numpy(dtype=float), _weights(f), prov))
    return out


def observed_frame(registry=None):
    """The data layer's calibration series as one long frame, plus derived series.

    Columns ``series, year, value, provenance, weight`` (from
    :func:`fentsim.data.observed_series`). Derived: :data:`MOUD_POINT`, people in MOUD on a
    given day ≈ methadone single-day clients + ``bup_point_fraction`` × buprenorphine patients
    per year, the same conversion the model's MOUD capacity input uses, at the parameter's
    point value (buprenorphine counts as 0 before its 2003 approval data; XR-naltrexone, a few
    percent of patients, has no target series and is left out). A derived figure takes the
    lower weight of its two sources. :data:`POTENCY_INDEX`: DEA powder purity divided by its
    mean over the model's potency reference years (``fentsim.model.inputs.REFERENCE_YEARS``).
    """
    import pandas as pd

    from ..data import observed_series
    from ..model.inputs import REFERENCE_YEARS
    from ..params import load_registry

    frames = []
    series = observed_series()
    for name, t in series.items():
        f = t.frame[["year", "value", "provenance", "weight"]].copy()
        f.insert(0, "series", name)
        frames.append(f)
    reg = registry or load_registry()
    if {"methadone_clients", "buprenorphine_patients"} <= set(
        series
    ) and "bup_point_fraction" in reg:
        met = series["methadone_clients"].frame.set_index("year")
        bup = series["buprenorphine_patients"].frame.set_index("year").reindex(met.index)
        frac = reg["bup_point_fraction"].value
        frames.append(
            pd.DataFrame(
                {
                    "series": MOUD_POINT,
                    "year": met.index.to_numpy(dtype=int),
                    "value": (met["value"] + frac * bup["value"].fillna(0.0)).to_numpy(),
                    "provenance": met["provenance"].to_numpy(),
                    "weight": np.minimum(met["weight"], bup["weight"].fillna(1.0)).to_numpy(),
                }
            )
        )
    if "dea_powder_purity" in series:
        pur = series["dea_powder_purity"].frame
        ref = pur.loc[pur["year"].isin(REFERENCE_YEARS), "value"]
        if len(ref):
            f = pur[["year", "value", "provenance", "weight"]].copy()
            f["value"] = f["value"] / ref.mean()
            f.insert(0, "series", POTENCY_INDEX)
            frames.append(f)
    return pd.concat(frames, ignore_index=True)
