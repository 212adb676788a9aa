"""The local backend (the default): every batch into the embedded SQLite store.

Writes ``<tracking_dir>/autolog.db`` and ``<tracking_dir>/artifacts/<run_id>/``; read back with
:class:`autolog.client.Client` or ``autolog runs``. See :mod:`autolog.store.sqlite` for the
layout, the concurrency model and crash detection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

from autolog.backend import Backend
from autolog.hookspecs import hookimpl

if TYPE_CHECKING:
    from autolog.config import Config
    from autolog.records import Artifact, Metric, ModelRecord, Plot, Record, RunEnd, RunStart
    from autolog.store.sqlite import SqliteStore


class LocalBackend(Backend):
    """Stores runs in a tracking directory: one SQLite transaction per dispatcher batch.

    Built in the caller's thread; the store (and its connection) opens lazily in the dispatcher's
    worker thread on the first batch. The fine-grained methods work too (one transaction each).
    """

    name = "local"
    journal = True
    accepts_model_files = True

    def __init__(self, tracking_dir: str | None = None) -> None:
        from autolog.client import default_tracking_dir

        self.tracking_dir = default_tracking_dir(tracking_dir)
        self._store: SqliteStore | None = None

    @property
    def store(self) -> "SqliteStore":
        if self._store is None:
            from autolog.store.sqlite import SqliteStore

            self._store = SqliteStore(self.tracking_dir)
        return self._store

    def write_batch(self, batch: Sequence["Record"]) -> None:
        """Store the whole batch atomically (artifact files first, then one transaction)."""
        self.store.write_batch(batch)

    def start_run(self, run: "RunStart") -> None:
        self.write_batch([run])

    def log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        from autolog.records import Params

        self.write_batch([Params(run_id, dict(params))])

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        from autolog.records import Tags

        self.write_batch([Tags(run_id, dict(tags))])

    def log_metrics(self, run_id: str, metrics: Sequence["Metric"]) -> None:
        self.write_batch(list(metrics))

    def log_artifact(self, artifact: "Artifact") -> None:
        self.write_batch([artifact])

    def log_model(self, model: "ModelRecord") -> None:
        self.write_batch([model])

    def log_plot(self, plot: "Plot") -> None:
        self.write_batch([plot])

    def end_run(self, end: "RunEnd") -> None:
        self.write_batch([end])

    def flush(self) -> None:
        """Nothing to do: each batch is committed before ``write_batch`` returns."""

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "tracking_dir": self.tracking_dir}


@hookimpl
def autolog_make_backend(name: str, config: "Config") -> Backend | None:
    """Build the local backend for ``backends=["local"]``, writing to ``config.tracking_dir``."""
    if name == "local":
        return LocalBackend(config.tracking_dir)
    return None
