"""``autolog report``: one self-contained HTML file showing runs, for a ticket or a paper.

The page inlines everything it needs: uPlot and its stylesheet, the UI's own scripts and styles,
and the data (each run's attributes, params, tags, latest metrics, plots as data, model cards,
the artifact list, and every metric series downsampled to min/max per pixel bucket). It opens
offline, from a file, in any browser; nothing is fetched.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import Any

from autolog.ui import artifacts, data
from autolog.ui.reader import StoreReader
from autolog.ui.server import STATIC_DIR, json_safe

#: Scripts inlined into a report, in order.
SCRIPTS = ("vendor/uPlot.iife.min.js", "util.js", "charts.js", "plots.js", "run.js", "compare.js", "report.js")
STYLES = ("vendor/uPlot.min.css", "app.css")
#: Buckets per series: a report chart keeps min and max per bucket.
REPORT_POINTS = 1000


def _read(name: str) -> str:
    with open(os.path.join(STATIC_DIR, *name.split("/")), encoding="utf-8") as fh:
        return fh.read()


def _script_text(text: str) -> str:
    """Text safe inside ``<script>``: no ``</script>`` or ``<!--`` can end or confuse it."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def report_data(reader: StoreReader, run_ids: Sequence[str]) -> dict[str, Any]:
    """Everything a report shows, as one JSON-ready dict; ``RunNotFound`` for an unknown run."""
    runs = []
    with reader.connection() as conn:
        dead = reader.dead_runs(conn)
        for run_id in run_ids:
            detail = data.run_detail(conn, run_id, dead=dead, artifacts_uri=reader.artifacts_uri)
            run_dir, root = reader.run_artifact_dir(run_id), reader.store.artifacts_root
            runs.append({
                "detail": detail,
                "series": {key: data.series(conn, run_id, key, REPORT_POINTS) for key in detail["metrics"]},
                "files": artifacts.tree(conn, run_id, run_dir, root),
                "models": artifacts.model_cards(conn, run_id, run_dir, root),
            })
        compare = data.compare(conn, run_ids, dead=dead, artifacts_uri=reader.artifacts_uri) if len(run_ids) > 1 else None
    return {"runs": runs, "compare": compare, "generated": time.time(), "store": reader.root}


def render(report: dict[str, Any], title: str) -> str:
    """The HTML page of a report built by :func:`report_data`."""
    import html

    payload = json.dumps(json_safe(report), separators=(",", ":"), allow_nan=False)
    styles = "\n".join(f"<style>{_read(name)}</style>" for name in STYLES)
    scripts = "\n".join(f"<script>{_script_text(_read(name))}</script>" for name in SCRIPTS)
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n{styles}\n</head>\n<body>\n"
        f"<header class=\"top\"><span class=\"brand\">autolog</span><span>{html.escape(title)}</span></header>\n"
        "<main id=\"app\"></main>\n"
        f"<script>window.AUTOLOG_REPORT = {_script_text(payload)};</script>\n{scripts}\n</body>\n</html>\n"
    )


def write_report(tracking_dir: str, run_ids: Sequence[str], output: str, title: str | None = None) -> str:
    """Write the report of ``run_ids`` to ``output`` (atomically) and return its path."""
    if not run_ids:
        raise ValueError("give at least one run id")
    reader = StoreReader(tracking_dir)
    try:
        report = report_data(reader, list(dict.fromkeys(run_ids)))
    finally:
        reader.close()
    names = ", ".join(run["detail"]["name"] or run["detail"]["run_id"][:8] for run in report["runs"])
    page = render(report, title or f"autolog report: {names}")
    output = os.path.abspath(output)
    temporary = f"{output}.autolog-tmp-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as fh:
        fh.write(page)
    os.replace(temporary, output)
    return output
