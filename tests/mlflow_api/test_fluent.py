"""MLflow's fluent API on autolog (``import autolog as mlflow``): the same runs as ``autolog.run``,
MLflow's semantics where they differ, and ``log_model`` for scikit-learn and transformers."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

import autolog
import autolog as mlflow
from autolog import Client as MlflowClient


def test_the_mlflow_names_are_autologs_own_objects():
    import autolog.fluent

    assert mlflow.active_run is autolog.active_run is autolog.fluent.active_run
    with mlflow.start_run(run_name="same") as run:
        assert type(run) is autolog.Run and autolog.active_run() is run
        with autolog.run(name="child") as child:  # autolog's own name nests inside it
            assert child.parent_run_id == run.run_id
    assert mlflow.last_active_run() is run


def test_a_manual_run_logs_params_stepped_metrics_tags_and_artifacts(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("trained on a laptop")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.json").write_text("{}")
    (tmp_path / "out" / "sub").mkdir()
    (tmp_path / "out" / "sub" / "b.txt").write_text("b")
    experiment = mlflow.set_experiment("qa")
    with mlflow.start_run(run_name="lora-r8", tags={"team": "nlp"}, description="first try") as run:
        assert mlflow.log_param("r", 8) == 8
        mlflow.log_params({"lr": 2e-4, "model": "gpt2"})
        for step in range(3):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.5, "f1": 0.4}, step=2, timestamp=1_700_000_000_000)
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"owner": "ana"})
        mlflow.log_artifact(str(notes), artifact_path="docs")
        mlflow.log_artifact(str(notes))
        mlflow.log_artifacts(str(tmp_path / "out"))
        mlflow.log_artifacts(str(tmp_path / "out"), artifact_path="copy")
        mlflow.log_text("hello", "texts/hello.txt")
        mlflow.log_dict({"k": [1, 2]}, "config/params.json")
        assert run.info.status == "RUNNING" and run.info.experiment_id == experiment.experiment_id
    client = MlflowClient()
    stored = client.get_run(run.run_id)
    assert stored.info.status == "FINISHED" and stored.info.experiment_id == experiment.experiment_id
    assert stored.data.params == {"r": "8", "lr": "0.0002", "model": "gpt2"}
    assert stored.data.metrics == {"loss": 1.0 / 3, "acc": 0.5, "f1": 0.4}
    assert {"team": "nlp", "stage": "dev", "owner": "ana", "mlflow.note.content": "first try"}.items() <= stored.data.tags.items()
    assert [p.step for p in client.get_metric_history(run.run_id, "loss")] == [0, 1, 2]
    assert client.get_metric_history(run.run_id, "acc")[0].timestamp == 1_700_000_000.0  # ms in, s stored
    files = {a.path for a in client.list_artifacts(run.run_id)}
    assert files == {"docs", "notes.txt", "a.json", "sub", "copy", "texts", "config"}
    assert [a.path for a in client.list_artifacts(run.run_id, "docs")] == ["docs/notes.txt"]
    assert {a.path for a in client.list_artifacts(run.run_id, "copy")} == {"copy/a.json", "copy/sub"}
    with open(client.artifact_path(run.run_id, "config/params.json")) as fh:
        assert json.load(fh) == {"k": [1, 2]}
    assert open(client.artifact_path(run.run_id, "texts/hello.txt")).read() == "hello"


def test_start_run_inside_a_run_needs_nested_and_end_run_sets_the_status():
    outer = mlflow.start_run(run_name="outer")
    with pytest.raises(RuntimeError, match="nested=True"):
        mlflow.start_run()
    inner = mlflow.start_run(run_name="inner", nested=True)
    assert inner.parent_run_id == outer.run_id and mlflow.active_run() is inner
    mlflow.end_run()
    assert mlflow.active_run() is outer
    mlflow.end_run(status="KILLED")
    assert mlflow.active_run() is None and mlflow.last_active_run() is outer
    client = MlflowClient()
    assert (client.get_run(outer.run_id).status, client.get_run(inner.run_id).status) == ("KILLED", "FINISHED")
    assert client.get_run(inner.run_id).parent_run_id == outer.run_id


def test_logging_without_a_run_starts_one_and_run_id_reopens_it():
    mlflow.log_metric("x", 1.0, step=0)
    started = mlflow.active_run()
    assert started is not None
    mlflow.end_run()
    with mlflow.start_run(run_id=started.run_id) as again:
        mlflow.log_metric("x", 2.0, step=1)
    assert again.run_id == started.run_id
    assert [p.value for p in MlflowClient().get_metric_history(started.run_id, "x")] == [1.0, 2.0]


def test_set_experiment_and_experiment_id_choose_where_runs_go_autologged_ones_too():
    from sklearn.linear_model import LinearRegression

    experiment = mlflow.set_experiment("regression")
    autolog.autolog(log_models=False)
    LinearRegression().fit(np.arange(8.0).reshape(4, 2), np.arange(4.0))
    other = MlflowClient().create_experiment("other")
    with mlflow.start_run(experiment_id=other) as run:
        pass
    client = MlflowClient()
    fitted = client.search_runs(experiment_ids=[experiment.experiment_id])
    assert len(fitted) == 1 and fitted[0].info.run_name != run.name
    assert client.get_run(run.run_id).info.experiment_id == other
    with pytest.raises(ValueError, match="exactly one"):
        mlflow.set_experiment()


def test_tracking_uri_is_a_local_folder(tmp_path):
    folder = tmp_path / "mlruns"
    mlflow.set_tracking_uri(folder.as_uri())
    assert mlflow.get_tracking_uri() == folder.as_uri()
    with mlflow.start_run() as run:
        mlflow.log_param("p", 1)
    assert MlflowClient(str(folder)).get_run(run.run_id).data.params == {"p": "1"}
    with pytest.raises(ValueError, match="not a local directory"):
        mlflow.set_tracking_uri("http://127.0.0.1:5000")


def test_log_model_logs_an_sklearn_estimator_loadable_by_runs_uri():
    from sklearn.linear_model import LogisticRegression

    X = np.random.default_rng(0).random((30, 3))
    y = (X[:, 0] > 0.5).astype(int)
    model = LogisticRegression().fit(X, y)
    with mlflow.start_run() as run:
        info = mlflow.log_model(model, name="clf", input_example=X[:2])
    assert (info.model_uri, info.flavor) == (f"runs:/{run.run_id}/clf", "sklearn")
    loaded = mlflow.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    meta = json.load(open(os.path.join(MlflowClient().artifact_path(run.run_id, "clf"), "autolog-model.json")))
    assert meta["input_example"]["data"][0] == pytest.approx(list(X[0]))
    assert meta["signature"]["inputs"]["tensors"][0]["shape"] == [-1, 3]  # inferred from the example
    assert meta["signature"]["outputs"]["tensors"][0]["dtype"] == "int64"
    with pytest.raises(TypeError, match="scikit-learn estimator or a transformers model"):
        mlflow.log_model(object(), "x")


def test_log_model_logs_a_transformers_model_and_tokenizer_dict(monkeypatch):
    pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "backends"))
    import tiny_transformers

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tokenizer = tiny_transformers.tokenizer()
    model = tiny_transformers.gpt2(tokenizer)
    with mlflow.start_run() as run:
        info = mlflow.log_model({"model": model, "tokenizer": tokenizer}, "lm", input_example="the good movie")
    assert info.flavor == "transformers"
    loaded, loaded_tokenizer = mlflow.load_model(info.model_uri)
    assert all(torch.equal(v, loaded.state_dict()[k]) for k, v in model.state_dict().items())
    assert loaded_tokenizer.get_vocab() == tokenizer.get_vocab()
    assert type(loaded).__name__ == "GPT2LMHeadModel" and time.time() > run.start_time


def test_log_artifact_logs_the_file_as_it_was_when_called(tmp_path):
    note = tmp_path / "note.txt"
    folder = tmp_path / "folder"
    folder.mkdir()
    with mlflow.start_run() as run:
        for version in ("first", "second"):
            note.write_text(version)  # rewritten in place, as a loop over runs would
            (folder / "f.txt").write_text(version)
            mlflow.log_artifact(str(note), artifact_path=version)
            mlflow.log_artifacts(str(folder), artifact_path=f"{version}-folder")
        note.unlink()
    client = MlflowClient()
    for version in ("first", "second"):
        assert open(client.artifact_path(run.run_id, f"{version}/note.txt")).read() == version
        assert open(client.artifact_path(run.run_id, f"{version}-folder/f.txt")).read() == version
    with pytest.raises(FileNotFoundError):
        mlflow.log_artifact(str(note))


def test_autolog_after_set_tracking_uri_and_set_experiment_keeps_both(tmp_path):
    from sklearn.linear_model import LinearRegression

    mlflow.set_tracking_uri(str(tmp_path / "chosen"))
    mlflow.set_experiment("chosen")
    mlflow.autolog(log_models=False)
    LinearRegression().fit(np.arange(8.0).reshape(4, 2), np.arange(4.0))
    (run,) = MlflowClient(str(tmp_path / "chosen")).search_runs(["chosen"])
    assert run.params["fit_intercept"] == "True"


def test_the_mlflow_style_example_runs(tmp_path):
    import subprocess
    import sys

    example = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "mlflow_style.py")
    done = subprocess.run(
        [sys.executable, example, str(tmp_path / "mlruns")], capture_output=True, text=True, timeout=180, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "experiment 'iris-sweep' has id 1"
    assert [line.split()[1] for line in lines[1:4]] == ["sgd-eta0.1", "sgd-eta0.01", "sgd-eta0.001"]
    client = MlflowClient(str(tmp_path / "mlruns"))
    best = client.get_run(client.get_model_version_by_alias("iris-classifier", "champion").run_id)
    assert lines[1].startswith(best.info.run_id[:8]) and lines[-1].startswith("champion is version 1")
    assert [a.path for a in client.list_artifacts(best.run_id, "docs")] == ["docs/notes.md"]
    assert done.stderr == ""  # no warning: every artifact was there when delivered


def test_search_runs_gives_mlflows_dataframe_of_the_current_experiment():
    pd = pytest.importorskip("pandas")
    mlflow.set_experiment("sweep")
    for lr in (0.1, 0.01):
        with mlflow.start_run():
            mlflow.log_param("lr", lr)
            mlflow.log_metric("acc", 1 - lr)
    mlflow.set_experiment("elsewhere")
    with mlflow.start_run():
        mlflow.log_metric("acc", 0.5)
    frame = mlflow.search_runs(experiment_names=["sweep"], order_by=["metrics.acc DESC"])
    assert list(frame["params.lr"]) == ["0.01", "0.1"] and list(frame["metrics.acc"]) == [0.99, 0.9]
    assert str(frame["start_time"].dtype).startswith("datetime64") and set(frame["status"]) == {"FINISHED"}
    assert list(mlflow.search_runs()["metrics.acc"]) == [0.5]  # the current experiment
    assert len(mlflow.search_runs(search_all_experiments=True, output_format="list")) == 3
    assert len(mlflow.search_runs(experiment_ids=["1"], max_results=1, output_format="list")) == 1
    assert isinstance(mlflow.search_runs(filter_string="metrics.acc > 2"), pd.DataFrame)
