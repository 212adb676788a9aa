/* The compare view: params/metrics diff, overlaid charts, parallel coordinates with brushing. */
(function () {
  "use strict";
  const AL = (window.AL = window.AL || {});
  const h = (...a) => AL.h(...a);
  const s = (...a) => AL.svg(...a);

  AL.diffTable = function (cmp) {
    const onlyDiff = h("input", { type: "checkbox", id: "diff-only" });
    const label = (r) => r.name || r.run_id.slice(0, 8);
    const same = (vals) => vals.every((v) => String(v) === String(vals[0]));
    const rows = [];
    const add = (kind, key, get, fmt) => {
      const vals = cmp.runs.map(get);
      const differs = !same(vals);
      rows.push(h("tr", { class: differs ? "diff" : "", "data-differs": String(differs), "data-key": kind + "." + key },
        h("td", {}, h("span", { class: "muted" }, kind + " "), key), vals.map((v) => h("td", { class: "num" }, v === undefined ? "—" : fmt(v)))));
    };
    cmp.params.forEach((k) => add("params", k, (r) => r.params[k], String));
    cmp.metrics.forEach((k) => add("metrics", k, (r) => r.metrics[k], AL.fmtNum));
    const table = h("table", { class: "grid", id: "diff" }, h("thead", {}, h("tr", {}, h("th", {}, "key"),
      cmp.runs.map((r) => h("th", {}, h("a", { href: "#/run/" + r.run_id }, label(r)))))), h("tbody", {}, rows));
    onlyDiff.addEventListener("change", () => rows.forEach((r) => { r.hidden = onlyDiff.checked && r.dataset.differs === "false"; }));
    return h("div", {}, h("label", {}, onlyDiff, " differences only"), table);
  };

  /* Parallel coordinates over the runs' params and one metric; drag on an axis to brush. */
  AL.parallelCoordinates = function (cmp, metric) {
    const dims = cmp.params.filter((k) => new Set(cmp.runs.map((r) => r.params[k])).size > 1 || cmp.params.length <= 6).slice(0, 12);
    if (metric) dims.push("metric:" + metric);
    const value = (r, d) => (d.startsWith("metric:") ? r.metrics[d.slice(7)] : r.params[d]);
    const W = Math.max(520, dims.length * 120), H = 320, T = 30, B = 30, L = 40;
    const step = dims.length > 1 ? (W - L - 80) / (dims.length - 1) : 0;
    const scales = dims.map((d) => {
      const vals = cmp.runs.map((r) => value(r, d)).filter((v) => v !== undefined && v !== null);
      const nums = vals.map(Number);
      if (vals.length && nums.every((n) => isFinite(n))) {
        let lo = Math.min(...nums), hi = Math.max(...nums);
        if (lo > 0 && hi / lo >= 100) {  // spans decades (C, learning rates): a log axis
          const a = Math.log10(lo), b = Math.log10(hi);
          return { kind: "num", lo, hi, mid: Math.pow(10, (a + b) / 2), pos: (v) => H - B - ((Math.log10(Number(v)) - a) / (b - a)) * (H - T - B) };
        }
        if (lo === hi) { lo -= 1; hi += 1; }
        return { kind: "num", lo, hi, mid: (lo + hi) / 2, pos: (v) => H - B - ((Number(v) - lo) / (hi - lo)) * (H - T - B) };
      }
      const cats = [...new Set(vals.map(String))].sort();
      return { kind: "cat", cats, pos: (v) => H - B - ((cats.indexOf(String(v)) + 0.5) / cats.length) * (H - T - B) };
    });
    const svg = s("svg", { width: W, height: H, class: "pc-svg", id: "parcoords" });
    const brushes = dims.map(() => null);
    const lines = cmp.runs.map((r, i) => {
      const pts = dims.map((d, j) => { const v = value(r, d); return v === undefined || v === null ? null : [L + j * step, scales[j].pos(v)]; });
      const d = pts.filter(Boolean).map((p, k) => (k ? "L" : "M") + p[0].toFixed(1) + "," + p[1].toFixed(1)).join("");
      const path = s("path", { d, class: "pc-line", stroke: AL.color(i), "data-run": r.run_id });
      path.append(s("title", {}, r.name || r.run_id));
      svg.append(path);
      return { path, pts };
    });
    function refresh() {
      let shown = 0;
      lines.forEach((line) => {
        const ok = brushes.every((b, j) => !b || (line.pts[j] && line.pts[j][1] >= b[0] - 4 && line.pts[j][1] <= b[1] + 4));
        line.path.classList.toggle("dim", !ok);
        if (ok) shown++;
      });
      svg.setAttribute("data-shown", String(shown));
    }
    dims.forEach((d, j) => {
      const x = L + j * step, sc = scales[j];
      const g = s("g", { class: "axis", "data-dim": d });
      g.append(s("line", { x1: x, y1: T, x2: x, y2: H - B, stroke: "#555" }));
      g.append(s("text", { x, y: T - 10, "text-anchor": "middle", "font-weight": "600" }, d.replace(/^metric:/, "")));
      const ticks = sc.kind === "num" ? [sc.lo, sc.mid, sc.hi] : sc.cats;
      ticks.forEach((t) => g.append(s("text", { x: x + 5, y: sc.pos(t) + 4 }, sc.kind === "num" ? AL.fmtNum(t) : t)));
      const rect = s("rect", { class: "brush", x: x - 8, width: 16, y: 0, height: 0, hidden: "" });
      const hit = s("rect", { class: "hit", x: x - 12, y: T, width: 24, height: H - T - B, fill: "transparent", style: "cursor: crosshair" });
      hit.addEventListener("mousedown", (e) => {
        e.preventDefault();
        const top = svg.getBoundingClientRect().top, y0 = e.clientY - top;
        const move = (ev) => {
          const y1 = ev.clientY - top, a = Math.max(T, Math.min(y0, y1)), b = Math.min(H - B, Math.max(y0, y1));
          brushes[j] = b - a > 2 ? [a, b] : null;
          rect.setAttribute("y", a); rect.setAttribute("height", b - a);
          if (brushes[j]) rect.removeAttribute("hidden"); else rect.setAttribute("hidden", "");
          refresh();
        };
        const up = (ev) => { move(ev); window.removeEventListener("mousemove", move); window.removeEventListener("mouseup", up); };
        window.addEventListener("mousemove", move);
        window.addEventListener("mouseup", up);
      });
      g.append(rect, hit);
      svg.append(g);
    });
    refresh();
    return svg;
  };

  AL.renderCompareBody = async function (el, cmp, fetchSeries) {
    const metricSel = h("select", { id: "pc-metric" }, cmp.metrics.map((m) => h("option", { value: m }, m)));
    const preferred = cmp.metrics.find((m) => /test_score|val|eval/.test(m)) || cmp.metrics.find((m) => /acc|score|loss/.test(m));
    if (preferred) metricSel.value = preferred;
    const pcBox = h("div", { class: "pc card" });
    const drawPc = () => { pcBox.replaceChildren(AL.parallelCoordinates(cmp, metricSel.value)); };
    metricSel.addEventListener("change", drawPc);
    el.append(h("section", {}, h("h2", {}, "Parallel coordinates"), h("div", { class: "toolbar" }, "metric ", metricSel,
      h("span", { class: "muted" }, "drag along an axis to brush")), pcBox));
    drawPc();
    el.append(h("section", {}, h("h2", {}, "Params and metrics"), AL.diffTable(cmp)));
    const section = h("section", {}, h("h2", {}, "Metrics"));
    el.append(section);
    if (cmp.metrics.length) await AL.chartGrid(section, cmp.runs, cmp.metrics.slice(0, 24), fetchSeries);
  };

  AL.comparePage = async function (app, ids) {
    if (ids.length < 1) throw new Error("select runs to compare in the runs table");
    const cmp = await AL.api("compare?runs=" + ids.map(encodeURIComponent).join(","));
    app.append(h("h1", {}, "Compare " + cmp.runs.length + " runs"));
    await AL.renderCompareBody(app, cmp, (id, key) => AL.api(`runs/${encodeURIComponent(id)}/metric?key=${encodeURIComponent(key)}&points=1000`));
  };
})();
