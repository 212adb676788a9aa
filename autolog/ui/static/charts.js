/* Metric charts on uPlot: step or time x axis, TensorBoard-style EMA smoothing, log scale, zoom. */
(function () {
  "use strict";
  const AL = (window.AL = window.AL || {});
  AL.charts = [];
  const COLORS = ["#2f6fde", "#e8710a", "#1b9e77", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
  AL.color = (i) => COLORS[i % COLORS.length];

  /* TensorBoard's debiased exponential moving average (weight in [0, 1)). */
  AL.ema = function (ys, weight) {
    if (!weight) return ys.slice();
    const out = new Array(ys.length);
    let last = 0, n = 0;
    for (let i = 0; i < ys.length; i++) {
      const y = ys[i];
      if (y === null || !isFinite(y)) { out[i] = null; continue; }
      last = last * weight + (1 - weight) * y;
      n++;
      out[i] = last / (1 - Math.pow(weight, n));
    }
    return out;
  };

  /* One chart of one metric, with one series per run ({label, step, value, timestamp}). */
  AL.Chart = class {
    constructor(el, title, series, opts) {
      this.el = el; this.title = title; this.series = series; this.opts = opts; this.plot = null;
      this.box = AL.h("div", { class: "plotbox" });
      this.note = AL.h("div", { class: "note" });
      el.append(AL.h("div", { class: "title" }, title), this.box, this.note);
      AL.charts.push(this);
      this.draw();
    }
    data() {
      const o = this.opts, tables = [];
      for (const s of this.series) {
        const xs = o.x === "time" ? s.timestamp : s.step;
        const ys = s.value.map((v) => (o.log && !(v > 0) ? null : v));
        const order = xs.map((_, i) => i);
        if (o.x === "time") order.sort((a, b) => xs[a] - xs[b]);
        const x = order.map((i) => xs[i]), y = order.map((i) => ys[i]);
        tables.push(o.smoothing ? [x, y, AL.ema(y, o.smoothing)] : [x, y]);
      }
      if (tables.length === 1) return tables[0];
      return uPlot.join(tables);
    }
    uSeries() {
      const o = this.opts, out = [{}];
      this.series.forEach((s, i) => {
        const c = AL.color(s.color === undefined ? i : s.color);
        if (o.smoothing) {
          out.push({ label: s.label + " (raw)", stroke: c, alpha: 0.25, width: 1, spanGaps: true, points: { show: false } });
          out.push({ label: s.label, stroke: c, width: 1.6, spanGaps: true, points: { show: false } });
        } else {
          out.push({ label: s.label, stroke: c, width: 1.4, spanGaps: true, points: { show: s.step.length < 40 } });
        }
      });
      return out;
    }
    draw() {
      if (this.plot) this.plot.destroy();
      const o = this.opts;
      const width = Math.max(300, (this.el.clientWidth || 480) - 14);
      const opts = {
        width, height: 240, series: this.uSeries(),
        scales: { x: { time: o.x === "time" }, y: { distr: o.log ? 3 : 1 } },
        axes: [{}, { size: 60 }],
        cursor: { drag: { x: true, y: false } },
        legend: { show: this.series.length > 1 || !!o.smoothing },
      };
      this.plot = new uPlot(opts, this.data(), this.box);
      this.box.setAttribute("data-series", String(this.series.length));
      this.box.setAttribute("data-points", String(this.series.reduce((n, s) => n + s.step.length, 0)));
      this.note.textContent = this.series.some((s) => s.downsampled)
        ? "downsampled: min and max per pixel · drag to zoom, double-click to reset" : "drag to zoom, double-click to reset";
    }
    setOptions(opts) { Object.assign(this.opts, opts); this.draw(); }
    append(index, points) {
      const s = this.series[index];
      if (!points.step.length) return;
      s.step.push(...points.step); s.value.push(...points.value); s.timestamp.push(...points.timestamp);
      s.cursor = points.cursor;
      this.plot.setData(this.data());
      this.box.setAttribute("data-points", String(this.series.reduce((n, t) => n + t.step.length, 0)));
    }
    destroy() { if (this.plot) this.plot.destroy(); }
  };

  /* The controls every chart grid shares: x axis, smoothing, log scale. */
  AL.chartControls = function (opts, onChange) {
    const h = AL.h;
    const x = h("select", { id: "xaxis", onchange: (e) => onChange({ x: e.target.value }) },
      h("option", { value: "step" }, "x: step"), h("option", { value: "time" }, "x: wall time"));
    x.value = opts.x;
    const label = h("span", { class: "muted" }, String(opts.smoothing));
    const slider = h("input", { type: "range", id: "smoothing", min: "0", max: "0.99", step: "0.01", value: String(opts.smoothing),
      oninput: (e) => { label.textContent = e.target.value; onChange({ smoothing: parseFloat(e.target.value) }); } });
    const log = h("input", { type: "checkbox", id: "logscale", onchange: (e) => onChange({ log: e.target.checked }) });
    return h("div", { class: "toolbar" }, x, h("label", {}, "smoothing ", slider, " ", label), h("label", {}, log, " log scale"));
  };
})();
