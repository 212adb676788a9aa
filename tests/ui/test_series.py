"""Downsampling and cursors of metric series, on stores written by autolog itself."""

from __future__ import annotations

import math
import os

import autolog
from autolog.ui import data
from autolog.ui.reader import StoreReader


def _log(tmp_path, points) -> tuple[StoreReader, str]:
    autolog.autolog(tracking_dir=str(tmp_path), backends=["local"])
    with autolog.run(name="series") as run:
        for step, value, timestamp in points:
            run.log_metric("m", value, step=step, timestamp=timestamp)
    autolog.flush()
    return StoreReader(str(tmp_path)), run.run_id


def test_each_bucket_keeps_its_minimum_and_maximum_in_its_own_pixel(tmp_path):
    values = [math.sin(i / 37) + (5 if i == 4321 else 0) - (7 if i == 777 else 0) for i in range(10_000)]
    reader, run_id = _log(tmp_path, [(i, v, 1000.0 + i) for i, v in enumerate(values)])
    with reader.connection() as conn:
        series = data.series(conn, run_id, "m", 100)
    assert series["downsampled"] and len(series["step"]) <= 200
    assert series["step"] == sorted(series["step"])
    width = 100  # 10,000 steps in 100 spans
    assert max(series["value"]) == values[4321] and min(series["value"]) == values[777]  # the spikes survive
    spike = series["value"].index(values[4321])
    assert series["step"][spike] // width == 4321 // width  # drawn in the right pixel
    for span in range(100):  # every span: its exact lowest and highest value, at a step inside it
        inside = [v for s, v in zip(series["step"], series["value"]) if s // width == span]
        assert min(inside) == min(values[span * width:(span + 1) * width])
        assert max(inside) == max(values[span * width:(span + 1) * width])
    for step, ts in zip(series["step"], series["timestamp"]):
        assert ts == 1000.0 + step  # a real point's step and time
    assert series["cursor"] == [9999, 10999.0]


def test_many_points_on_few_steps_keep_each_steps_range(tmp_path):
    points = [(step, float(k), 1000.0 + step * 100 + k) for step in range(3) for k in range(50)]
    reader, run_id = _log(tmp_path, points)
    with reader.connection() as conn:
        series = data.series(conn, run_id, "m", 10)
    assert series["downsampled"]
    # a vertical stroke per step, each continuing from where the last one ended
    assert list(zip(series["step"], series["value"])) == [(0, 0.0), (0, 49.0), (1, 49.0), (1, 0.0), (2, 0.0), (2, 49.0)]


def test_nan_and_infinite_values_become_gaps(tmp_path):
    reader, run_id = _log(tmp_path, [(0, 1.0, 1.0), (1, math.nan, 2.0), (2, math.inf, 3.0), (3, 2.0, 4.0)])
    with reader.connection() as conn:
        series = data.series(conn, run_id, "m", 100)
    assert series["value"] == [1.0, None, None, 2.0] and not series["downsampled"]


def test_the_cursor_returns_only_later_points_including_a_later_timestamp_on_the_same_step(tmp_path):
    reader, run_id = _log(tmp_path, [(0, 1.0, 1.0), (1, 2.0, 2.0), (1, 3.0, 3.0), (2, 4.0, 4.0)])
    with reader.connection() as conn:
        assert data.series(conn, run_id, "m", 100, after=(1, 2.0))["value"] == [3.0, 4.0]
        newest = data.series(conn, run_id, "m", 100, after=(2, 4.0))
    assert newest["step"] == [] and newest["cursor"] == [2, 4.0]


def test_reading_writes_nothing(tmp_path):
    reader, run_id = _log(tmp_path, [(i, float(i), float(i)) for i in range(100)])
    autolog.autolog(disable=True)
    before = {name: os.path.getmtime(tmp_path / name) for name in os.listdir(tmp_path) if name.startswith("autolog.db")}
    with reader.connection() as conn:
        data.series(conn, run_id, "m", 10)
        data.runs_table(conn)
        assert conn.execute("PRAGMA query_only").fetchone()[0] == 1
    reader.close()
    after = {name: os.path.getmtime(tmp_path / name) for name in os.listdir(tmp_path) if name.startswith("autolog.db")}
    assert before == after
