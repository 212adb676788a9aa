"""Schema versions: a store written by an autolog with schema 1 is migrated in place on open (to the current version)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from autolog.backends.local import LocalBackend

from autolog.client import Client
from autolog.records import DatasetInput, RunStart
from autolog.store import schema
from autolog.store.sqlite import DB_FILE, current_user


def _write_version_1_store(tracking_dir: Path) -> None:
    """A store as autolog with schema 1 left it: one finished run with a param, tag and metric."""
    tracking_dir.mkdir(parents=True)
    conn = sqlite3.connect(tracking_dir / DB_FILE)
    for statement in schema._SCHEMA_V1.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.executescript(
        """
        INSERT INTO meta VALUES ('schema_version', '1');
        INSERT INTO experiments (experiment_id, name, created_time) VALUES (1, 'old', 1.0);
        INSERT INTO runs (run_pk, run_id, experiment_id, name, status, start_time, end_time)
            VALUES (1, 'r-old', 1, 'legacy', 'FINISHED', 1700000000.5, 1700000010.0);
        INSERT INTO params VALUES (1, 'lr', '0.1');
        INSERT INTO tags VALUES (1, 'team', 'red');
        INSERT INTO metrics VALUES (1, 'acc', 0.9, 0, 1700000001.0);
        INSERT INTO latest_metrics VALUES (1, 'acc', 0.9, 0, 1700000001.0);
        """
    )
    conn.commit()
    conn.close()


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_a_version_1_store_migrates_to_the_current_version_and_keeps_its_runs(tmp_path: Path) -> None:
    tracking_dir = tmp_path / "autolog-runs"
    _write_version_1_store(tracking_dir)

    client = Client(str(tracking_dir))
    (run,) = client.search_runs(filter_string="attributes.start_time = 1700000000500")
    assert (run.run_id, run.name, run.experiment, run.status) == ("r-old", "legacy", "old", "FINISHED")
    assert (run.params, run.tags, run.metrics) == ({"lr": "0.1"}, {"team": "red"}, {"acc": 0.9})
    assert run.user_id is None  # nobody recorded who wrote it
    assert run.datasets == ()
    client.close()

    conn = sqlite3.connect(tracking_dir / DB_FILE)
    assert schema.schema_version(conn) == schema.SCHEMA_VERSION == 6
    assert "user_id" in _columns(conn, "runs")
    assert _columns(conn, "datasets") == [
        "run_pk", "name", "digest", "context", "source_type", "schema", "profile",
    ]
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "runs_by_start_ms" in indexes
    assert _columns(conn, "plots") == ["run_pk", "path", "spec"]  # version 3: plots as data
    assert "lifecycle_stage" in _columns(conn, "runs")  # version 5: MLflow's lifecycle
    assert _columns(conn, "experiment_tags") == ["experiment_id", "key", "value"]
    assert conn.execute("SELECT lifecycle_stage FROM runs").fetchall() == [("active",)]
    conn.close()


def test_a_migrated_store_takes_new_runs_with_a_user_and_datasets(tmp_path: Path) -> None:
    tracking_dir = tmp_path / "autolog-runs"
    _write_version_1_store(tracking_dir)
    backend = LocalBackend(str(tracking_dir))
    backend.write_batch([RunStart("r-new", "old", "fresh", 1700000020.0), DatasetInput("r-new", "d", "x1")])
    backend.close()

    client = Client(str(tracking_dir))
    assert [run.name for run in client.search_runs(filter_string=f"user_id = '{current_user()}'")] == ["fresh"]
    assert [run.name for run in client.search_runs(filter_string="dataset.name = 'd'")] == ["fresh"]
    assert [run.name for run in client.search_runs("old")] == ["fresh", "legacy"]
    client.close()


def test_reopening_a_migrated_store_changes_nothing(tmp_path: Path) -> None:
    tracking_dir = tmp_path / "autolog-runs"
    _write_version_1_store(tracking_dir)
    for _ in range(2):
        conn = schema.open_connection(str(tracking_dir / DB_FILE))
        assert schema.schema_version(conn) == schema.SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (1,)
        conn.close()
