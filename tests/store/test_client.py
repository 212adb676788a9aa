"""The read-back client: runs, metric histories, artifacts, and reading one's own writes."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from autolog.client import ArtifactInfo, Client, MetricPoint, PagedList, RunNotFound
from autolog.records import Artifact, Metric, RunStart


def test_unknown_run_raises_run_not_found_naming_it(client, log_run) -> None:
    log_run()
    with pytest.raises(RunNotFound, match="no-such-run") as caught:
        client.get_run("no-such-run")
    assert isinstance(caught.value, LookupError)
    with pytest.raises(RunNotFound):
        client.get_metric_history("no-such-run", "loss")
    with pytest.raises(RunNotFound):
        client.list_artifacts("no-such-run")


def test_search_returns_mlflows_paged_list_of_runs(client, log_run) -> None:
    log_run()
    page = client.search_runs()
    assert isinstance(page, PagedList) and isinstance(page, list) and page.token is None


def test_runs_are_frozen(client, log_run) -> None:
    run = client.get_run(log_run(params={"a": "1"}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.status = "FAILED"  # type: ignore[misc]


def test_metric_history_is_ordered_by_step_then_timestamp(backend, client) -> None:
    backend.write_batch([RunStart("r", "Default", "run", 0.0), Metric("r", "loss", 0.3, 2, 30.0)])
    backend.write_batch([Metric("r", "loss", 0.9, 0, 10.0), Metric("r", "loss", 0.5, 1, 21.0)])
    backend.write_batch([Metric("r", "loss", 0.6, 1, 20.0), Metric("r", "acc", 0.1, 0, 5.0)])
    assert client.get_metric_history("r", "loss") == [
        MetricPoint(0, 0.9, 10.0),
        MetricPoint(1, 0.6, 20.0),
        MetricPoint(1, 0.5, 21.0),
        MetricPoint(2, 0.3, 30.0),
    ]
    assert client.get_metric_history("r", "missing") == []


def test_artifacts_are_listed_one_level_at_a_time(backend, client, tmp_path) -> None:
    (tmp_path / "ckpt" / "sub").mkdir(parents=True)
    (tmp_path / "ckpt" / "weights.bin").write_bytes(b"0123456789")
    (tmp_path / "ckpt" / "sub" / "state.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("hello")
    backend.write_batch(
        [
            RunStart("r", "Default", "run", 0.0),
            Artifact("r", str(tmp_path / "notes.txt")),
            Artifact("r", str(tmp_path / "ckpt"), "checkpoints/step-1"),
        ]
    )
    assert client.list_artifacts("r") == [
        ArtifactInfo("checkpoints", True, None),
        ArtifactInfo("notes.txt", False, 5),
    ]
    assert client.list_artifacts("r", "checkpoints/step-1") == [
        ArtifactInfo("checkpoints/step-1/sub", True, None),
        ArtifactInfo("checkpoints/step-1/weights.bin", False, 10),
    ]
    assert client.list_artifacts("r", "nothing-here") == []


def test_artifact_path_gives_the_local_file_or_file_not_found(backend, client, tracking_dir, tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    backend.write_batch([RunStart("r", "Default", "run", 0.0), Artifact("r", str(tmp_path / "notes.txt"), "docs/n.txt")])
    path = client.artifact_path("r", "docs/n.txt")
    assert os.path.isabs(path) and Path(path).read_text() == "hello"
    assert path == os.path.join(tracking_dir, "artifacts", "r", "docs", "n.txt")
    with pytest.raises(FileNotFoundError, match="docs/missing.txt"):
        client.artifact_path("r", "docs/missing.txt")
    with pytest.raises(ValueError):
        client.artifact_path("r", "../../autolog.db")


def test_reading_a_directory_with_no_store_finds_nothing_and_creates_nothing(tmp_path) -> None:
    client = Client(str(tmp_path / "empty"))
    assert client.search_runs() == [] and client.list_experiments() == []
    assert client.search_runs().token is None
    with pytest.raises(ValueError, match="invalid page_token"):
        client.search_runs(page_token="not a token")
    with pytest.raises(RunNotFound):
        client.get_run("anything")
    assert not (tmp_path / "empty").exists()


def test_default_directory_is_autolog_dir_or_autolog_runs(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUTOLOG_DIR", raising=False)
    assert Client().tracking_dir == str(tmp_path / "autolog-runs")
    monkeypatch.setenv("AUTOLOG_DIR", "relative/runs")
    assert Client().tracking_dir == str(tmp_path / "relative" / "runs")
    assert Client("explicit").tracking_dir == str(tmp_path / "explicit")


def test_every_read_first_flushes_this_process_pending_records(tmp_path) -> None:
    import autolog

    autolog.autolog(tracking_dir=str(tmp_path / "runs"), flush_interval=3600, batch_size=10**6)
    with autolog.run(name="pending") as run:
        run.log_metric("loss", 0.5)
        # nothing was delivered yet (an hour's interval); every read must see it anyway
        reader = Client(str(tmp_path / "runs"))
        assert reader.get_run(run.run_id).metrics == {"loss": 0.5}
        run.log_metric("loss", 0.25, step=1)
        assert [p.value for p in reader.get_metric_history(run.run_id, "loss")] == [0.5, 0.25]
        run.set_tag("later", "yes")
        assert [r.run_id for r in reader.search_runs(filter_string="tags.later = 'yes'")] == [run.run_id]
