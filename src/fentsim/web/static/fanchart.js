/* fanchart.js — a small, dependency-free SVG fan chart for the fentsim dashboard.
 *
 * FanChart.render(container, {
 *   title: "essay", unit: "deaths/yr", years: [2020, ...],
 *   series: [{name, color, p05: [...], p50: [...], p95: [...], dashed: false, band: true}],
 *   yMax: 120000            // optional shared scale across small multiples
 * })
 * Draws the 90% band and the median per series, axes with "nice" ticks and a hover read-out.
 * MIT licence, part of fentsim.
 */
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const W = 480, H = 270, M = { top: 44, right: 14, bottom: 30, left: 58 };

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }

  function niceStep(span, count) {
    const raw = span / Math.max(count, 1);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const norm = raw / mag;
    return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  }

  function ticks(lo, hi, count) {
    if (!(hi > lo)) hi = lo + 1;
    const step = niceStep(hi - lo, count);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }

  function fmt(v) {
    const a = Math.abs(v);
    if (a >= 1e9) return +(v / 1e9).toPrecision(3) + "bn";
    if (a >= 1e6) return +(v / 1e6).toPrecision(3) + "M";
    if (a >= 1e3) return +(v / 1e3).toPrecision(3) + "k";
    if (a > 0 && a < 0.01) return v.toExponential(1);
    return +v.toPrecision(3) + "";
  }

  function esc(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function path(xs, ys) {
    return xs.map((x, i) => (i ? "L" : "M") + x.toFixed(1) + "," + ys[i].toFixed(1)).join("");
  }

  function render(container, opts) {
    container.innerHTML = "";
    const years = opts.years;
    const series = opts.series || [];
    let yMax = opts.yMax;
    if (yMax == null) {
      yMax = 0;
      for (const s of series) for (const v of (s.p95 || s.p50)) yMax = Math.max(yMax, v);
    }
    const yStep = niceStep(yMax > 0 ? yMax * 1.05 : 1, 5);
    const yTop = Math.ceil((yMax > 0 ? yMax * 1.05 : 1) / yStep) * yStep;
    const yTicks = ticks(0, yTop, 5);
    const x0 = years[0], x1 = years[years.length - 1];
    const sx = (y) => M.left + ((y - x0) / Math.max(x1 - x0, 1)) * (W - M.left - M.right);
    const sy = (v) => H - M.bottom - (v / yTop) * (H - M.top - M.bottom);

    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title || "chart" }, container);
    el("text", { x: M.left, y: 16, "font-size": 13, "font-weight": 600, fill: "#1d2733" }, svg).textContent = opts.title || "";
    if (opts.unit) {
      el("text", { x: W - M.right, y: 16, "font-size": 11, fill: "#5b6773", "text-anchor": "end" }, svg).textContent = opts.unit;
    }
    if (opts.shadeFrom != null) {
      const a = sx(Math.max(opts.shadeFrom, x0)), b = sx(Math.min(opts.shadeTo != null ? opts.shadeTo : x1, x1));
      el("rect", { x: a, y: M.top, width: Math.max(b - a, 0), height: H - M.top - M.bottom, fill: "#f3f7fb" }, svg);
    }
    for (const t of yTicks) {
      el("line", { x1: M.left, x2: W - M.right, y1: sy(t), y2: sy(t), stroke: "#e6eaef" }, svg);
      el("text", { x: M.left - 6, y: sy(t) + 4, "font-size": 10.5, fill: "#5b6773", "text-anchor": "end" }, svg).textContent = fmt(t);
    }
    for (const t of ticks(x0, x1, 6)) {
      if (t !== Math.round(t)) continue;
      el("line", { x1: sx(t), x2: sx(t), y1: H - M.bottom, y2: H - M.bottom + 4, stroke: "#8a96a3" }, svg);
      el("text", { x: sx(t), y: H - M.bottom + 16, "font-size": 10.5, fill: "#5b6773", "text-anchor": "middle" }, svg).textContent = t;
    }
    el("line", { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, stroke: "#8a96a3" }, svg);

    const xs = years.map(sx);
    for (const s of series) {
      if (s.band !== false && s.p05 && s.p95) {
        const top = path(xs, s.p95.map(sy));
        const bottom = xs.slice().reverse().map((x, i) => "L" + x.toFixed(1) + "," + sy(s.p05[s.p05.length - 1 - i]).toFixed(1)).join("");
        el("path", { d: top + bottom + "Z", fill: s.color, "fill-opacity": 0.16, stroke: "none", class: "band" }, svg);
      }
    }
    for (const s of series) {
      el("path", { d: path(xs, s.p50.map(sy)), fill: "none", stroke: s.dashed ? "#6b7785" : s.color,
        "stroke-width": s.dashed ? 1.3 : 2, "stroke-dasharray": s.dashed ? "5 4" : "none", class: "median" }, svg);
    }
    let lx = M.left;
    for (const s of series) {
      const g = el("g", {}, svg);
      el("line", { x1: lx, x2: lx + 14, y1: 30, y2: 30, stroke: s.dashed ? "#6b7785" : s.color,
        "stroke-width": 2, "stroke-dasharray": s.dashed ? "4 3" : "none" }, g);
      const label = el("text", { x: lx + 18, y: 34, "font-size": 10.5, fill: "#1d2733" }, g);
      label.textContent = s.name + (s.dashed ? " (median)" : " median, 90% band");
      lx += 30 + label.textContent.length * 5.6;
    }

    const guide = el("line", { y1: M.top, y2: H - M.bottom, stroke: "#8a96a3", "stroke-dasharray": "2 2", visibility: "hidden" }, svg);
    const tip = document.createElement("div");
    tip.className = "tip";
    tip.hidden = true;
    container.appendChild(tip);
    svg.addEventListener("mousemove", (ev) => {
      const box = svg.getBoundingClientRect();
      const px = ((ev.clientX - box.left) / box.width) * W;
      let i = 0;
      for (let k = 1; k < xs.length; k++) if (Math.abs(xs[k] - px) < Math.abs(xs[i] - px)) i = k;
      guide.setAttribute("x1", xs[i]);
      guide.setAttribute("x2", xs[i]);
      guide.setAttribute("visibility", "visible");
      tip.hidden = false;
      tip.innerHTML = "<b>" + years[i] + "</b><br>" + series.map((s) =>
        esc(s.name) + ": " + fmt(s.p50[i]) + (s.p05 && !s.dashed ? " [" + fmt(s.p05[i]) + "–" + fmt(s.p95[i]) + "]" : "")).join("<br>");
      const left = (xs[i] / W) * box.width;
      tip.style.left = Math.min(left + 12, box.width - 170) + "px";
      tip.style.top = "30px";
    });
    svg.addEventListener("mouseleave", () => { guide.setAttribute("visibility", "hidden"); tip.hidden = true; });
    return svg;
  }

  window.FanChart = { render: render, format: fmt };
})();
