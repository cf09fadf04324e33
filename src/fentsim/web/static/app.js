/* fentsim dashboard: choose or build portfolios, run a comparison job, show fan charts and the table.
 * Talks only to this server's /api; no external scripts. */
(function () {
  "use strict";
  const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];
  const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 _+.\-]*$/;
  const OUTCOME_LABELS = {
    opioid_deaths: "US opioid overdose deaths", homicides: "Mexican homicides", mexico_homicides: "Mexican homicides",
    civilian_harm: "Civilian harm (military operations)", fentanyl_delivered_kg: "Fentanyl delivered to the US",
    fentanyl_delivered: "Fentanyl delivered to the US", fentanyl_seized_kg: "Fentanyl seized at the border",
    fentanyl_seized: "Fentanyl seized", cbp_seizures_lb: "CBP fentanyl seizures (gross lb)",
    potency_index: "Street fentanyl potency", purity: "Street fentanyl purity",
    fentanyl_share: "Fentanyl share of the illicit opioid supply", price_index: "Fentanyl price index",
    criminal_groups: "Criminal groups in Mexico", programme_cost_usd: "Programme cost (USD)",
    programme_cost: "Programme cost (USD)",
  };
  const COLUMNS = [
    ["deaths", "Opioid deaths", "n"], ["averted", "Deaths averted", "n"], ["averted_share", "Share averted", "%"],
    ["cost_usd", "Programme cost", "$"], ["cost_per_death_averted_usd", "Cost per death averted", "$"],
    ["homicides", "Mexican homicides", "n"], ["homicides_change", "Extra homicides vs reference", "n"],
    ["civilian_harm", "Civilian harm", "n"], ["fentanyl_delivered_kg", "Fentanyl delivered (kg)", "n"],
  ];
  const state = { levers: [], byName: {}, presets: [], selected: [], job: null, result: null, timer: null };
  const $ = (id) => document.getElementById(id);

  function esc(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  async function api(path, options) {
    const res = await fetch(path, options);
    const type = res.headers.get("content-type") || "";
    const body = type.includes("json") ? await res.json() : await res.text();
    if (!res.ok) throw new Error((body && body.detail) || res.status + " " + res.statusText);
    return body;
  }

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = !message;
  }

  // ---- presets and the selection ------------------------------------------------------------
  function renderPresets() {
    const list = $("preset-list");
    list.innerHTML = "";
    for (const p of state.presets) {
      const label = document.createElement("label");
      label.className = "preset";
      label.title = p.description;
      label.innerHTML = `<input type="checkbox" value="${esc(p.name)}" data-preset="${esc(p.name)}">` +
        `<span><span class="name">${esc(p.name)}</span><span class="desc">${esc(p.description || "")}</span></span>`;
      const box = label.querySelector("input");
      box.checked = state.selected.some((s) => s.kind === "preset" && s.name === p.name);
      box.addEventListener("change", () => {
        if (box.checked) addSelected({ kind: "preset", name: p.name });
        else removeSelected(p.name);
      });
      list.appendChild(label);
    }
  }

  function addSelected(item) {
    if (state.selected.some((s) => s.name === item.name)) {
      showError(`A portfolio named "${item.name}" is already in the comparison.`);
      return false;
    }
    if (state.selected.length >= 6) {
      showError("At most 6 portfolios can be compared at once.");
      return false;
    }
    state.selected.push(item);
    showError("");
    renderSelected();
    return true;
  }

  function removeSelected(name) {
    state.selected = state.selected.filter((s) => s.name !== name);
    const box = document.querySelector(`input[data-preset="${CSS.escape(name)}"]`);
    if (box) box.checked = false;
    renderSelected();
  }

  function renderSelected() {
    const ol = $("selected");
    ol.innerHTML = "";
    if (!state.selected.length) ol.innerHTML = '<li class="muted">Nothing selected yet.</li>';
    state.selected.forEach((s, i) => {
      const li = document.createElement("li");
      const tag = i === 0 ? '<span class="tag ref">reference</span>' : `<span class="tag">${s.kind === "preset" ? "preset" : "custom"}</span>`;
      li.innerHTML = `<span class="chip"><span class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></span>` +
        `<span class="pf-name">${esc(s.name)}</span>${tag}` +
        (i ? '<button type="button" class="icon up" title="Make this the reference">↑</button>' : "") +
        '<button type="button" class="icon remove" title="Remove">×</button></span>';
      const up = li.querySelector(".up");
      if (up) up.addEventListener("click", () => { state.selected.splice(i, 1); state.selected.unshift(s); renderSelected(); });
      li.querySelector(".remove").addEventListener("click", () => removeSelected(s.name));
      ol.appendChild(li);
    });
  }

  // ---- the lever-by-lever builder ------------------------------------------------------------
  function leverOptions(row, lever) {
    const box = row.querySelector(".opts");
    box.innerHTML = "";
    for (const [key, opt] of Object.entries(lever.options || {})) {
      if (opt.type === "bool") {
        box.insertAdjacentHTML("beforeend", `<label class="check"><input type="checkbox" data-opt="${esc(key)}"` +
          `${opt.default ? " checked" : ""}> ${esc(key)}</label>`);
      } else if (opt.type === "mix") {
        for (const k of opt.keys) {
          box.insertAdjacentHTML("beforeend", `<label>${esc(key)}: ${esc(k)}<input type="number" min="0" max="1" step="0.05" ` +
            `data-mix="${esc(key)}" data-key="${esc(k)}" value="${opt.default[k]}"></label>`);
        }
      }
    }
  }

  function configureRow(row) {
    const lever = state.byName[row.querySelector(".lever").value];
    const intensity = row.querySelector(".intensity");
    intensity.min = lever.min;
    intensity.max = lever.max;
    intensity.step = lever.binary ? 1 : (lever.max <= 1 ? 0.05 : "any");
    intensity.value = lever.default;
    row.querySelector(".unit").textContent = `${lever.title}. Intensity in ${lever.unit}; allowed ${lever.min}–${lever.max}.`;
    leverOptions(row, lever);
  }

  function addLeverRow() {
    const row = document.createElement("div");
    row.className = "lever-row";
    const options = state.levers.map((l) => `<option value="${esc(l.name)}">${esc(l.title || l.name)}</option>`).join("");
    row.innerHTML = `<div class="head"><select class="lever" aria-label="Lever">${options}</select>` +
      '<button type="button" class="icon remove" title="Remove lever">×</button></div>' +
      '<div class="unit"></div><div class="params">' +
      '<label>Intensity<input type="number" class="intensity"></label>' +
      '<label>Start year<input type="number" class="start" min="2000" max="2035" value="2026"></label>' +
      '<label>End year<input type="number" class="end" min="2000" max="2035" placeholder="none"></label>' +
      '<label>Ramp (yrs)<input type="number" class="ramp" min="0" max="10" step="0.5" value="1"></label></div>' +
      '<div class="opts"></div>';
    row.querySelector(".lever").addEventListener("change", () => configureRow(row));
    row.querySelector(".remove").addEventListener("click", () => row.remove());
    $("lever-rows").appendChild(row);
    configureRow(row);
    return row;
  }

  function readRow(row) {
    const num = (cls) => row.querySelector(cls).value.trim();
    const setting = {
      lever: row.querySelector(".lever").value,
      intensity: Number(num(".intensity")),
      start: Number(num(".start")),
      end: num(".end") === "" ? null : Number(num(".end")),
      ramp: Number(num(".ramp") || 0),
    };
    const options = {};
    row.querySelectorAll("[data-opt]").forEach((b) => { options[b.dataset.opt] = b.checked; });
    row.querySelectorAll("[data-mix]").forEach((inp) => {
      options[inp.dataset.mix] = options[inp.dataset.mix] || {};
      options[inp.dataset.mix][inp.dataset.key] = Number(inp.value);
    });
    if (Object.keys(options).length) setting.options = options;
    return setting;
  }

  function savePortfolio() {
    const name = $("pf-name").value.trim();
    if (!NAME_RE.test(name) || name.length > 40) {
      showError("Give the portfolio a name of up to 40 letters, digits, spaces or _ + . - (starting with a letter or digit).");
      return;
    }
    const rows = [...document.querySelectorAll("#lever-rows .lever-row")];
    if (!rows.length) { showError("Add at least one lever to the portfolio."); return; }
    const levers = rows.map(readRow);
    for (const s of levers) {
      const lv = state.byName[s.lever];
      if (!(s.intensity >= lv.min && s.intensity <= lv.max)) {
        showError(`${lv.title}: intensity ${s.intensity} is outside ${lv.min}–${lv.max} (${lv.unit}).`);
        return;
      }
      if (s.end !== null && s.end < s.start) { showError(`${lv.title}: the end year is before the start year.`); return; }
    }
    if (addSelected({ kind: "custom", name: name, spec: { name: name, levers: levers } })) {
      $("pf-name").value = "";
      $("lever-rows").innerHTML = "";
      addLeverRow();
    }
  }

  // ---- running a job ----------------------------------------------------------------------------
  function setProgress(fraction, text) {
    $("progress").hidden = false;
    $("progress-bar").style.width = Math.round(100 * fraction) + "%";
    $("progress-text").textContent = text;
  }

  async function run() {
    showError("");
    if (!state.selected.length) { showError("Choose at least one portfolio."); return; }
    const body = {
      portfolios: state.selected.map((s) => (s.kind === "preset" ? s.name : s.spec)),
      runs: Number($("runs").value), seed: Number($("seed").value),
      window: [Number($("from").value), Number($("to").value)],
    };
    $("run").disabled = true;
    setProgress(0, "submitting…");
    try {
      const job = await api("/api/jobs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      state.job = job;
      poll(job.id);
    } catch (err) {
      $("run").disabled = false;
      $("progress").hidden = true;
      showError(err.message);
    }
  }

  async function poll(id) {
    try {
      const job = await api(`/api/jobs/${id}`);
      setProgress(job.progress, `${job.state}: ${job.message}` + (job.elapsed_s ? ` (${job.elapsed_s.toFixed(1)} s)` : ""));
      if (job.state === "done") {
        const result = await api(`/api/jobs/${id}/result`);
        $("run").disabled = false;
        setProgress(1, `done in ${(job.elapsed_s || 0).toFixed(2)} s`);
        showResult(job, result);
      } else if (job.state === "failed") {
        $("run").disabled = false;
        showError(job.error || "the job failed");
      } else {
        state.timer = setTimeout(() => poll(id), 250);
      }
    } catch (err) {
      $("run").disabled = false;
      showError(err.message);
    }
  }

  // ---- results ---------------------------------------------------------------------------------------
  function fmtNumber(v, kind) {
    if (v === null || v === undefined || !isFinite(v)) return "—";
    if (kind === "%") return (100 * v).toFixed(1) + "%";
    const a = Math.abs(v);
    const pre = kind === "$" ? "$" : "";
    if (a >= 1e9) return pre + (v / 1e9).toFixed(2) + "bn";
    if (a >= 1e6) return pre + (v / 1e6).toFixed(2) + "M";
    return pre + Math.round(v).toLocaleString("en-US");
  }

  function fmtCompact(v, kind) {
    if (v === null || v === undefined || !isFinite(v)) return "—";
    if (kind === "%") return (100 * v).toFixed(1) + "%";
    const a = Math.abs(v);
    const pre = kind === "$" ? "$" : "";
    if (a >= 1e9) return pre + +(v / 1e9).toPrecision(3) + "bn";
    if (a >= 1e6) return pre + +(v / 1e6).toPrecision(3) + "M";
    if (a >= 1e4) return pre + +(v / 1e3).toPrecision(3) + "k";
    return pre + Math.round(v).toLocaleString("en-US");
  }

  function renderTable(comparison) {
    const names = Object.keys(comparison.portfolios);
    const cols = COLUMNS.filter(([key]) => names.some((n) => comparison.portfolios[n][key]));
    let html = "<thead><tr><th>Portfolio</th>" + cols.map(([, h]) => `<th>${esc(h)}</th>`).join("") + "</tr></thead><tbody>";
    names.forEach((n, i) => {
      const row = comparison.portfolios[n];
      html += `<tr${n === comparison.reference ? ' class="reference"' : ""}><td><span class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></span> ${esc(n)}</td>`;
      for (const [key, , kind] of cols) {
        const s = row[key];
        html += !s || s.mean === null ? "<td>—</td>" :
          `<td>${fmtNumber(s.mean, kind)}<span class="iv">${fmtCompact(s.p05, kind)} – ${fmtCompact(s.p95, kind)}</span></td>`;
      }
      html += "</tr>";
    });
    $("comparison").innerHTML = html + "</tbody>";
  }

  function renderCharts() {
    const { result } = state;
    const outcome = $("outcome").value;
    const names = Object.keys(result.comparison.portfolios);
    const ref = result.comparison.reference;
    const [w0, w1] = result.comparison.window;
    const charts = $("charts");
    charts.innerHTML = "";
    let yMax = 0;
    const cut = (s) => {
      const keep = s.years.map((y) => y >= w0 - 6);
      return (arr) => arr.filter((_, i) => keep[i]);
    };
    for (const n of names) {
      const q = result.series[n] && result.series[n].outcomes[outcome];
      if (q) { const c = cut(result.series[n]); yMax = Math.max(yMax, ...c(q.p95)); }
    }
    names.forEach((n, i) => {
      const s = result.series[n];
      if (!s || !s.outcomes[outcome]) return;
      const c = cut(s);
      const q = s.outcomes[outcome];
      const series = [{ name: n, color: PALETTE[i % PALETTE.length], p05: c(q.p05), p50: c(q.p50), p95: c(q.p95) }];
      if (n !== ref && result.series[ref] && result.series[ref].outcomes[outcome]) {
        const r = result.series[ref].outcomes[outcome];
        series.push({ name: ref, dashed: true, band: false, p50: c(r.p50) });
      }
      const div = document.createElement("div");
      div.className = "chart";
      div.dataset.portfolio = n;
      charts.appendChild(div);
      window.FanChart.render(div, { title: n, unit: s.units[outcome] || "", years: c(s.years), series: series,
        yMax: yMax, shadeFrom: w0, shadeTo: w1 });
    });
  }

  function showResult(job, result) {
    state.result = result;
    $("placeholder").hidden = true;
    $("output").hidden = false;
    const outcomes = [];
    for (const s of Object.values(result.series)) for (const o of Object.keys(s.outcomes)) if (!outcomes.includes(o)) outcomes.push(o);
    const select = $("outcome");
    const previous = select.value;
    select.innerHTML = outcomes.map((o) => `<option value="${esc(o)}">${esc(OUTCOME_LABELS[o] || o)}</option>`).join("");
    if (outcomes.includes(previous)) select.value = previous;
    const [w0, w1] = result.comparison.window;
    $("run-info").textContent = `${job.request.runs.toLocaleString("en-US")} runs, seed ${job.request.seed}; outcomes summed over ${w0}–${w1} (shaded). ` +
      `Reference: ${result.comparison.reference}. Bands: 90% of runs; line: median.`;
    $("dl-csv").href = `/api/jobs/${job.id}/csv?table=summary`;
    $("dl-series").href = `/api/jobs/${job.id}/csv?table=series`;
    $("dl-report").href = `/api/jobs/${job.id}/report`;
    renderCharts();
    renderTable(result.comparison);
  }

  async function init() {
    $("add-lever").addEventListener("click", addLeverRow);
    $("save-portfolio").addEventListener("click", savePortfolio);
    $("run").addEventListener("click", run);
    $("outcome").addEventListener("change", renderCharts);
    try {
      const [health, levers, presets] = await Promise.all([api("/api/health"), api("/api/levers"), api("/api/presets")]);
      $("version").textContent = "v" + health.version;
      $("runs").max = health.max_runs;
      state.levers = levers;
      state.byName = Object.fromEntries(levers.map((l) => [l.name, l]));
      state.presets = presets;
      for (const name of ["status-quo", "essay", "public-health"]) {
        if (presets.some((p) => p.name === name)) state.selected.push({ kind: "preset", name: name });
      }
      renderPresets();
      renderSelected();
      if (levers.length) addLeverRow();
    } catch (err) {
      showError("Could not load the lever catalogue: " + err.message);
    }
  }

  document.addEventListener("DOMContentLoaded", init);
})();
