"""What the UI's JSON endpoints answer: experiments, the runs table, one run, series, comparisons.

Plain functions over a read-only connection (see :mod:`autolog.ui.reader`). The runs table is
one SQL query built from the store's filter grammar (:mod:`autolog.store.filter`, so a bad filter
raises its positional ``ValueError``), fetching only the page shown and only the columns chosen.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from autolog.store import queries
from autolog.store.entities import RunNotFound
from autolog.store.filter import filter_to_sql, order_to_sql, parse_filter, parse_order_by
from autolog.ui.series import SeriesCache, metric_series

#: Most runs on one page of the runs table.
MAX_PAGE = 1000
_RUN_FIELDS = "r.run_pk, r.run_id, e.name, r.name, r.status, r.start_time, r.end_time, r.parent_run_id"
_FROM = "runs r JOIN experiments e ON e.experiment_id = r.experiment_id"
#: Metrics shown first by default: scores and losses.
_PREFERRED = re.compile(r"test_score|accuracy|acc\b|f1|auc|loss|score", re.IGNORECASE)


def experiments(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every experiment with its run count, last start time and how many runs are RUNNING."""
    rows = conn.execute(
        "SELECT e.name, COUNT(r.run_pk), MAX(r.start_time), SUM(r.status = 'RUNNING') "
        "FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.experiment_id "
        "GROUP BY e.experiment_id ORDER BY e.name"
    )
    return [{"name": name, "runs": count, "last_start": last, "running": running or 0}
            for name, count, last, running in rows]


def column_keys(conn: sqlite3.Connection, experiment: str | None) -> dict[str, Any]:
    """The param and metric keys runs of ``experiment`` (all when None) have: the table's columns,
    and the default choice (``suggested``): scores and losses first, params whose value varies."""
    scope = "" if not experiment else (
        " WHERE x.run_pk IN (SELECT r.run_pk FROM runs r JOIN experiments e "
        "ON e.experiment_id = r.experiment_id WHERE e.name = ?)"
    )
    args = [experiment] if experiment else []
    metric_counts = conn.execute(f"SELECT x.key, COUNT(*) FROM latest_metrics x{scope} GROUP BY x.key ORDER BY 1", args).fetchall()
    param_counts = conn.execute(
        f"SELECT x.key, COUNT(*), COUNT(DISTINCT x.value) FROM params x{scope} GROUP BY x.key ORDER BY 1", args
    ).fetchall()
    favoured = [k for k, _ in sorted(metric_counts, key=lambda kc: (not _PREFERRED.search(kc[0]), -kc[1], kc[0]))]
    varying = [k for k, _n, _d in sorted((p for p in param_counts if p[2] > 1), key=lambda p: (-p[1], p[2], p[0]))]
    return {
        "metrics": [k for k, _ in metric_counts], "params": [k for k, *_ in param_counts],
        "suggested": {"metrics": favoured[:4], "params": varying[:3]},
    }


def _values(conn: sqlite3.Connection, table: str, pks: list[int], keys: Sequence[str]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {pk: {} for pk in pks}
    if not keys or not pks:
        return out
    rows = conn.execute(
        f"SELECT run_pk, key, value FROM {table} WHERE run_pk IN (SELECT value FROM json_each(?)) "
        "AND key IN (SELECT value FROM json_each(?))",
        (json.dumps(pks), json.dumps(list(keys))),
    )
    for pk, key, value in rows:
        out[pk][key] = value
    return out


def _rows(conn: sqlite3.Connection, rows: list[tuple], params: Sequence[str], metrics: Sequence[str],
          dead: set[str]) -> list[dict[str, Any]]:
    pks = [row[0] for row in rows]
    param_values = _values(conn, "params", pks, params)
    metric_values = _values(conn, "latest_metrics", pks, metrics)
    children = dict(conn.execute(
        "SELECT parent_run_id, COUNT(*) FROM runs WHERE parent_run_id IN (SELECT value FROM json_each(?)) "
        "GROUP BY parent_run_id", (json.dumps([row[1] for row in rows]),)
    ).fetchall()) if rows else {}
    return [
        {
            "run_id": run_id, "experiment": experiment, "name": name,
            "status": "KILLED" if status == "RUNNING" and run_id in dead else status,
            "start_time": start, "end_time": end, "parent_run_id": parent,
            "children": children.get(run_id, 0),
            "params": param_values[pk], "metrics": metric_values[pk],
        }
        for pk, run_id, experiment, name, status, start, end, parent in rows
    ]


def runs_table(
    conn: sqlite3.Connection,
    *,
    experiment: str | None = None,
    filter_string: str = "",
    order_by: Sequence[str] = (),
    params: Sequence[str] = (),
    metrics: Sequence[str] = (),
    offset: int = 0,
    limit: int = 100,
    dead: set[str] | frozenset[str] = frozenset(),
    artifacts_uri: str = "",
) -> dict[str, Any]:
    """One page of the runs table: the top-level runs matching the filter (a run whose parent
    also matches is nested under it instead), each with its matching children; ``total`` counts
    the top-level matches. ``ValueError`` for a malformed filter or order."""
    limit = max(1, min(int(limit), MAX_PAGE))
    clauses, order_keys = parse_filter(filter_string), parse_order_by(list(order_by))
    where, where_args = filter_to_sql(clauses, artifacts_uri=artifacts_uri)
    order, order_args = order_to_sql(order_keys, artifacts_uri=artifacts_uri)
    scope, scope_args = "", []
    if experiment:
        scope, scope_args = " AND e.name = ?", [experiment]
    matching = f"SELECT r.run_id FROM {_FROM} WHERE {where}{scope}"
    if clauses:
        top = f"(r.parent_run_id IS NULL OR r.parent_run_id NOT IN ({matching}))"
        top_args = [*where_args, *scope_args]
    else:  # every run matches: top-level are those without a parent in the store
        top = "(r.parent_run_id IS NULL OR NOT EXISTS (SELECT 1 FROM runs p WHERE p.run_id = r.parent_run_id))"
        top_args = []
    base = f"FROM {_FROM} WHERE {where}{scope} AND {top}"
    args = [*where_args, *scope_args, *top_args]
    rows = conn.execute(f"SELECT {_RUN_FIELDS} {base} ORDER BY {order} LIMIT ? OFFSET ?",
                        [*args, *order_args, limit, max(0, int(offset))]).fetchall()
    total = conn.execute(f"SELECT COUNT(*) {base}", args).fetchone()[0]
    runs = _rows(conn, rows, params, metrics, set(dead))
    parents = [run["run_id"] for run in runs if run["children"]]
    if parents:
        child_rows = conn.execute(
            f"SELECT {_RUN_FIELDS} FROM {_FROM} WHERE {where}{scope} AND r.parent_run_id IN "
            f"(SELECT value FROM json_each(?)) ORDER BY {order}",
            [*where_args, *scope_args, json.dumps(parents), *order_args],
        ).fetchall()
        by_parent: dict[str, list[dict[str, Any]]] = {}
        for child in _rows(conn, child_rows, params, metrics, set(dead)):
            by_parent.setdefault(child["parent_run_id"], []).append(child)
        for run in runs:
            run["child_runs"] = by_parent.get(run["run_id"], [])
    return {"runs": runs, "total": total, "offset": offset, "limit": limit}


def _run_pk(conn: sqlite3.Connection, run_id: str) -> int:
    row = conn.execute("SELECT run_pk FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        raise RunNotFound(f"no run with id {run_id!r} in this tracking directory")
    return row[0]


def run_detail(conn: sqlite3.Connection, run_id: str, *, dead: set[str], artifacts_uri: str) -> dict[str, Any]:
    """One run: attributes, params, tags, latest metrics (with step), datasets, children, plots."""
    run = queries.get_run(conn, run_id, artifacts_uri=artifacts_uri)
    pk = _run_pk(conn, run_id)
    latest = {key: {"value": value, "step": step, "timestamp": ts} for key, value, step, ts in conn.execute(
        "SELECT key, value, step, timestamp FROM latest_metrics WHERE run_pk = ? ORDER BY key", (pk,))}
    children = [{"run_id": r, "name": n, "status": s} for r, n, s in conn.execute(
        "SELECT run_id, name, status FROM runs WHERE parent_run_id = ? ORDER BY start_time", (run_id,))]
    return {
        "run_id": run.run_id, "experiment": run.experiment, "name": run.name,
        "status": "KILLED" if run.status == "RUNNING" and run.run_id in dead else run.status,
        "start_time": run.start_time, "end_time": run.end_time, "parent_run_id": run.parent_run_id,
        "user_id": run.user_id, "artifact_uri": run.artifact_uri,
        "params": run.params, "tags": run.tags, "metrics": latest,
        "datasets": [{"name": d.name, "digest": d.digest, "context": d.context, "source_type": d.source_type}
                     for d in run.datasets],
        "children": children,
        "plots": {path: json.loads(spec) for path, spec in queries.get_plots(conn, run_id).items()},
    }


def series(conn: sqlite3.Connection, run_id: str, key: str, buckets: int,
           after: tuple[int, float] | None = None, cache: SeriesCache | None = None) -> dict[str, Any]:
    """The downsampled (or, with ``after``, only the newer) points of one metric of one run;
    whole series come from ``cache`` while the run has not logged more."""
    run_pk = _run_pk(conn, run_id)
    if cache is not None and after is None:
        return cache.series(conn, run_pk, key, max(10, min(int(buckets), 20_000)))
    return metric_series(conn, run_pk, key, buckets, after)


def compare(conn: sqlite3.Connection, run_ids: Sequence[str], *, dead: set[str], artifacts_uri: str) -> dict[str, Any]:
    """Several runs side by side: each run's params and latest metrics, and the union of keys."""
    runs = []
    for run_id in run_ids:
        run = queries.get_run(conn, run_id, artifacts_uri=artifacts_uri)
        runs.append({
            "run_id": run.run_id, "name": run.name, "experiment": run.experiment,
            "status": "KILLED" if run.status == "RUNNING" and run.run_id in dead else run.status,
            "params": run.params, "metrics": run.metrics,
        })
    return {
        "runs": runs,
        "params": sorted({key for run in runs for key in run["params"]}),
        "metrics": sorted({key for run in runs for key in run["metrics"]}),
    }
