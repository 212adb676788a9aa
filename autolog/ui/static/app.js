/* autolog ui: the hash router (#/ runs, #/run/ID, #/compare/ID,ID). */
(function () {
  "use strict";
  const AL = window.AL;
  async function route() {
    AL.leave();
    AL.charts = [];
    const app = document.getElementById("app");
    app.innerHTML = "";
    const hash = location.hash.replace(/^#/, "") || "/";
    const path = hash.split("?")[0];
    try {
      if (path.startsWith("/run/")) await AL.runPage(app, decodeURIComponent(path.slice(5)));
      else if (path.startsWith("/compare/")) await AL.comparePage(app, decodeURIComponent(path.slice(9)).split(",").filter(Boolean));
      else await AL.runsPage(app, AL.params());
    } catch (e) {
      app.appendChild(AL.error(e.message));
    }
    document.body.setAttribute("data-ready", String(Date.now()));
  }
  AL.route = route;
  window.addEventListener("hashchange", route);
  window.addEventListener("DOMContentLoaded", route);
})();
