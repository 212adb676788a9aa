"""What ``autolog sync`` delivered to each target: the watermarks kept in the local store.

A *target* is one backend writing to one place (``mlflow`` at a tracking URI, ``wandb`` in a
project, ``tensorboard`` in a log dir), identified by the backend's name and ``describe()``. Per
target and run the store keeps (schema version 6):

* ``sync_runs``: the target's own id for the run (MLflow's run id), the metric rows delivered
  (every row of the run up to ``metric_rowid``: row ids grow as points are written, so new points
  are those above it), how many points that was, and the final status delivered;
* ``sync_items``: each param, the tag set, each dataset, plot, model and artifact delivered,
  with a digest of what was sent, so a changed tag or a rewritten file is sent again; and what
  the model registry sent (:mod:`autolog._sync_registry`): ``registry_version`` items under
  their source run, ``registry_model`` and ``registry_alias`` items under ``run_pk`` 0.

Every update is one short ``BEGIN IMMEDIATE`` transaction after a batch reached the target, so a
sync killed at any point resumes at the last batch it recorded.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


def target_key(description: Mapping[str, Any]) -> str:
    """A stable key for a backend's ``describe()``: where its data goes."""
    return json.dumps(dict(description), sort_keys=True, default=str)


@dataclass
class RunMark:
    """What a target holds of one run."""

    target_run_id: str | None = None
    metric_rowid: int = 0
    metric_points: int = 0
    status: str | None = None
    #: (kind, key) -> digest of what was sent
    items: dict[tuple[str, str], str] = field(default_factory=dict)
    #: whether the target was ever sent anything of this run (a row exists)
    known: bool = False


@dataclass
class Delivered:
    """What one batch delivered of one run, to be recorded."""

    run_pk: int
    target_run_id: str | None = None
    metric_rowid: int = 0
    metric_points: int = 0
    status: str | None = None
    items: dict[tuple[str, str], str] = field(default_factory=dict)


class SyncState:
    """The watermarks of one target in one store (``conn`` is a writable connection)."""

    def __init__(self, conn: sqlite3.Connection, backend: str, target: str) -> None:
        self.conn = conn
        self.backend = backend
        self.target = target
        row = conn.execute("SELECT target_pk FROM sync_targets WHERE target = ?", (target,)).fetchone()
        self.target_pk: int | None = row[0] if row else None

    def marks(self, run_pks: Sequence[int]) -> dict[int, RunMark]:
        """Each run's mark (a fresh one for runs never sent here)."""
        marks = {pk: RunMark() for pk in run_pks}
        if self.target_pk is None or not run_pks:
            return marks
        pks = json.dumps(list(run_pks))
        rows = self.conn.execute(
            "SELECT run_pk, target_run_id, metric_rowid, metric_points, status FROM sync_runs "
            "WHERE target_pk = ? AND run_pk IN (SELECT value FROM json_each(?))",
            (self.target_pk, pks),
        )
        for run_pk, target_run_id, rowid, points, status in rows:
            marks[run_pk] = RunMark(target_run_id, rowid, points, status, {}, True)
        items = self.conn.execute(
            "SELECT run_pk, kind, key, digest FROM sync_items "
            "WHERE target_pk = ? AND run_pk IN (SELECT value FROM json_each(?))",
            (self.target_pk, pks),
        )
        for run_pk, kind, key, digest in items:
            marks[run_pk].items[(kind, key)] = digest
        return marks

    def record(self, delivered: Iterable[Delivered]) -> None:
        """Record what a batch delivered, in one transaction."""
        delivered = list(delivered)
        if not delivered:
            return
        conn, now = self.conn, time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            pk = self._target_row(now)
            conn.executemany(
                "INSERT INTO sync_runs (target_pk, run_pk, target_run_id, metric_rowid, metric_points, status, "
                "synced_time) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target_pk, run_pk) DO UPDATE SET "
                "target_run_id = COALESCE(excluded.target_run_id, target_run_id), "
                "metric_rowid = MAX(metric_rowid, excluded.metric_rowid), "
                "metric_points = metric_points + excluded.metric_points, "
                "status = COALESCE(excluded.status, status), synced_time = excluded.synced_time",
                [(pk, d.run_pk, d.target_run_id, d.metric_rowid, d.metric_points, d.status, now) for d in delivered],
            )
            conn.executemany(
                "INSERT INTO sync_items VALUES (?, ?, ?, ?, ?) ON CONFLICT (target_pk, run_pk, kind, key) "
                "DO UPDATE SET digest = excluded.digest",
                [(pk, d.run_pk, kind, key, digest) for d in delivered for (kind, key), digest in d.items.items()],
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _target_row(self, now: float) -> int:
        """The target's ``target_pk``, its row made now if new (inside the caller's transaction)."""
        if self.target_pk is None:
            self.conn.execute(
                "INSERT OR IGNORE INTO sync_targets (backend, target, created_time) VALUES (?, ?, ?)",
                (self.backend, self.target, now),
            )
            row = self.conn.execute("SELECT target_pk FROM sync_targets WHERE target = ?", (self.target,))
            self.target_pk = int(row.fetchone()[0])
        return self.target_pk

    def forget(self, run_pk: int) -> None:
        """Forget what the target was sent of a run (it no longer has it): sent again whole."""
        if self.target_pk is None:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for table in ("sync_runs", "sync_items"):
                self.conn.execute(f"DELETE FROM {table} WHERE target_pk = ? AND run_pk = ?", (self.target_pk, run_pk))
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise


    def target_runs(self) -> dict[int, str]:
        """run_pk -> the target's run id, of every run the target holds (with an id of its own)."""
        if self.target_pk is None:
            return {}
        rows = self.conn.execute(
            "SELECT run_pk, target_run_id FROM sync_runs WHERE target_pk = ? AND target_run_id IS NOT NULL",
            (self.target_pk,),
        )
        return dict(rows.fetchall())

    def items_of(self, kinds: Sequence[str]) -> list[tuple[str, str, int, str]]:
        """(kind, key, run_pk, digest) of every item of ``kinds`` sent to the target."""
        if self.target_pk is None:
            return []
        rows = self.conn.execute(
            "SELECT kind, key, run_pk, digest FROM sync_items WHERE target_pk = ? "
            "AND kind IN (SELECT value FROM json_each(?))",
            (self.target_pk, json.dumps(list(kinds))),
        )
        return list(rows)

    def record_item(self, run_pk: int, kind: str, key: str, digest: str | None) -> None:
        """Record one item sent outside a run's batches (a registry version, an alias): ``digest``
        None forgets it. ``run_pk`` is 0 for what belongs to no run (a registered model, an alias)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            pk = self._target_row(time.time())
            if digest is None:
                conn.execute(
                    "DELETE FROM sync_items WHERE target_pk = ? AND run_pk = ? AND kind = ? AND key = ?",
                    (pk, run_pk, kind, key),
                )
            else:
                conn.execute(
                    "INSERT INTO sync_items VALUES (?, ?, ?, ?, ?) ON CONFLICT (target_pk, run_pk, kind, key) "
                    "DO UPDATE SET digest = excluded.digest",
                    (pk, run_pk, kind, key, digest),
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


#: The model registry's tables (schema version 4, branch ``registry``).
REGISTRY_TABLES = ("registered_models", "model_versions", "registered_model_aliases")


def registry_tables(conn: sqlite3.Connection) -> list[str]:
    """The model-registry tables this store has (none before the registry's schema version);
    :mod:`autolog._sync_registry` sends what they hold."""
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (SELECT value FROM json_each(?)) "
        "ORDER BY name",
        (json.dumps(REGISTRY_TABLES),),
    )
    return [name for (name,) in rows]
