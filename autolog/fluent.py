"""MLflow's fluent tracking API as autolog functions, so MLflow code runs with one import changed::

    import autolog as mlflow

    mlflow.set_experiment("qa")
    with mlflow.start_run(run_name="lora-r8") as run:
        mlflow.log_params({"lr": 2e-4, "r": 8})
        for step in range(3):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_artifact("notes.txt", artifact_path="docs")
    print(run.info.run_id, mlflow.last_active_run().info.status)

These are not a second implementation: ``start_run`` opens the same :class:`autolog.Run` that
``autolog.run()`` does (through it), ``active_run`` *is* ``autolog.active_run``, and each
``log_*`` call goes to that run's own method. What MLflow's semantics add on top, kept here:
``start_run`` inside an active run needs ``nested=True`` (``autolog.run()`` nests by itself); a
``log_*`` call with no active run starts one, ended by ``end_run`` or at exit; metric
timestamps are MLflow's milliseconds; ``log_artifact(file, artifact_path="dir")`` puts the file
*in* ``dir``; ``log_artifacts(folder)`` puts the folder's contents at the run's root.

The tracking URI is a local folder (or ``file://`` URI): autolog's store. Runs also reach any other
backend ``autolog.autolog(backends=[...])`` configured. ``log_model`` is in
:mod:`autolog._fluent_models`.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from autolog import _session
from autolog._run_views import _client, _experiment_ids
from autolog._runs import Run, active_run, run

if TYPE_CHECKING:
    from autolog.store.entities import Experiment

__all__ = [
    "active_run",
    "end_run",
    "get_experiment_by_name",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "search_runs",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

_lock = threading.Lock()


# -- where runs go -----------------------------------------------------------------------------
def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Log to the local store in folder ``uri`` (a path or ``file://`` URI) from now on.

    A server or database URI raises ``ValueError``: log there with the MLflow backend."""
    from autolog.client import local_path_of

    path = os.path.abspath(os.path.expanduser(local_path_of(os.fspath(uri))))
    session = _session.current()
    with _lock:
        session.chosen_tracking_dir = path
        session.configure(dataclasses.replace(session.config(), tracking_dir=path))


def get_tracking_uri() -> str:
    """The local store's folder as a ``file://`` URI."""
    return pathlib.Path(_session.current().config().tracking_dir).as_uri()


def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make ``experiment_name`` (created when missing) or ``experiment_id`` the experiment of the
    runs started from now on, autologged ones included; returns it."""
    from autolog.store import experiments

    if (experiment_name is None) == (experiment_id is None):
        raise ValueError("give exactly one of experiment_name and experiment_id")
    client = _client()
    if experiment_id is not None:
        experiment = client.get_experiment(str(experiment_id))
        if experiment.lifecycle_stage == "deleted":
            raise ValueError(f"experiment {experiment_id!r} is deleted; restore it with Client().restore_experiment")
    else:
        experiment = experiments.ensure_experiment(client._writer(), str(experiment_name))
    session = _session.current()
    with _lock:
        _experiment_ids[(client.tracking_dir, experiment.name)] = experiment.experiment_id
        session.chosen_experiment = experiment.name
        session._set_config(dataclasses.replace(session.config(), experiment=experiment.name))
    return experiment


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment called ``name`` in the local store, or None."""
    return _client().get_experiment_by_name(name)


def search_runs(
    experiment_ids: list[str] | None = None,
    filter_string: str = "",
    run_view_type: int = 1,
    max_results: int = 100_000,
    order_by: list[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: list[str] | None = None,
) -> Any:
    """MLflow's ``mlflow.search_runs``: the runs of ``experiment_ids`` or ``experiment_names``
    (default: the current experiment; every one with ``search_all_experiments``) as a pandas
    DataFrame with MLflow's columns (``run_id``, ``experiment_id``, ``status``, ``artifact_uri``,
    ``start_time``/``end_time`` as UTC datetimes, ``metrics.<k>``, ``params.<k>``, ``tags.<k>``),
    or as a list of runs with ``output_format="list"``."""
    if experiment_ids is not None and experiment_names is not None:
        raise ValueError("give experiment_ids or experiment_names, not both")
    if output_format not in ("pandas", "list"):
        raise ValueError(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    names: list[str] | None = list(experiment_names) if experiment_names is not None else None
    if experiment_ids is None and names is None and not search_all_experiments:
        names = [_session.current().config().experiment]
    client = _client()
    found: list[Any] = []
    token = None
    while len(found) < max_results:
        page = client.search_runs(
            names, filter_string, order_by, min(max_results - len(found), 50_000), token,
            experiment_ids=experiment_ids, run_view_type=run_view_type,
        )
        found.extend(page)
        token = page.token
        if not token:
            break
    if output_format == "list":
        return found
    return _frame(found)


def _frame(runs: list[Any]) -> Any:
    import pandas as pd

    rows = []
    for stored in runs:
        info, data = stored.info, stored.data
        row: dict[str, Any] = {
            "run_id": info.run_id, "experiment_id": info.experiment_id, "status": info.status,
            "artifact_uri": info.artifact_uri,
            "start_time": pd.to_datetime(info.start_time, unit="ms", utc=True),
            "end_time": None if info.end_time is None else pd.to_datetime(info.end_time, unit="ms", utc=True),
        }
        row.update({f"metrics.{k}": v for k, v in data.metrics.items()})
        row.update({f"params.{k}": v for k, v in data.params.items()})
        row.update({f"tags.{k}": v for k, v in data.tags.items()})
        rows.append(row)
    columns = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    return pd.DataFrame(rows, columns=None if rows else columns)


# -- runs ------------------------------------------------------------------------------------
def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> Run:
    """Start a run and make it active: the :class:`autolog.Run` that ``autolog.run()`` returns,
    usable as ``with start_run(...) as run:``.

    Inside an active run this needs ``nested=True`` (the new run is its child), as in MLflow.
    ``run_id`` reopens a stored run (its history is kept; the new records add to it);
    ``experiment_id`` picks the experiment (default: the one :func:`set_experiment` set);
    ``description`` is stored as the tag ``mlflow.note.content``.
    """
    parent = active_run()
    if parent is not None and not nested:
        raise RuntimeError(
            f"run {parent.run_id} is already active: end it first with end_run(), or pass "
            "nested=True to start a child run"
        )
    all_tags = dict(tags or {})
    if description is not None:
        all_tags["mlflow.note.content"] = description
    if parent_run_id is not None:
        all_tags["mlflow.parentRunId"] = parent_run_id
    experiment = None
    if experiment_id is not None:
        experiment = _client().get_experiment(str(experiment_id)).name
    if run_id is not None:
        stored = _client().get_run(run_id)
        resumed = Run(
            name=run_name or stored.name, experiment=experiment or stored.experiment, tags=all_tags,
            parent_run_id=stored.parent_run_id, _run_id=run_id,
        )
        return resumed.activate()
    return run(name=run_name, experiment=experiment, tags=all_tags or None)


def end_run(status: str = "FINISHED") -> None:
    """End the active run with ``status`` (``FINISHED``, ``FAILED`` or ``KILLED``); no-op without one."""
    current = active_run()
    if current is not None:
        current.end(status)


def last_active_run() -> Run | None:
    """The active run, else the run this process ended last (None if it never ran one)."""
    return active_run() or _session.current().last_ended_run


def _run_for_logging() -> Run:
    """The active run, or a new one (MLflow starts a run on the first ``log_*`` call)."""
    return active_run() or run()


def log_param(key: str, value: Any) -> Any:
    """Log one param to the active run; returns ``value`` as MLflow does."""
    _run_for_logging().log_param(key, value)
    return value


def log_params(params: Mapping[str, Any]) -> None:
    _run_for_logging().log_params(params)


def log_metric(key: str, value: float, step: int | None = None, timestamp: int | None = None) -> None:
    """Log one metric point; ``timestamp`` in milliseconds since the epoch, as MLflow's."""
    _run_for_logging().log_metric(key, value, step, None if timestamp is None else timestamp / 1000)


def log_metrics(metrics: Mapping[str, float], step: int | None = None, timestamp: int | None = None) -> None:
    _run_for_logging().log_metrics(metrics, step, None if timestamp is None else timestamp / 1000)


def set_tag(key: str, value: Any) -> None:
    _run_for_logging().set_tag(key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    _run_for_logging().set_tags(tags)


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Log a file (or folder) *into* the run's folder ``artifact_path`` (the root by default).

    As in MLflow, what is logged is the file as it is now: it is copied aside at once, so
    deleting or rewriting it afterwards changes nothing."""
    path = os.fspath(local_path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"log_artifact: {path!r} does not exist")
    name = os.path.basename(os.path.normpath(path))
    _log_snapshot(_run_for_logging(), path, f"{artifact_path.strip('/')}/{name}" if artifact_path else name)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Log the contents of ``local_dir`` under ``artifact_path`` (the run's root by default), as
    they are now (see :func:`log_artifact`)."""
    target = _run_for_logging()
    folder = os.fspath(local_dir)
    if not os.path.isdir(folder):
        raise NotADirectoryError(f"log_artifacts needs a directory, got {folder!r}")
    if artifact_path:
        _log_snapshot(target, folder, artifact_path.strip("/"))
        return
    for entry in sorted(os.listdir(folder)):
        _log_snapshot(target, os.path.join(folder, entry), entry)


def _log_snapshot(target: Run, path: str, artifact_path: str) -> None:
    """Copy ``path`` into a private folder and log that (a hard link would follow a file rewritten
    in place); the dispatcher removes the copy once every backend has the artifact."""
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="autolog-artifact-")
    copy = os.path.join(folder, os.path.basename(os.path.normpath(path)))
    try:
        if os.path.isdir(path):
            shutil.copytree(path, copy, symlinks=False, ignore_dangling_symlinks=True)
        else:
            shutil.copy2(path, copy)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    target._log_artifact(copy, artifact_path, staged=True)


def log_text(text: str, artifact_file: str) -> None:
    """Save ``text`` as the run's artifact file ``artifact_file`` (e.g. ``"notes/readme.md"``)."""
    _log_bytes(text.encode("utf-8"), artifact_file)


def log_dict(dictionary: Mapping[str, Any], artifact_file: str) -> None:
    """Save ``dictionary`` as JSON (or YAML for a ``.yaml``/``.yml`` name) at ``artifact_file``."""
    if artifact_file.endswith((".yaml", ".yml")):
        import yaml

        _log_bytes(yaml.safe_dump(dict(dictionary)).encode("utf-8"), artifact_file)
    else:
        import json

        _log_bytes(json.dumps(dictionary, indent=2, default=str).encode("utf-8"), artifact_file)


def _log_bytes(data: bytes, artifact_file: str) -> None:
    import tempfile

    folder = tempfile.mkdtemp(prefix="autolog-text-")
    path = os.path.join(folder, os.path.basename(artifact_file) or "artifact")
    with open(path, "wb") as fh:
        fh.write(data)
    _run_for_logging()._log_artifact(path, artifact_file, staged=True)
