"""The local backend (the default): every batch into the embedded SQLite store.

Writes ``<tracking_dir>/autolog.db`` and ``<tracking_dir>/artifacts/<run_id>/``; read back with
:class:`autolog.client.Client` or ``autolog runs``. See :mod:`autolog.store.sqlite` for the
layout, the concurrency model and crash detection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autolog.sdk import Backend, hookimpl

if TYPE_CHECKING:
    from autolog.sdk import Config, Record
    from autolog.store.sqlite import SqliteStore


class LocalBackend(Backend):
    """Stores runs in a tracking directory: one SQLite transaction per dispatcher batch.

    Built in the caller's thread; the store (and its connection) opens lazily in the dispatcher's
    worker thread on the first batch.
    """

    name = "local"
    journal = True
    accepts_model_files = True

    def __init__(self, tracking_dir: str | None = None) -> None:
        from autolog.store import default_tracking_dir

        self.tracking_dir = default_tracking_dir(tracking_dir)
        self._store: SqliteStore | None = None

    @property
    def store(self) -> SqliteStore:
        if self._store is None:
            from autolog.store.sqlite import SqliteStore

            self._store = SqliteStore(self.tracking_dir)
        return self._store

    def write_batch(self, batch: Sequence[Record]) -> None:
        """Store the whole batch atomically (artifact files first, then one transaction)."""
        self.store.write_batch(batch)

    def flush(self) -> None:
        """Nothing to do: each batch is committed before ``write_batch`` returns."""

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "tracking_dir": self.tracking_dir}


@hookimpl
def autolog_make_backend(name: str, config: Config) -> Backend | None:
    """Build the local backend for ``backends=["local"]``, writing to ``config.tracking_dir``."""
    if name == "local":
        return LocalBackend(config.tracking_dir)
    return None
