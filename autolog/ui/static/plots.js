/* scikit-learn plots drawn from their stored data (autolog.plot/1 specs) as SVG. */
(function () {
  "use strict";
  const AL = (window.AL = window.AL || {});
  const NS = "http://www.w3.org/2000/svg";
  function s(tag, attrs, text) {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    return el;
  }
  AL.svg = s;

  function confusion(spec) {
    const labels = spec.labels || [], counts = spec.counts || [], n = labels.length;
    const cell = Math.max(18, Math.min(56, Math.floor(300 / Math.max(n, 1)))), left = 70, top = 34;
    const size = left + n * cell + 20, svg = s("svg", { width: size, height: top + n * cell + 50, class: "confusion" });
    let max = 0;
    counts.forEach((r) => r.forEach((v) => { if (v > max) max = v; }));
    svg.append(s("text", { x: left, y: 18, "font-weight": "600" }, spec.title || "Confusion matrix"));
    for (let i = 0; i < n; i++) {
      svg.append(s("text", { x: left - 6, y: top + i * cell + cell / 2 + 4, "text-anchor": "end" }, labels[i]));
      svg.append(s("text", { x: left + i * cell + cell / 2, y: top + n * cell + 14, "text-anchor": "middle" }, labels[i]));
      for (let j = 0; j < n; j++) {
        const v = (counts[i] || [])[j] || 0, t = max ? v / max : 0;
        const fill = `rgb(${Math.round(240 - 200 * t)},${Math.round(245 - 150 * t)},${Math.round(255 - 90 * t)})`;
        svg.append(s("rect", { x: left + j * cell, y: top + i * cell, width: cell, height: cell, fill, stroke: "#fff", class: "cell" }));
        if (n <= 15) svg.append(s("text", { x: left + j * cell + cell / 2, y: top + i * cell + cell / 2 + 4, "text-anchor": "middle",
          fill: t > 0.5 ? "#fff" : "#222" }, Number.isInteger(v) ? v : v.toFixed(2)));
      }
    }
    svg.append(s("text", { x: left + (n * cell) / 2, y: top + n * cell + 34, "text-anchor": "middle", fill: "#555" }, "Predicted label"));
    return svg;
  }

  function curve(spec) {
    const W = 340, H = 280, L = 46, B = 40, T = 26, R = 12, xs = spec.x || [], ys = spec.y || [];
    let lim = spec.limits;
    if (!lim) {
      const all = xs.concat(ys).filter((v) => v !== null);
      lim = [Math.min(...all), Math.max(...all)];
    }
    const [lo, hi] = lim, span = hi - lo || 1;
    const px = (v) => L + ((v - lo) / span) * (W - L - R), py = (v) => H - B - ((v - lo) / span) * (H - B - T);
    const svg = s("svg", { width: W, height: H, class: "curve" });
    svg.append(s("text", { x: L, y: 16, "font-weight": "600" }, spec.title || ""));
    svg.append(s("rect", { x: L, y: T, width: W - L - R, height: H - B - T, fill: "none", stroke: "#bbb" }));
    for (let k = 0; k <= 4; k++) {
      const v = lo + (span * k) / 4;
      svg.append(s("text", { x: px(v), y: H - B + 14, "text-anchor": "middle" }, +v.toFixed(2)));
      svg.append(s("text", { x: L - 4, y: py(v) + 4, "text-anchor": "end" }, +v.toFixed(2)));
    }
    if (spec.diagonal) svg.append(s("line", { x1: px(lo), y1: py(lo), x2: px(hi), y2: py(hi), stroke: "#999", "stroke-dasharray": "4 3" }));
    let d = "";
    xs.forEach((x, i) => {
      if (ys[i] === null || x === null) return;
      if (!d) d = `M${px(x)},${py(ys[i])}`;
      else if (spec.step) d += `H${px(x)}V${py(ys[i])}`;
      else d += `L${px(x)},${py(ys[i])}`;
    });
    svg.append(s("path", { d, fill: "none", stroke: "#2f6fde", "stroke-width": 2, class: "curve-line" }));
    svg.append(s("text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle", fill: "#555" }, spec.x_label || ""));
    const yl = s("text", { x: 12, y: (T + H - B) / 2, "text-anchor": "middle", fill: "#555", transform: `rotate(-90 12 ${(T + H - B) / 2})` }, spec.y_label || "");
    svg.append(yl);
    if (spec.label) svg.append(s("text", { x: W - R - 6, y: H - B - 8, "text-anchor": "end" }, spec.label));
    return svg;
  }

  AL.renderPlot = function (path, spec) {
    const box = AL.h("div", { class: "card plot", "data-plot": path });
    try {
      if (spec.type === "confusion_matrix") box.append(confusion(spec));
      else if (spec.type === "curve") box.append(curve(spec));
      else box.append(AL.h("pre", {}, JSON.stringify(spec, null, 1)));
    } catch (e) {
      box.append(AL.error("cannot draw " + path + ": " + e.message));
    }
    box.append(AL.h("div", { class: "muted" }, path));
    return box;
  };
})();
