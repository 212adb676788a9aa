"""Read-only access to a tracking directory for the web UI and reports.

The UI never writes the store: connections are opened with SQLite's ``mode=ro`` (or
``immutable`` when even the shared-memory file cannot be made), nothing is migrated, no run is
marked KILLED (a RUNNING run whose writer died is *shown* as KILLED, as the client reports it).
Connections are pooled: ``http.server`` runs each request on a new thread.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import queue
import sqlite3
from collections.abc import Iterator

from autolog.store.filter import sql_like
from autolog.store.schema import SCHEMA_VERSION, open_connection, open_read_only, schema_version
from autolog.store.sqlite import DB_FILE, SqliteStore


class StoreUnavailable(RuntimeError):
    """The tracking directory has no readable store (missing, corrupt, or from a newer autolog)."""


class StoreReader:
    """A pool of read-only connections to one tracking directory's ``autolog.db``."""

    def __init__(self, tracking_dir: str, pool_size: int = 8) -> None:
        self.store = SqliteStore(tracking_dir)
        self.root = self.store.root
        self.db_path = os.path.join(self.root, DB_FILE)
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue(pool_size)
        self._migrated = False

    @property
    def artifacts_uri(self) -> str:
        return self.store.artifacts_uri

    def run_artifact_dir(self, run_id: str) -> str:
        return self.store.run_artifact_dir(run_id)

    def _open(self) -> sqlite3.Connection:
        if not os.path.isfile(self.db_path):
            raise StoreUnavailable(f"no autolog store in {self.root} (no {DB_FILE}): log a run there first, or pass --dir")
        uri = pathlib.Path(self.db_path).absolute().as_uri() + "?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=5)
            conn.create_function("autolog_like", 3, sql_like, deterministic=True)
            version = schema_version(conn)
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise StoreUnavailable(f"{self.db_path} is not a readable autolog store: {exc}") from exc
            try:  # no shared-memory file and no right to create one: read the file as it is
                conn = open_read_only(self.db_path)
                version = schema_version(conn)
            except (sqlite3.DatabaseError, RuntimeError) as inner:
                raise StoreUnavailable(f"cannot read {self.db_path}: {inner}") from inner
        if version != SCHEMA_VERSION:
            conn.close()
            self._upgrade(version)
            return self._open()
        conn.execute("PRAGMA cache_size = -32768")
        conn.execute("PRAGMA query_only = 1")
        return conn

    def _upgrade(self, version: int) -> None:
        """An older store is migrated once, as every autolog reader does; a newer one is refused."""
        if version > SCHEMA_VERSION or self._migrated:
            raise StoreUnavailable(
                f"{self.db_path} has schema version {version}; this autolog reads version {SCHEMA_VERSION}"
                + (": upgrade autolog-suite" if version > SCHEMA_VERSION else "")
            )
        self._migrated = True
        try:
            open_connection(self.db_path).close()
        except (sqlite3.DatabaseError, RuntimeError) as exc:
            raise StoreUnavailable(f"cannot read {self.db_path}: {exc}") from exc

    @contextlib.contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A pooled read-only connection for the duration of a request."""
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._open()
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "malformed" in str(exc) or "not a database" in str(exc):
                raise StoreUnavailable(f"{self.db_path} is not a readable autolog store: {exc}") from exc
            raise
        except BaseException:
            self._give_back(conn)
            raise
        self._give_back(conn)

    def _give_back(self, conn: sqlite3.Connection) -> None:
        try:
            self._pool.put_nowait(conn)
        except queue.Full:
            conn.close()

    def dead_runs(self, conn: sqlite3.Connection) -> set[str]:
        """RUNNING runs whose writer is gone (shown KILLED; the read-only store is not marked)."""
        return self.store.reap_dead_runs(conn)

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return
