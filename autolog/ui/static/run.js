/* The run page: attributes, params, metrics, charts with live refresh, plots, artifacts, models. */
(function () {
  "use strict";
  const AL = (window.AL = window.AL || {});
  const h = (...a) => AL.h(...a);
  const POINTS = 1000, LIVE_MS = 1500;
  AL.live = { polls: 0 };

  /* Charts of ``keys`` for each of ``runs``; ``fetchSeries(runId, key)`` resolves to a series. */
  AL.chartGrid = async function (container, runs, keys, fetchSeries) {
    const opts = { x: "step", smoothing: 0, log: false };
    const grid = h("div", { class: "charts", id: "charts" });
    const charts = {};
    container.append(AL.chartControls(opts, (change) => { Object.assign(opts, change); Object.values(charts).forEach((c) => c.setOptions(change)); }), grid);
    await Promise.all(keys.map(async (key) => {
      const box = h("div", { class: "chart", "data-key": key });
      grid.append(box);
      try {
        const series = await Promise.all(runs.map(async (run, i) => {
          const s = await fetchSeries(run.run_id, key);
          return Object.assign(s, { label: runs.length > 1 ? run.name || run.run_id.slice(0, 8) : key, color: i, run_id: run.run_id });
        }));
        charts[key] = new AL.Chart(box, key, series.filter((s) => s.step.length || runs.length === 1), Object.assign({}, opts));
      } catch (e) {
        box.append(AL.error(key + ": " + e.message));
      }
    }));
    return charts;
  };

  AL.modelCard = function (m) {
    const sig = m.signature || {};
    const spec = (part) => {
      const p = sig[part];
      if (!p) return h("p", { class: "muted" }, "(none)");
      const rows = p.tensors || p.columns || p.inputs || [];
      if (!rows.length) return h("pre", {}, JSON.stringify(p, null, 1));
      return h("table", { class: "grid" }, h("thead", {}, h("tr", {}, h("th", {}, "name"), h("th", {}, "type"), h("th", {}, "shape"))),
        h("tbody", {}, rows.map((t) => h("tr", {}, h("td", {}, t.name ?? ""), h("td", {}, t.dtype || t.type || ""), h("td", {}, JSON.stringify(t.shape ?? ""))))));
    };
    const ex = m.input_example;
    let example = h("p", { class: "muted" }, "(none)");
    if (ex && ex.columns && ex.data) {
      example = h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ex.columns.map((c) => h("th", {}, c)))),
        h("tbody", {}, ex.data.map((r) => h("tr", {}, r.map((v) => h("td", { class: "num" }, AL.fmtNum(v)))))));
    } else if (ex) example = h("pre", {}, JSON.stringify(ex, null, 1));
    const versions = (m.versions || []).length
      ? h("ul", {}, m.versions.map((v) => h("li", {}, `${v.name} v${v.version}` + (v.aliases ? ` @${v.aliases}` : "") + (v.stage && v.stage !== "None" ? ` [${v.stage}]` : ""))))
      : h("p", { class: "muted" }, "not registered");
    return h("div", { class: "card model", "data-model": m.path }, h("h3", {}, `Model ${m.path} · ${m.flavor || "?"}`),
      h("b", {}, "Inputs"), spec("inputs"), h("b", {}, "Outputs"), spec("outputs"), h("b", {}, "Input example"), example,
      h("b", {}, "Requirements"), h("pre", {}, (m.requirements || []).join("\n") || "-"), h("b", {}, "Registry"), versions);
  };

  /* The run's header, tables, plots and charts (shared by the page and static reports). */
  AL.renderRunBody = async function (el, run, fetchSeries) {
    el.append(h("div", { class: "runhead" }, h("h1", {}, run.name || run.run_id, " ", AL.badge(run.status)),
      h("div", { class: "meta" }, h("span", {}, "id ", h("code", {}, run.run_id)), h("span", {}, "experiment ", run.experiment),
        h("span", {}, "started ", AL.fmtTime(run.start_time)), h("span", {}, "duration ", AL.fmtDuration(run.start_time, run.end_time) || "-"),
        run.parent_run_id ? h("span", {}, "parent ", h("a", { href: "#/run/" + run.parent_run_id }, run.parent_run_id.slice(0, 8))) : "")));
    const latest = {};
    Object.entries(run.metrics).forEach(([k, v]) => { latest[k] = v.value; });
    el.append(h("div", { class: "kv" }, h("div", { class: "card", id: "params" }, h("h3", {}, "Params (" + Object.keys(run.params).length + ")"), AL.kvTable(run.params)),
      h("div", { class: "card", id: "latest" }, h("h3", {}, "Metrics (latest)"), AL.kvTable(latest, AL.fmtNum)),
      h("div", { class: "card", id: "tags" }, h("h3", {}, "Tags"), AL.kvTable(run.tags))));
    if (run.children && run.children.length) {
      // a sweep's trials or a search's candidates: one click to compare them all (parallel coordinates)
      const compareAll = run.children.length > 1
        ? h("p", {}, h("a", { id: "compare-children", href: "#/compare/" + run.children.map((c) => c.run_id).join(",") },
          "Compare the " + run.children.length + " child runs (charts, parallel coordinates, diff)"))
        : "";
      el.append(h("section", {}, h("h2", {}, "Child runs"), compareAll, h("ul", {}, run.children.map((c) =>
        h("li", {}, h("a", { href: "#/run/" + c.run_id }, c.name || c.run_id), " ", AL.badge(c.status))))));
    }
    const plots = Object.entries(run.plots || {});
    if (plots.length) el.append(h("section", {}, h("h2", {}, "Plots"), h("div", { class: "plots", id: "plots" }, plots.map(([p, s]) => AL.renderPlot(p, s)))));
    const section = h("section", {}, h("h2", {}, "Metrics"));
    el.append(section);
    const keys = Object.keys(run.metrics).sort();
    if (!keys.length) section.append(h("p", { class: "muted" }, "no metrics logged"));
    return keys.length ? AL.chartGrid(section, [run], keys, fetchSeries) : {};
  };

  function artifactTree(files, onPick) {
    const root = {};
    files.forEach((f) => {
      const parts = f.path.split("/");
      let node = root;
      parts.slice(0, -1).forEach((p) => { node = node[p + "/"] = node[p + "/"] || {}; });
      node[parts[parts.length - 1]] = f;
    });
    const list = (node) => h("ul", {}, Object.keys(node).sort().map((k) => k.endsWith("/")
      ? h("li", {}, h("span", { class: "folder" }, k), list(node[k]))
      : h("li", { class: "file", "data-path": node[k].path, onclick: (e) => { e.currentTarget.parentNode.closest(".tree").querySelectorAll(".selected").forEach((x) => x.classList.remove("selected")); e.currentTarget.classList.add("selected"); onPick(node[k]); } },
        k, h("span", { class: "muted" }, " " + node[k].size + " B"))));
    return h("div", { class: "tree", id: "artifact-tree" }, list(root));
  }

  function csvTable(text) {
    const lines = text.split(/\r?\n/).filter((l) => l.length).slice(0, 201);
    const cells = (l) => l.split(",");
    return h("table", { class: "grid" }, h("thead", {}, h("tr", {}, cells(lines[0] || "").map((c) => h("th", {}, c)))),
      h("tbody", {}, lines.slice(1).map((l) => h("tr", {}, cells(l).map((c) => h("td", {}, c))))));
  }

  async function preview(box, runId, file) {
    box.innerHTML = "";
    const url = "/api/runs/" + encodeURIComponent(runId) + "/artifact?path=" + encodeURIComponent(file.path);
    const lower = file.path.toLowerCase();
    box.append(h("div", {}, h("b", {}, file.path), " ", h("a", { href: url, download: file.path.split("/").pop() }, "download")));
    if (/\.(png|jpe?g|gif|webp|bmp|svg)$/.test(lower)) { box.append(h("img", { src: url, alt: file.path })); return; }
    if (!/\.(txt|log|csv|tsv|json|md|ya?ml|py|cfg|ini|toml)$/.test(lower)) { box.append(h("p", { class: "muted" }, "no preview for this file type")); return; }
    const res = await fetch(url);
    const text = await res.text();
    if (!res.ok) { box.append(AL.error(JSON.parse(text).error)); return; }
    if (res.headers.get("X-Truncated") === "1") box.append(h("p", { class: "muted" }, "(first 2 MB)"));
    if (/\.(csv|tsv)$/.test(lower)) box.append(csvTable(lower.endsWith(".tsv") ? text.replace(/\t/g, ",") : text));
    else if (lower.endsWith(".json")) {
      let pretty = text;
      try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* shown as is */ }
      box.append(h("pre", { class: "json" }, pretty));
    } else box.append(h("pre", {}, text));
  }

  AL.runPage = async function (app, runId) {
    const run = await AL.api("runs/" + encodeURIComponent(runId));
    const fetchSeries = (id, key) => AL.api(`runs/${encodeURIComponent(id)}/metric?key=${encodeURIComponent(key)}&points=${POINTS}`);
    const liveNote = h("div", { class: "live", id: "live" });
    app.append(liveNote);
    const charts = await AL.renderRunBody(app, run, fetchSeries);
    const arts = await AL.api("runs/" + encodeURIComponent(runId) + "/artifacts");
    if (arts.models.length) app.append(h("section", {}, h("h2", {}, "Models"), h("div", { class: "kv" }, arts.models.map(AL.modelCard))));
    const box = h("div", { class: "card preview", id: "preview" }, h("p", { class: "muted" }, "pick a file"));
    app.append(h("section", {}, h("h2", {}, "Artifacts"), arts.files.length
      ? h("div", { class: "artifacts" }, h("div", { class: "card" }, artifactTree(arts.files, (f) => preview(box, runId, f))), box)
      : h("p", { class: "muted" }, "no artifacts")));
    if (run.status === "RUNNING") startLive(app, run, charts, liveNote);
  };

  /* Poll while the run is RUNNING: per metric, only the points after the cursor. */
  function startLive(app, run, charts, note) {
    let stopped = false, timer = null;
    AL.onLeave(() => { stopped = true; clearTimeout(timer); });
    note.textContent = "● live: refreshing every " + LIVE_MS / 1000 + " s";
    const tick = async () => {
      if (stopped) return;
      try {
        const fresh = await AL.api("runs/" + encodeURIComponent(run.run_id));
        for (const key of Object.keys(fresh.metrics)) {
          const chart = charts[key];
          if (!chart) {  // a metric that appeared since the page loaded
            const box = h("div", { class: "chart", "data-key": key });
            document.getElementById("charts").append(box);
            const s = await AL.api(`runs/${encodeURIComponent(run.run_id)}/metric?key=${encodeURIComponent(key)}&points=${POINTS}`);
            charts[key] = new AL.Chart(box, key, [Object.assign(s, { label: key, color: 0 })], Object.assign({}, Object.values(charts)[0]?.opts || { x: "step", smoothing: 0, log: false }));
            continue;
          }
          const cur = chart.series[0].cursor;
          const q = cur ? `&after_step=${cur[0]}&after_ts=${cur[1]}` : "";
          const s = await AL.api(`runs/${encodeURIComponent(run.run_id)}/metric?key=${encodeURIComponent(key)}&points=${POINTS}${q}`);
          chart.append(0, s);
        }
        const latest = {};
        Object.entries(fresh.metrics).forEach(([k, v]) => { latest[k] = v.value; });
        const card = document.getElementById("latest");
        if (card) card.replaceChildren(h("h3", {}, "Metrics (latest)"), AL.kvTable(latest, AL.fmtNum));
        AL.live.polls++;
        if (fresh.status !== "RUNNING") { note.textContent = "run " + fresh.status.toLowerCase() + ": live refresh stopped"; return; }
      } catch (e) {
        note.textContent = "live refresh: " + e.message;
      }
      timer = setTimeout(tick, LIVE_MS);
    };
    timer = setTimeout(tick, LIVE_MS);
  }
})();
