/* A static report: the data is embedded in the page (window.AUTOLOG_REPORT), nothing is fetched. */
(function () {
  "use strict";
  const AL = (window.AL = window.AL || {});
  const h = (...a) => AL.h(...a);
  window.addEventListener("DOMContentLoaded", async () => {
    const data = window.AUTOLOG_REPORT;
    const app = document.getElementById("app");
    const byRun = {};
    data.runs.forEach((r) => { byRun[r.detail.run_id] = r; });
    const fetchSeries = async (id, key) => {
      const s = (byRun[id] && byRun[id].series[key]) || { step: [], value: [], timestamp: [] };
      return { key, step: s.step.slice(), value: s.value.slice(), timestamp: s.timestamp.slice(), downsampled: s.downsampled };
    };
    app.append(h("p", { class: "muted" }, `autolog report · ${data.runs.length} run(s) · generated ${new Date(data.generated * 1000).toLocaleString()} from ${data.store}`));
    if (data.compare) {
      const box = h("div", { id: "compare-section" }, h("h1", {}, "Compare " + data.compare.runs.length + " runs"));
      app.append(box);
      await AL.renderCompareBody(box, data.compare, fetchSeries);
    }
    for (const r of data.runs) {
      const box = h("div", { class: "report-run", id: "run-" + r.detail.run_id });
      app.append(h("hr"), box);
      await AL.renderRunBody(box, r.detail, fetchSeries);
      if (r.models.length) box.append(h("section", {}, h("h2", {}, "Models"), h("div", { class: "kv" }, r.models.map(AL.modelCard))));
      if (r.files.length) box.append(h("section", {}, h("h2", {}, "Artifacts"), h("table", { class: "grid" }, h("tbody", {},
        r.files.map((f) => h("tr", {}, h("td", {}, f.path), h("td", { class: "num" }, f.size + " B")))))));
    }
    document.body.setAttribute("data-ready", String(Date.now()));
  });
})();
