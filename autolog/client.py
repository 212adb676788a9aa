"""Reading back what autolog logged to the local store, in the shape of MLflow's client.

    from autolog.client import Client

    client = Client()                       # AUTOLOG_DIR or ./autolog-runs
    best = client.search_runs("Default", "metrics.accuracy > 0.9", ["metrics.accuracy DESC"])
    history = client.get_metric_history(best[0].run_id, "loss")

Before every read the client flushes this process's pending autolog records, so a script reads
what it has just logged. A RUNNING run whose process died is reported (and marked) KILLED.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import sys
from collections.abc import Sequence

from autolog._client_tracking import TrackingClientMixin
from autolog._model_registry_client import RegistryClientMixin
from autolog.store import artifacts as artifact_files
from autolog.store import default_tracking_dir, queries
from autolog.store.entities import (
    ArtifactInfo,
    Dataset,
    Experiment,
    ExperimentNotFound,
    MetricPoint,
    PagedList,
    RunData,
    RunInfo,
    RunNotFound,
    StoredRun,
    ViewType,
)
from autolog.store.sqlite import SqliteStore

__all__ = [
    "ArtifactInfo",
    "Client",
    "Dataset",
    "Experiment",
    "ExperimentNotFound",
    "MetricPoint",
    "PagedList",
    "RunData",
    "RunInfo",
    "RunNotFound",
    "StoredRun",
    "ViewType",
    "default_tracking_dir",
    "local_path_of",
]


def local_path_of(uri: str) -> str:
    """The local directory a tracking URI names: a path, or a ``file://`` URI; ``ValueError``
    for a server or database URI (log there through the MLflow backend)."""
    if uri.startswith("file:"):
        from urllib.parse import unquote, urlparse

        parsed = urlparse(uri)
        return unquote(parsed.path) if parsed.netloc in ("", "localhost") else uri
    if "://" in uri or uri.startswith(("databricks", "sqlite:")):
        raise ValueError(
            f"{uri!r} is not a local directory: autolog's store is a folder; to log to an MLflow "
            "server use autolog.autolog(backends=['mlflow'], backend_options={'mlflow': {'tracking_uri': ...}})"
        )
    return uri


def _flush_own_writes() -> None:
    """Deliver this process's queued records first (when autolog's runtime is loaded)."""
    session = getattr(sys.modules.get("autolog._session"), "_SESSION", None)
    if session is not None:
        session.flush_for_read()


class Client(TrackingClientMixin, RegistryClientMixin):
    """Reads runs, metric histories and artifacts from one tracking directory, and edits
    experiments and runs there as ``mlflow.MlflowClient`` does.

    ``tracking_dir`` (or MLflow's keyword ``tracking_uri``) is a folder or a ``file://`` URI.
    """

    def __init__(self, tracking_dir: str | None = None, *, tracking_uri: str | None = None) -> None:
        where = tracking_dir or tracking_uri
        self.tracking_dir = default_tracking_dir(local_path_of(where) if where else None)
        self._store = SqliteStore(self.tracking_dir)

    def __repr__(self) -> str:
        return f"Client({self.tracking_dir!r})"

    def _not_found(self, run_id: str) -> RunNotFound:
        return RunNotFound(f"no run with id {run_id!r} in {self.tracking_dir}")

    def _connection(self) -> sqlite3.Connection | None:
        """Flush, then this thread's connection; None when nothing was ever logged here."""
        _flush_own_writes()
        if not self._store.exists():
            return None
        return self._store.connection()

    def search_runs(
        self,
        experiment: str | Sequence[str] | None = None,
        filter_string: str = "",
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
        *,
        experiment_ids: str | Sequence[str] | None = None,
        run_view_type: int = ViewType.ACTIVE_ONLY,
    ) -> PagedList[StoredRun]:
        """Runs of ``experiment`` (a name, a list of names, or None for all) matching the filter.

        MLflow's keywords work too: ``experiment_ids=["1"]`` (ids as :meth:`create_experiment`
        returns them; a positional list may hold names or ids), and ``run_view_type``
        (:class:`ViewType`: deleted runs are left out unless it asks for them). Each run has
        MLflow's ``run.info`` and ``run.data`` views besides its own attributes.

        ``filter_string`` uses MLflow's grammar (see :mod:`autolog.store.filter`), e.g.
        ``"metrics.acc > 0.9 and params.model = 'gpt2'"``; times in filters are milliseconds
        since the epoch, as in MLflow. ``order_by`` items look like ``"metrics.acc DESC"`` (runs
        lacking the key come last). Default order: newest first.

        Returns one page, a list of at most ``max_results`` runs (1 to 50,000, MLflow's bound)
        whose ``token`` attribute is the ``page_token`` of the next page, None on the last:

            page = client.search_runs(max_results=100)
            while page.token:
                page = client.search_runs(max_results=100, page_token=page.token)

        A malformed filter raises ``ValueError`` naming the bad token and its position.
        """
        if isinstance(order_by, str):
            order_by = [order_by]
        elif isinstance(order_by, int):  # MLflow's third positional argument is run_view_type
            raise TypeError(
                f"order_by must be a list of strings, got {order_by!r}: autolog's third positional "
                "argument is order_by; pass run_view_type=... by keyword"
            )
        conn = self._connection()
        if conn is None:
            queries.validate_search(filter_string, order_by, max_results, page_token)
            ViewType.stages(run_view_type)
            return PagedList()
        dead = self._store.reap_dead_runs(conn)
        runs = queries.search_runs(
            conn, experiment, filter_string, order_by, max_results, page_token,
            artifacts_uri=self._store.artifacts_uri, experiment_ids=experiment_ids, run_view_type=run_view_type,
        )
        found = [_as_killed(run) if run.run_id in dead else run for run in runs]
        return PagedList(found, runs.token)

    def get_run(self, run_id: str) -> StoredRun:
        """The run with params, latest metrics and tags; :class:`RunNotFound` if unknown."""
        conn = self._connection()
        if conn is None:
            raise self._not_found(run_id)
        dead = self._store.reap_dead_runs(conn)
        run = queries.get_run(conn, run_id, artifacts_uri=self._store.artifacts_uri)
        return _as_killed(run) if run.run_id in dead else run

    def get_metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        """Every logged point of metric ``key``, ordered by step then timestamp."""
        conn = self._connection()
        if conn is None:
            raise self._not_found(run_id)
        return queries.get_metric_history(conn, run_id, key)

    def list_experiments(self) -> list[str]:
        """Names of every experiment in the store, sorted."""
        conn = self._connection()
        return [] if conn is None else queries.list_experiments(conn)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[ArtifactInfo]:
        """The artifacts directly inside ``path`` (the run's root by default), sorted by path.

        Files the store keeps in its database until first read (small models) and plots stored
        as data (shown as ``<path>.json``) are listed like the files on disk."""
        conn = self._connection()
        if conn is None or not queries.run_exists(conn, run_id):
            raise self._not_found(run_id)
        found = {info.path: info for info in artifact_files.list_artifacts(self._store.run_artifact_dir(run_id), path)}
        folder = artifact_files.safe_relative_path(path) if path else ""
        kept = dict(queries.stored_files(conn, run_id))
        kept.update({f"{plot}.json": len(spec.encode()) for plot, spec in queries.get_plots(conn, run_id).items()})
        prefix = folder + "/" if folder else ""
        for stored, size in kept.items():
            if not stored.startswith(prefix):
                continue
            child = stored[len(prefix) :].split("/")[0]
            entry = prefix + child
            if entry == stored:
                found.setdefault(entry, ArtifactInfo(entry, False, size))
            else:
                found.setdefault(entry, ArtifactInfo(entry, True, None))
        return sorted(found.values(), key=lambda info: info.path)

    def get_plots(self, run_id: str) -> dict[str, dict]:
        """The run's plots as their data: artifact path (no extension) -> spec (see
        :mod:`autolog.plots`)."""
        import json

        conn = self._connection()
        if conn is None or not queries.run_exists(conn, run_id):
            raise self._not_found(run_id)
        return {path: json.loads(spec) for path, spec in queries.get_plots(conn, run_id).items()}

    def artifact_path(self, run_id: str, path: str) -> str:
        """The absolute local path of the run's artifact ``path``; FileNotFoundError if missing.

        A plot stored as data is written out on first read: ``plots/x.png`` rendered with
        matplotlib, ``plots/x.json`` as its spec."""
        _flush_own_writes()
        relative = artifact_files.safe_relative_path(path)
        run_dir = self._store.run_artifact_dir(run_id)
        full = os.path.join(run_dir, *relative.split("/")) if relative else run_dir
        if not os.path.exists(full) and relative.endswith((".png", ".json")):
            rendered = self._write_plot(run_id, relative, full)
            if rendered is not None:
                return rendered
        self._write_kept_files(run_id, relative, run_dir)
        if not os.path.exists(full):
            raise FileNotFoundError(f"run {run_id!r} has no artifact {path!r} (looked for {full})")
        return full

    def plot_images(self, run_id: str) -> list[str]:
        """Render every plot the run stores as data to PNG (once) and return the PNG paths."""
        return [self.artifact_path(run_id, f"{plot}.png") for plot in sorted(self.get_plots(run_id))]

    def _write_kept_files(self, run_id: str, relative: str, run_dir: str) -> None:
        """Write out the database-kept files at or below ``relative`` that are not on disk yet."""
        conn = self._connection()
        if conn is None:
            return
        for stored, data in queries.read_files(conn, run_id, relative).items():
            target = os.path.join(run_dir, *artifact_files.safe_relative_path(stored).split("/"))
            if not os.path.exists(target):
                artifact_files.write_files(os.path.dirname(target), {os.path.basename(target): data})

    def _write_plot(self, run_id: str, relative: str, full: str) -> str | None:
        """Write the plot ``relative`` names (its ``.png`` or ``.json``) from its stored data."""
        import json

        from autolog import plots

        conn = self._connection()
        if conn is None:
            return None
        stem, suffix = os.path.splitext(relative)
        spec = queries.get_plots(conn, run_id).get(stem)
        if spec is None:
            return None
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if suffix == ".png":
            return plots.render_png(json.loads(spec), full)
        temporary = f"{full}.autolog-tmp-{os.getpid()}"
        with open(temporary, "w", encoding="utf-8") as fh:
            fh.write(spec)
        os.replace(temporary, full)
        return full

    def close(self) -> None:
        """Close the client's database connections (they also close when it is collected)."""
        self._store.close()


def _as_killed(run: StoredRun) -> StoredRun:
    """A run whose writer died but could not be marked in the store (read-only copy)."""
    return run if run.status != "RUNNING" else dataclasses.replace(run, status="KILLED")
