"""``autolog sync`` to a real MLflow server: every run read back equal to the local store, sync
twice adds nothing, late records arrive alone, a dry run sends nothing."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pytest

pytest.importorskip("mlflow")

from autolog.backends.local import LocalBackend
from views import (
    as_uploaded,
    local_history_ms,
    local_runs,
    mlflow_history,
    mlflow_runs_by_autolog_id,
    same_history,
)

import autolog
from autolog.records import Metric, Tags


def _sync(store: str, uri: str, **kwargs: Any) -> Any:
    return autolog.sync("mlflow", tracking_dir=store, options={"tracking_uri": uri}, **kwargs)


def _mine(client: Any, store: str) -> dict[str, list[Any]]:
    """The MLflow runs holding this store's runs (the server is shared by the session)."""
    ids = set(local_runs(store))
    return {k: v for k, v in mlflow_runs_by_autolog_id(client).items() if k in ids}


def test_every_run_reads_back_from_mlflow_equal_to_the_local_store(store: str, mlflow_uri: str, tmp_path: Any) -> None:
    from mlflow import MlflowClient

    summary = _sync(store, mlflow_uri)
    local = local_runs(store)
    assert summary.runs == summary.runs_sent == len(local) >= 6
    assert summary.failed == {}
    assert summary.points == sum(len(h) for run in local.values() for h in run.history.values())

    client = MlflowClient(mlflow_uri)
    remote = _mine(client, store)
    assert set(remote) == set(local)
    ids = {run_id: runs[0].info.run_id for run_id, runs in remote.items()}
    for run_id, mine in local.items():
        (theirs,) = remote[run_id]  # one MLflow run per autolog run
        run, info = mine.run, theirs.info
        assert (info.run_name, info.status) == (run.name, run.status)
        assert info.start_time == int(run.start_time * 1000)
        assert info.end_time == int(run.end_time * 1000)
        assert client.get_experiment(info.experiment_id).name == run.experiment
        assert theirs.data.params == run.params
        assert {k: v for k, v in run.tags.items() if k != "mlflow.parentRunId"}.items() <= theirs.data.tags.items()
        if run.parent_run_id:
            assert theirs.data.tags["mlflow.parentRunId"] == ids[run.parent_run_id]
        assert set(theirs.data.metrics) == set(run.metrics)
        for key in run.metrics:
            assert same_history(mlflow_history(client, info.run_id, key), local_history_ms(mine, key)), key
        plots = set(autolog.Client(store).get_plots(run_id))
        uploaded = _files(client, info.run_id)
        # a model the backend logs as an MLflow 3 LoggedModel (Trainer models) lives there, not
        # among the run's artifacts
        as_models = _logged_model_names(client, info)
        assert {as_uploaded(path, plots) for path in mine.files if path.split("/")[0] not in as_models} <= uploaded

    by_name = {m.run.name: (run_id, m) for run_id, m in local.items()}
    assert by_name["failed"][1].run.status == "FAILED"
    assert any(m.run.parent_run_id for m in local.values())  # the search's child runs
    fit_id = next(run_id for run_id, m in local.items() if m.run.tags.get("estimator_name") == "LogisticRegression"
                  and not m.run.parent_run_id and "mlflow.parentRunId" not in m.run.tags)
    import mlflow.sklearn

    X = np.random.default_rng(1).normal(size=(20, 6))
    native = mlflow.sklearn.load_model(client.download_artifacts(ids[fit_id], "model", str(tmp_path)))
    ours = autolog.load_model(f"runs:/{fit_id}/model", tracking_dir=store)
    assert (native.predict(X) == ours.predict(X)).all()
    hf_id, hf = next((run_id, m) for run_id, m in local.items() if m.run.experiment == "sync-hf")
    uploaded = _files(client, ids[hf_id])
    assert any(path.startswith("checkpoints/checkpoint-") for path in uploaded)
    assert "model" in _logged_model_names(client, client.get_run(ids[hf_id]).info) and "loss" in hf.run.metrics


def test_syncing_again_sends_nothing_and_late_records_arrive_alone(store: str, mlflow_uri: str) -> None:
    from mlflow import MlflowClient

    _sync(store, mlflow_uri)
    client = MlflowClient(mlflow_uri)
    before = {k: [r.info.run_id for r in v] for k, v in _mine(client, store).items()}

    again = _sync(store, mlflow_uri)
    assert (again.runs_sent, again.points, again.bytes, again.up_to_date) == (0, 0, 0, again.runs)
    assert {k: [r.info.run_id for r in v] for k, v in _mine(client, store).items()} == before

    manual = next(m for m in local_runs(store).values() if m.run.name == "manual")
    late = LocalBackend(store)  # a post-training evaluation and a tag, written after the sync
    late.write_batch([Metric(manual.run.run_id, "eval_acc", 0.75, 300, 1_800_000_000.0),
                      Tags(manual.run.run_id, {"stage": "prod"})])
    late.close()
    third = _sync(store, mlflow_uri)
    assert (third.runs_sent, third.points) == (1, 1)
    (remote,) = _mine(client, store)[manual.run.run_id]
    assert remote.info.run_id == before[manual.run.run_id][0]
    assert remote.data.tags["stage"] == "prod" and remote.info.status == "FINISHED"
    assert mlflow_history(client, remote.info.run_id, "eval_acc") == [(300, 1_800_000_000_000, 0.75)]
    assert len(mlflow_history(client, remote.info.run_id, "loss")) == 300


def test_a_dry_run_lists_what_would_be_sent_and_sends_nothing(store: str, mlflow_uri: str) -> None:
    from mlflow import MlflowClient

    summary = _sync(store, mlflow_uri, dry_run=True)
    assert summary.dry_run and summary.runs_sent == summary.runs == len(summary.plan)
    manual = next(line for line in summary.plan if "manual" in line)
    assert "2 params" in manual and "601 metric points" in manual and "end FINISHED" in manual
    assert _mine(MlflowClient(mlflow_uri), store) == {}
    assert _sync(store, mlflow_uri).runs_sent == summary.runs  # nothing was recorded as sent


def test_a_selection_brings_the_parent_of_a_child_run(store: str, mlflow_uri: str) -> None:
    from mlflow import MlflowClient

    local = local_runs(store)
    child = next(m.run for m in local.values() if m.run.parent_run_id)
    summary = _sync(store, mlflow_uri, run_ids=[child.run_id])
    assert summary.runs == 2
    remote = _mine(MlflowClient(mlflow_uri), store)
    assert set(remote) == {child.run_id, child.parent_run_id}
    (parent,) = remote[child.parent_run_id]
    assert remote[child.run_id][0].data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert _sync(store, mlflow_uri, experiment="sync-manual").runs_sent == 2


def _logged_model_names(client: Any, info: Any) -> set[str]:
    """The names of the MLflow 3 LoggedModels whose source is this MLflow run."""
    found = client.search_logged_models(
        experiment_ids=[info.experiment_id], filter_string=f"source_run_id = '{info.run_id}'"
    )
    return {model.name for model in found}


def _files(client: Any, mlflow_run_id: str, path: str | None = None) -> set[str]:
    files: set[str] = set()
    for info in client.list_artifacts(mlflow_run_id, path):
        files |= _files(client, mlflow_run_id, info.path) if info.is_dir else {info.path}
    return files


def test_the_target_is_where_the_data_goes_not_how_it_was_named(
    store: str, mlflow_uri: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    _sync(store, mlflow_uri)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)  # the same server, named by MLflow's default
    same = autolog.sync("mlflow", tracking_dir=store, dry_run=True)
    assert (same.runs_sent, same.target["tracking_uri"]) == (0, mlflow_uri)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/other.db")  # another store: all of it
    other = autolog.sync("mlflow", tracking_dir=store, dry_run=True)
    assert other.runs_sent == other.runs == len(local_runs(store))


def test_a_registered_trainer_model_syncs_as_a_version_of_its_logged_model(store: str, mlflow_uri: str) -> None:
    """Trainer models reach MLflow as LoggedModels; a registered version points at it
    (``models:/<model_id>``), as live registration does, not at a run folder that holds nothing."""
    from mlflow import MlflowClient

    local = local_runs(store)
    hf_id = next(run_id for run_id, m in local.items() if m.run.experiment == "sync-hf")
    name = f"tiny-gpt2-{uuid.uuid4().hex[:8]}"  # the server is shared by the session
    version = autolog.register_model(f"runs:/{hf_id}/model", name, tracking_dir=store)
    autolog.Client(store).set_registered_model_alias(name, "candidate", version.version)
    summary = _sync(store, mlflow_uri)
    assert (summary.versions, summary.aliases) == (1, 1)
    client = MlflowClient(mlflow_uri)
    target_run = next(r for r in mlflow_runs_by_autolog_id(client)[hf_id])
    (model,) = [m for m in client.search_logged_models(
        experiment_ids=[target_run.info.experiment_id], filter_string=f"source_run_id = '{target_run.info.run_id}'"
    ) if m.name == "model"]
    synced = client.get_model_version_by_alias(name, "candidate")
    assert (synced.source, synced.run_id) == (f"models:/{model.model_id}", target_run.info.run_id)
    assert _sync(store, mlflow_uri).versions == 0


def test_a_registered_model_name_in_the_environment_does_not_register_synced_models(
    store: str, mlflow_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient

    name = f"from-env-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("AUTOLOG_REGISTERED_MODEL_NAME", name)  # meant for live runs, not for a sync
    assert _sync(store, mlflow_uri).runs_sent > 0
    assert MlflowClient(mlflow_uri).search_registered_models(filter_string=f"name = '{name}'") == []
