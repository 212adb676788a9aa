"""The local backend's write path: what lands in the SQLite file and the artifact folder."""

from __future__ import annotations

import math
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest
from autolog.backends.local import LocalBackend, autolog_make_backend

from autolog import config as autolog_config
from autolog.client import Client
from autolog.records import (
    Artifact,
    ArtifactKind,
    Metric,
    ModelRecord,
    Params,
    RunEnd,
    RunStart,
    RunStatus,
    Tags,
)
from autolog.sdk.backend_base import implements_write_batch
from autolog.store.schema import SCHEMA_VERSION, SchemaTooNew


def start(run_id: str, experiment: str = "Default") -> RunStart:
    return RunStart(run_id, experiment, "run", time.time())


def test_first_batch_creates_a_wal_database_with_a_schema_version(backend, tracking_dir) -> None:
    assert not os.path.exists(tracking_dir)  # nothing happens until the first batch
    backend.write_batch([start("r1")])

    conn = sqlite3.connect(os.path.join(tracking_dir, "autolog.db"))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert int(version) == SCHEMA_VERSION
    writer = backend.store.connection()
    assert writer.execute("PRAGMA busy_timeout").fetchone()[0] >= 30_000
    assert writer.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_local_backend_takes_whole_batches_and_describes_its_directory(backend, tracking_dir) -> None:
    assert implements_write_batch(backend)
    assert backend.describe() == {"name": "local", "tracking_dir": tracking_dir}


def test_plugin_hook_builds_the_local_backend_from_config(tmp_path: Path) -> None:
    config = autolog_config.resolve(environ={}, tracking_dir=str(tmp_path / "runs"))
    built = autolog_make_backend(name="local", config=config)
    assert isinstance(built, LocalBackend)
    assert built.tracking_dir == str(tmp_path / "runs")
    assert autolog_make_backend(name="wandb", config=config) is None


def test_backend_built_in_one_thread_writes_from_another(tracking_dir, client) -> None:
    backend = LocalBackend(tracking_dir)
    worker = threading.Thread(target=backend.write_batch, args=([start("threaded")],))
    worker.start()
    worker.join()
    backend.close()
    assert client.get_run("threaded").status == "RUNNING"


def test_a_param_keeps_its_first_value(backend, client) -> None:
    backend.write_batch([start("r"), Params("r", {"lr": "0.1"}), Params("r", {"lr": "0.5"})])
    backend.write_batch([Params("r", {"lr": "0.9", "depth": "3"})])
    assert client.get_run("r").params == {"lr": "0.1", "depth": "3"}


def test_a_tag_takes_its_latest_value(backend, client) -> None:
    backend.write_batch([RunStart("r", "Default", "run", time.time(), tags={"stage": "dev"})])
    backend.write_batch([Tags("r", {"stage": "test"}), Tags("r", {"stage": "prod"})])
    assert client.get_run("r").tags == {"stage": "prod"}


def test_params_and_tags_of_any_length_are_stored_whole(backend, client) -> None:
    huge = "x" * 1_000_000 + "end"
    backend.write_batch([start("r"), Params("r", {"config": huge}), Tags("r", {"note": huge})])
    run = client.get_run("r")
    assert run.params["config"] == huge
    assert run.tags["note"] == huge


def test_latest_metric_is_the_highest_step_then_the_latest_timestamp(backend, client) -> None:
    backend.write_batch(
        [
            start("r"),
            Metric("r", "loss", 1.0, 5, 10.0),
            Metric("r", "loss", 2.0, 3, 20.0),  # later, but a lower step
            Metric("r", "loss", 3.0, 5, 5.0),  # same step, older timestamp
        ]
    )
    assert client.get_run("r").metrics == {"loss": 1.0}
    backend.write_batch([Metric("r", "loss", 4.0, 4, 99.0)])  # a later batch, lower step
    assert client.get_run("r").metrics == {"loss": 1.0}
    backend.write_batch([Metric("r", "loss", 5.0, 5, 11.0)])  # same step, newer timestamp
    assert client.get_run("r").metrics == {"loss": 5.0}
    assert len(client.get_metric_history("r", "loss")) == 5


def test_nan_and_infinite_metric_values_round_trip(backend, client) -> None:
    backend.write_batch(
        [start("r"), Metric("r", "a", math.nan, 0, 1.0), Metric("r", "b", math.inf, 0, 1.0)]
    )
    run = client.get_run("r")
    assert math.isnan(run.metrics["a"]) and run.metrics["b"] == math.inf
    assert math.isnan(client.get_metric_history("r", "a")[0].value)


def test_run_end_records_status_and_end_time(backend, client) -> None:
    backend.write_batch([start("r"), RunEnd("r", RunStatus.FAILED, 1234.5)])
    run = client.get_run("r")
    assert (run.status, run.end_time) == ("FAILED", 1234.5)


def test_a_failing_batch_leaves_nothing_and_can_be_retried(backend, client) -> None:
    good = [start("r"), Params("r", {"lr": "0.1"}), Metric("r", "loss", 1.0, 0, 1.0)]
    with pytest.raises(sqlite3.Error):
        backend.write_batch([*good, Metric("r", "loss", object(), 1, 1.0)])  # type: ignore[arg-type]
    assert client.search_runs() == []
    backend.write_batch(good)
    assert client.get_run("r").params == {"lr": "0.1"}
    assert len(client.get_metric_history("r", "loss")) == 1


def test_records_for_a_run_never_started_are_skipped_not_invented(backend, client) -> None:
    with pytest.warns(UserWarning, match="never saw start"):
        backend.write_batch([start("known"), Metric("orphan", "loss", 1.0, 0, 1.0), Params("orphan", {"a": "1"})])
    assert [r.run_id for r in client.search_runs()] == ["known"]
    backend.write_batch([Metric("known", "loss", 2.0, 0, 1.0)])  # a known run, in a later batch
    assert client.get_run("known").metrics == {"loss": 2.0}


def _files(root: str) -> set[str]:
    return {
        os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
        for folder, _dirs, names in os.walk(root)
        for name in names
    }


def test_file_and_directory_artifacts_are_copied_under_the_run(backend, tracking_dir, tmp_path) -> None:
    (tmp_path / "ckpt" / "sub").mkdir(parents=True)
    (tmp_path / "ckpt" / "w.bin").write_bytes(b"12345")
    (tmp_path / "ckpt" / "sub" / "s.json").write_text("{}")
    (tmp_path / "plot.png").write_bytes(b"png")
    backend.write_batch(
        [
            start("r"),
            Artifact("r", str(tmp_path / "plot.png")),
            Artifact("r", str(tmp_path / "plot.png"), "figures/loss.png", ArtifactKind.PLOT),
            Artifact("r", str(tmp_path / "ckpt"), "checkpoint-1", ArtifactKind.CHECKPOINT),
        ]
    )
    run_dir = os.path.join(tracking_dir, "artifacts", "r")
    assert _files(run_dir) == {"plot.png", "figures/loss.png", "checkpoint-1/w.bin", "checkpoint-1/sub/s.json"}
    (tmp_path / "plot.png").write_bytes(b"changed later by the user")
    assert Path(run_dir, "plot.png").read_bytes() == b"png"


def test_staged_private_file_is_hard_linked_but_a_linked_one_is_copied(backend, tracking_dir, tmp_path) -> None:
    private = tmp_path / "private.bin"
    private.write_bytes(b"staged copy")
    user_file = tmp_path / "user.bin"
    user_file.write_bytes(b"user data")
    farm_link = tmp_path / "farm-link.bin"
    os.link(user_file, farm_link)  # a hard-link farm entry: shares the user's inode
    backend.write_batch(
        [
            start("r"),
            Artifact("r", str(private), "private.bin", staged=True),
            Artifact("r", str(farm_link), "farm.bin", staged=True),
        ]
    )
    run_dir = Path(tracking_dir, "artifacts", "r")
    assert os.stat(run_dir / "private.bin").st_ino == os.stat(private).st_ino
    assert os.stat(run_dir / "farm.bin").st_ino != os.stat(user_file).st_ino
    assert private.exists() and farm_link.exists()  # never moved: other backends may read them
    user_file.write_bytes(b"edited")
    assert (run_dir / "farm.bin").read_bytes() == b"user data"


def test_model_record_lands_at_its_artifact_path(backend, tracking_dir, tmp_path) -> None:
    model_dir = tmp_path / "staged-model"
    model_dir.mkdir()
    (model_dir / "autolog-model.json").write_text('{"format": 1}')
    (model_dir / "model.pkl").write_bytes(b"pickle")
    backend.write_batch([start("r"), ModelRecord("r", str(model_dir), "model", "sklearn")])
    assert _files(os.path.join(tracking_dir, "artifacts", "r")) == {"model/autolog-model.json", "model/model.pkl"}


def test_a_small_model_held_in_memory_is_kept_in_the_database_until_first_read(backend, tracking_dir, client) -> None:
    files = {"model.pkl": b"\x80pickle", "autolog-model.json": b'{"format": 1}'}
    backend.write_batch([start("r"), ModelRecord("r", "", "model", "sklearn", files=files), RunEnd("r", RunStatus.FINISHED, time.time())])
    assert not os.path.exists(os.path.join(tracking_dir, "artifacts", "r"))  # no file during training
    assert [(a.path, a.is_dir) for a in client.list_artifacts("r")] == [("model", True)]
    assert {(a.path, a.file_size) for a in client.list_artifacts("r", "model")} == {
        ("model/model.pkl", 7), ("model/autolog-model.json", 13),
    }
    folder = client.artifact_path("r", "model")  # written out on first read, then plain files
    assert _files(folder) == {"model.pkl", "autolog-model.json"}
    assert Path(folder, "model.pkl").read_bytes() == b"\x80pickle"
    assert client.artifact_path("r", "model/model.pkl") == os.path.join(folder, "model.pkl")


def test_a_plot_is_stored_as_data_and_rendered_when_first_read(backend, client) -> None:
    from autolog import plots
    from autolog.records import Plot

    spec = plots.curve_spec("loss", [0.0, 0.5, 1.0], [1.0, 0.4, float("nan")], x_label="x", y_label="y")
    backend.write_batch([start("r"), Plot("r", "plots/loss", spec)])
    assert [a.path for a in client.list_artifacts("r", "plots")] == ["plots/loss.json"]
    stored = client.get_plots("r")["plots/loss"]
    assert stored["y"] == [1.0, 0.4, None]  # NaN becomes null: the file is valid JSON
    with pytest.raises(FileNotFoundError):
        client.artifact_path("r", "plots/other.png")
    png = client.artifact_path("r", "plots/loss.png")
    assert Path(png).read_bytes()[:4] == b"\x89PNG"
    assert {a.path for a in client.list_artifacts("r", "plots")} == {"plots/loss.json", "plots/loss.png"}
    assert client.plot_images("r") == [png]


def test_an_unusable_artifact_warns_and_the_rest_of_the_batch_is_kept(backend, client, tmp_path) -> None:
    (tmp_path / "f.txt").write_text("x")
    with pytest.warns(UserWarning) as caught:
        backend.write_batch(
            [
                start("r"),
                Artifact("r", str(tmp_path / "gone.txt")),
                Artifact("r", str(tmp_path / "f.txt"), "../../escape.txt"),
                Params("r", {"kept": "yes"}),
            ]
        )
    messages = " ".join(str(w.message) for w in caught)
    assert "no longer exists" in messages and "inside the run's artifact folder" in messages
    assert client.get_run("r").params == {"kept": "yes"}
    assert client.list_artifacts("r") == []


def test_a_store_from_a_newer_autolog_is_refused(backend, tracking_dir) -> None:
    backend.write_batch([start("r")])
    backend.close()
    conn = sqlite3.connect(os.path.join(tracking_dir, "autolog.db"))
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match="schema version 99"):
        Client(tracking_dir).get_run("r")


def test_a_store_reopened_by_a_new_backend_keeps_its_runs(tracking_dir) -> None:
    first = LocalBackend(tracking_dir)
    first.write_batch([start(uuid.uuid4().hex)])
    first.close()
    second = LocalBackend(tracking_dir)
    second.write_batch([start("again")])
    second.close()
    assert len(Client(tracking_dir).search_runs()) == 2
