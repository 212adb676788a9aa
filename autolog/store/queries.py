"""Reading the local store: run search, single runs, metric histories, experiments.

Plain functions over a connection opened by :class:`autolog.store.sqlite.SqliteStore`; they
return the frozen types of :mod:`autolog.store.entities`.
"""

from __future__ import annotations

import json
import math
import sqlite3
from typing import Sequence

from autolog.store.entities import MetricPoint, Run, RunNotFound
from autolog.store.filter import (
    Comparison,
    OrderKey,
    filter_to_sql,
    order_to_sql,
    parse_filter,
    parse_order_by,
)

_RUN_COLUMNS = (
    "r.run_pk, r.run_id, e.name, r.name, r.status, r.start_time, r.end_time, r.parent_run_id"
)
_FROM = "runs r JOIN experiments e ON e.experiment_id = r.experiment_id"


def _value(value: float | None) -> float:
    """SQLite stores NaN as NULL; give it back as NaN."""
    return math.nan if value is None else value


def search_runs(
    conn: sqlite3.Connection,
    experiments: str | Sequence[str] | None = None,
    filter_string: str | None = "",
    order_by: Sequence[str] | None = None,
    max_results: int = 1000,
) -> list[Run]:
    """Runs matching the filter, ordered (default: newest first), at most ``max_results``."""
    clauses, order_keys = validate_search(filter_string, order_by, max_results)
    where, params = filter_to_sql(clauses)
    order, order_params = order_to_sql(order_keys)
    if experiments is not None:
        names = [experiments] if isinstance(experiments, str) else list(experiments)
        where = f"e.name IN ({', '.join('?' * len(names))}) AND {where}" if names else "0"
        params = names + params
    sql = f"SELECT {_RUN_COLUMNS} FROM {_FROM} WHERE {where} ORDER BY {order} LIMIT ?"
    rows = conn.execute(sql, [*params, *order_params, max_results]).fetchall()
    return _build_runs(conn, rows)


def validate_search(
    filter_string: str | None, order_by: Sequence[str] | None, max_results: int
) -> tuple[list[Comparison], list[OrderKey]]:
    """Parse a search's arguments; ``ValueError`` for a malformed one."""
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise ValueError(f"max_results must be a positive integer, got {max_results!r}")
    return parse_filter(filter_string), parse_order_by(order_by)


def get_run(conn: sqlite3.Connection, run_id: str) -> Run:
    """The run ``run_id``; :class:`RunNotFound` if the store has none."""
    rows = conn.execute(f"SELECT {_RUN_COLUMNS} FROM {_FROM} WHERE r.run_id = ?", (run_id,))
    runs = _build_runs(conn, rows.fetchall())
    if not runs:
        raise RunNotFound(f"no run with id {run_id!r} in this tracking directory")
    return runs[0]


def run_exists(conn: sqlite3.Connection, run_id: str) -> bool:
    return conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is not None


def get_metric_history(conn: sqlite3.Connection, run_id: str, key: str) -> list[MetricPoint]:
    """Every point of metric ``key`` of the run, by step then timestamp."""
    row = conn.execute("SELECT run_pk FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        raise RunNotFound(f"no run with id {run_id!r} in this tracking directory")
    points = conn.execute(
        "SELECT step, value, timestamp FROM metrics WHERE run_pk = ? AND key = ? "
        "ORDER BY step, timestamp, rowid",
        (row[0], key),
    )
    return [MetricPoint(step, _value(value), ts) for step, value, ts in points]


def list_experiments(conn: sqlite3.Connection) -> list[str]:
    return [name for (name,) in conn.execute("SELECT name FROM experiments ORDER BY name")]


def _build_runs(conn: sqlite3.Connection, rows: list[tuple]) -> list[Run]:
    if not rows:
        return []
    pks = json.dumps([row[0] for row in rows])
    params: dict[int, dict[str, str]] = {row[0]: {} for row in rows}
    tags: dict[int, dict[str, str]] = {row[0]: {} for row in rows}
    metrics: dict[int, dict[str, float]] = {row[0]: {} for row in rows}
    for table, into in (("params", params), ("tags", tags), ("latest_metrics", metrics)):
        rows_of_table = conn.execute(
            f"SELECT run_pk, key, value FROM {table} "
            "WHERE run_pk IN (SELECT value FROM json_each(?))",
            (pks,),
        )
        for run_pk, key, value in rows_of_table:
            into[run_pk][key] = _value(value) if into is metrics else value
    return [
        Run(
            run_id=run_id, experiment=experiment, name=name, status=status,
            start_time=start_time, end_time=end_time, parent_run_id=parent_run_id,
            params=params[run_pk], metrics=metrics[run_pk], tags=tags[run_pk],
        )
        for run_pk, run_id, experiment, name, status, start_time, end_time, parent_run_id in rows
    ]  # fmt: skip
