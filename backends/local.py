"""The local backend (the default): every batch into the embedded SQLite store.

Writes ``<tracking_dir>/autolog.db`` and ``<tracking_dir>/artifacts/<run_id>/``; read back with
:class:`autolog.client.Client` or ``autolog runs``. See :mod:`autolog.store.sqlite` for the
layout, the concurrency model and crash detection. With ``registered_model_name`` every model it
stores becomes a new version of that registered model (``registered_model_alias`` moves to it),
in the model's own transaction (see :mod:`autolog.model_registry`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autolog.sdk import Backend, BackendUnavailable, hookimpl

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

    def __init__(
        self,
        tracking_dir: str | None = None,
        registered_model_name: str | None = None,
        registered_model_alias: str | None = None,
    ) -> None:
        from autolog.store import default_tracking_dir

        if registered_model_name is not None or registered_model_alias is not None:
            from autolog.store.registry import check_alias, check_name

            if registered_model_name is None:
                raise ValueError("registered_model_alias needs registered_model_name")
            check_name(registered_model_name)
            if registered_model_alias is not None:
                check_alias(registered_model_alias)
        self.tracking_dir = default_tracking_dir(tracking_dir)
        #: Every model stored becomes a new version of this registered model (and the alias
        #: moves to it), in the same transaction as the model itself.
        self.registered_model_name = registered_model_name
        self.registered_model_alias = registered_model_alias
        self._store: SqliteStore | None = None

    @property
    def store(self) -> SqliteStore:
        if self._store is None:
            from autolog.store.sqlite import SqliteStore

            self._store = SqliteStore(self.tracking_dir)
            self._store.registered_model_name = self.registered_model_name
            self._store.registered_model_alias = self.registered_model_alias
        return self._store

    def write_batch(self, batch: Sequence[Record]) -> None:
        """Store the whole batch atomically (artifact files first, then one transaction).

        A tracking directory that cannot be written (read-only, no permission) makes the backend
        unavailable at once, with the folder named, rather than retried until exit."""
        import sqlite3

        try:
            self.store.write_batch(batch)
        except PermissionError as exc:
            raise BackendUnavailable(f"the tracking directory {self.tracking_dir} is not writable ({exc})") from exc
        except sqlite3.OperationalError as exc:
            if _unwritable(exc):
                raise BackendUnavailable(
                    f"the local store in {self.tracking_dir} cannot be written ({exc})"
                ) from exc
            raise

    def is_transient(self, exc: BaseException) -> bool:
        """Only another process holding the database is worth waiting for."""
        import sqlite3

        return isinstance(exc, sqlite3.OperationalError) and any(
            word in str(exc) for word in ("locked", "busy")
        )

    def flush(self) -> None:
        """Nothing to do: each batch is committed before ``write_batch`` returns."""

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"name": self.name, "tracking_dir": self.tracking_dir}
        if self.registered_model_name:
            info["registered_model_name"] = self.registered_model_name
        return info


def _unwritable(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(words in text for words in ("readonly", "read-only", "unable to open", "disk i/o error", "permission"))


@hookimpl
def autolog_make_backend(name: str, config: Config) -> Backend | None:
    """Build the local backend for ``backends=["local"]``, writing to ``config.tracking_dir``
    and registering models under ``config.registered_model_name``."""
    if name == "local":
        return LocalBackend(config.tracking_dir, config.registered_model_name, config.registered_model_alias)
    return None
