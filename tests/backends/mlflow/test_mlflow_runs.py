"""Runs: experiments, names, status, times, child runs, the user's own MLflow run, configuration."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest

from autolog.config import resolve
from autolog.records import RunEnd, RunStart, RunStatus


def test_run_maps_experiment_name_tags_times_and_status(driver, client):
    before = time.time()
    run_id = driver.start("my-run", tags={"autolog.integration": "sklearn", "team": "vision"})
    driver.end(run_id, RunStatus.FINISHED)

    run = driver.mlflow_run(run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.name == driver.experiment
    assert run.info.run_name == "my-run"
    assert run.info.status == "FINISHED"
    assert run.data.tags["team"] == "vision"
    assert run.data.tags["autolog.integration"] == "sklearn"
    assert run.data.tags["autolog.run_id"] == run_id
    assert before * 1000 - 1 <= run.info.start_time <= run.info.end_time <= time.time() * 1000 + 1
    assert driver.backend.mlflow_run_id(run_id) == run.info.run_id


@pytest.mark.parametrize("status", [RunStatus.FAILED, RunStatus.KILLED])
def test_failed_and_killed_runs_keep_their_status(driver, status):
    run_id = driver.start()
    driver.end(run_id, status)
    assert driver.mlflow_run(run_id).info.status == status.value


def test_runs_of_one_experiment_share_the_mlflow_experiment(driver, client):
    first, second = driver.start("a"), driver.start("b")
    driver.end(first)
    driver.end(second)
    experiment_ids = {driver.mlflow_run(r).info.experiment_id for r in (first, second)}
    assert len(experiment_ids) == 1
    assert len(client.search_runs(list(experiment_ids))) == 2


def test_child_run_points_at_its_parent(driver):
    parent = driver.start("search")
    children = [driver.start(f"trial-{i}", parent=parent) for i in range(2)]
    for child in children:
        driver.end(child)
    driver.end(parent)

    parent_mlflow_id = driver.mlflow_run(parent).info.run_id
    for child in children:
        assert driver.mlflow_run(child).data.tags["mlflow.parentRunId"] == parent_mlflow_id
    assert "mlflow.parentRunId" not in driver.mlflow_run(parent).data.tags


def test_user_opened_mlflow_run_receives_the_records_and_stays_open(driver, tracking_uri, client):
    import mlflow

    previous_uri = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        experiment_id = client.create_experiment(f"user-{uuid.uuid4().hex[:8]}")
        with mlflow.start_run(experiment_id=experiment_id, run_name="mine") as user_run:
            run = RunStart(uuid.uuid4().hex, "ignored-experiment", "autolog-run", time.time())
            driver.backend.on_run_start(run)  # caller thread: sees the thread-local active run
            child = RunStart(uuid.uuid4().hex, "ignored-experiment", "child", time.time(), run.run_id)
            driver.backend.on_run_start(child)
            # everything else runs in the driver's worker thread, where no MLflow run is active
            driver.call("start_run", run)
            driver.call("log_params", run.run_id, {"alpha": "0.5"})
            driver.metrics(run.run_id, [("loss", 1.0, 0), ("loss", 0.5, 1)])
            driver.call("start_run", child)
            driver.call("end_run", RunEnd(child.run_id, RunStatus.FINISHED, time.time()))
            driver.call("end_run", RunEnd(run.run_id, RunStatus.FINISHED, time.time()))

            stored = client.get_run(user_run.info.run_id)
            assert stored.info.status == "RUNNING"  # autolog never ends the user's run
            assert mlflow.active_run().info.run_id == user_run.info.run_id
        stored = client.get_run(user_run.info.run_id)
        assert stored.info.status == "FINISHED"
        assert stored.info.run_name == "mine"
        assert stored.data.params == {"alpha": "0.5"}
        assert [m.value for m in client.get_metric_history(stored.info.run_id, "loss")] == [1.0, 0.5]
        assert stored.data.tags["autolog.run_id"] == run.run_id
        assert client.get_experiment_by_name("ignored-experiment") is None
        child_run = driver.mlflow_run(child.run_id)
        assert child_run.info.run_id != user_run.info.run_id
        assert child_run.data.tags["mlflow.parentRunId"] == user_run.info.run_id
    finally:
        mlflow.set_tracking_uri(previous_uri)


def test_on_run_start_does_not_import_mlflow():
    code = (
        "import sys, time\n"
        "from autolog.backends.mlflow import MlflowBackend\n"
        "from autolog.records import RunStart\n"
        "MlflowBackend('http://127.0.0.1:1').on_run_start(RunStart('r', 'e', 'n', time.time()))\n"
        "assert 'mlflow' not in sys.modules, 'mlflow was imported'\n"
        "import autolog\n"
        "assert 'mlflow' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_plugin_hook_builds_the_backend_from_config():
    from autolog.backends.mlflow import MlflowBackend, autolog_make_backend

    config = resolve(
        environ={},
        backend_options={"mlflow": {"tracking_uri": "http://example.invalid:5000"}},
        registered_model_name="churn",
        registered_model_alias="champion",
    )
    backend = autolog_make_backend("mlflow", config)
    assert isinstance(backend, MlflowBackend)
    assert backend.tracking_uri == "http://example.invalid:5000"
    assert (backend.registered_model_name, backend.registered_model_alias) == ("churn", "champion")
    assert autolog_make_backend("wandb", config) is None

    own = resolve(environ={}, registered_model_name="x", backend_options={"mlflow": {"registered_model_name": "y"}})
    assert autolog_make_backend("mlflow", own).registered_model_name == "y"


def test_tracking_uri_defaults_to_the_environment(monkeypatch):
    from autolog.backends.mlflow import MlflowBackend

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://from-env:5000")
    assert MlflowBackend().tracking_uri == "http://from-env:5000"
    assert MlflowBackend("http://explicit:1").tracking_uri == "http://explicit:1"
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert MlflowBackend().describe()["tracking_uri"] == "(mlflow default)"


def test_calls_for_a_run_never_started_raise_lookup_error(driver):
    with pytest.raises(LookupError):
        driver.call("log_params", "never-started", {"a": "1"})


def test_resumed_run_continues_the_same_mlflow_run(make_driver, client):
    first = make_driver()
    run_id = first.start("train")
    first.metrics(run_id, [("loss", 1.0, 0), ("loss", 0.8, 1)])
    first.end(run_id, RunStatus.KILLED)
    mlflow_run_id = first.mlflow_run(run_id).info.run_id

    second = make_driver()  # a new process: nothing in memory but the autolog run id
    resumed = RunStart(run_id, second.experiment, "train", time.time(), resume_step=1)
    second.backend.on_run_start(resumed)
    second.call("start_run", resumed)
    assert client.get_run(mlflow_run_id).info.status == "RUNNING"
    second.metrics(run_id, [("loss", 0.6, 2)])
    second.end(run_id)

    assert second.backend.mlflow_run_id(run_id) == mlflow_run_id
    stored = client.get_run(mlflow_run_id)
    assert stored.info.status == "FINISHED"
    assert [m.step for m in client.get_metric_history(mlflow_run_id, "loss")] == [0, 1, 2]
    assert len(client.search_runs([stored.info.experiment_id])) == 1


def test_an_attached_process_logs_into_the_owners_mlflow_run_and_never_ends_it(make_driver, client):
    owner = make_driver()
    run_id = owner.start("project")
    owner.params(run_id, {"alpha": "0.5"})
    mlflow_run_id = owner.mlflow_run(run_id).info.run_id

    child = make_driver()  # another process, told the run id by AUTOLOG_RUN_ID
    attached = RunStart(run_id, child.experiment, "", time.time(), attach=True)
    child.backend.on_run_start(attached)
    child.call("start_run", attached)
    child.params(run_id, {"C": "1.0"})
    child.metrics(run_id, [("score", 0.9, 0)])
    child.call("end_run", RunEnd(run_id, RunStatus.FAILED, time.time(), detach=True))

    stored = client.get_run(mlflow_run_id)
    assert child.backend.mlflow_run_id(run_id) == mlflow_run_id
    assert stored.info.status == "RUNNING"  # the attached process's end is not the run's
    assert stored.data.params == {"alpha": "0.5", "C": "1.0"} and stored.data.metrics["score"] == 0.9
    owner.end(run_id, RunStatus.FINISHED)
    assert client.get_run(mlflow_run_id).info.status == "FINISHED"
    assert len(client.search_runs([stored.info.experiment_id])) == 1


def test_an_attached_process_creates_and_ends_the_mlflow_run_the_owner_never_made(driver, client):
    run_id = uuid.uuid4().hex
    attached = RunStart(run_id, driver.experiment, "project", time.time(), attach=True)
    driver.backend.on_run_start(attached)
    driver.call("start_run", attached)
    driver.params(run_id, {"C": "1.0"})
    driver.call("end_run", RunEnd(run_id, RunStatus.FAILED, time.time(), detach=True))
    run = driver.mlflow_run(run_id)
    assert run.info.status == "FAILED" and run.data.params == {"C": "1.0"}
