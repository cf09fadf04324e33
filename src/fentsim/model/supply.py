"""The supply chain component: precursors → synthesis in Mexico → staging → crossing (kg/month).

One compiled kernel (:func:`supply_kernel`) advances every run one month, calling the formulas of
:mod:`~fentsim.model.precursors`, :mod:`~fentsim.model.production` and
:mod:`~fentsim.model.crossing`. Policy-dependent quantities that change only when a policy changes
(detection, route and shipping targets) live in a cache (:mod:`~fentsim.model.supply_policy`). Historical policies come from :mod:`~fentsim.model.history`; the plan adds lever
levels on top (status quo = empty plan).

Mass balance, every month (cumulative accumulators ``cum_*``, see :meth:`Supply.balance`):

* precursor: shipped = lost in shipping + arrived; arrived + initial inventory = inventory +
  seized in labs + used;
* product: used · yield = produced = staged stock − initial stock + seized in Mexico + sent;
  sent = seized at the border + delivered.

Signals written to ``ctx`` for the market and violence components (this month's values):
``fentanyl_delivered_kg``, ``leadership_removals`` (count), ``cartel_war`` (internal-war intensity)
and ``fentanyl_production_kg`` (kg synthesised in Mexico).
It reads ``illicit_users`` (demand), ``mexico_cooperation`` (violence, last month) and
``street_potency`` (market, last month; for the gross weight of seizures).

Finished fentanyl mailed directly from China (before the 2019 class-wide scheduling) enters the US
by mail and express with its own detection and purity; it has its own ledger:
sent = seized + delivered.

Example:
    >>> from fentsim.params import ParamSet, load_registry
    >>> from fentsim.model.clock import Clock
    >>> from fentsim.model.engine import simulate
    >>> ps = ParamSet.point(load_registry())
    >>> res = simulate(ps, clock=Clock(1999, 2003))  # the coupled model (supply → market → demand …)
    >>> bool((res.outcomes["fentanyl_delivered_kg"] >= 0).all())
    True
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..params import ParamSet
from ..policy.plan import PolicyPlan
from . import crossing as cx
from . import precursors as pc
from . import production as pr
from .clock import DT, Clock
from .history import H, history_drivers
from .recorder import Recorder
from .supply_channels import base_shares, channels_month
from .supply_io import (
    ACC,
    CUM,
    LEVERS,
    MONTH_DECEMBER,
    MONTH_SEPTEMBER,
    OUTPUTS,
    ST,
    by_run,
    flush,
    flush_fiscal,
    military_options,
    q_ref_kg,
)
from .supply_policy import C_BPCOST, C_DET, C_RT, C_SHIPT, C_SLOSS, PolicyCache
from .vmath import vmax, vmin

N_CUM = len(CUM)
#: the signals this component writes to ``ctx`` (rows of ``out``)
SIGNALS = ("fentanyl_delivered_kg", "leadership_removals", "cartel_war", "fentanyl_production_kg")
USD_PER_MILLION = 1e6
AID_UNIT_MUSD = 100.0  #: aid effect sizes are per USD 100 million a year
MUSD_PER_USD, PER_AID_UNIT = 1.0 / USD_PER_MILLION, 1.0 / AID_UNIT_MUSD

# column indices (module constants so numba folds them)
H_AID, H_KINGPIN, H_LISTINGS, H_CLASS, H_COOPSTEP = (H[k] for k in ("aid_on", "kingpin_on", "listings", "classwide", "coop_steps"))  # fmt: skip
H_SANCT, H_FTO, H_WAR = H["sanctions_on"], H["fto_on"], H["war_start"]
ST_ADOPT, ST_CAP, ST_SHIP, ST_LAB, ST_INT = (ST[k] for k in ("adoption", "cap", "ship", "lab", "integrity"))  # fmt: skip
ST_PINV, ST_STAGE, ST_ROUTE, ST_LIST, ST_WAR, ST_LOSS = (ST[k] for k in ("pinv", "stage", "route", "listing", "war", "loss"))  # fmt: skip
ST_DIRECT, ST_STRING = ST["direct"], ST["stringency"]
MAIL = cx.MODES.index("mail")
(A_CBP, A_PRE_SEIZED, A_SRC, A_PROD, A_SEIZED_MX, A_POE, A_DELIVERED, A_REMOVALS,
 A_COST, A_LAB, A_ADOPT, A_RATE, A_STRING, A_MODE, A_DIRECT, A_ENF, A_LABSEIZED, A_FIN, A_LAUNDER,
 A_REVENUE, A_NODE, A_AVAIL, A_BPFLOW, A_SHIPLOST) = (ACC[k] for k in (
    "cbp", "pre_seized", "src", "prod", "seized_mx", "poe", "delivered", "removals",
    "cost", "lab", "adopt", "rate", "stringency", "mode", "direct", "enforcement", "lab_seized",
    "fin_cost", "laundering", "revenue", "node_hit", "availability", "bp_flow", "ship_lost"))  # fmt: skip
(CU_SHIPPED, CU_LOST, CU_ARRIVED, CU_PSEIZED, CU_USED, CU_PRODUCED, CU_NODE, CU_SENT, CU_BSEIZED,
 CU_DELIVERED, CU_DSENT, CU_DSEIZED, CU_DDELIVERED) = range(N_CUM)  # fmt: skip


@njit(cache=True, parallel=True)
def supply_kernel(
    S,
    PP,
    PR,
    PX,
    cache,
    lev,
    h,
    mil,
    users,
    coop,
    potency,
    q_ref,
    acc,
    cum,
    out,
    supplied,
    base,
):
    """Advance the supply state ``S`` (n, len(ST)) one month for every run.

    ``PP``/``PR``/``PX``: precursor, production and crossing parameter matrices; ``cache``: the
    policy-derived detection, route and shipping targets; ``lev`` (len(LEVERS), n) plan levels;
    ``h`` this month's history drivers and ``mil`` the (leadership, labs, nodes, unilateral)
    options, each ``(k, n)`` by run (:func:`~fentsim.model.supply_io.by_run`);
    ``acc`` (n, len(ACC)) annual accumulators; ``cum`` (n, len(CUM)) mass-balance accumulators;
    ``out`` (4, n): delivered kg, leadership removals, war intensity, kg produced for ``ctx``; ``supplied``
    (n, 4) scratch space for the kg shipped by each source; ``base`` the 1999 shares (channel
    outputs). The ledger ``cum`` is always kept: a branch on it would stop the block loops of
    :mod:`~fentsim.model.coupled_run` from vectorising, and it costs a few additions.
    """
    n = S.shape[0]
    for i in prange(n):
        out[0, i], out[1, i], out[2, i], out[3, i] = supply_month(
            i, S, PP, PR, PX, cache, lev, i, h, mil, users[i], coop[i], potency[i], q_ref,
            acc, cum, supplied, base,
        )  # fmt: skip


@njit(cache=True, inline="always")
def supply_month(
    i, S, PP, PR, PX, cache, lev, li, h, mil, users_i, coop_i, potency_i, q_ref, acc, cum,
    supplied, base,
):  # fmt: skip
    """One month of run ``i``'s supply chain (the body of :func:`supply_kernel`); plan levels,
    history drivers and military options in column ``li`` of ``lev``, ``h`` and ``mil``. Returns ``(delivered kg, leadership removals, war intensity, kg
    produced)``."""
    aid_units = (PR[i, pr.HIST_AID] * MUSD_PER_USD * h[H_AID, li] + lev[0, li]) * PER_AID_UNIT
    fto = h[H_FTO, li] + lev[1, li]  # designations in force plus further ones (the lever)
    sanctions = PR[i, pr.HIST_SANCT] * h[H_SANCT, li] + lev[2, li]
    ops = lev[3, li]
    cp = coop_i

    # enforcement this month: removals (count), lab and node hit fractions
    removals = (
        PR[i, pr.REM0] * cp
        + PR[i, pr.KINGPIN] * h[H_KINGPIN, li]
        + PR[i, pr.AID_REM] * aid_units * cp
    ) * DT
    removals += PR[i, pr.MIL_REM] * ops * mil[0, li]
    lab_hit = pr.hit_fraction(
        (PR[i, pr.LAB0] + PR[i, pr.AID_LAB] * aid_units) * cp * DT
        + PR[i, pr.MIL_LAB] * ops * mil[1, li]
    )
    node_hit = pr.hit_fraction(PR[i, pr.NODE0] * cp * DT + PR[i, pr.MIL_NODE] * ops * mil[2, li])

    # adoption and capacity
    war = S[i, ST_WAR] * PR[i, pr.WAR_DECAY] + h[H_WAR, li]
    S[i, ST_WAR] = war
    adopt = pr.bass_step(S[i, ST_ADOPT], PR[i, pr.BASS_P], PR[i, pr.BASS_Q], DT)
    S[i, ST_ADOPT] = adopt
    r = S[i, ST_LOSS]
    drag = pr.financial_drag(sanctions, fto, PR, i)
    capability = adopt * PR[i, pr.KAPPA] * users_i * q_ref[i] * (1.0 - drag)
    pc_level = lev[4, li]
    direct_avail = 1.0 - PR[i, pr.DIRECT_CTRL] * vmin(
        h[H_CLASS, li] + PP[i, pc.PC_EFF] * pc_level, 1.0
    )
    direct_target = capability * PR[i, pr.DIRECT_SHARE] * direct_avail
    target = (capability - direct_target) * (1.0 + PR[i, pr.OMEGA] * r / (1.0 - r))
    lab_destroyed = (S[i, ST_LAB] + S[i, ST_LAB + 1] + S[i, ST_LAB + 2]) * lab_hit
    q_cap = pr.org_month(PR, i, S, ST_LAB, ST_INT, target, removals, lab_hit, war)

    # finished fentanyl mailed directly from China
    direct = S[i, ST_DIRECT] + (direct_target - S[i, ST_DIRECT]) * PR[i, pr.K_DIRECT]
    S[i, ST_DIRECT] = direct
    d_seized = direct * PR[i, pr.DIRECT_DETECT]

    # precursors
    listing = S[i, ST_LIST] * PP[i, pc.LIST_DECAY] + PP[i, pc.LIST_EFF] * h[H_LISTINGS, li]
    S[i, ST_LIST] = listing
    stringency = listing + PP[i, pc.COOP_STEP] * h[H_COOPSTEP, li] + PP[i, pc.PC_EFF] * pc_level
    previous = S[i, ST_STRING]
    S[i, ST_STRING] = stringency
    y = PP[i, pc.YIELD]
    arrived, lost, shipped, cost_index = pc.precursor_month(
        PP,
        i,
        S,
        ST_CAP,
        ST_SHIP,
        cache,
        C_SHIPT,
        C_SLOSS,
        stringency,
        previous,
        q_cap * PP[i, pc.INV_YIELD],
        S[i, ST_PINV],
        supplied,
    )
    inv = S[i, ST_PINV] + arrived
    p_seized = inv * lab_hit
    inv -= p_seized
    produced = vmin(q_cap, inv * y)
    used = produced * PP[i, pc.INV_YIELD]
    S[i, ST_PINV] = vmax(inv - used, 0.0)

    # staging in Mexico and crossing
    stage = S[i, ST_STAGE] + produced
    node = stage * node_hit
    stage -= node
    sent = stage * PR[i, pr.K_CROSS]
    S[i, ST_STAGE] = stage - sent
    seized, poe = cx.route_month(PX, i, S, ST_ROUTE, cache, C_RT, C_DET, sent, acc, A_MODE)
    S[i, ST_LOSS] = seized / sent if sent > 0.0 else r
    delivered = sent - seized + direct - d_seized

    # outputs and ledgers
    w = PX[i, cx.PURITY_POT]
    gross = (
        seized / (PX[i, cx.SEIZED_PURITY] * (1.0 - w + w * potency_i))
        + d_seized * PR[i, pr.INV_DIRECT_PURITY]
    )
    acc[i, A_CBP] += gross * cx.LB_PER_KG
    acc[i, A_MODE + MAIL] += d_seized
    acc[i, A_DIRECT] += direct
    seized += d_seized
    poe += d_seized
    acc[i, A_PRE_SEIZED] += lost + p_seized
    for j in range(pc.N_SRC):
        acc[i, A_SRC + j] += supplied[i, j]
    acc[i, A_PROD] += produced
    acc[i, A_SEIZED_MX] += node
    acc[i, A_POE] += poe
    acc[i, A_DELIVERED] += delivered
    acc[i, A_REMOVALS] += removals
    acc[i, A_COST] += cost_index
    for o in range(pr.N_ORG):
        acc[i, A_LAB + o] += S[i, ST_LAB + o]
    acc[i, A_ADOPT] += adopt
    acc[i, A_RATE] += S[i, ST_LOSS]
    acc[i, A_STRING] += vmin(stringency, 1.0)
    acc[i, A_ENF] += aid_units * AID_UNIT_MUSD * cp
    acc[i, A_LABSEIZED] += lab_destroyed
    acc[i, A_FIN] += drag
    acc[i, A_LAUNDER] += PR[i, pr.SANC_DRAG] * sanctions * (1.0 + PR[i, pr.FTO_BOOST] * fto)
    acc[i, A_REVENUE] += produced * (1.0 - drag)
    acc[i, A_NODE] += node_hit
    avail = PP[i, pc._W0 + pc.N_SRC - 1]  # domestic: always available
    for j in range(pc.N_IMPORTED):
        avail += PP[i, pc._W0 + j] * pc.availability(stringency, PP[i, pc._E0 + j])
    acc[i, A_AVAIL] += avail
    acc[i, A_BPFLOW] += sent * S[i, ST_ROUTE + cx.BP]
    acc[i, A_SHIPLOST] += lost
    channels_month(S, i, cache, C_DET, C_BPCOST, base, sent, acc)
    _ledger(cum, i, shipped, lost, arrived, p_seized, used, produced, node, sent, seized, d_seized, delivered, direct)  # fmt: skip
    return delivered, removals, war, produced


@njit(cache=True, inline="always")
def _ledger(cum, i, shipped, lost, arrived, p_seized, used, produced, node, sent, seized, d_seized, delivered, direct):  # fmt: skip
    """Add the month's flows to run ``i``'s mass-balance ledger (checked by :meth:`Supply.balance`)."""
    cum[i, CU_SHIPPED] += shipped
    cum[i, CU_LOST] += lost
    cum[i, CU_ARRIVED] += arrived
    cum[i, CU_PSEIZED] += p_seized
    cum[i, CU_USED] += used
    cum[i, CU_PRODUCED] += produced
    cum[i, CU_NODE] += node
    cum[i, CU_SENT] += sent
    cum[i, CU_BSEIZED] += seized - d_seized
    cum[i, CU_DELIVERED] += delivered - direct + d_seized
    cum[i, CU_DSENT] += direct
    cum[i, CU_DSEIZED] += d_seized
    cum[i, CU_DDELIVERED] += direct - d_seized


@njit(cache=True)
def initial_state(S, PP, PR, c, users, q_ref) -> None:
    """Each run's supply state in 1999 (rows of ``S``), from its parameters, the policy cache ``c``
    and the illicit users: capacity in line with the initial adoption (no controls, so mail from
    China takes its full share), split among organisations by their weights; precursor capacity
    by source in proportion to attraction (imports scaled by the share that survives shipping)
    with headroom over need; shipping and crossing shares at their cached targets; inventories and
    staged stock at steady state."""
    for i in range(S.shape[0]):
        S[i, ST_ADOPT] = PR[i, pr.A0]
        capability = PR[i, pr.A0] * PR[i, pr.KAPPA] * users[i] * q_ref[i]
        direct = capability * PR[i, pr.DIRECT_SHARE]
        S[i, ST_DIRECT] = direct
        q_cap = 0.0
        for o in range(pr.N_ORG):
            lab = PR[i, pr.OW0 + o] * (capability - direct)
            S[i, ST_LAB + o] = lab
            S[i, ST_INT + o] = 1.0
            q_cap += lab * (PR[i, pr.OTHERS_EFF] if o == pr.N_ORG - 1 else 1.0)
        need = q_cap / PP[i, pc.YIELD]
        ok = 0.0
        for m in range(pc.N_SHIP):
            ok += c[i, C_SHIPT + m] * (1.0 - c[i, C_SLOSS + m])
            S[i, ST_SHIP + m] = c[i, C_SHIPT + m]
        total = 0.0
        for j in range(pc.N_SRC):
            att = PP[i, pc._W0 + j] / PP[i, pc._C0 + j] * (ok if j < pc.N_IMPORTED else 1.0)
            S[i, ST_CAP + j] = att
            total += att
        for j in range(pc.N_SRC):
            S[i, ST_CAP + j] *= need * PP[i, pc.HEADROOM] / total
        loss = 0.0
        for k in range(cx.N_MODE):
            S[i, ST_ROUTE + k] = c[i, C_RT + k]
            loss += c[i, C_RT + k] * c[i, C_DET + k]
        S[i, ST_LOSS] = loss
        S[i, ST_PINV] = need * PP[i, pc.COVER]
        k_cross = PR[i, pr.K_CROSS]
        S[i, ST_STAGE] = q_cap * (1.0 - k_cross) / k_cross


def _matrix(p: ParamSet, names: tuple[str, ...]) -> np.ndarray:
    """``(n, len(names))`` matrix of parameters (one row per run)."""
    return np.ascontiguousarray(np.column_stack([np.asarray(p[k], dtype=float) for k in names]))


class Supply:
    """Model component: the supply chain (see the module docstring)."""

    name = "supply"
    outputs = OUTPUTS

    def init(self, p: ParamSet, clock: Clock, ctx: dict[str, np.ndarray]) -> None:
        n = p.n
        self.n = n
        self.PP = pc.derived(_matrix(p, pc.PARAMS))
        self.PR = pr.derived(_matrix(p, pr.PARAMS))
        self.PX = cx.derived(_matrix(p, cx.PARAMS))
        self.q_ref = q_ref_kg(np.asarray(p["consumption_per_user"], dtype=float))
        self.hist = np.array(history_drivers(clock))  # writable copy
        self.S = np.zeros((n, ST["_size"]))
        self.policy = PolicyCache(self.PP, self.PX)
        self.cache = self.policy.cache
        self.acc = np.zeros((n, ACC["_size"]))
        self.cum = np.zeros((n, N_CUM))
        self.lev = np.zeros((len(LEVERS), n))
        self.out = np.zeros((4, n))
        self.supplied = np.zeros((n, pc.N_SRC))
        self.ones = np.ones(n)
        self.initial = np.zeros((2, n))  # precursor inventory and staged stock at the start
        self._mil: tuple[int, np.ndarray] | None = None
        self._started = False
        self._publish(ctx)
        ctx.setdefault("mexico_cooperation", np.ones(n))

    def _publish(self, ctx: dict[str, np.ndarray]) -> None:
        # re-published every month, so a deep copy of the model (a fork) stays wired up
        for j, name in enumerate(SIGNALS):
            ctx[name] = self.out[j]

    def _start(self, ctx: dict[str, np.ndarray]) -> None:
        """Initial state in 1999: capacity in line with the initial adoption, stocks at steady state."""
        users = np.ascontiguousarray(ctx["illicit_users"], dtype=float)
        initial_state(self.S, self.PP, self.PR, self.cache, users, self.q_ref)
        self.base = base_shares(self.S, self.cache[:, C_DET : C_DET + cx.N_MODE])
        self.initial[0] = self.S[:, ST_PINV]
        self.initial[1] = self.S[:, ST_STAGE]
        self._started = True

    def _military(self, plan: PolicyPlan) -> np.ndarray:
        if self._mil is None or self._mil[0] != id(plan):
            self._mil = (id(plan), by_run(military_options(plan), self.n))
        return self._mil[1]

    # ------------------------------------------------------------------ one month
    def step(self, m: int, plan: PolicyPlan, ctx: dict[str, np.ndarray], rec: Recorder) -> None:
        self.policy.refresh(self.hist[m], plan, m)
        if not self._started:
            self._start(ctx)
        for j, name in enumerate(LEVERS):
            self.lev[j] = plan.level(name, m)
        supply_kernel(
            self.S, self.PP, self.PR, self.PX, self.cache, self.lev, by_run(self.hist[m], self.n), self._military(plan),
            ctx["illicit_users"], ctx["mexico_cooperation"], ctx.get("street_potency", self.ones), self.q_ref,
            self.acc, self.cum, self.out, self.supplied, self.base,
        )  # fmt: skip
        self._publish(ctx)
        month = m % 12
        if month == MONTH_SEPTEMBER:
            flush_fiscal(rec, m, self.acc)
        if month == MONTH_DECEMBER:
            flush(rec, m, self.acc)

    # ------------------------------------------------------------------ checks
    def balance(self) -> dict[str, np.ndarray]:
        """Mass-balance residuals per run (kg; each should be ~0 up to rounding)."""
        c, S, y = self.cum, self.S, self.PP[:, pc.YIELD]
        col = {k: c[:, j] for j, k in enumerate(CUM)}
        return {
            "shipping": col["shipped"] - col["lost"] - col["arrived"],
            "precursor_stock": col["arrived"]
            + self.initial[0]
            - S[:, ST_PINV]
            - col["seized_labs"]
            - col["used"],
            "synthesis": col["used"] * y - col["produced"],
            "staging": col["produced"]
            + self.initial[1]
            - S[:, ST_STAGE]
            - col["seized_mexico"]
            - col["sent"],
            "crossing": col["sent"] - col["seized_border"] - col["delivered"],
            "direct": col["direct_sent"] - col["direct_seized"] - col["direct_delivered"],
        }

    def stocks(self) -> np.ndarray:
        """All state values that are stocks (capacities, inventories, shares); must stay ≥ 0."""
        return self.S
