"""A tracking server outage seen through ``autolog.autolog``: training goes on, nothing is lost
when the server returns in time, and one clear warning when it does not."""

from __future__ import annotations

import time
import warnings

import harness_mlflow  # tests/backends is on sys.path (its conftest)

import autolog


def _enable(tracking_uri, tmp_path, retry_seconds):
    autolog.autolog(
        backends=["local", "mlflow"],
        backend_options={"mlflow": {"tracking_uri": tracking_uri}},
        experiment="outage",
        tracking_dir=str(tmp_path / "autolog-runs"),
        retry_seconds=retry_seconds,
        exit_flush_timeout=5,
    )


def test_records_wait_during_an_outage_and_all_arrive_after_restart(mlflow_server, client, tmp_path):
    _enable(mlflow_server.url, tmp_path, retry_seconds=90)
    try:
        run = autolog.run(name="through an outage")
        run.log_param("lr", 0.1)
        run.log_metric("loss", 1.0, step=0)
        assert autolog.flush(60)
        mlflow_server.stop()
        for step in range(1, 101):  # the server is down: a logger that waited on it would hang here
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.end()
        time.sleep(1.5)  # the lane is retrying with back-off meanwhile
        mlflow_server.start()
        assert autolog.flush(90)
    finally:
        if not mlflow_server.healthy():
            mlflow_server.start()
    stored = harness_mlflow.find_run(client, run.run_id)
    assert stored.info.status == "FINISHED" and stored.data.params == {"lr": "0.1"}
    assert [m.step for m in client.get_metric_history(stored.info.run_id, "loss")] == list(range(101))
    local = autolog.Client().get_metric_history(run.run_id, "loss")
    assert len(local) == 101


def test_outage_past_the_retry_budget_is_reported_once_and_the_local_store_keeps_everything(
    mlflow_server, tmp_path, monkeypatch
):
    monkeypatch.delenv("AUTOLOG_TESTING")
    _enable(mlflow_server.url, tmp_path, retry_seconds=1)
    mlflow_server.stop()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with autolog.run(name="server never returns") as run:
                run.log_param("lr", 0.1)
                for step in range(50):
                    run.log_metric("loss", float(step), step=step)
            assert not autolog.flush()  # the backend is aside: a flush without timeout returns
        reports = [str(w.message) for w in caught if "'mlflow' has not answered" in str(w.message)]
        assert len(reports) == 1
        assert "records are kept" in reports[0] and "probed" in reports[0]
        local = autolog.Client().get_run(run.run_id)
        assert local.status == "FINISHED" and local.params == {"lr": "0.1"}
        assert len(autolog.Client().get_metric_history(run.run_id, "loss")) == 50
    finally:
        mlflow_server.start()
