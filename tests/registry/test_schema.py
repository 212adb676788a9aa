"""Schema version 4: a store written by an autolog without the registry (version 3) gains the
registry tables when opened, and keeps its runs; one that cannot be written is still read, with
an empty registry."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

import autolog
from autolog.client import Client
from autolog.store import schema
from autolog.store.sqlite import DB_FILE


def _write_version_3_store(tracking_dir: Path) -> None:
    tracking_dir.mkdir(parents=True)
    conn = sqlite3.connect(tracking_dir / DB_FILE, isolation_level=None)
    schema._run_script(conn, schema._SCHEMA_V1)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    schema.MIGRATIONS[1](conn)
    schema.MIGRATIONS[2](conn)
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    conn.execute("INSERT INTO experiments VALUES (1, 'old', 1700000000.0)")
    conn.execute(
        "INSERT INTO runs (run_id, experiment_id, name, status, start_time, end_time) "
        "VALUES ('r-old', 1, 'legacy', 'FINISHED', 1700000000.5, 1700000001.0)"
    )
    conn.close()


def test_a_version_3_store_gains_the_registry_and_keeps_its_runs(tmp_path: Path) -> None:
    tracking_dir = tmp_path / "autolog-runs"
    _write_version_3_store(tracking_dir)

    client = Client(str(tracking_dir))
    assert [run.name for run in client.search_runs()] == ["legacy"]
    client.create_registered_model("m")
    version = client.create_model_version("m", (tmp_path / "model").as_uri(), run_id="r-old")
    assert (version.version, version.run_id) == (1, "r-old")
    client.close()

    conn = sqlite3.connect(tracking_dir / DB_FILE)
    assert schema.schema_version(conn) == schema.SCHEMA_VERSION >= 4  # later schemas add their own tables
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"registered_models", "registered_model_tags", "model_versions", "model_version_tags",
            "registered_model_aliases"} <= tables
    conn.close()



def test_a_version_3_store_that_cannot_be_written_is_read_with_an_empty_registry(tmp_path: Path) -> None:
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed: no way to make a store read-only for root")
    tracking_dir = tmp_path / "autolog-runs"
    _write_version_3_store(tracking_dir)
    frozen = [tracking_dir / DB_FILE, tracking_dir]
    for path in frozen:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"this filesystem cannot make files immutable: {done.stderr.strip()}")
    try:
        client = Client(str(tracking_dir))
        assert [run.name for run in client.search_runs()] == ["legacy"]
        assert client.search_registered_models() == []
        assert client.search_model_versions("name = 'm'") == []
        with pytest.raises(LookupError, match="no model is registered"):
            autolog.load_model("models:/m/1", tracking_dir=str(tracking_dir))
        client.close()
    finally:
        for path in reversed(frozen):
            subprocess.run(["chattr", "-i", str(path)], check=False)
    conn = sqlite3.connect(tracking_dir / DB_FILE)
    assert schema.schema_version(conn) == 3  # read, never migrated
    conn.close()
