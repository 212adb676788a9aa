"""Metric series for charts: downsampled to min and max per pixel bucket, fetched by cursor.

A chart ``buckets`` pixels wide needs at most two points per pixel: the lowest and the highest
value in it. :func:`metric_series` returns the raw points when there are few, and otherwise
splits the step range into ``buckets`` equal spans and keeps, per span, its minimum and its
maximum, drawn at a point of the span: one range scan of the ``(run_pk, key, step)`` index per
span, no temporary B-tree, no Python loop over the points, so a 1,000,000-point series costs one
pass of SQLite over its rows.

``after`` (the last ``(step, timestamp)`` a page has) makes it a live-refresh fetch: only later
points come back, so a page polling a training run never downloads a history twice.
:class:`SeriesCache` keeps downsampled series while their last point is unchanged.
"""

from __future__ import annotations

import math
import sqlite3
from typing import Any

#: Up to this many points per bucket requested are sent as they are, not downsampled.
RAW_FACTOR = 2
_WHERE = "run_pk = ? AND key = ?"
_AFTER = " AND (step > ? OR (step = ? AND timestamp > ?))"


def _clean(value: float | None) -> float | None:
    """NaN is stored as NULL and infinities do not fit JSON: both become null (a gap)."""
    if value is None or math.isinf(value):
        return None
    return value


def metric_series(
    conn: sqlite3.Connection,
    run_pk: int,
    key: str,
    buckets: int = 1000,
    after: tuple[int, float] | None = None,
) -> dict[str, Any]:
    """The points of metric ``key`` of run ``run_pk`` as ``{"step": [...], "value": [...],
    "timestamp": [...], "downsampled": bool, "cursor": [step, timestamp] | None}``, ordered by
    step (then timestamp), at most about ``2 * buckets`` points."""
    buckets = max(10, min(int(buckets), 20_000))
    where, params = _WHERE, [run_pk, key]
    if after is not None:
        where += _AFTER
        params += [after[0], after[0], after[1]]
    limit = RAW_FACTOR * buckets
    rows = conn.execute(
        f"SELECT step, value, timestamp FROM metrics WHERE {where} ORDER BY step, timestamp, rowid LIMIT ?",
        [*params, limit + 1],
    ).fetchall()
    downsampled = len(rows) > limit
    if downsampled:
        rows = _downsample(conn, where, params, buckets)
    cursor = _cursor(conn, where, params) if downsampled else (list(rows[-1][::2]) if rows else None)
    return {
        "key": key,
        "step": [row[0] for row in rows],
        "value": [_clean(row[1]) for row in rows],
        "timestamp": [row[2] for row in rows],
        "downsampled": downsampled,
        "cursor": cursor if cursor is not None else (list(after) if after else None),
    }


def _cursor(conn: sqlite3.Connection, where: str, params: list[Any]) -> list[Any] | None:
    row = conn.execute(
        f"SELECT step, timestamp FROM metrics WHERE {where} ORDER BY step DESC, timestamp DESC LIMIT 1", params
    ).fetchone()
    return list(row) if row else None


def _downsample(conn: sqlite3.Connection, where: str, params: list[Any], buckets: int) -> list[tuple]:
    """Per step span: its lowest and highest value, drawn as a vertical stroke at one of its
    points (the pixel it falls in); the two are ordered to continue the line from the previous
    span, so the envelope is exact and no stroke crosses a pixel it does not cover."""
    first = conn.execute(f"SELECT step FROM metrics WHERE {where} ORDER BY step LIMIT 1", params).fetchone()[0]
    last = conn.execute(f"SELECT step FROM metrics WHERE {where} ORDER BY step DESC LIMIT 1", params).fetchone()[0]
    width = max(1, math.ceil((last - first + 1) / buckets))
    # One pass per span, two aggregates: the step and timestamp come from a row of the span.
    sql = f"SELECT MIN(value), MAX(value), step, timestamp FROM metrics WHERE {where} AND step >= ? AND step < ?"
    query = conn.execute
    out: list[tuple] = []
    previous: float | None = None
    for start in range(first, last + 1, width):
        low, high, step, timestamp = query(sql, [*params, start, start + width]).fetchone()
        if step is None:  # an empty span
            continue
        if low is None or low == high:
            out.append((step, low, timestamp))
        elif previous is not None and abs(previous - high) < abs(previous - low):
            out += [(step, high, timestamp), (step, low, timestamp)]
        else:
            out += [(step, low, timestamp), (step, high, timestamp)]
        previous = out[-1][1] if out[-1][1] is not None else previous
    return out


class SeriesCache:
    """Downsampled whole series, kept per ``(run_pk, key, buckets)`` and valid while the series'
    last point (its cursor) is unchanged: a finished run's chart is computed once, a running
    run's is recomputed only when it has grown (its pages then fetch by cursor anyway). At most
    ``size`` series (each about ``2 * buckets`` points) are kept, least recently used dropped."""

    def __init__(self, size: int = 64) -> None:
        import collections
        import threading

        self._items: collections.OrderedDict[tuple, tuple[Any, dict[str, Any]]] = collections.OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def series(self, conn: sqlite3.Connection, run_pk: int, key: str, buckets: int) -> dict[str, Any]:
        """:func:`metric_series` of the whole series, from the cache when still valid."""
        slot = (run_pk, key, buckets)
        cursor = _cursor(conn, _WHERE, [run_pk, key])
        with self._lock:
            hit = self._items.get(slot)
            if hit is not None and hit[0] == cursor:
                self._items.move_to_end(slot)
                return hit[1]
        found = metric_series(conn, run_pk, key, buckets)
        if found["downsampled"]:  # raw series are cheap to read again
            with self._lock:
                self._items[slot] = (cursor, found)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return found
