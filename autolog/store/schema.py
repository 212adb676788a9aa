"""The local store's SQLite schema, connection settings and migrations.

Runs are referenced internally by an integer ``run_pk`` (compact metric rows); the public
``run_id`` is unique in ``runs``. ``meta`` holds ``schema_version``: opening a store applies the
migrations from its version up to :data:`SCHEMA_VERSION`, and refuses a store written by a newer
autolog. A new store is created as version 1 and migrated like an old one, so both end up alike.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator

from autolog.store.filter import sql_like

SCHEMA_VERSION = 6
#: The oldest schema a store that cannot be written is still read at: later versions only added
#: tables (version 4: the model registry, 6: what sync delivered; each read as empty from an
#: older store) and columns with defaults (version 5: lifecycle stages, read as "active"
#: through temporary views).
READ_ONLY_SINCE = 3
#: How long a writer waits for another process's transaction before failing (milliseconds).
BUSY_TIMEOUT_MS = 60_000

_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE experiments (
    experiment_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_time REAL NOT NULL
);
CREATE TABLE runs (
    run_pk INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    start_time REAL NOT NULL,
    end_time REAL,
    parent_run_id TEXT,
    writer_pid INTEGER,
    writer_host TEXT,
    writer_started INTEGER,
    heartbeat REAL,
    reaped INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_start_time ON runs (start_time);
CREATE INDEX runs_by_status ON runs (status);
CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time);
CREATE TABLE params (
    run_pk INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, UNIQUE (run_pk, key)
);
CREATE TABLE tags (
    run_pk INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, UNIQUE (run_pk, key)
);
CREATE TABLE metrics (
    run_pk INTEGER NOT NULL, key TEXT NOT NULL, value REAL, step INTEGER NOT NULL,
    timestamp REAL NOT NULL
);
CREATE INDEX metrics_by_run_key_step ON metrics (run_pk, key, step);
CREATE TABLE latest_metrics (
    run_pk INTEGER NOT NULL, key TEXT NOT NULL, value REAL, step INTEGER NOT NULL,
    timestamp REAL NOT NULL, PRIMARY KEY (run_pk, key)
) WITHOUT ROWID;
CREATE INDEX latest_metrics_by_key_value ON latest_metrics (key, value);
"""

#: Version 2: who started each run (``user_id``, NULL for runs written before), the datasets runs
#: used, and an index on the start time in milliseconds (filters and the default order use it).
_MIGRATE_V1_TO_V2 = """
ALTER TABLE runs ADD COLUMN user_id TEXT;
CREATE INDEX runs_by_start_ms ON runs (CAST(start_time * 1000 AS INTEGER) DESC, run_id);
CREATE TABLE datasets (
    run_pk INTEGER NOT NULL, name TEXT NOT NULL, digest TEXT NOT NULL, context TEXT,
    source_type TEXT NOT NULL DEFAULT '', schema TEXT NOT NULL DEFAULT '',
    profile TEXT NOT NULL DEFAULT '', UNIQUE (run_pk, name, digest)
)
"""


#: Version 3: plots stored as their data (one row per plot; rendered to PNG files when first
#: read), and small artifact files (a scikit-learn model) kept in the database until first read,
#: so a fit's records land in one transaction with no file created during training.
_MIGRATE_V2_TO_V3 = """
CREATE TABLE plots (
    run_pk INTEGER NOT NULL, path TEXT NOT NULL, spec TEXT NOT NULL, PRIMARY KEY (run_pk, path)
) WITHOUT ROWID;
CREATE TABLE files (
    run_pk INTEGER NOT NULL, path TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_pk, path)
) WITHOUT ROWID
"""

#: Version 4: the model registry. Registered models hand out version numbers from
#: ``next_version`` inside the registering transaction, so concurrent registrations never share
#: a number and a deleted version's number is never reused (as in MLflow). Times are
#: milliseconds since the epoch, as MLflow's registry keeps them.
_MIGRATE_V3_TO_V4 = """
CREATE TABLE registered_models (
    name TEXT PRIMARY KEY, description TEXT, creation_time INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL, next_version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE registered_model_tags (
    name TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (name, key)
) WITHOUT ROWID;
CREATE TABLE model_versions (
    name TEXT NOT NULL, version INTEGER NOT NULL, run_id TEXT, model_path TEXT,
    source TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'READY', description TEXT, user_id TEXT,
    run_link TEXT, current_stage TEXT NOT NULL DEFAULT 'None', creation_time INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL, PRIMARY KEY (name, version)
);
CREATE INDEX model_versions_by_run ON model_versions (run_id);
CREATE TABLE model_version_tags (
    name TEXT NOT NULL, version INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (name, version, key)
) WITHOUT ROWID;
CREATE TABLE registered_model_aliases (
    name TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (name, alias)
) WITHOUT ROWID
"""


#: Version 5: MLflow's lifecycle (a deleted run or experiment is hidden from searches until
#: restored) and experiment tags, for the MLflow-shaped client (:mod:`autolog._client_tracking`).
_MIGRATE_V4_TO_V5 = """
ALTER TABLE runs ADD COLUMN lifecycle_stage TEXT NOT NULL DEFAULT 'active';
ALTER TABLE experiments ADD COLUMN lifecycle_stage TEXT NOT NULL DEFAULT 'active';
ALTER TABLE experiments ADD COLUMN last_update_time REAL;
CREATE TABLE experiment_tags (
    experiment_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (experiment_id, key)
) WITHOUT ROWID
"""

#: Version 6: what ``autolog sync`` delivered to each target (a backend and where it writes),
#: per run: the target's id for the run, the metric rows sent (every row up to ``metric_rowid``),
#: the final status sent, and in ``sync_items`` each param, tag, dataset, plot, model and
#: artifact sent with a digest of what was sent (a changed tag or file is sent again).
_MIGRATE_V5_TO_V6 = """
CREATE TABLE sync_targets (
    target_pk INTEGER PRIMARY KEY, backend TEXT NOT NULL, target TEXT NOT NULL UNIQUE,
    created_time REAL NOT NULL
);
CREATE TABLE sync_runs (
    target_pk INTEGER NOT NULL, run_pk INTEGER NOT NULL, target_run_id TEXT,
    metric_rowid INTEGER NOT NULL DEFAULT 0, metric_points INTEGER NOT NULL DEFAULT 0,
    status TEXT, synced_time REAL, PRIMARY KEY (target_pk, run_pk)
) WITHOUT ROWID;
CREATE INDEX sync_runs_by_run ON sync_runs (run_pk);
CREATE TABLE sync_items (
    target_pk INTEGER NOT NULL, run_pk INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
    digest TEXT NOT NULL, PRIMARY KEY (target_pk, run_pk, kind, key)
) WITHOUT ROWID
"""


#: How a store older than version 5 that cannot be written is read: temporary views (searched
#: before the database's own tables) give its runs and experiments version 5's columns.
_READ_AS_V5 = """
CREATE TEMP VIEW runs AS SELECT *, 'active' AS lifecycle_stage FROM main.runs;
CREATE TEMP VIEW experiments AS
    SELECT *, 'active' AS lifecycle_stage, created_time AS last_update_time FROM main.experiments;
CREATE TEMP TABLE experiment_tags (experiment_id INTEGER, key TEXT, value TEXT)
"""


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute ``;``-separated statements inside the caller's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


#: version n -> the function migrating a version-n store to n + 1 (inside one transaction).
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: lambda conn: _run_script(conn, _MIGRATE_V1_TO_V2),
    2: lambda conn: _run_script(conn, _MIGRATE_V2_TO_V3),
    3: lambda conn: _run_script(conn, _MIGRATE_V3_TO_V4),
    4: lambda conn: _run_script(conn, _MIGRATE_V4_TO_V5),
    5: lambda conn: _run_script(conn, _MIGRATE_V5_TO_V6),
}


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` write transaction on an autocommit connection: committed on
    success, rolled back on any error, so a write is whole or absent."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class SchemaTooNew(RuntimeError):
    """The store was written by a newer autolog whose schema this one does not know."""


def open_connection(db_path: str) -> sqlite3.Connection:
    """Connect to ``db_path`` (created if missing) in WAL mode, with the schema up to date.

    The connection is in autocommit mode (``isolation_level=None``): writers open their own
    ``BEGIN IMMEDIATE`` transactions, so a lock is taken up front and waited for, never upgraded.
    """
    conn = sqlite3.connect(
        db_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -65536")  # 64 MiB: the metric index stays in memory
        conn.create_function("autolog_like", 3, sql_like, deterministic=True)
        _ensure_schema(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def open_read_only(db_path: str) -> sqlite3.Connection:
    """Connect to an existing store that cannot be written (a read-only folder or mount), for
    reading: no schema change, no journal change. ``immutable`` tells SQLite nobody writes it, so
    a WAL store opens without its shared-memory file."""
    import pathlib

    uri = pathlib.Path(db_path).absolute().as_uri() + "?mode=ro&immutable=1"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        conn.create_function("autolog_like", 3, sql_like, deterministic=True)
        version = schema_version(conn)
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"this autolog store has schema version {version}, newer than the {SCHEMA_VERSION} "
                "this autolog understands: upgrade autolog-suite"
            )
        if version < READ_ONLY_SINCE:
            raise sqlite3.OperationalError(
                f"this read-only store has schema version {version}; this autolog reads "
                f"{READ_ONLY_SINCE} or later and cannot migrate a store it cannot write"
            )
        if version < 5:
            _run_script(conn, _READ_AS_V5)
    except BaseException:
        conn.close()
        raise
    return conn


def _retry_locked(action: Callable[[], object], attempts: int = 100) -> None:
    """Run ``action``, retrying while SQLite reports the database locked without waiting."""
    for attempt in range(attempts):
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def schema_version(conn: sqlite3.Connection) -> int:
    """The store's schema version; 0 for an empty database."""
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _ensure_schema(conn: sqlite3.Connection) -> None:
    version = schema_version(conn)
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"this autolog store has schema version {version}, newer than the {SCHEMA_VERSION} "
            "this autolog understands: upgrade autolog-suite"
        )
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(conn)  # another process may have created it meanwhile
        if version == 0:
            _run_script(conn, _SCHEMA_V1)
            conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
            version = 1
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](conn)
            version += 1
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
