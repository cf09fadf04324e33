"""Point fit of the coupled model's supply, market and violence parameters (batched search).

Every candidate of an iteration is evaluated in ONE vectorised coupled ``simulate`` call (1999 to
the last target year). The loss is a sum of squared standardised errors against the supply-side
series, plus the coupled overdose deaths (which must still fit once supply drives exposure):

========================  =========================================  ===================  =========
series                    observed                                    scale                 years
========================  =========================================  ===================  =========
fentanyl share            NFLIS heroin+fentanyl reports               logit, sd 0.3        2013-2021
CBP seizures (gross lb)   CBP, fiscal years                           log, sd 0.2          2019-2024
share seized at ports     Cato/CBP FOIA: 88% (85-95%)                 hinge outside range  2015-2024
DEA pills with >= 2 mg    DEA lab (via a log-normal mg/pill model)    logit, sd 0.5        2017-2024
DEA powder purity         relative to its 2022-23 mean                log, sd 0.15         2024
US consumption, 2021      Kilmer et al. 2022: single-digit tonnes     hinge outside 1-9 t  2021
potency reference         the index is 1.0 over 2021-23 (definition)  log, sd 0.1          2021-2023
Mexican homicides         INEGI                                       log, sd 0.08         2006-2024
criminal groups           counts of all groups (not the 2015 CRS      log, sd 0.5          2006-2023
                          count of major organisations)
opioid deaths (coupled)   NVSS / NCHS provisional                     log, sd 0.06         1999-2024
2023→2024 change          opioid deaths 2024/2023 (0.66)              log, sd 0.05         2024
========================  =========================================  ===================  =========

The search samples the ``calibrate = true`` parameters of the supply, market and violence layers
(optionally :data:`JOINT_DEMAND` too; off by default so the demand fit and posterior stay valid)
in probit space of their prior quantiles: a Latin hypercube, then Gaussian fits to the elite
(cross-entropy), then shrinking Gaussian steps around the best; candidates stay inside the priors'
support. Other parameters sit at their demand-fitted or point values. The result ships as
``supply_fitted.toml`` (read after ``demand_fitted.toml``).

Example (tiny and fast; the shipped fit uses the defaults):
    >>> fit = fit_supply(SupplyFitSettings(first=64, per_iteration=64, iterations=1, elite=8), seed=1)
    >>> "adoption_imitation" in fit.values
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from scipy import stats
from scipy.stats import qmc

from ..model.clock import Clock
from ..model.engine import simulate
from ..model.result import SimResult
from ..model.supply_replay import UserReplay, UserTap
from ..params import ParamSet, Registry, load_registry
from ..params.projection import base_values
from .fit_metrics import mape, r_squared

FITTED_FILE = "supply_fitted.toml"
LAYERS: tuple[str, ...] = ("supply", "market", "violence")
#: demand parameters re-fitted with the supply side (the coupled potency path differs before 2022)
JOINT_DEMAND: tuple[str, ...] = ("cfr_fentanyl", "fentanyl_od_multiplier", "potency_cfr_elasticity")
#: supply-layer parameters fitted with the violence block (they set the leadership removals)
VIOLENCE_EXTRA: tuple[str, ...] = ("removals_base",)

# scales of the standardised errors (see the module table), with the reason for each
SD_SHARE = 0.3  #: logit; NFLIS reports are seized exhibits, not consumption
SD_CBP = 0.2  #: log; the acceptance band is a factor of 1.5 (log 0.41 = 2 sd)
SD_PILLS = 0.5  #: logit; few press-release points of one lab programme
SD_POWDER = 0.15  #: log; the 2024 purity fall (-42%) is the key supply signal
SD_HOMICIDES = 0.08  #: log; acceptance is MAPE <= 15%
SD_GROUPS = 0.5  #: log; counts differ by a factor of 2 within a year
SD_DEATHS = 0.06  #: log; acceptance is MAPE <= 10%, R² >= 0.95
SD_BAND = 0.02  #: hinge width of the port share and consumption bands (relative)
POE_BAND = (0.85, 0.95)  #: Cato/CBP FOIA: 88% of fentanyl seized at ports, FY2015-24
CONSUMPTION_BAND_KG = (1000.0, 9999.0)  #: Kilmer et al. 2022: single-digit pure tonnes in 2021
PILL_THRESHOLD_MG = 2.0  #: DEA's "potentially lethal dose" threshold
REFERENCE_YEARS = (2021, 2022, 2023)  #: the potency index is 1.0 on average over these years
FALL_YEARS = (
    2023,
    2024,
)  #: the observed change between these years (data: opioid_deaths) is fitted
SD_FALL = 0.05  #: log; the 2023-24 fall is the key coupled signal (supply → purity → deaths)
SD_REFERENCE = 0.1  #: log; how closely the fit holds that normalisation


@dataclass(frozen=True)
class Series:
    """Observed figures of one fit series (year, value, weight)."""

    name: str
    years: np.ndarray
    obs: np.ndarray
    weight: np.ndarray


@dataclass(frozen=True)
class SupplyFitSettings:
    """Sizes of the cross-entropy search."""

    first: int = 6144
    per_iteration: int = 2048
    iterations: int = 14
    elite: int = 96
    last_year: int = 2024
    widen: float = 1.2
    joint_demand: bool = False  #: also re-fit :data:`JOINT_DEMAND` (off: hold the demand fit)
    refine: int = 12  #: local rounds after the cross-entropy phase (Gaussian steps around the best)
    refine_parents: int = 24
    refine_sd: tuple[float, float] = (0.3, 0.02)  #: step size (probit units), first and last round


@dataclass
class SupplyFit:
    """The fitted point and how it was found."""

    values: dict[str, float]
    loss: float
    history: list[float] = field(default_factory=list)
    settings: SupplyFitSettings = field(default_factory=SupplyFitSettings)
    seed: int = 0


def _target(name: str, first: int, last: int) -> Series:
    from .. import data

    t = data.observed_series()[name]
    y, v, w = np.asarray(t.year), np.asarray(t.value, dtype=float), np.asarray(t.weight, dtype=float)  # fmt: skip
    keep = (y >= first) & (y <= last)
    return Series(name, y[keep], v[keep], w[keep])


def _groups(last_year: int) -> Series:
    """Counts of criminal groups, without the CRS count of *major* organisations (2015, "9-20")."""
    from .. import data

    g = _target("criminal_groups", 2006, last_year)
    raw = data.load("criminal_groups")
    major = raw[raw["definition"].str.contains("major", case=False)]["year"].to_numpy()
    keep = ~np.isin(g.years, major)
    return Series(g.name, g.years[keep], g.obs[keep], g.weight[keep])


@lru_cache(maxsize=4)
def observations(last_year: int = 2024) -> dict[str, Series]:
    """The observed series of the fit (see the module table)."""
    from .. import data

    share = _target("fentanyl_share_nflis", 2013, min(last_year, 2020))
    raw = data.load("demand_series")
    r21 = raw[raw["year"] == 2021]["fentanyl_share_heroin_fentanyl_nflis"].astype(float)
    if len(r21) and last_year >= 2021:  # partial-year figure: half weight
        share = Series(share.name, np.append(share.years, 2021), np.append(share.obs, r21.iloc[0]),
                       np.append(share.weight, 0.5))  # fmt: skip
    powder = _target("dea_powder_purity", 2022, last_year)
    ref = powder.obs[(powder.years >= 2022) & (powder.years <= 2023)].mean()
    return {
        "fentanyl_share": share,
        "cbp_seizures_lb": _target("cbp_seizures_lb", 2019, last_year),
        "dea_pills_ge_2mg": _target("dea_pills_ge_2mg_share", 2017, last_year),
        "powder_purity_index": Series(
            "powder_purity_index", powder.years, powder.obs / ref, powder.weight
        ),
        "mexico_homicides": _target("mexico_homicides", 2006, last_year),
        "criminal_groups": _groups(last_year),
        "opioid_deaths": _target("opioid_deaths", 1999, last_year),
    }


def _cols(res: SimResult, years: np.ndarray) -> np.ndarray:
    return np.searchsorted(res.years, years)


def pill_share(potency: np.ndarray, mg_at_reference: np.ndarray, gsd: np.ndarray) -> np.ndarray:
    """Share of pills with at least 2 mg when mg/pill is log-normal with median ``mg · potency``.

    Example:
        >>> float(pill_share(np.array([1.0]), np.array([2.0]), np.array([2.0]))[0])
        0.5
    """
    z = np.log(np.maximum(potency * mg_at_reference, 1e-12) / PILL_THRESHOLD_MG) / np.log(gsd)
    return stats.norm.cdf(z)


def predictions(res: SimResult, ps: ParamSet, obs: dict[str, Series]) -> dict[str, np.ndarray]:
    """Model predictions ``(n_runs, T)`` for each series in ``obs`` (same years)."""
    out = {}
    o = res.outcomes
    for name in ("fentanyl_share", "cbp_seizures_lb", "mexico_homicides", "opioid_deaths"):
        out[name] = o[name][:, _cols(res, obs[name].years)]
    out["criminal_groups"] = o["criminal_groups"][:, _cols(res, obs["criminal_groups"].years)]
    pot = o["potency_index"]
    pills = obs["dea_pills_ge_2mg"]
    out["dea_pills_ge_2mg"] = pill_share(pot[:, _cols(res, pills.years)], ps["pill_mg_at_reference"][:, None], ps["pill_mg_gsd"][:, None])  # fmt: skip
    pw = obs["powder_purity_index"]
    ref = pot[:, _cols(res, np.array([2022, 2023]))].mean(axis=1, keepdims=True)
    out["powder_purity_index"] = pot[:, _cols(res, pw.years)] / ref
    return out


def _z_log(pred: np.ndarray, obs: np.ndarray, sd: float) -> np.ndarray:
    return (np.log(np.maximum(pred, 1e-12)) - np.log(obs)) / sd


def _z_logit(pred: np.ndarray, obs: np.ndarray, sd: float) -> np.ndarray:
    p = np.clip(pred, 1e-6, 1 - 1e-6)
    return (np.log(p / (1 - p)) - np.log(obs / (1 - obs))) / sd


def _hinge(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return (np.maximum(lo - x, 0.0) / lo + np.maximum(x - hi, 0.0) / hi) / SD_BAND


VIOLENCE_SERIES = ("mexico_homicides", "criminal_groups")


def loss(res: SimResult, ps: ParamSet, obs: dict[str, Series], part: str = "all") -> np.ndarray:
    """Sum of squared standardised errors per run (NaN → inf); ``part``: supply, violence or all."""
    sd = {"fentanyl_share": SD_SHARE, "dea_pills_ge_2mg": SD_PILLS}
    logs = {"cbp_seizures_lb": SD_CBP, "powder_purity_index": SD_POWDER, "mexico_homicides": SD_HOMICIDES,
            "criminal_groups": SD_GROUPS, "opioid_deaths": SD_DEATHS}  # fmt: skip
    total = np.zeros(ps.n)
    if part == "violence":
        for name in VIOLENCE_SERIES:
            s = obs[name]
            pred = res.outcomes[name][:, _cols(res, s.years)]
            total += (s.weight * _z_log(pred, s.obs, logs[name]) ** 2).sum(axis=1)
        return np.where(np.isfinite(total), total, np.inf)
    pred = predictions(res, ps, obs)
    for name, s in obs.items():
        if part == "supply" and name in VIOLENCE_SERIES:
            continue
        if name in sd:
            z = _z_logit(pred[name], s.obs, sd[name])
        else:
            z = _z_log(pred[name], s.obs, logs[name])
        total += (s.weight * z**2).sum(axis=1)
    o = res.outcomes
    poe = o["fentanyl_seized_poe_kg"] / np.maximum(o["fentanyl_seized_kg"], 1e-12)
    poe_years = _cols(res, np.arange(2015, min(res.years[-1], 2024) + 1))
    total += (_hinge(poe[:, poe_years], *POE_BAND) ** 2).sum(axis=1)
    c21 = o["fentanyl_consumed_kg"][:, _cols(res, np.array([2021]))[0]]
    total += _hinge(c21, *CONSUMPTION_BAND_KG) ** 2
    d = o["opioid_deaths"][:, _cols(res, np.array(FALL_YEARS))]
    od = obs["opioid_deaths"]
    fall = od.obs[od.years == FALL_YEARS[1]] / od.obs[od.years == FALL_YEARS[0]]
    total += (np.log(d[:, 1] / d[:, 0] / fall) / SD_FALL) ** 2
    ref = o["potency_index"][:, _cols(res, np.array(REFERENCE_YEARS))].mean(axis=1)
    total += (np.log(ref) / SD_REFERENCE) ** 2  # the index is 1.0 at its 2021-23 reference
    return np.where(np.isfinite(total), total, np.inf)


def fit_base(registry: Registry) -> dict[str, float]:
    """Fixed values: registry points with the demand fit applied (not the shipped supply fit)."""
    from .demand_fit import load_fitted

    values = {name: p.value for name, p in registry.items()}
    values.update({k: v for k, v in load_fitted().items() if k in registry})
    return values


def fit_names(registry: Registry, joint_demand: bool = True) -> tuple[list[str], list[str]]:
    """Parameters the fit estimates: (supply, market and joint demand; violence)."""
    cal = [n for n in registry.calibrated if registry[n].group.split(".")[0] in LAYERS]
    violence = [n for n in cal if registry[n].group.startswith("violence") or n in VIOLENCE_EXTRA]
    supply = [n for n in cal if n not in violence] + (list(JOINT_DEMAND) if joint_demand else [])
    return supply, violence


def _search(evaluate, d: int, settings: SupplyFitSettings, rng, progress, step0: int = 0):
    """Cross-entropy search then shrinking local steps, in probit space; returns (u_best, loss, history)."""
    u = qmc.LatinHypercube(d=d, seed=rng).random(settings.first)
    z_all, l_all = stats.norm.ppf(np.clip(u, 1e-9, 1 - 1e-9)), evaluate(u)
    history = [float(l_all.min())]
    sds = np.geomspace(*settings.refine_sd, num=max(settings.refine, 1))
    for it in range(settings.iterations + settings.refine):
        if it < settings.iterations:  # cross-entropy: Gaussian fitted to the elite
            order = np.argsort(l_all)[: settings.elite]
            elite = z_all[order]
            cov = np.cov(elite, rowvar=False) * settings.widen**2 + np.eye(d) * 1e-6
            z = rng.multivariate_normal(elite.mean(axis=0), cov, size=settings.per_iteration)
        else:  # local refinement around the best
            order = np.argsort(l_all)[: settings.refine_parents]
            parents = z_all[order][rng.integers(0, len(order), settings.per_iteration)]
            z = parents + rng.normal(0.0, sds[it - settings.iterations], parents.shape)
        l_new = evaluate(stats.norm.cdf(z))
        z_all = np.concatenate([z_all[order], z])
        l_all = np.concatenate([l_all[order], l_new])
        history.append(float(l_all.min()))
        if progress:
            progress(step0 + it + 1, history[-1])
    best = int(np.argmin(l_all))
    return stats.norm.cdf(z_all[best]), float(l_all[best]), history


def fit_supply(
    settings: SupplyFitSettings = SupplyFitSettings(),
    seed: int = 20261130,
    progress: Callable[[int, float], None] | None = None,
) -> SupplyFit:
    """Run the search and return the best parameter set found.

    Two stages: (A) supply, market and joint demand parameters against every series but violence,
    in the coupled model; (B) violence parameters against homicides and group counts, with the
    epidemic replaced by the user count of A's best run (violence does not feed back into history:
    cooperation stays at its status-quo level without military operations).
    """
    reg = load_registry()
    names_a, names_b = fit_names(reg, settings.joint_demand)
    clock = Clock(1999, settings.last_year)
    obs = observations(settings.last_year)
    base = fit_base(reg)
    rng = np.random.default_rng(seed)

    def draw(u: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
        return {n: reg[n].prior.ppf(u[..., j], point=reg[n].value) for j, n in enumerate(names)}

    def params(u: np.ndarray, names: list[str], values: dict[str, float]) -> ParamSet:
        return ParamSet({**ParamSet.point(reg, u.shape[0], values), **draw(u, names)})

    def eval_a(u: np.ndarray) -> np.ndarray:
        ps = params(u, names_a, base)
        return loss(simulate(ps, clock=clock), ps, obs, part="supply")

    u_a, loss_a, hist_a = _search(eval_a, len(names_a), settings, rng, progress)
    values = {n: float(v) for n, v in draw(u_a, names_a).items()}

    from ..model.coupling import coupled_components

    tap = UserTap()
    best_a = ParamSet.point(reg, 1, {**base, **values})
    simulate(best_a, clock=clock, components=lambda: [tap, *coupled_components()])
    users = tap.users.copy()
    stage_b = {**base, **values}

    def eval_b(u: np.ndarray) -> np.ndarray:
        from ..model.supply import Supply
        from ..model.violence import Violence

        ps = params(u, names_b, stage_b)
        res = simulate(ps, clock=clock, components=lambda: [UserReplay(users), Supply(), Violence()])  # fmt: skip
        return loss(res, ps, obs, part="violence")

    step0 = settings.iterations + settings.refine
    u_b, loss_b, hist_b = _search(eval_b, len(names_b), settings, rng, progress, step0)
    values.update({n: float(v) for n, v in draw(u_b, names_b).items()})
    return SupplyFit(values, loss_a + loss_b, hist_a + hist_b, settings, seed)


def shipped_fitted_path() -> Path:
    """Where the shipped fitted point lives inside the package."""
    return Path(str(resources.files("fentsim.calibration").joinpath(FITTED_FILE)))


def write_fitted(fit: SupplyFit, path: Path | None = None) -> None:
    """Write the fitted values as TOML (name = value) with the fit's provenance in comments."""
    joint = ", ".join(n for n in JOINT_DEMAND if n in fit.values)
    lines = [
        "# Fitted point of the supply, market and violence parameters of the coupled model; demand"
        + (f" re-fitted jointly: {joint}." if joint else " parameters held at demand_fitted.toml."),
        "# Regenerate with fentsim.calibration.supply_fit.fit_supply; read after demand_fitted.toml.",
        f"# seed = {fit.seed}; loss = {fit.loss:.3f}; settings = {fit.settings}",
        "",
    ]
    lines += [f"{name} = {value!r}" for name, value in sorted(fit.values.items())]
    (path or shipped_fitted_path()).write_text("\n".join(lines) + "\n", encoding="utf-8")


def fit_table(res: SimResult, ps: ParamSet, run: int = 0, last_year: int = 2024) -> list[dict]:
    """R², MAPE and the acceptance check per series for one run (default: the first)."""
    obs = observations(last_year)
    pred = predictions(res, ps, obs)
    rows = []
    for name, s in obs.items():
        p = pred[name][run]
        rows.append({"series": name, "years": f"{s.years.min()}-{s.years.max()}",
                     "r2": r_squared(s.obs, p), "mape": mape(s.obs, p)})  # fmt: skip
    o = res.outcomes
    c = _cols(res, np.arange(2015, min(res.years[-1], 2024) + 1))
    poe = o["fentanyl_seized_poe_kg"][run, c].sum() / o["fentanyl_seized_kg"][run, c].sum()
    rows.append({"series": "poe_share_2015_2024", "years": "2015-2024", "value": float(poe)})
    rows.append({"series": "consumption_2021_kg", "years": "2021",
                 "value": float(o["fentanyl_consumed_kg"][run, _cols(res, np.array([2021]))[0]])})  # fmt: skip
    d = o["opioid_deaths"][run, _cols(res, np.array([2023, 2024]))]
    rows.append({"series": "opioid_deaths_change_2023_2024", "years": "2023-2024", "value": float(d[1] / d[0] - 1)})  # fmt: skip
    return rows


def fit_report(values: dict[str, float] | None = None, last_year: int = 2024) -> str:
    """The fit table (R², MAPE, checks) of the fitted point as Markdown (default: shipped values)."""
    reg = load_registry()
    ps = ParamSet.point(reg, 1, {**base_values(reg), **(values or {})})
    res = simulate(ps, clock=Clock(1999, last_year))
    lines = ["| series | years | R² | MAPE % | value |", "|---|---|---|---|---|"]
    for r in fit_table(res, ps, last_year=last_year):
        cells = [f"{r[k]:.3f}" if k in r else "" for k in ("r2", "mape", "value")]
        lines.append(f"| {r['series']} | {r['years']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
