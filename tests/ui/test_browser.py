"""The web UI in a real headless Chromium (Selenium) against ``autolog ui`` in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from typing import Any

import autolog


def wait_for(check, timeout: float = 20.0, what: str = "the page") -> Any:
    """Poll ``check()`` until it returns something truthy (guards a hang; asserts nothing on time)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # the element is not there yet
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}: last saw {last!r}")


def open_page(browser, url: str) -> None:
    browser.get("about:blank")
    browser.get(url)
    wait_for(lambda: browser.execute_script("return document.body.getAttribute('data-ready')"), what=url)


def js(browser, script: str, *args: Any) -> Any:
    return browser.execute_script(script, *args)


def table_runs(browser) -> list[str]:
    return js(browser, "return [...document.querySelectorAll('#runs tbody tr:not([hidden])')].map(r => r.dataset.run)")


def test_runs_table_shows_nested_children_sorts_and_filters(browser, ui, ui_store, screenshot):
    _, ids = ui_store
    open_page(browser, ui.url + "/#/?experiment=Default")
    wait_for(lambda: table_runs(browser), what="the runs table")
    assert set(table_runs(browser)) == {ids["logreg"], ids["search"]}
    toggle = browser.find_element("css selector", f'tr[data-run="{ids["search"]}"] .toggle')
    toggle.click()
    children = js(browser, f"return [...document.querySelectorAll('tr[data-parent=\"{ids['search']}\"]:not([hidden])')].length")
    assert children == 5  # the 5 best of 6 candidates
    assert js(browser, "return document.querySelectorAll('#runs .badge.FINISHED').length") == 7
    screenshot("runs-table")
    # choose the C param column, then sort by it (server side) both ways
    browser.find_element("id", "columns").click()
    js(browser, "const c = document.querySelector('input[data-kind=params][data-key=C]'); if (!c.checked) c.click()")
    wait_for(lambda: browser.find_elements("css selector", "th[data-param=C]"), what="the C column")
    js(browser, "const b = document.querySelector('input[data-kind=params][data-key=best_C]'); if (b.checked) b.click()")
    wait_for(lambda: not browser.find_elements("css selector", "th[data-param=best_C]"), what="best_C to go")
    browser.find_element("css selector", "th[data-param=C]").click()
    wait_for(lambda: "sorted-desc" in browser.find_element("css selector", "th[data-param=C]").get_attribute("class"))
    browser.find_element("css selector", f'tr[data-run="{ids["search"]}"] .toggle').click()
    c_values = js(browser, "const i = [...document.querySelectorAll('#runs th')].findIndex(t => t.dataset.param === 'C');"
                  "return [...document.querySelectorAll('#runs tbody tr.child')].map(r => r.children[i].textContent)")
    assert c_values == ["100.0", "100.0", "1.0", "1.0", "0.01"]  # children sorted like their parents (string order)
    # filter
    box = browser.find_element("id", "filter")
    box.clear()
    box.send_keys("params.C = '1.0'\n")
    wait_for(lambda: browser.find_element("id", "count").text == "3 runs" or None, what="the filtered table")
    shown = table_runs(browser)  # the plain fit, and the 2 candidates with C = 1.0 (their parent does not match)
    assert len(shown) == 3 and ids["logreg"] in shown and ids["search"] not in shown


def test_a_bad_filter_shows_its_message_inline(browser, ui):
    open_page(browser, ui.url + "/#/")
    box = browser.find_element("id", "filter")
    box.send_keys("metrics.acc >> 0.5\n")
    message = wait_for(lambda: browser.find_element("css selector", "#filter-error .error").text, what="the error")
    assert "position" in message and "metrics.acc" in message
    # the server still serves: a good filter works afterwards
    box.clear()
    box.send_keys("params.optimizer = 'adam'\n")
    wait_for(lambda: len(table_runs(browser)) == 1 and not browser.find_elements("css selector", "#filter-error .error"))


def chart_info(browser) -> list[dict]:
    return js(browser, "return AL.charts.map(c => ({title: c.title, series: c.plot.series.length - 1,"
                       " canvas: !!c.box.querySelector('canvas'), points: +c.box.dataset.points}))")


def test_run_page_draws_charts_smoothing_log_scale_plots_and_models(browser, ui, ui_store, screenshot):
    _, ids = ui_store
    open_page(browser, ui.url + f"/#/run/{ids['manual']}")
    charts = wait_for(lambda: chart_info(browser), what="charts")
    assert {c["title"]: (c["series"], c["canvas"], c["points"]) for c in charts} == {"acc": (1, True, 300), "loss": (1, True, 300)}
    js(browser, "const s = document.getElementById('smoothing'); s.value = '0.9'; s.dispatchEvent(new Event('input'))")
    assert [c["series"] for c in chart_info(browser)] == [2, 2]  # raw (faded) and smoothed
    screenshot("run-page")
    # zoom: drag across the first chart narrows its x range; double-click restores it
    from selenium.webdriver.common.action_chains import ActionChains

    span = "const x = AL.charts[0].plot.scales.x; return x.max - x.min"
    full_span = js(browser, span)
    over = js(browser, "return AL.charts[0].plot.over")
    ActionChains(browser).move_to_element_with_offset(over, -100, 0).pause(0.2).click_and_hold().pause(0.2) \
        .move_by_offset(40, 0).pause(0.2).move_by_offset(40, 0).pause(0.2).release().perform()  # at a hand's pace
    assert wait_for(lambda: js(browser, span) < full_span / 3, what="the zoom")
    ActionChains(browser).double_click(over).perform()
    assert wait_for(lambda: js(browser, span) >= full_span, what="the zoom reset")
    browser.find_element("id", "logscale").click()
    assert js(browser, "return AL.charts.every(c => c.plot.scales.y.distr === 3)")
    js(browser, "const x = document.getElementById('xaxis'); x.value = 'time'; x.dispatchEvent(new Event('change'))")
    assert js(browser, "return AL.charts.every(c => c.plot.scales.x.time === true)")
    # artifact previews: csv as a table, json pretty-printed, image shown
    browser.find_element("css selector", '[data-path="files/table.csv"]').click()
    cells = wait_for(lambda: [td.text for td in browser.find_elements("css selector", "#preview td")], what="csv preview")
    assert cells == ["1", "2", "3", "4"]
    browser.find_element("css selector", '[data-path="files/config.json"]').click()
    assert '"layers": 2' in wait_for(lambda: browser.find_element("css selector", "#preview pre.json").text)
    browser.find_element("css selector", '[data-path="files/image.png"]').click()
    assert wait_for(lambda: js(browser, "const i = document.querySelector('#preview img'); return i && i.complete && i.naturalWidth")) == 24
    # the sklearn run: plots drawn from data, model card with signature and input example
    open_page(browser, ui.url + f"/#/run/{ids['logreg']}")
    cells = js(browser, "return document.querySelectorAll('#plots svg.confusion rect.cell').length")
    assert cells == 9  # iris: 3 x 3
    model = browser.find_element("css selector", '.model[data-model="model"]').text
    assert "sklearn" in model and "float64" in model and "5.1" in model
    screenshot("run-sklearn")


def test_trainer_run_page_charts_its_logged_metrics(browser, ui, ui_store):
    _, ids = ui_store
    open_page(browser, ui.url + f"/#/run/{ids['trainer']}")
    charts = {c["title"]: c for c in wait_for(lambda: chart_info(browser), what="charts")}
    assert charts["loss"]["points"] == 8 and charts["loss"]["canvas"] and charts["loss"]["series"] == 1
    assert "learning_rate" in charts


def test_compare_view_overlays_runs_and_parallel_coordinates_brush(browser, ui, ui_store, screenshot):
    _, ids = ui_store
    open_page(browser, ui.url + "/#/?experiment=Default")
    wait_for(lambda: table_runs(browser))
    js(browser, f"document.querySelectorAll('tr[data-parent=\"{ids['search']}\"] input.select').forEach(b => b.click())")
    button = browser.find_element("id", "compare")
    assert button.is_enabled() and "(5)" in button.text
    button.click()
    wait_for(lambda: browser.find_elements("css selector", "#parcoords"), what="parallel coordinates")
    wait_for(lambda: chart_info(browser), what="charts")
    lines = browser.find_elements("css selector", "#parcoords path.pc-line")
    assert len(lines) == 5
    axes = [g.get_attribute("data-dim") for g in browser.find_elements("css selector", "#parcoords g.axis")]
    assert "C" in axes and "fit_intercept" in axes and axes[-1].startswith("metric:")
    assert all(c["series"] == 5 for c in chart_info(browser))  # each metric overlays the 5 runs
    # brush the top of the C axis: only the runs with the largest C stay highlighted
    from selenium.webdriver.common.action_chains import ActionChains

    hit = browser.find_elements("css selector", "#parcoords g.axis rect.hit")[axes.index("C")]
    ActionChains(browser).move_to_element_with_offset(hit, 0, -int(hit.size["height"] / 2) + 2).click_and_hold() \
        .move_by_offset(0, 30).release().perform()
    shown = int(browser.find_element("id", "parcoords").get_attribute("data-shown"))
    assert shown == 2  # only the C = 100 runs sit at the top of the C axis
    assert len(browser.find_elements("css selector", "#parcoords path.pc-line.dim")) == 3
    # the diff: "differences only" hides rows equal in every run
    rows = lambda: [r for r in browser.find_elements("css selector", "#diff tbody tr") if r.is_displayed()]  # noqa: E731
    everything = len(rows())
    browser.find_element("id", "diff-only").click()
    shown_keys = [r.get_attribute("data-key") for r in rows()]
    assert "params.C" in shown_keys and "params.max_iter" not in shown_keys and len(shown_keys) < everything
    screenshot("compare")


def test_a_parent_run_page_compares_all_its_children_in_one_click(browser, ui, ui_store):
    """A sweep's parent (here a search's) links to the compare view of all its trials."""
    _, ids = ui_store
    open_page(browser, ui.url + f"/#/run/{ids['search']}")
    link = wait_for(lambda: browser.find_element("id", "compare-children"), what="the compare-children link")
    assert "Compare the 5 child runs" in link.text
    link.click()
    wait_for(lambda: browser.find_elements("css selector", "#parcoords"), what="parallel coordinates")
    assert len(browser.find_elements("css selector", "#parcoords path.pc-line")) == 5


def test_live_refresh_shows_a_point_logged_after_the_page_loaded(browser, ui, ui_store):
    directory, _ = ui_store
    autolog.autolog(tracking_dir=directory, backends=["local"])
    with autolog.run(experiment="live", name="still-training") as run:
        for step in range(5):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        autolog.flush()
        open_page(browser, ui.url + f"/#/run/{run.run_id}")
        assert "live" in wait_for(lambda: browser.find_element("id", "live").text)
        assert wait_for(lambda: chart_info(browser))[0]["points"] == 5
        run.log_metric("loss", 0.01, step=5)
        autolog.flush()
        wait_for(lambda: chart_info(browser)[0]["points"] == 6 or None, what="the new point")
        last = js(browser, "const s = AL.charts[0].series[0]; return [s.step[s.step.length - 1], s.value[s.value.length - 1]]")
        assert last == [5, 0.01]
    autolog.flush()
    wait_for(lambda: "stopped" in browser.find_element("id", "live").text, what="live refresh to stop")


def test_bad_inputs_show_their_message(browser, ui, start_ui, tmp_path):
    open_page(browser, ui.url + "/#/run/no-such-run")
    assert "no run with id 'no-such-run'" in browser.find_element("css selector", "#app .error").text
    browser.get(ui.url + "/api/runs/x/artifact?path=../../autolog.db")
    assert "not allowed" in browser.find_element("tag name", "body").text
    empty = start_ui(str(tmp_path))
    open_page(browser, empty.url + "/#/")
    assert "no autolog store" in browser.find_element("css selector", "#app .error").text


def test_report_is_one_self_contained_file_that_draws_offline(browser, ui_store, tmp_path, screenshot):
    directory, ids = ui_store
    output = tmp_path / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "autolog.cli", "report", ids["manual"], ids["logreg"], "-o", str(output), "--dir", directory],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    page = output.read_text()
    assert "<script src" not in page and "<link" not in page  # every script and style is inline
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)  # nothing to fetch from a network
    open_page(browser, output.as_uri())
    charts = chart_info(browser)
    titles = [c["title"] for c in charts]
    assert titles.count("loss") == 2  # the compare section overlays, then the run's own chart
    assert all(c["canvas"] for c in charts)
    assert browser.find_elements("css selector", "#parcoords path.pc-line")
    assert js(browser, "return document.querySelectorAll('svg.confusion rect.cell').length") == 9
    screenshot("report")
    unknown = subprocess.run([sys.executable, "-m", "autolog.cli", "report", "nope", "-o", str(tmp_path / "x.html"), "--dir", directory],
                             capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 1 and "nope" in unknown.stderr and not os.path.exists(tmp_path / "x.html")
