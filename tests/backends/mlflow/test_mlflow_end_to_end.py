"""Through autolog's public API: ``autolog.autolog(backends=["mlflow"])`` and ``autolog.run``."""

from __future__ import annotations

import uuid

import pytest

import autolog

if not all(hasattr(autolog, name) for name in ("autolog", "run", "flush")):
    pytest.skip("autolog.autolog/run/flush are not available yet", allow_module_level=True)


@pytest.fixture
def mlflow_autolog(tracking_uri, tmp_path):
    experiment = f"e2e-{uuid.uuid4().hex[:8]}"
    autolog.autolog(
        backends=["mlflow"],
        backend_options={"mlflow": {"tracking_uri": tracking_uri}},
        experiment=experiment,
        tracking_dir=str(tmp_path / "autolog-runs"),
    )
    return experiment


def test_explicit_run_reaches_mlflow(mlflow_autolog, client, harness_module, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hi")
    with autolog.run(name="e2e", tags={"team": "ml"}) as run:
        run.log_params({"lr": 0.1, "layers": [64, 32]})
        for step in range(5):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_artifact(notes, "docs/notes.txt")
        with autolog.run(name="child") as child:
            child.log_metric("acc", 0.9)
    assert autolog.flush(60)

    stored = harness_module.find_run(client, run.run_id)
    assert stored.info.run_name == "e2e" and stored.info.status == "FINISHED"
    assert client.get_experiment(stored.info.experiment_id).name == mlflow_autolog
    assert stored.data.params["lr"] == "0.1"
    assert stored.data.tags["team"] == "ml"
    history = client.get_metric_history(stored.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(5)]
    assert "docs/notes.txt" in harness_module.list_files(client, stored.info.run_id)
    stored_child = harness_module.find_run(client, child.run_id)
    assert stored_child.data.tags["mlflow.parentRunId"] == stored.info.run_id


def test_failing_run_is_marked_failed(mlflow_autolog, client, harness_module):
    with pytest.raises(RuntimeError), autolog.run(name="boom") as run:
        run.log_param("x", 1)
        raise RuntimeError("boom")
    assert autolog.flush(60)
    assert harness_module.find_run(client, run.run_id).info.status == "FAILED"


def test_user_opened_mlflow_run_receives_autolog_records(mlflow_autolog, tracking_uri, client):
    import mlflow

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        with mlflow.start_run(run_name="users-own") as user_run:
            with autolog.run(name="inside") as run:
                run.log_params({"alpha": 2})
                run.log_metric("score", 0.75)
            assert autolog.flush(60)
            assert client.get_run(user_run.info.run_id).info.status == "RUNNING"
        stored = client.get_run(user_run.info.run_id)
        assert stored.data.params == {"alpha": "2"}
        assert stored.data.metrics == {"score": 0.75}
        assert stored.info.run_name == "users-own" and stored.info.status == "FINISHED"
        assert stored.data.tags["autolog.run_id"] == run.run_id
    finally:
        mlflow.set_tracking_uri(previous)


def test_autologged_sklearn_fit_logs_a_model_mlflow_loads(mlflow_autolog, tracking_uri, client, harness_module):
    pytest.importorskip("sklearn")
    try:
        import autolog.integrations.sklearn as integration
    except ImportError:
        integration = None
    if not hasattr(integration, "autolog_register_integrations"):
        pytest.skip("the sklearn integration is not available yet")
    import mlflow
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    X = np.random.default_rng(0).random((30, 3))
    y = (X[:, 0] > 0.5).astype(int)
    estimator = LogisticRegression(C=0.5).fit(X, y)
    assert autolog.flush(60)

    experiment = client.get_experiment_by_name(mlflow_autolog)
    (stored,) = client.search_runs([experiment.experiment_id])
    assert stored.data.params["C"] == "0.5"
    model_dirs = sorted(p.rpartition("/")[0] for p in harness_module.list_files(client, stored.info.run_id)
                        if p.endswith("/MLmodel"))
    assert model_dirs, "no MLflow model was logged"
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        loaded = mlflow.sklearn.load_model(f"runs:/{stored.info.run_id}/{model_dirs[0]}")
        np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))
    finally:
        mlflow.set_tracking_uri(previous)
