/* autolog ui: shared helpers (DOM building, formatting) and the API client. */
(function () {
  "use strict";
  const AL = (window.AL = window.AL || {});

  AL.h = function (tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  };

  AL.api = async function (path) {
    const res = await fetch("/api/" + path, { cache: "no-store" });
    let body;
    try { body = await res.json(); } catch (e) { body = { error: res.status + " " + res.statusText }; }
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  };

  AL.error = function (msg) { return AL.h("div", { class: "error" }, msg); };
  AL.fmtNum = function (v) {
    if (v === null || v === undefined) return "";
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 ? v.toExponential(4) : v.toPrecision(5).replace(/\.?0+$/, "");
  };
  AL.fmtTime = function (s) { return s ? new Date(s * 1000).toLocaleString() : "-"; };
  AL.fmtDuration = function (a, b) {
    if (!a || !b) return "";
    const s = b - a;
    return s < 60 ? s.toFixed(1) + " s" : s < 3600 ? (s / 60).toFixed(1) + " min" : (s / 3600).toFixed(1) + " h";
  };
  AL.badge = function (status) { return AL.h("span", { class: "badge " + status }, status); };
  AL.kvTable = function (obj, fmt) {
    const keys = Object.keys(obj || {}).sort();
    if (!keys.length) return AL.h("p", { class: "muted" }, "(none)");
    return AL.h("table", { class: "grid kvt" }, AL.h("tbody", {},
      keys.map((k) => AL.h("tr", {}, AL.h("td", {}, k), AL.h("td", { class: "num", title: String(obj[k]) }, fmt ? fmt(obj[k]) : obj[k])))));
  };
  AL.params = function () {
    const q = location.hash.split("?")[1] || "";
    return new URLSearchParams(q);
  };

  let stopCurrent = null;
  AL.onLeave = function (fn) { stopCurrent = fn; };
  AL.leave = function () {
    if (stopCurrent) { try { stopCurrent(); } catch (e) { /* page already gone */ } stopCurrent = null; }
  };
})();
