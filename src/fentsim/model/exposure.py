"""Observed fentanyl exposure: the epidemic engine driven by the NFLIS and DEA series.

In ``observed`` mode this component replaces the supply side and the market: it writes the
fentanyl share of the illicit opioid supply (NFLIS heroin+fentanyl reports, extrapolated towards
``fentanyl_share_ceiling``) and the potency index (DEA powder purity relative to 2022–23) into
``ctx`` for :class:`~fentsim.model.demand.Demand`.
"""

from __future__ import annotations

import numpy as np

from ..params import ParamSet
from ..policy.plan import PolicyPlan
from .clock import Clock
from .inputs import observed_inputs, trend_share
from .recorder import Output, Recorder


class ObservedExposure:
    """Model component: exposure from observed series (see module docstring)."""

    name = "observed_exposure"
    outputs = (
        Output(
            "fentanyl_share", "level", "fraction", "fentanyl share of the illicit opioid supply"
        ),
        Output("potency_index", "level", "index", "street fentanyl potency, 1.0 = 2022-23"),
    )

    def init(self, p: ParamSet, clock: Clock, ctx: dict[str, np.ndarray]) -> None:
        self.p = p
        self.inp = observed_inputs(clock)
        self.ones = np.ones(p.n)
        ctx["od_risk_supply"] = self.ones
        self._write(0, ctx)

    def _write(self, m: int, ctx: dict[str, np.ndarray]) -> None:
        inp, p = self.inp, self.p
        past = inp.fentanyl_past[m]
        if past <= 0:
            f = self.ones * inp.fentanyl_share[m]
        else:
            f = trend_share(
                p["fentanyl_share_ceiling"], inp.fentanyl_share_last, past, p["fentanyl_share_tau"]
            )
        ctx["fentanyl_share"] = f
        ctx["potency"] = self.ones * inp.potency[m]

    def step(self, m: int, plan: PolicyPlan, ctx: dict[str, np.ndarray], rec: Recorder) -> None:
        self._write(m, ctx)
        rec.level("fentanyl_share", m, ctx["fentanyl_share"])
        rec.level("potency_index", m, ctx["potency"])
