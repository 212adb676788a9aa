"""What a run looks like in the local store and on each target, in comparable shapes."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import autolog


@dataclass
class LocalRun:
    run: Any
    #: key -> [(step, value, timestamp seconds)] in step, timestamp order
    history: dict[str, list[tuple[int, float, float]]]
    #: every artifact file path (plots as ``<path>.json``, as the store lists them)
    files: set[str]


def local_runs(tracking_dir: str) -> dict[str, LocalRun]:
    """Every run of the store, by run id."""
    client = autolog.Client(tracking_dir)
    runs = {}
    for run in client.search_runs(max_results=1000):
        history = {
            key: [(p.step, p.value, p.timestamp) for p in client.get_metric_history(run.run_id, key)]
            for key in run.metrics
        }
        runs[run.run_id] = LocalRun(run, history, _walk(client, run.run_id, None))
    client.close()
    return runs


def _walk(client: Any, run_id: str, path: str | None) -> set[str]:
    files: set[str] = set()
    for info in client.list_artifacts(run_id, path):
        files |= _walk(client, run_id, info.path) if info.is_dir else {info.path}
    return files


def same_values(left: list[float], right: list[float]) -> bool:
    """Equal lists of floats, NaN equal to NaN."""
    return len(left) == len(right) and all(
        (math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(left, right)
    )


def as_uploaded(path: str, plots: set[str]) -> str:
    """Where a stored artifact lands on a backend that renders plots to PNG."""
    stem = path[: -len(".json")] if path.endswith(".json") else None
    return f"{stem}.png" if stem in plots else path


def mlflow_runs_by_autolog_id(client: Any) -> dict[str, list[Any]]:
    """Every MLflow run holding an autolog run, grouped by autolog run id."""
    experiments = [e.experiment_id for e in client.search_experiments()]
    found: dict[str, list[Any]] = {}
    for run in client.search_runs(experiments, "tags.`autolog.run_id` LIKE '%'", max_results=5000):
        found.setdefault(run.data.tags["autolog.run_id"], []).append(run)
    return found


def mlflow_history(client: Any, mlflow_run_id: str, key: str) -> list[tuple[int, int, float]]:
    """``(step, timestamp in ms, value)`` of every point, by step and timestamp."""
    points = client.get_metric_history(mlflow_run_id, key)
    return sorted(((int(m.step), int(m.timestamp), float(m.value)) for m in points), key=lambda p: p[:2])


def local_history_ms(local: LocalRun, key: str) -> list[tuple[int, int, float]]:
    """The local history in :func:`mlflow_history`'s shape."""
    return sorted(((s, int(t * 1000), v) for s, v, t in local.history[key]), key=lambda p: p[:2])


def same_history(left: list[tuple[int, int, float]], right: list[tuple[int, int, float]]) -> bool:
    return [p[:2] for p in left] == [p[:2] for p in right] and same_values([p[2] for p in left], [p[2] for p in right])


def rekey(tracking_dir: str) -> dict[str, str]:
    """Give every run of a store a new id (its artifact folder, parent links and registered
    versions follow)."""
    import sqlite3
    import uuid

    conn = sqlite3.connect(os.path.join(tracking_dir, "autolog.db"))
    new = {old: uuid.uuid4().hex for (old,) in conn.execute("SELECT run_id FROM runs")}
    for old, fresh in new.items():
        conn.execute("UPDATE runs SET run_id = ? WHERE run_id = ?", (fresh, old))
        conn.execute("UPDATE runs SET parent_run_id = ? WHERE parent_run_id = ?", (fresh, old))
        conn.execute("UPDATE tags SET value = ? WHERE value = ? AND key = 'mlflow.parentRunId'", (fresh, old))
        conn.execute("UPDATE model_versions SET run_id = ?, source = replace(source, ?, ?) WHERE run_id = ?",
                     (fresh, old, fresh, old))
        folder = os.path.join(tracking_dir, "artifacts", old)
        if os.path.isdir(folder):
            os.rename(folder, os.path.join(tracking_dir, "artifacts", fresh))
    conn.commit()
    conn.close()
    return new
