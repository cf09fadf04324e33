"""The US opioid epidemic (people aged 12+): stocks, flows, treatment, overdose and death.

Structure after SOURCE (Lim et al. 2022) and Chen et al. 2019. Stocks (persons, per run):

========  =====================================================
``M``     prescription-opioid misuse without OUD
``R``     prescription OUD, not in treatment
``U``     non-disordered illicit opioid use (heroin and/or fentanyl)
``H``     illicit OUD, not in treatment
``TR``    in MOUD, from prescription OUD
``TH``    in MOUD, from illicit OUD
``QR``    remission after prescription OUD
``QH``    remission after illicit OUD
``S``     stable remission (> ~10 years to reach)
========  =====================================================

Each month every stock loses people through competing hazards (:func:`~fentsim.model.flows.leave_scale`), so stocks
stay non-negative and people are conserved: ``Σ stocks + cumulative exits = initial + cumulative
initiation``. Overdose incidence rises with the fentanyl share of the supply (SOURCE: ×2 at full
penetration), case fatality rises from heroin's ~4.5% to fentanyl's ~30% and scales with potency,
lay naloxone rescues part of the fatal overdoses (:mod:`fentsim.model.naloxone`), MOUD multiplies
the overdose death hazard (~0.3). Deaths are split into the exclusive CDC categories: prescription
only, heroin without synthetic, synthetic with or without heroin.

Demand-side levers (levels in the plan, see docs/architecture.md): ``naloxone`` (million extra
kits/yr), ``moud_access`` (extra capacity, fraction of baseline), ``moud_retention`` (cut in
dropout), ``drug_checking`` (coverage), ``prescribing_limits`` (cut in Rx-misuse initiation),
``prevention`` (coverage), ``recovery_support`` (coverage).
"""

from __future__ import annotations

import numpy as np

from ..params import ParamSet
from ..policy.plan import PolicyPlan
from .clock import Clock
from .demand_kernel import LEVERS, OUT, PARAMS, STOCKS, demand_step, lever_matrix
from .inputs import NALOXONE_GROWTH_YEARS, ObservedInputs, observed_inputs
from .naloxone import steady_state_kits
from .recorder import Output, Recorder

OUTPUTS: tuple[Output, ...] = (
    Output("opioid_deaths", "flow", "deaths/yr", "opioid overdose deaths, all categories"),
    Output("opioid_deaths_rx", "flow", "deaths/yr", "prescription-opioid-only overdose deaths"),
    Output(
        "opioid_deaths_heroin",
        "flow",
        "deaths/yr",
        "heroin overdose deaths without synthetic opioids",
    ),
    Output(
        "opioid_deaths_synthetic",
        "flow",
        "deaths/yr",
        "synthetic-opioid deaths, with or without heroin",
    ),
    Output("overdoses_nonfatal", "flow", "overdoses/yr", "non-fatal opioid overdoses"),
    Output(
        "overdoses_reversed",
        "flow",
        "overdoses/yr",
        "otherwise fatal overdoses reversed by lay naloxone",
    ),
    Output("other_deaths", "flow", "deaths/yr", "non-overdose deaths of people with OUD"),
    Output(
        "initiations", "flow", "persons/yr", "new Rx misuse plus new illicit use without Rx history"
    ),
    Output("moud_entries", "flow", "persons/yr", "entries into medication for OUD"),
    Output("moud_capacity", "level", "persons", "MOUD treatment slots"),
    Output("naloxone_kits_distributed", "flow", "kits/yr", "naloxone kits distributed"),
    Output(
        "naloxone_p_on_hand", "level", "fraction", "probability a kit is at hand at an overdose"
    ),
    Output(
        "people_with_oud", "level", "persons", "people with OUD (Rx or illicit), in MOUD or not"
    ),
    Output("people_in_moud", "level", "persons", "people in medication for OUD"),
    Output("rx_misuse", "level", "persons", "Rx misuse without OUD"),
    Output("rx_oud", "level", "persons", "Rx OUD (not in MOUD)"),
    Output("illicit_use", "level", "persons", "non-disordered illicit opioid use"),
    Output("illicit_oud", "level", "persons", "illicit OUD (not in MOUD)"),
    Output("remission", "level", "persons", "in remission (early and stable)"),
    Output("people_total", "level", "persons", "everyone in the model's states"),
)
# kernel output rows recorded as flows / levels, by output name
_FLOW_ROWS = {
    "opioid_deaths": "deaths", "opioid_deaths_rx": "deaths_rx", "opioid_deaths_heroin": "deaths_heroin",
    "opioid_deaths_synthetic": "deaths_synth", "overdoses_nonfatal": "overdoses",
    "overdoses_reversed": "reversed", "other_deaths": "other_deaths", "initiations": "initiations",
    "moud_entries": "moud_entries", "naloxone_kits_distributed": "kits_distributed",
}  # fmt: skip
_LEVEL_ROWS = {"moud_capacity": "capacity", "naloxone_p_on_hand": "p_on_hand"}
_ROW = {name: i for i, name in enumerate(OUT)}
_S = {name: i for i, name in enumerate(STOCKS)}


class Demand:
    """Model component: the epidemic engine (see module docstring)."""

    name = "demand"
    outputs = OUTPUTS

    def init(self, p: ParamSet, clock: Clock, ctx: dict[str, np.ndarray]) -> None:
        self.n = n = p.n
        self.inp: ObservedInputs = observed_inputs(clock)
        self.P = np.ascontiguousarray(np.stack([p[name] for name in PARAMS], axis=1))
        S = np.zeros((n, len(STOCKS)))
        S[:, _S["M"]] = p["init_rx_misuse"]
        S[:, _S["R"]] = p["init_rx_oud"]
        S[:, _S["U"]] = p["init_illicit_use"]
        S[:, _S["QH"]] = p["init_remission"]
        # people in MOUD at the start: the 1999 capacity (methadone; buprenorphine came in 2003)
        inp = self.inp
        cap0 = (
            inp.methadone[0] + p["bup_point_fraction"] * inp.bup_patients[0] + inp.xr_naltrexone[0]
        )
        S[:, _S["TH"]] = np.minimum(cap0, 0.5 * p["init_illicit_oud"])
        S[:, _S["H"]] = p["init_illicit_oud"] - S[:, _S["TH"]]
        self.S = S
        self.K = steady_state_kits(
            float(inp.naloxone_kits[0]), p["naloxone_to_at_risk"], p["naloxone_kit_life"]
        )
        self.out = np.zeros((len(OUT), n))
        self.MEM = np.zeros(n)  # smoothed overdose deaths per year (perceived risk)
        self.pandemic_effect = p["pandemic_od_effect"]
        self.pandemic_decay = p["pandemic_decay"]
        self.initial_total = S.sum(axis=1)
        self.cum_in = np.zeros(n)
        self.cum_out = np.zeros(n)
        self._signals(ctx)
        ctx.setdefault("od_risk_supply", np.ones(n))

    def _signals(self, ctx: dict[str, np.ndarray]) -> None:
        S = self.S
        ctx["illicit_users"] = S[:, _S["U"]] + S[:, _S["H"]] + S[:, _S["TH"]]
        ctx["illicit_oud"] = S[:, _S["H"]].copy()
        ctx["people_in_moud"] = S[:, _S["TR"]] + S[:, _S["TH"]]

    def step(self, m: int, plan: PolicyPlan, ctx: dict[str, np.ndarray], rec: Recorder) -> None:
        inp, n, out = self.inp, self.n, self.out
        risk = np.broadcast_to(ctx["od_risk_supply"], (n,)).astype(float, copy=True)
        since = inp.pandemic_past[m]
        if since >= 0.0:  # disruption of drug markets and services after March 2020
            risk *= 1.0 + self.pandemic_effect * np.exp(-since / self.pandemic_decay)
        L = lever_matrix([plan.level(lever, m) for lever in LEVERS], n)
        rx_past = float(inp.rx_initiation_past[m])
        demand_step(
            self.S, self.K, self.MEM, self.P, L,
            np.broadcast_to(ctx["fentanyl_share"], (n,)).astype(float, copy=False),
            np.broadcast_to(ctx["potency"], (n,)).astype(float, copy=False),
            risk,
            out,
            float(inp.rx_initiation[m]), float(inp.rx_initiation_base), rx_past,
            float(inp.naloxone_kits[m]), float(min(inp.naloxone_past[m], NALOXONE_GROWTH_YEARS)),
            float(inp.methadone[m]), float(inp.bup_patients[m]), float(inp.xr_naltrexone[m]),
            float(inp.moud_past[m]),
        )  # fmt: skip
        self.cum_in += out[_ROW["initiations"]]
        self.cum_out += out[_ROW["exits"]]
        self._signals(ctx)
        ctx["moud_entries"] = out[_ROW["moud_entries"]]
        S = self.S
        ctx["people_in_remission"] = S[:, _S["QR"]] + S[:, _S["QH"]] + S[:, _S["S"]]
        # patients beyond the baseline capacity: those the moud_access lever pays for
        access = L[LEVERS.index("moud_access")]
        base_capacity = out[_ROW["capacity"]] / (1.0 + access)
        ctx["moud_patients_added"] = np.maximum(ctx["people_in_moud"] - base_capacity, 0.0)
        for name, row in _FLOW_ROWS.items():
            rec.flow(name, m, out[_ROW[row]])
        for name, row in _LEVEL_ROWS.items():
            rec.level(name, m, out[_ROW[row]])
        rec.level("rx_misuse", m, S[:, _S["M"]])
        rec.level("rx_oud", m, S[:, _S["R"]])
        rec.level("illicit_use", m, S[:, _S["U"]])
        rec.level("illicit_oud", m, S[:, _S["H"]])
        rec.level("people_in_moud", m, ctx["people_in_moud"])
        rec.level("people_with_oud", m, S[:, _S["R"]] + S[:, _S["H"]] + ctx["people_in_moud"])
        rec.level("remission", m, ctx["people_in_remission"])
        rec.level("people_total", m, S.sum(axis=1))

    def stocks(self) -> dict[str, np.ndarray]:
        """Current stocks by name (copies), for tests and diagnostics."""
        return {name: self.S[:, i].copy() for name, i in _S.items()}

    def ledger_error(self) -> np.ndarray:
        """Conservation residual: stocks + exits − (initial + entries), per run (should be ~0)."""
        return self.S.sum(axis=1) + self.cum_out - self.initial_total - self.cum_in
