"""MLflow's tracking-client methods on :class:`autolog.Client`: experiments with ids and tags, run
tags, names, status, delete and restore.

A mixin of :class:`autolog.client.Client`, so code written for ``mlflow.MlflowClient`` runs with
``from autolog import Client as MlflowClient``. Each write is one transaction on the local store;
a run or experiment that does not exist raises a ``LookupError`` naming it, bad input a
``ValueError``, and nothing is half-written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from autolog.store import experiments as store
from autolog.store.entities import Experiment, ExperimentNotFound, PagedList, ViewType

if TYPE_CHECKING:
    from autolog.store.sqlite import SqliteStore


class TrackingClientMixin:
    """Experiments and run edits in the shape of ``mlflow.MlflowClient`` (see the module doc)."""

    _store: SqliteStore

    if TYPE_CHECKING:  # what the client provides

        def _connection(self) -> sqlite3.Connection | None: ...

    def _writer(self) -> sqlite3.Connection:
        """A connection that creates the store when it does not exist yet (after the flush)."""
        return self._connection() or self._store.connection()

    # -- experiments -----------------------------------------------------------------------
    def create_experiment(self, name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None) -> str:
        """Create experiment ``name`` and return its id (a string, as MLflow's); ``ValueError``
        if one of that name exists. ``artifact_location`` is not supported on the local store
        (artifacts live in its folder): give None."""
        if artifact_location is not None:
            raise ValueError("the local store keeps artifacts in its own folder: artifact_location must be None")
        return store.create_experiment(self._writer(), name, tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id; :class:`~autolog.store.entities.ExperimentNotFound` if none."""
        conn = self._connection()
        if conn is None:
            raise ExperimentNotFound(f"no experiment with id {experiment_id!r} in {self._store.root}")
        return store.get_experiment(conn, experiment_id, self._store.artifacts_uri)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment called ``name``, or None."""
        conn = self._connection()
        return None if conn is None else store.get_experiment_by_name(conn, name, self._store.artifacts_uri)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """Experiments matching ``filter_string`` (e.g. ``"name LIKE 'qa-%' AND tags.team = 'nlp'"``),
        newest first unless ``order_by`` says otherwise; one page, ``token`` for the next."""
        conn = self._connection()
        if conn is None:  # nothing logged here yet: check the arguments, find nothing
            store.validate_experiment_search(view_type, max_results, filter_string, order_by, page_token)
            return PagedList()
        return store.search_experiments(
            conn, view_type, max_results, filter_string, order_by, page_token, self._store.artifacts_uri
        )

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        store.set_experiment_tag(self._writer(), experiment_id, key, value)

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark the experiment and its runs deleted (hidden from searches; data kept)."""
        store.set_experiment_stage(self._writer(), experiment_id, "deleted")

    def restore_experiment(self, experiment_id: str) -> None:
        store.set_experiment_stage(self._writer(), experiment_id, "active")

    # -- runs ------------------------------------------------------------------------------
    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        """Set one tag; ``mlflow.runName`` renames the run, as in MLflow."""
        store.set_run_tags(self._writer(), run_id, {key: value})

    def delete_tag(self, run_id: str, key: str) -> None:
        store.delete_run_tag(self._writer(), run_id, key)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        """Set a run's status (``FINISHED``, ``FAILED``, ...) and/or rename it."""
        store.update_run(self._writer(), run_id, status, name)

    def rename_run(self, run_id: str, name: str) -> None:
        """Rename a run (same as ``update_run(run_id, name=name)``)."""
        store.update_run(self._writer(), run_id, name=name)

    def delete_run(self, run_id: str) -> None:
        """Mark the run deleted: hidden from ``search_runs`` unless ``run_view_type`` asks for
        deleted runs; ``get_run`` still returns it, ``lifecycle_stage`` ``"deleted"``."""
        store.set_run_stage(self._writer(), run_id, "deleted")

    def restore_run(self, run_id: str) -> None:
        store.set_run_stage(self._writer(), run_id, "active")
