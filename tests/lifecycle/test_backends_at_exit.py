"""Backends in real processes: an MLflow server that goes away mid-run and comes back gets every
record the script logged (the backend was put aside, probed, and caught up); a backend that hangs
forever never makes exit wait longer than ``exit_flush_timeout``, and exit says what it missed."""

from __future__ import annotations

import os
import sys
import time

import pytest

BACKENDS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "backends")
if BACKENDS_DIR not in sys.path:
    sys.path.insert(0, BACKENDS_DIR)


def test_mlflow_server_stopped_and_restarted_mid_run_gets_everything(script, tmp_path):
    pytest.importorskip("mlflow")
    import harness_mlflow
    from mlflow import MlflowClient

    server = harness_mlflow.MlflowServer(str(tmp_path / "mlflow")).start()
    try:
        user = script(f"""
            autolog.autolog(
                backends=["local", "mlflow"], experiment="outage", retry_seconds=2,
                backend_options={{"mlflow": {{"tracking_uri": "{server.url}"}}}},
            )
            LogisticRegression().fit(X, y)
            run = autolog.run(name="through an outage")
            run.log_param("lr", 0.1)
            step = 0
            for step in range(50):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
            assert autolog.flush(60)
            print("ready", flush=True)
            while not os.path.exists("go"):              # the server is down meanwhile
                step += 1
                run.log_metric("loss", 1.0 / (step + 1), step=step)
                time.sleep(0.01)
            print("steps", step + 1, flush=True)
        """, MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false")
        running = user.start()
        running.wait_for("ready")
        server.stop()
        time.sleep(5)  # past the 2 s retry budget: the backend is put aside and probed
        server.start()
        (user.folder / "go").touch()
        steps = int(running.wait_for("steps").split()[1])
        code, _out, err = running.finish(timeout=120)
        assert code == 0, err[-3000:]
        assert "has not answered for 2s" in err  # told once, while it happened
        client = MlflowClient(server.url)
        local = user.client()
        for run in local.search_runs():
            remote = harness_mlflow.find_run(client, run.run_id)
            assert remote is not None, run.name
            assert remote.info.status == "FINISHED"
            assert remote.data.params == run.params
        manual = next(r for r in local.search_runs() if r.name == "through an outage")
        remote = harness_mlflow.find_run(client, manual.run_id)
        history = client.get_metric_history(remote.info.run_id, "loss")
        assert sorted(m.step for m in history) == list(range(steps))
        assert len(local.get_metric_history(manual.run_id, "loss")) == steps
    finally:
        server.stop()


def test_a_backend_that_hangs_forever_delays_exit_only_by_exit_flush_timeout(script):
    user = script("""
        import threading
        from autolog.sdk import RecordBackend

        class Hanging(RecordBackend):
            name = "hanging"
            def log_metrics(self, run_id, metrics):
                threading.Event().wait()                # never returns

        autolog.autolog(backends=["local", Hanging()], exit_flush_timeout=3)
        with autolog.run(name="manual") as run:
            run.log_param("lr", 0.1)
            for step in range(100):
                run.log_metric("loss", float(step), step=step)
        LogisticRegression().fit(X, y)
        time.sleep(1.5)                                 # the hanging call has begun
    """)
    done = user.run(timeout=120)  # the call never returns: an exit that waited for it never would
    assert done.returncode == 0, done.stderr[-3000:]
    assert "records not delivered when autolog closed ('hanging':" in done.stderr
    assert "metric points" in done.stderr and "run ends" in done.stderr
    client = user.client()
    runs = {r.name: r for r in client.search_runs()}
    assert runs["manual"].status == "FINISHED"
    assert len(client.get_metric_history(runs["manual"].run_id, "loss")) == 100
    assert runs["LogisticRegression"].status == "FINISHED"
