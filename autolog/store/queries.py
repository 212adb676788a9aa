"""Reading the local store: run search, single runs, metric histories, experiments.

Plain functions over a connection opened by :class:`autolog.store.sqlite.SqliteStore`; they
return the frozen types of :mod:`autolog.store.entities`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import sqlite3
from collections.abc import Sequence
from typing import Any

from autolog.store.entities import Dataset, MetricPoint, PagedList, RunNotFound, StoredRun, ViewType
from autolog.store.filter import (
    Comparison,
    OrderKey,
    filter_to_sql,
    order_to_sql,
    parse_filter,
    parse_order_by,
)

#: MLflow's bound on one page of a run search.
MAX_RESULTS_LIMIT = 50_000

_RUN_COLUMNS = (
    "r.run_pk, r.run_id, e.name, r.name, r.status, r.start_time, r.end_time, r.parent_run_id, "
    "r.user_id, r.experiment_id, r.lifecycle_stage"
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
    page_token: str | bytes | None = None,
    *,
    artifacts_uri: str = "",
    experiment_ids: Sequence[str] | None = None,
    run_view_type: int = ViewType.ACTIVE_ONLY,
) -> PagedList[StoredRun]:
    """One page of the runs matching the filter, ordered (default: newest first): at most
    ``max_results`` from where ``page_token`` points, with the next page's token (or None).

    ``experiments`` are experiment names (or ids, as MLflow's positional ``experiment_ids``),
    ``experiment_ids`` only ids; ``run_view_type`` picks active (default), deleted or all runs.
    ``artifacts_uri`` is the ``file://`` URI of the store's artifact folder.
    """
    clauses, order_keys, offset = validate_search(filter_string, order_by, max_results, page_token)
    stages = ViewType.stages(run_view_type)
    where, params = filter_to_sql(clauses, artifacts_uri=artifacts_uri)
    order, order_params = order_to_sql(order_keys, artifacts_uri=artifacts_uri)
    if experiments is not None:
        names = [experiments] if isinstance(experiments, str) else [str(n) for n in experiments]
        marks = ", ".join("?" * len(names))
        where = f"(e.name IN ({marks}) OR CAST(e.experiment_id AS TEXT) IN ({marks})) AND {where}" if names else "0"
        params = names + names + params
    if experiment_ids is not None:
        ids = [experiment_ids] if isinstance(experiment_ids, str) else [str(i) for i in experiment_ids]
        where = f"CAST(e.experiment_id AS TEXT) IN ({', '.join('?' * len(ids))}) AND {where}" if ids else "0"
        params = ids + params
    if len(stages) == 1:
        where = f"r.lifecycle_stage = ? AND {where}"
        params = [stages[0], *params]
    sql = f"SELECT {_RUN_COLUMNS} FROM {_FROM} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
    rows = conn.execute(sql, [*params, *order_params, max_results + 1, offset]).fetchall()
    token = encode_page_token(offset + max_results) if len(rows) > max_results else None
    return PagedList(_build_runs(conn, rows[:max_results], artifacts_uri), token)


def validate_search(
    filter_string: str | None,
    order_by: Sequence[str] | None,
    max_results: int,
    page_token: str | bytes | None = None,
) -> tuple[list[Comparison], list[OrderKey], int]:
    """Parse a search's arguments into clauses, order keys and the offset the page starts at;
    ``ValueError`` for a malformed one."""
    if (
        isinstance(max_results, bool)
        or not isinstance(max_results, int)
        or not 1 <= max_results <= MAX_RESULTS_LIMIT
    ):
        raise ValueError(
            f"max_results must be an integer from 1 to {MAX_RESULTS_LIMIT:,}, got {max_results!r}"
        )
    offset = decode_page_token(page_token)
    return parse_filter(filter_string), parse_order_by(order_by), offset


def encode_page_token(offset: int) -> str:
    """The token of the page starting at ``offset`` (MLflow's format: base64 of JSON)."""
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode("ascii")


def decode_page_token(token: str | bytes | None) -> int:
    """The offset a page token points at (0 for None or empty); ``ValueError`` for a bad one."""
    if not token:
        return 0
    try:
        offset = json.loads(base64.b64decode(token, validate=True))["offset"]
    except (binascii.Error, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"invalid page_token {token!r}: not a token search_runs returned") from exc
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"invalid page_token {token!r}: not a token search_runs returned")
    return offset


def get_run(conn: sqlite3.Connection, run_id: str, *, artifacts_uri: str = "") -> StoredRun:
    """The run ``run_id``; :class:`RunNotFound` if the store has none."""
    rows = conn.execute(f"SELECT {_RUN_COLUMNS} FROM {_FROM} WHERE r.run_id = ?", (run_id,))
    runs = _build_runs(conn, rows.fetchall(), artifacts_uri)
    if not runs:
        raise RunNotFound(f"no run with id {run_id!r} in this tracking directory")
    return runs[0]


def run_exists(conn: sqlite3.Connection, run_id: str) -> bool:
    return conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is not None


def get_plots(conn: sqlite3.Connection, run_id: str) -> dict[str, str]:
    """The run's plots stored as data: artifact path (no extension) -> spec as JSON text."""
    rows = conn.execute(
        "SELECT p.path, p.spec FROM plots p JOIN runs r ON r.run_pk = p.run_pk WHERE r.run_id = ? ORDER BY p.path",
        (run_id,),
    )
    return dict(rows.fetchall())


def stored_files(conn: sqlite3.Connection, run_id: str) -> dict[str, int]:
    """Artifact files the run keeps in the database (small models): path -> size in bytes."""
    rows = conn.execute(
        "SELECT f.path, length(f.data) FROM files f JOIN runs r ON r.run_pk = f.run_pk WHERE r.run_id = ?",
        (run_id,),
    )
    return dict(rows.fetchall())


def read_files(conn: sqlite3.Connection, run_id: str, path: str) -> dict[str, bytes]:
    """The database-kept files at ``path`` or below it (``""``: all of them): path -> bytes."""
    rows = conn.execute(
        "SELECT f.path, f.data FROM files f JOIN runs r ON r.run_pk = f.run_pk "
        "WHERE r.run_id = ? AND (? = '' OR f.path = ? OR substr(f.path, 1, length(?) + 1) = ? || '/')",
        (run_id, path, path, path, path),
    )
    return dict(rows.fetchall())


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


def _build_runs(conn: sqlite3.Connection, rows: list[tuple], artifacts_uri: str) -> list[StoredRun]:
    if not rows:
        return []
    pks = json.dumps([row[0] for row in rows])
    params: dict[int, dict[str, str]] = {row[0]: {} for row in rows}
    tags: dict[int, dict[str, str]] = {row[0]: {} for row in rows}
    metrics: dict[int, dict[str, float]] = {row[0]: {} for row in rows}
    tables: tuple[tuple[str, dict[int, dict[str, Any]]], ...] = (("params", params), ("tags", tags), ("latest_metrics", metrics))
    for table, into in tables:
        rows_of_table = conn.execute(
            f"SELECT run_pk, key, value FROM {table} "
            "WHERE run_pk IN (SELECT value FROM json_each(?))",
            (pks,),
        )
        for run_pk, key, value in rows_of_table:
            into[run_pk][key] = _value(value) if into is metrics else value
    datasets: dict[int, list[Dataset]] = {row[0]: [] for row in rows}
    dataset_rows = conn.execute(
        "SELECT run_pk, name, digest, context, source_type, schema, profile FROM datasets "
        "WHERE run_pk IN (SELECT value FROM json_each(?)) ORDER BY rowid",
        (pks,),
    )
    for run_pk, *fields in dataset_rows:
        datasets[run_pk].append(Dataset(*fields))
    return [
        StoredRun(
            run_id=run_id, experiment=experiment, name=name, status=status,
            start_time=start_time, end_time=end_time, parent_run_id=parent_run_id,
            params=params[run_pk], metrics=metrics[run_pk], tags=tags[run_pk], user_id=user_id,
            artifact_uri=f"{artifacts_uri}/{run_id}" if artifacts_uri else "",
            datasets=tuple(datasets[run_pk]), experiment_id=str(experiment_id), lifecycle_stage=stage,
        )
        for (run_pk, run_id, experiment, name, status, start_time, end_time, parent_run_id, user_id,
             experiment_id, stage) in rows
    ]
