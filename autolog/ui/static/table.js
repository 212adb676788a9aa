/* The experiments list and the runs table: chosen columns, server-side sort and filter, nesting. */
(function () {
  "use strict";
  const AL = (window.AL = window.AL || {});
  const h = (...a) => AL.h(...a);
  const quote = (k) => "`" + k.replace(/`/g, "") + "`";
  const PAGE = 100;

  function chosen(experiment, available) {
    try {
      const saved = JSON.parse(localStorage.getItem("autolog.columns." + (experiment || "*")) || "null");
      if (saved) return saved;
    } catch (e) { /* no storage: defaults */ }
    return { params: available.suggested.params.slice(), metrics: available.suggested.metrics.slice() };
  }

  AL.runsPage = async function (app, query) {
    const experiment = query.get("experiment") || "";
    const state = { filter: query.get("filter") || "", order: query.get("order") || "", offset: 0, runs: [], selected: new Set() };
    const [exps, available] = await Promise.all([AL.api("experiments"), AL.api("columns?experiment=" + encodeURIComponent(experiment))]);
    let cols = chosen(experiment, available);
    const link = (params) => "#/?" + new URLSearchParams(Object.assign({ experiment, filter: state.filter, order: state.order }, params)).toString();

    const side = h("div", { class: "side" }, h("h3", {}, "Experiments"), h("ul", { id: "experiments" },
      h("li", {}, h("a", { href: link({ experiment: "" }), class: experiment ? "" : "active" }, h("span", {}, "All"), h("span", { class: "muted" }, exps.reduce((n, e) => n + e.runs, 0)))),
      exps.map((e) => h("li", {}, h("a", { href: link({ experiment: e.name }), class: e.name === experiment ? "active" : "", "data-experiment": e.name },
        h("span", {}, e.name), h("span", { class: "muted" }, e.runs, e.running ? " ●" : ""))))));

    const filterBox = h("input", { type: "text", id: "filter", value: state.filter, placeholder: "metrics.accuracy > 0.9 and params.model = 'x'",
      onkeydown: (e) => { if (e.key === "Enter") apply(); } });
    const errorBox = h("div", { id: "filter-error" });
    const compareBtn = h("button", { id: "compare", disabled: true, onclick: () => { location.hash = "#/compare/" + [...state.selected].join(","); } }, "Compare");
    const menu = h("div", { class: "menu", hidden: true, id: "column-menu" });
    const colsBtn = h("button", { id: "columns", onclick: () => { menu.hidden = !menu.hidden; } }, "Columns");
    const count = h("span", { class: "muted", id: "count" });
    const table = h("table", { class: "grid", id: "runs" });
    const more = h("button", { id: "more", hidden: true, onclick: () => load(true) }, "Load more");
    app.append(h("div", { class: "layout" }, side, h("div", {},
      h("div", { class: "toolbar" }, filterBox, h("button", { class: "primary", id: "search", onclick: apply }, "Search"),
        h("span", { class: "cols" }, colsBtn, menu), compareBtn, count),
      errorBox, h("div", { class: "tablewrap" }, table), h("p", {}, more))));

    function buildMenu() {
      menu.innerHTML = "";
      const box = (kind, key) => h("label", {}, h("input", { type: "checkbox", "data-kind": kind, "data-key": key, checked: cols[kind].includes(key),
        onchange: (e) => {
          cols[kind] = e.target.checked ? [...cols[kind], key] : cols[kind].filter((k) => k !== key);
          try { localStorage.setItem("autolog.columns." + (experiment || "*"), JSON.stringify(cols)); } catch (err) { /* ignore */ }
          load(false);
        } }), " ", key);
      menu.append(...[h("b", {}, "Metrics"), available.metrics.map((k) => box("metrics", k)), h("b", {}, "Params"), available.params.map((k) => box("params", k))].flat());
    }
    function apply() {
      state.filter = filterBox.value;
      history.replaceState(null, "", link({}));
      load(false);
    }
    function sortBy(key) {
      const [cur, dir] = state.order.split(" ");
      state.order = cur === key && dir === "DESC" ? key + " ASC" : key + " DESC";
      history.replaceState(null, "", link({}));
      load(false);
    }
    function header() {
      const [cur, dir] = state.order.split(" ");
      const th = (label, key, attrs) => h("th", Object.assign({ class: "sortable" + (cur === key ? (dir === "ASC" ? " sorted-asc" : " sorted-desc") : ""),
        "data-sort": key, onclick: () => sortBy(key) }, attrs || {}), label);
      return h("thead", {}, h("tr", {}, h("th", {}), th("Run", "attributes.run_name"), th("Status", "attributes.status"),
        th("Started", "attributes.start_time"), h("th", {}, "Duration"),
        cols.params.map((k) => th(k, "params." + quote(k), { "data-param": k })),
        cols.metrics.map((k) => th(k, "metrics." + quote(k), { "data-metric": k }))));
    }
    function row(run, child) {
      const tr = h("tr", { class: child ? "child" : "", "data-run": run.run_id, "data-parent": run.parent_run_id || "" });
      const check = h("input", { type: "checkbox", class: "select", checked: state.selected.has(run.run_id), onchange: (e) => {
        if (e.target.checked) state.selected.add(run.run_id); else state.selected.delete(run.run_id);
        compareBtn.disabled = state.selected.size < 2;
        compareBtn.textContent = "Compare" + (state.selected.size ? " (" + state.selected.size + ")" : "");
      } });
      const kids = (run.child_runs || []).length;
      const toggle = kids ? h("span", { class: "toggle", title: kids + " child runs", onclick: (e) => {
        const open = e.target.textContent === "▸";
        e.target.textContent = open ? "▾" : "▸";
        table.querySelectorAll(`tr[data-parent="${run.run_id}"]`).forEach((r) => { r.hidden = !open; });
      } }, "▸") : h("span", { class: "toggle" }, "");
      tr.append(...[h("td", {}, check), h("td", { class: "name" }, child ? "" : toggle, h("a", { href: "#/run/" + encodeURIComponent(run.run_id) }, run.name || run.run_id.slice(0, 8)),
        kids ? h("span", { class: "muted" }, " (" + kids + ")") : ""),
        h("td", {}, AL.badge(run.status)), h("td", {}, AL.fmtTime(run.start_time)), h("td", {}, AL.fmtDuration(run.start_time, run.end_time)),
        cols.params.map((k) => h("td", { title: run.params[k] ?? "" }, run.params[k] ?? "")),
        cols.metrics.map((k) => h("td", { class: "num" }, AL.fmtNum(run.metrics[k])))].flat());
      return tr;
    }
    async function load(append) {
      if (!append) { state.offset = 0; state.runs = []; }
      const q = new URLSearchParams({ filter: state.filter, params: cols.params.join(","), metrics: cols.metrics.join(","),
        offset: String(state.offset), limit: String(PAGE) });
      if (experiment) q.set("experiment", experiment);
      if (state.order) q.set("order_by", state.order);
      errorBox.innerHTML = "";
      let page;
      try {
        page = await AL.api("runs?" + q.toString());
      } catch (e) {
        errorBox.append(AL.error(e.message));
        return;
      }
      state.runs = state.runs.concat(page.runs);
      state.offset += page.runs.length;
      table.innerHTML = "";
      const body = h("tbody");
      for (const run of state.runs) {
        body.append(row(run, false));
        for (const child of run.child_runs || []) { const r = row(child, true); r.hidden = true; body.append(r); }
      }
      table.append(header(), body);
      count.textContent = page.total + " run" + (page.total === 1 ? "" : "s");
      more.hidden = state.offset >= page.total;
      document.body.setAttribute("data-loaded", String(Date.now()));
    }
    buildMenu();
    await load(false);
  };
})();
