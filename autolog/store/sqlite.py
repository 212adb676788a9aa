"""The local store: a tracking directory holding ``autolog.db`` (SQLite, WAL) and ``artifacts/``.

Layout::

    <root>/autolog.db                      runs, params, tags, metric history, latest metrics,
                                           datasets, the model registry
    <root>/artifacts/<run_id>/<path>       artifact files and model directories

:meth:`SqliteStore.write_batch` writes a dispatcher batch as one ``BEGIN IMMEDIATE``
transaction, so several processes can share a store: each waits for the others' short
transactions (busy timeout 60 s) and WAL lets readers run alongside. Artifacts are placed before
the transaction and idempotently, so a retried batch writes nothing twice.

Crash detection (:meth:`SqliteStore.reap_dead_runs`, called before every read by the client): a
RUNNING run whose writer process is gone (see :mod:`autolog.store.liveness`) is marked KILLED in
the database, ``end_time`` set to its last heartbeat, so filters and every reader see the same
status. The mark carries ``reaped = 1``: should the writer prove alive by writing again (a remote
host that was only silent), the run goes back to RUNNING.
"""

from __future__ import annotations

import functools
import getpass
import os
import pathlib
import sqlite3
import threading
import time
import warnings
from collections.abc import Sequence

from autolog.plots import spec_json
from autolog.records import (
    Artifact,
    DatasetInput,
    Metric,
    ModelRecord,
    Params,
    Plot,
    Record,
    RunEnd,
    RunStart,
    Tags,
)
from autolog.sdk import policy
from autolog.store import artifacts as artifact_files
from autolog.store.liveness import WriterIdentity, current_writer, writer_is_dead
from autolog.store.schema import open_connection, open_read_only

DB_FILE = "autolog.db"


def plot_path(artifact_path: str) -> str:
    """A plot's normalised artifact path (no extension), ``ValueError`` if it leaves the run."""
    return artifact_files.safe_relative_path(artifact_path)
ARTIFACTS_DIR = "artifacts"
DEFAULT_EXPERIMENT = policy.DEFAULT_EXPERIMENT
#: Tags MLflow keeps equal to a run's name, parent and user: written as tags, they set those.
RUN_NAME_TAG, PARENT_TAG, USER_TAG = "mlflow.runName", "mlflow.parentRunId", "mlflow.user"

_UPSERT_RUN = """
INSERT INTO runs (run_id, experiment_id, name, status, start_time, parent_run_id, user_id,
                  writer_pid, writer_host, writer_started, heartbeat)
VALUES (?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id) DO UPDATE SET
    experiment_id = excluded.experiment_id, name = excluded.name,
    status = 'RUNNING', end_time = NULL, start_time = MIN(runs.start_time, excluded.start_time),
    parent_run_id = COALESCE(runs.parent_run_id, excluded.parent_run_id),
    user_id = COALESCE(runs.user_id, excluded.user_id),
    writer_pid = excluded.writer_pid, writer_host = excluded.writer_host,
    writer_started = excluded.writer_started, heartbeat = excluded.heartbeat
RETURNING run_pk
"""
_INSERT_DATASET = """
INSERT OR IGNORE INTO datasets (run_pk, name, digest, context, source_type, schema, profile)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
_REWIND_METRICS = "DELETE FROM metrics WHERE run_pk = ? AND step > ?"
#: After a rewind, ``autolog sync`` watermarks of the run must not cover the row ids SQLite hands
#: out next (it reuses those of deleted rows at the end of the table).
_CLAMP_SYNC_MARKS = """
UPDATE sync_runs SET metric_rowid = MIN(metric_rowid, (SELECT COALESCE(MAX(rowid), 0) FROM metrics))
WHERE run_pk = ?
"""
_RECOMPUTE_LATEST = """
INSERT INTO latest_metrics (run_pk, key, value, step, timestamp)
SELECT run_pk, key, value, step, timestamp FROM (
    SELECT run_pk, key, value, step, timestamp,
           ROW_NUMBER() OVER (PARTITION BY key ORDER BY step DESC, timestamp DESC) AS rank
    FROM metrics WHERE run_pk = ?
) WHERE rank = 1
"""
_UPSERT_LATEST = """
INSERT INTO latest_metrics (run_pk, key, value, step, timestamp) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (run_pk, key) DO UPDATE SET
    value = excluded.value, step = excluded.step, timestamp = excluded.timestamp
WHERE (excluded.step, excluded.timestamp) >= (latest_metrics.step, latest_metrics.timestamp)
"""
_HEARTBEAT = """
UPDATE runs SET heartbeat = ?, writer_pid = ?, writer_host = ?, writer_started = ?,
    status = CASE WHEN reaped THEN 'RUNNING' ELSE status END,
    end_time = CASE WHEN reaped THEN NULL ELSE end_time END,
    reaped = 0
WHERE run_pk = ?
"""


def insert_experiment(conn: sqlite3.Connection, name: str, now: float) -> None:
    """Create experiment ``name`` unless it exists. ``Default`` takes id 0 when free, as in
    MLflow, so the first experiment a user creates is ``"1"`` as there."""
    conn.execute(
        "INSERT OR IGNORE INTO experiments (experiment_id, name, created_time, last_update_time) "
        "VALUES (CASE WHEN ? = ? AND NOT EXISTS (SELECT 1 FROM experiments WHERE experiment_id = 0) "
        "THEN 0 END, ?, ?, ?)",
        (name, DEFAULT_EXPERIMENT, name, now, now),
    )


@functools.lru_cache(maxsize=1)
def current_user() -> str:
    """The OS user running this process (``getpass.getuser()``), or ``"unknown"``."""
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # noqa: BLE001 - no login name, no passwd entry for the uid (containers)
        return "unknown"


def _immutable(path: str) -> bool:
    """Whether ``path`` refuses writes even though ``os.access`` says yes (root, ``chattr +i``,
    a read-only mount)."""
    try:
        with open(path, "r+b"):
            return False
    except OSError:
        return True


class SqliteStore:
    """One tracking directory. Connections are opened lazily, one per thread (and per process)."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(os.path.expanduser(root))
        self.db_path = os.path.join(self.root, DB_FILE)
        self.artifacts_root = os.path.join(self.root, ARTIFACTS_DIR)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        #: Register every stored model under this name (and move this alias to it), in the
        #: batch's transaction: ``autolog(registered_model_name=..., registered_model_alias=...)``.
        self.registered_model_name: str | None = None
        self.registered_model_alias: str | None = None
        # Writer caches, used only by the one thread that calls write_batch.
        self._experiment_ids: dict[str, int] = {}
        self._run_pks: dict[str, int] = {}
        self._active_runs: set[int] = set()
        #: runs another process owns that this one attached to: never heartbeaten nor ended here
        self._attached_ids: set[str] = set()

    def exists(self) -> bool:
        """Whether the database file exists (reads of a missing store find nothing)."""
        return os.path.isfile(self.db_path)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, creating the store on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            os.makedirs(self.root, exist_ok=True)
            try:
                conn = open_connection(self.db_path)
            except sqlite3.OperationalError:
                if not self.exists() or (os.access(self.root, os.W_OK) and os.access(self.db_path, os.W_OK) and not _immutable(self.db_path)):
                    raise
                conn = open_read_only(self.db_path)  # a store that cannot be written: readers go on
            self._local.conn, self._local.pid = conn, os.getpid()
            with self._lock:
                self._opened.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection this store opened in this process."""
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()

    def run_artifact_dir(self, run_id: str) -> str:
        return artifact_files.run_artifact_dir(self.artifacts_root, run_id)

    @property
    def artifacts_uri(self) -> str:
        """The artifact folder as a ``file://`` URI; run ``<id>`` has ``<this>/<id>``."""
        return pathlib.Path(self.artifacts_root).as_uri()

    # -- writing ---------------------------------------------------------------------------

    def write_batch(self, records: Sequence[Record]) -> None:
        """Store a batch atomically: artifacts first (idempotent), then one transaction."""
        for record in records:
            kind = type(record)
            if kind is Metric:
                continue
            if kind is Artifact or (kind is ModelRecord and record.local_path):  # type: ignore[union-attr]
                self._store_artifact(record)  # type: ignore[arg-type]
        conn = self.connection()
        active_before = set(self._active_runs)
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._write_rows(conn, records)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            # Keys handed out inside the rolled-back transaction may be reused by other writers.
            self._run_pks.clear()
            self._experiment_ids.clear()
            self._active_runs = active_before
            raise

    def _store_artifact(self, record: Artifact | ModelRecord) -> None:
        may_link = isinstance(record, ModelRecord) or record.staged
        try:
            run_dir = self.run_artifact_dir(record.run_id)
            target = artifact_files.destination(run_dir, record.local_path or "model", record.artifact_path)
        except ValueError as exc:
            warnings.warn(f"autolog: local store skipped an artifact: {exc}", stacklevel=2)
            return

        if not os.path.exists(record.local_path):
            warnings.warn(
                f"autolog: local store skipped artifact {record.local_path!r}: it no longer exists",
                stacklevel=2,
            )
            return
        skipped = artifact_files.store_artifact(record.local_path, target, may_link=may_link)
        if skipped:
            warnings.warn(
                f"autolog: local store skipped {len(skipped)} unreadable file(s) of artifact "
                f"{record.local_path!r}: {', '.join(skipped[:3])}{' ...' if len(skipped) > 3 else ''}; "
                "the rest of the run is stored",
                stacklevel=2,
            )

    def _write_rows(self, conn: sqlite3.Connection, records: Sequence[Record]) -> None:
        writer, now = current_writer(), time.time()
        metrics: list[Metric] = []
        params: list[tuple[int, str, str]] = []
        tags: list[tuple[int, str, str]] = []
        datasets: list[tuple[int, str, str, str | None, str, str, str]] = []
        plots: list[tuple[int, str, str]] = []
        files: list[tuple[int, str, bytes]] = []
        models: list[tuple[str, str]] = []
        touched: set[int] = set()
        unknown: set[str] = set()
        for record in records:
            if type(record) is Metric:
                metrics.append(record)
                continue
            if isinstance(record, RunStart):
                started = self._attach_run(conn, record) if record.attach else self._start_run(conn, record, writer, now)
                if started is None:
                    unknown.add(record.run_id)
                    continue
                tags.extend((started, k, str(v)) for k, v in record.tags.items())
                touched.add(started)
                continue
            known = self._run_pk(conn, record.run_id)
            if known is None:
                unknown.add(record.run_id)
                continue
            run_pk = known
            if isinstance(record, DatasetInput):
                datasets.append((run_pk, record.name, record.digest, record.context or None,
                                 record.source_type, record.schema, record.profile))
            elif isinstance(record, RunEnd):
                if record.detach:  # the owner ends it
                    continue
                status = getattr(record.status, "value", record.status)
                conn.execute(
                    "UPDATE runs SET status = ?, end_time = ?, reaped = 0 WHERE run_pk = ?",
                    (str(status), record.end_time, run_pk),
                )
                self._active_runs.discard(run_pk)
                continue
            else:
                if isinstance(record, Params):
                    params.extend((run_pk, k, str(v)) for k, v in record.params.items())
                elif isinstance(record, Tags):
                    tags.extend((run_pk, k, str(v)) for k, v in record.tags.items())
                    if RUN_NAME_TAG in record.tags or PARENT_TAG in record.tags:
                        self._apply_system_tags(conn, run_pk, record.tags)
                elif isinstance(record, Plot):
                    plots.append((run_pk, plot_path(record.artifact_path), spec_json(record.spec)))
                elif isinstance(record, ModelRecord) and record.files and not record.local_path:
                    folder = plot_path(record.artifact_path)
                    files.extend((run_pk, f"{folder}/{plot_path(name)}", data) for name, data in record.files.items())
                    models.append((record.run_id, folder))
                elif isinstance(record, ModelRecord):
                    models.extend(self._stored_model(record))
            touched.add(run_pk)
        if datasets:
            conn.executemany(_INSERT_DATASET, datasets)
        if plots:
            conn.executemany("INSERT OR REPLACE INTO plots VALUES (?, ?, ?)", plots)
        if files:
            conn.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", files)
        if params:
            conn.executemany("INSERT OR IGNORE INTO params VALUES (?, ?, ?)", params)
        if tags:
            conn.executemany(
                "INSERT INTO tags VALUES (?, ?, ?) "
                "ON CONFLICT (run_pk, key) DO UPDATE SET value = excluded.value",
                tags,
            )
        if metrics:
            touched.update(self._write_metrics(conn, metrics, unknown))
        if models and self.registered_model_name:
            self._register_models(conn, models)
        if unknown:
            warnings.warn(
                f"autolog: local store skipped records of {len(unknown)} run(s) it never saw start "
                f"({', '.join(sorted(unknown)[:3])}{'...' if len(unknown) > 3 else ''})",
                stacklevel=2,
            )
        beat = (now, writer.pid, writer.host, writer.started)
        beating = self._active_runs | touched
        if self._attached_ids:
            beating -= {self._run_pks.get(run_id) for run_id in self._attached_ids}
        conn.executemany(_HEARTBEAT, [(*beat, run_pk) for run_pk in beating])

    def _stored_model(self, record: ModelRecord) -> list[tuple[str, str]]:
        """``[(run_id, folder)]`` for a model directory placed in the run's folder, else ``[]``."""
        try:
            folder = policy.artifact_destination(record.local_path, record.artifact_path)
            placed = os.path.isdir(os.path.join(self.run_artifact_dir(record.run_id), *folder.split("/")))
        except ValueError:
            return []
        return [(record.run_id, folder)] if placed else []

    def _register_models(self, conn: sqlite3.Connection, models: list[tuple[str, str]]) -> None:
        from autolog.store.registry_versions import register_logged_model

        for run_id, folder in models:
            register_logged_model(
                conn, str(self.registered_model_name), self.registered_model_alias,
                f"{self.artifacts_uri}/{run_id}/{folder}", run_id, folder, current_user(),
            )

    def _write_metrics(self, conn: sqlite3.Connection, metrics: list[Metric], unknown: set[str]) -> set[int]:
        """Append the points; move each (run, key)'s latest point once, computed here."""
        rows: list[tuple[int, str, float, int, float]] = []
        append = rows.append
        latest: dict[tuple[int, str], Metric] = {}
        last_run_id, run_pk = None, None
        for m in metrics:
            if m.run_id != last_run_id:
                last_run_id = m.run_id
                run_pk = self._run_pk(conn, last_run_id)
            if run_pk is None:
                unknown.add(m.run_id)
                continue
            step, timestamp = m.step, m.timestamp
            append((run_pk, m.key, m.value, step, timestamp))
            slot = (run_pk, m.key)
            best = latest.get(slot)
            if best is None or (step, timestamp) >= (best.step, best.timestamp):
                latest[slot] = m
        conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?)", rows)
        conn.executemany(
            _UPSERT_LATEST,
            [(slot[0], slot[1], m.value, m.step, m.timestamp) for slot, m in latest.items()],
        )
        return {slot[0] for slot in latest}

    def _experiment_id(self, conn: sqlite3.Connection, name: str, now: float) -> int:
        cached = self._experiment_ids.get(name)
        if cached is None:
            insert_experiment(conn, name, now)
            row = conn.execute("SELECT experiment_id FROM experiments WHERE name = ?", (name,))
            cached = self._experiment_ids[name] = row.fetchone()[0]
        return cached

    def _start_run(
        self, conn: sqlite3.Connection, run: RunStart, writer: WriterIdentity, now: float
    ) -> int:
        experiment_id = self._experiment_id(conn, run.experiment or DEFAULT_EXPERIMENT, now)
        name = run.name or str(run.tags.get(RUN_NAME_TAG, ""))
        parent = run.parent_run_id or run.tags.get(PARENT_TAG)
        user = str(run.tags.get(USER_TAG) or current_user())
        row = conn.execute(
            _UPSERT_RUN,
            (run.run_id, experiment_id, name, run.start_time, parent, user,
             writer.pid, writer.host, writer.started, now),
        ).fetchone()
        run_pk = row[0]
        self._run_pks[run.run_id] = run_pk
        self._active_runs.add(run_pk)
        if run.resume_step is not None:  # resumed from a checkpoint: drop the lost attempt's tail
            conn.execute(_REWIND_METRICS, (run_pk, run.resume_step))
            conn.execute(_CLAMP_SYNC_MARKS, (run_pk,))
            conn.execute("DELETE FROM latest_metrics WHERE run_pk = ?", (run_pk,))
            conn.execute(_RECOMPUTE_LATEST, (run_pk,))
        return run_pk

    def _attach_run(self, conn: sqlite3.Connection, run: RunStart) -> int | None:
        """An existing run this process logs into without owning it (its writer identity,
        heartbeat and status stay the owner's); None when the store does not hold it."""
        self._attached_ids.add(run.run_id)
        return self._run_pk(conn, run.run_id)

    @staticmethod
    def _apply_system_tags(conn: sqlite3.Connection, run_pk: int, tags) -> None:
        """``mlflow.runName`` renames the run (as in MLflow); ``mlflow.parentRunId`` sets a parent
        the run lacks."""
        if RUN_NAME_TAG in tags:
            name = str(tags[RUN_NAME_TAG])
            conn.execute("UPDATE runs SET name = ? WHERE run_pk = ?", (name, run_pk))
        if PARENT_TAG in tags:
            conn.execute(
                "UPDATE runs SET parent_run_id = COALESCE(parent_run_id, ?) WHERE run_pk = ?",
                (str(tags[PARENT_TAG]), run_pk),
            )

    def _run_pk(self, conn: sqlite3.Connection, run_id: str) -> int | None:
        """The run's key; None for a run this store never saw start (its records are skipped:
        the store never invents a run)."""
        cached = self._run_pks.get(run_id)
        if cached is not None:
            return cached
        row = conn.execute("SELECT run_pk, status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        if row[1] == "RUNNING" and run_id not in self._attached_ids:
            self._active_runs.add(row[0])
        self._run_pks[run_id] = row[0]
        return row[0]

    # -- crash detection -------------------------------------------------------------------

    def reap_dead_runs(self, conn: sqlite3.Connection | None = None) -> set[str]:
        """Mark KILLED every RUNNING run whose writer is gone; return the run ids found dead.

        Marking needs a short write; if the store cannot be written (read-only copy, or busy
        past the timeout) the dead runs are still returned so the caller can report them.
        """
        conn = conn or self.connection()
        running = conn.execute(
            "SELECT run_pk, run_id, writer_pid, writer_host, writer_started, heartbeat "
            "FROM runs WHERE status = 'RUNNING'"
        ).fetchall()
        now, this_host = time.time(), current_writer().host
        verdicts: dict[tuple, bool] = {}  # many runs share a local writer: ask about it once
        dead = []
        for row in running:
            writer = row[2:5] if row[3] == this_host else row[2:6]
            if writer not in verdicts:
                pid, host, started, heartbeat = row[2:6]
                verdicts[writer] = writer_is_dead(pid, host, started, heartbeat, now, this_host=this_host)
            if verdicts[writer]:
                dead.append(row)
        if not dead:
            return set()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "UPDATE runs SET status = 'KILLED', end_time = coalesce(heartbeat, start_time), "
                "reaped = 1 WHERE run_pk = ? AND status = 'RUNNING' AND heartbeat IS ?",
                [(row[0], row[5]) for row in dead],
            )
            conn.execute("COMMIT")
        except sqlite3.OperationalError:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        return {row[1] for row in dead}

