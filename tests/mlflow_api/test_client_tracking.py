"""MLflow's client on the local store: runs with ``.info``/``.data``, experiments with ids and
tags, run tags, names, status, delete and restore (``autolog.Client`` as ``MlflowClient``)."""

from __future__ import annotations

import sqlite3
import time

import pytest

import autolog
from autolog import Client as MlflowClient
from autolog.client import ExperimentNotFound, RunNotFound, ViewType


def _run(name: str, experiment: str, acc: float, **params: str) -> str:
    with autolog.run(name=name, experiment=experiment) as run:
        run.log_params(params)
        run.log_metric("acc", acc / 2, step=0)
        run.log_metric("acc", acc, step=1)
    return run.run_id


def test_runs_have_mlflow_info_and_data_views_with_times_in_milliseconds():
    client = MlflowClient()
    experiment_id = client.create_experiment("qa")
    before = time.time()
    run_id = _run("lora", "qa", 0.9, lr="0.001")
    run = client.get_run(run_id)
    info = run.info
    assert (info.run_id, info.run_uuid, info.run_name, info.status) == (run_id, run_id, "lora", "FINISHED")
    assert info.experiment_id == experiment_id == "1"  # a string, as MLflow's
    assert isinstance(info.start_time, int) and int(before * 1000) <= info.start_time <= info.end_time
    assert info.start_time == int(run.start_time * 1000)  # autolog's own attribute stays in seconds
    assert info.artifact_uri == run.artifact_uri and info.artifact_uri.endswith(run_id)
    assert info.lifecycle_stage == "active" and info.user_id == run.user_id
    assert run.data.params == {"lr": "0.001"} and run.data.metrics == {"acc": 0.9}
    assert run.data.tags["mlflow.runName"] == "lora" and run.data.tags["mlflow.user"] == run.user_id


def test_search_runs_takes_mlflows_keywords_and_pages():
    client = MlflowClient()
    qa = client.create_experiment("qa")
    for i in range(5):
        _run(f"r{i}", "qa", i / 10, model="gpt2" if i % 2 else "bert")
    _run("other", "elsewhere", 0.99, model="gpt2")
    runs = client.search_runs(
        experiment_ids=[qa], filter_string="params.model = 'gpt2'", order_by=["metrics.acc DESC"]
    )
    assert [r.info.run_name for r in runs] == ["r3", "r1"]
    assert [r.data.metrics["acc"] for r in runs] == [0.3, 0.1]
    assert [r.name for r in client.search_runs([qa], order_by="metrics.acc ASC")] == [f"r{i}" for i in range(5)]
    assert [r.name for r in client.search_runs(["qa"], order_by=["attributes.run_name DESC"], max_results=2)] == [
        "r4", "r3",
    ]  # names still work
    first = client.search_runs(experiment_ids=[qa], max_results=2, order_by=["metrics.acc DESC"])
    second = client.search_runs(experiment_ids=[qa], max_results=2, order_by=["metrics.acc DESC"], page_token=first.token)
    third = client.search_runs(experiment_ids=[qa], max_results=2, order_by=["metrics.acc DESC"], page_token=second.token)
    assert [r.name for r in [*first, *second, *third]] == ["r4", "r3", "r2", "r1", "r0"] and third.token is None
    assert client.search_runs(experiment_ids=["999"]) == []


def test_experiments_have_ids_tags_and_a_searchable_lifecycle():
    client = MlflowClient()
    autolog.run(name="first").end()  # autolog's Default experiment takes id 0, as MLflow's
    assert client.get_experiment_by_name("Default").experiment_id == "0"
    nlp = client.create_experiment("qa-nlp", tags={"team": "nlp"})
    vision = client.create_experiment("qa-vision", tags={"team": "cv"})
    assert (nlp, vision) == ("1", "2")
    experiment = client.get_experiment(nlp)
    assert (experiment.name, experiment.tags, experiment.lifecycle_stage) == ("qa-nlp", {"team": "nlp"}, "active")
    assert isinstance(experiment.creation_time, int) and experiment.creation_time > 1e12
    assert client.get_experiment_by_name("missing") is None
    with pytest.raises(ExperimentNotFound, match="'42'"):
        client.get_experiment("42")
    with pytest.raises(ValueError, match="already exists"):
        client.create_experiment("qa-nlp")

    found = client.search_experiments(filter_string="name LIKE 'qa-%' AND tags.team = 'nlp'")
    assert [e.name for e in found] == ["qa-nlp"]
    assert [e.name for e in client.search_experiments(order_by=["name DESC"])] == ["qa-vision", "qa-nlp", "Default"]
    client.set_experiment_tag(vision, "team", "nlp")
    assert [e.name for e in client.search_experiments(filter_string="tags.team = 'nlp'", order_by=["name"])] == [
        "qa-nlp", "qa-vision",
    ]
    client.delete_experiment(vision)
    assert [e.name for e in client.search_experiments(filter_string="name LIKE 'qa%'")] == ["qa-nlp"]
    assert [e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)] == ["qa-vision"]
    client.restore_experiment(vision)
    assert client.get_experiment(vision).lifecycle_stage == "active"
    with pytest.raises(ValueError, match="invalid experiment filter"):
        client.search_experiments(filter_string="metrics.acc > 1")


def test_set_tag_and_update_run_rename_and_change_status():
    client = MlflowClient()
    run_id = _run("draft", "Default", 0.5)
    client.set_tag(run_id, "stage", "review")
    client.set_tag(run_id, "mlflow.runName", "renamed")
    run = client.get_run(run_id)
    assert (run.name, run.info.run_name, run.data.tags["stage"]) == ("renamed", "renamed", "review")
    assert [r.run_id for r in client.search_runs(filter_string="attributes.run_name = 'renamed'")] == [run_id]
    client.update_run(run_id, status="FAILED", name="final")
    run = client.get_run(run_id)
    assert (run.name, run.status, run.data.tags["mlflow.runName"]) == ("final", "FAILED", "final")
    client.delete_tag(run_id, "stage")
    assert "stage" not in client.get_run(run_id).data.tags


def test_deleted_runs_are_hidden_from_search_until_restored():
    client = MlflowClient()
    kept, dropped = _run("kept", "Default", 0.1), _run("dropped", "Default", 0.2)
    client.delete_run(dropped)
    assert [r.run_id for r in client.search_runs()] == [kept]
    assert [r.run_id for r in client.search_runs(run_view_type=ViewType.DELETED_ONLY)] == [dropped]
    assert {r.run_id for r in client.search_runs(run_view_type=ViewType.ALL)} == {kept, dropped}
    assert client.get_run(dropped).info.lifecycle_stage == "deleted"  # still readable by id
    client.restore_run(dropped)
    assert {r.run_id for r in client.search_runs()} == {kept, dropped}


def test_bad_input_raises_clearly_and_writes_nothing():
    client = MlflowClient()
    run_id = _run("r", "Default", 0.1)
    with pytest.raises(RunNotFound):
        client.set_tag("nope", "k", "v")
    with pytest.raises(ValueError, match="status must be one of"):
        client.update_run(run_id, status="DONE", name="never")
    assert client.get_run(run_id).name == "r"  # the name was not changed either
    with pytest.raises(ValueError, match="run_view_type"):
        client.search_runs(run_view_type=7)
    with pytest.raises(TypeError, match="pass run_view_type=... by keyword"):
        client.search_runs(["0"], "", ViewType.ALL)  # MLflow's positional order
    with pytest.raises(ValueError, match="tag key"):
        client.create_experiment("tagged", tags={"": "x"})
    assert client.get_experiment_by_name("tagged") is None  # no experiment without its tags


def test_a_client_takes_a_file_uri_and_refuses_a_server_uri(tmp_path):
    folder = tmp_path / "elsewhere"
    MlflowClient(tracking_uri=folder.as_uri()).create_experiment("x")
    assert MlflowClient(str(folder)).get_experiment_by_name("x") is not None
    with pytest.raises(ValueError, match="MLflow server"):
        MlflowClient(tracking_uri="http://127.0.0.1:5000")


def test_a_version_4_store_migrates_to_5_with_every_run_active(tmp_path):
    from autolog.store import schema

    path = tmp_path / "old"
    client = MlflowClient(str(path))
    client.create_experiment("e")  # creates the store at the current version
    client.close()
    conn = sqlite3.connect(path / "autolog.db")
    conn.executescript(
        "DROP TABLE sync_items; DROP TABLE sync_runs; DROP TABLE sync_targets; "  # version 6's tables
        "DROP TABLE experiment_tags; ALTER TABLE runs DROP COLUMN lifecycle_stage; "
        "ALTER TABLE experiments DROP COLUMN lifecycle_stage; ALTER TABLE experiments DROP COLUMN last_update_time; "
        "INSERT INTO runs (run_id, experiment_id, name, status, start_time) VALUES ('r3', 1, 'v3', 'FINISHED', 1.0); "
        "UPDATE meta SET value = '4' WHERE key = 'schema_version';"
    )
    conn.close()
    client = MlflowClient(str(path))
    (run,) = client.search_runs()
    assert (run.run_id, run.info.lifecycle_stage, run.info.experiment_id) == ("r3", "active", "1")
    assert client.get_experiment("1").tags == {}
    conn = sqlite3.connect(path / "autolog.db")
    assert schema.schema_version(conn) == schema.SCHEMA_VERSION == 6
